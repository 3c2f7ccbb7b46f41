//! Fuzz the SIP parser: never panics, every slice lies inside the input, and framing agrees
//! with the parser on where the body starts and ends.
#![no_main]
use callscope_shared::sip::frame::{FrameLen, message_len};
use callscope_shared::sip::{
    CSeq, NameAddr, Reason, SipMessage, StartLine, Via, looks_like_sip, unfold, uri_params, uri_user,
};
use libfuzzer_sys::fuzz_target;

fn inside(input: &[u8], s: &[u8]) -> bool {
    let (b0, b1) = (input.as_ptr() as usize, input.as_ptr() as usize + input.len());
    let s0 = s.as_ptr() as usize;
    s.is_empty() || (s0 >= b0 && s0 + s.len() <= b1)
}

fn check_name_addr(input: &[u8], n: &NameAddr<'_>) {
    assert!(inside(input, n.uri) && inside(input, n.params));
    n.display.iter().chain(n.tag.iter()).for_each(|s| assert!(inside(input, s)));
    n.user().iter().for_each(|s| assert!(inside(input, s)));
    for (k, v) in n.param_iter().chain(uri_params(n.uri)) {
        assert!(inside(input, k) && v.is_none_or(|v| inside(input, v)));
    }
}

fn check(input: &[u8], m: &SipMessage<'_>) {
    match m.kind() {
        StartLine::Request { method, uri, version } => {
            assert!(inside(input, method) && inside(input, uri) && inside(input, version));
            assert!(!method.is_empty() && !uri.is_empty());
            uri_user(uri).iter().for_each(|s| assert!(inside(input, s)));
        }
        StartLine::Response { code, reason, version } => {
            assert!((100..=699).contains(&code));
            assert!(inside(input, reason) && inside(input, version));
        }
    }
    m.call_id().iter().for_each(|s| assert!(inside(input, s)));
    m.from().iter().chain(m.to().iter()).chain(m.contact().iter()).for_each(|n| check_name_addr(input, n));
    if let Some(CSeq { method, .. }) = m.cseq() {
        assert!(inside(input, method));
    }
    let mut vias = 0;
    for Via { protocol, transport, sent_by, params } in m.vias() {
        assert!(inside(input, protocol) && inside(input, transport));
        assert!(inside(input, sent_by) && inside(input, params));
        vias += 1;
    }
    assert!(vias <= m.via_count());
    m.via_branch().iter().for_each(|s| assert!(inside(input, s)));
    for (n, v) in m.all_headers() {
        assert!(inside(input, n) && inside(input, v));
        unfold(v).for_each(|f| assert!(inside(input, f)));
    }
    for Reason { protocol, text, .. } in m.reasons() {
        assert!(inside(input, protocol) && text.is_none_or(|t| inside(input, t)));
    }
    let body = m.body();
    assert!(inside(input, body));
    assert!(m.body_offset() + body.len() == m.len() && m.len() <= input.len());
    // Framing and parsing agree: a complete frame ends where the parser's body ends.
    if let (FrameLen::Complete(n), Some(cl)) = (message_len(input), m.content_length()) {
        assert_eq!(n, m.body_offset() + cl);
        assert_eq!(n, m.len());
    }
}

fuzz_target!(|data: &[u8]| {
    let looks = looks_like_sip(data);
    match SipMessage::parse(data) {
        Ok(m) => check(data, &m),
        // Anything looks_like_sip accepts has a valid start line.
        Err(e) => assert!(!looks, "looks_like_sip but {e}"),
    }
    if let Ok(m) = SipMessage::parse_skipping_junk(data) {
        check(data, &m);
    }
});
