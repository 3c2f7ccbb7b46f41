//! Privacy mode in the JSON answers: for a caller without `numbers:view`, the addresses of call
//! summaries and records and the raw SIP of `/messages` are masked with
//! [`callscope_shared::privacy`] (same rule everywhere: `+33*******89`), before they leave
//! the engine.
use callscope_shared::privacy::{mask_address, masked_sip};
use serde_json::Value;

fn mask_field(obj: &mut Value, key: &str) {
    if let Some(v) = obj.get_mut(key)
        && let Some(s) = v.as_str()
    {
        *v = Value::String(mask_address(s));
    }
}

fn mask_from_to(obj: &mut Value) {
    mask_field(obj, "from");
    mask_field(obj, "to");
}

/// `GET /calls`: `{calls: [{from, to, ...}], next}`.
pub fn mask_search(v: &mut Value) {
    if let Some(calls) = v.get_mut("calls").and_then(Value::as_array_mut) {
        calls.iter_mut().for_each(mask_from_to);
    }
}

/// `GET /calls/{id}`: `{summary: {from, to}, call: {from, to, legs: [{from, to}]}, streams}`.
pub fn mask_call(v: &mut Value) {
    if let Some(s) = v.get_mut("summary") {
        mask_from_to(s);
    }
    if let Some(c) = v.get_mut("call") {
        mask_from_to(c);
        if let Some(legs) = c.get_mut("legs").and_then(Value::as_array_mut) {
            legs.iter_mut().for_each(mask_from_to);
        }
    }
}

/// `GET /calls/{id}/messages`: `{messages: [{raw, ...}]}`; the raw SIP keeps its length.
pub fn mask_messages(v: &mut Value) {
    let Some(msgs) = v.get_mut("messages").and_then(Value::as_array_mut) else {
        return;
    };
    for m in msgs {
        if let Some(raw) = m.get_mut("raw")
            && let Some(s) = raw.as_str()
        {
            let masked = masked_sip(s.as_bytes());
            *raw = Value::String(String::from_utf8_lossy(&masked).into_owned());
        }
    }
}

/// A number search by someone who may not see numbers: only a whole value, no wildcards (a
/// pattern would let them read numbers digit by digit).
pub fn number_search_allowed(number: Option<&str>) -> bool {
    number.is_none_or(|n| !n.contains(['*', '?']))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_are_masked_in_place() {
        let mut s =
            json!({"calls": [{"id": "x", "from": "alice", "to": "+442071234567"}], "next": null});
        mask_search(&mut s);
        assert_eq!(s["calls"][0]["from"], "***ce");
        assert_eq!(s["calls"][0]["to"], "+44********67");
        assert_eq!(s["calls"][0]["id"], "x");
        let mut c = json!({
            "summary": {"from": "alice", "to": "+442071234567"},
            "call": {"from": "sip:alice@10.1.0.1", "to": "sip:+442071234567@10.1.0.2",
                     "legs": [{"from": "sip:alice@10.1.0.2", "to": "sip:+442071234567@10.1.0.3", "call_id": "c1"}]},
            "streams": [{"call_id": "c1"}]
        });
        mask_call(&mut c);
        assert_eq!(c["call"]["to"], "sip:+44********67@10.1.0.2");
        assert_eq!(c["call"]["legs"][0]["from"], "sip:***ce@10.1.0.2");
        assert_eq!(c["summary"]["to"], "+44********67");
        assert_eq!(c["streams"][0]["call_id"], "c1");
        let raw = "INVITE sip:+442071234567@h SIP/2.0\r\nTo: <sip:+442071234567@h>\r\nContent-Length: 0\r\n\r\n";
        let mut m = json!({"messages": [{"raw": raw}]});
        mask_messages(&mut m);
        let out = m["messages"][0]["raw"].as_str().unwrap();
        assert_eq!(out.len(), raw.len());
        assert!(!out.contains("2071234567"), "{out}");
    }

    #[test]
    fn wildcard_number_search_needs_the_permission() {
        assert!(number_search_allowed(None));
        assert!(number_search_allowed(Some("+442071234567")));
        assert!(!number_search_allowed(Some("+44207*")));
        assert!(!number_search_allowed(Some("+4420712345?7")));
    }
}
