//! Call model tests: RFC 3261 dialog behaviour (§13 INVITE, §9 CANCEL, §13.2.2.4 forking,
//! §17 retransmissions) and B2BUA correlation (RFC 7989 Session-ID, X-CID, heuristic).
use super::*;
use crate::net::{Endpoint, Flow, Transport};

struct Msg {
    info: SipInfo,
}

fn ep(s: &str) -> Endpoint {
    let (ip, port) = s.rsplit_once(':').unwrap();
    Endpoint::new(ip.parse().unwrap(), port.parse().unwrap())
}

impl Msg {
    fn req(method: &str, call_id: &str, src: &str, dst: &str, ms: u64) -> Self {
        Self::new(
            MessageKind::Request {
                method: method.into(),
            },
            method,
            call_id,
            src,
            dst,
            ms,
        )
    }
    fn resp(status: u16, cseq_method: &str, call_id: &str, src: &str, dst: &str, ms: u64) -> Self {
        Self::new(
            MessageKind::Response { status },
            cseq_method,
            call_id,
            src,
            dst,
            ms,
        )
    }
    fn new(
        kind: MessageKind,
        cseq_method: &str,
        call_id: &str,
        src: &str,
        dst: &str,
        ms: u64,
    ) -> Self {
        Msg {
            info: SipInfo {
                index: 0,
                ts: ms * 1_000_000,
                flow: Flow {
                    src: ep(src),
                    dst: ep(dst),
                },
                transport: Transport::Udp,
                kind,
                call_id: call_id.into(),
                from_uri: "sip:alice@a.example".into(),
                from_user: "alice".into(),
                from_tag: Some("ftag".into()),
                to_uri: "sip:+15551234567@b.example".into(),
                to_user: "+15551234567".into(),
                to_tag: None,
                cseq: Some((1, cseq_method.into())),
                branch: Some("z9hG4bK1".into()),
                correlation: Vec::new(),
                reason: None,
                media: Vec::new(),
            },
        }
    }
    fn with_to_tag(mut self, t: &str) -> Self {
        self.info.to_tag = Some(t.into());
        self
    }
    fn cseq(mut self, n: u32) -> Self {
        if let Some(c) = self.info.cseq.as_mut() {
            c.0 = n;
        }
        self
    }
    fn branch(mut self, b: &str) -> Self {
        self.info.branch = Some(b.into());
        self
    }
    fn header(mut self, name: &str, value: &str) -> Self {
        self.info.correlation.push((name.into(), value.into()));
        self
    }
    fn with_to_user(mut self, u: &str) -> Self {
        self.info.to_user = u.into();
        self
    }
}

fn feed(msgs: Vec<Msg>) -> Legs {
    let mut legs = Legs::new();
    for (i, mut m) in msgs.into_iter().enumerate() {
        m.info.index = i;
        legs.on_message(&m.info);
    }
    legs
}

const A: &str = "10.0.0.1:5060";
const B: &str = "10.0.0.2:5060";
const C: &str = "10.0.0.3:5060";

#[test]
fn rfc3261_13_basic_call_completes() {
    let legs = feed(vec![
        Msg::req("INVITE", "c1", A, B, 0),
        Msg::resp(100, "INVITE", "c1", B, A, 10),
        Msg::resp(180, "INVITE", "c1", B, A, 200).with_to_tag("tt"),
        Msg::resp(200, "INVITE", "c1", B, A, 3200).with_to_tag("tt"),
        Msg::req("ACK", "c1", A, B, 3210)
            .with_to_tag("tt")
            .branch("z9hG4bK2"),
        Msg::req("BYE", "c1", A, B, 63200)
            .with_to_tag("tt")
            .cseq(2)
            .branch("z9hG4bK3"),
        Msg::resp(200, "BYE", "c1", B, A, 63210)
            .with_to_tag("tt")
            .cseq(2)
            .branch("z9hG4bK3"),
    ]);
    let leg = legs.get("c1").unwrap();
    assert_eq!(leg.state, LegState::Completed);
    assert_eq!(leg.final_status, Some(200));
    assert_eq!(leg.post_dial_delay_ms(), Some(200.0));
    assert_eq!(leg.answer_delay_ms(), Some(3200.0));
    assert_eq!(leg.duration_s(), Some(60.0));
    assert_eq!(leg.ended_by, Some("caller"));
    assert_eq!(leg.messages.len(), 7);
    assert_eq!(leg.retransmissions, 0);
}

#[test]
fn rfc3261_9_cancel_487() {
    let legs = feed(vec![
        Msg::req("INVITE", "c2", A, B, 0),
        Msg::resp(180, "INVITE", "c2", B, A, 100).with_to_tag("t"),
        Msg::req("CANCEL", "c2", A, B, 2000),
        Msg::resp(200, "CANCEL", "c2", B, A, 2001).with_to_tag("t"),
        Msg::resp(487, "INVITE", "c2", B, A, 2002).with_to_tag("t"),
        Msg::req("ACK", "c2", A, B, 2003).with_to_tag("t"),
    ]);
    let leg = legs.get("c2").unwrap();
    assert_eq!(leg.state, LegState::Cancelled);
    assert_eq!(leg.final_status, Some(487));
    // The 200 to CANCEL shares CSeq 1 with the INVITE: it is neither an answer nor a retransmission.
    assert_eq!(leg.answer_ts, None);
    assert_eq!(leg.retransmissions, 0);
}

#[test]
fn rfc3261_13_failure_and_retransmission() {
    let legs = feed(vec![
        Msg::req("INVITE", "c3", A, B, 0),
        Msg::req("INVITE", "c3", A, B, 500),
        Msg::resp(486, "INVITE", "c3", B, A, 600).with_to_tag("t"),
        Msg::req("ACK", "c3", A, B, 601).with_to_tag("t"),
    ]);
    let leg = legs.get("c3").unwrap();
    assert_eq!(leg.state, LegState::Failed);
    assert_eq!(leg.final_status, Some(486));
    assert_eq!(leg.retransmissions, 1);
    assert_eq!(leg.hops.len(), 1);
}

#[test]
fn rfc3261_13_2_2_4_forking_two_200() {
    let legs = feed(vec![
        Msg::req("INVITE", "c4", A, B, 0),
        Msg::resp(180, "INVITE", "c4", B, A, 50).with_to_tag("fork1"),
        Msg::resp(180, "INVITE", "c4", B, A, 60).with_to_tag("fork2"),
        Msg::resp(200, "INVITE", "c4", B, A, 1000).with_to_tag("fork1"),
        Msg::resp(200, "INVITE", "c4", B, A, 1005).with_to_tag("fork2"),
    ]);
    let leg = legs.get("c4").unwrap();
    assert_eq!(leg.to_tags, vec!["fork1".to_string(), "fork2".to_string()]);
    assert_eq!(leg.state, LegState::Answered);
    assert_eq!(leg.answer_ts, Some(1_000_000_000));
    assert_eq!(
        leg.retransmissions, 0,
        "a second fork's 200 is not a retransmission"
    );
}

#[test]
fn proxy_hops_share_one_leg() {
    let legs = feed(vec![
        Msg::req("INVITE", "c5", A, B, 0),
        Msg::req("INVITE", "c5", B, C, 2).branch("z9hG4bKproxy"),
        Msg::resp(200, "INVITE", "c5", C, B, 100)
            .with_to_tag("t")
            .branch("z9hG4bKproxy"),
        Msg::resp(200, "INVITE", "c5", B, A, 101).with_to_tag("t"),
    ]);
    assert_eq!(legs.all().len(), 1);
    let leg = legs.get("c5").unwrap();
    assert_eq!(leg.hops.len(), 2);
    assert_eq!(
        group_legs(legs.all(), &CorrelationConfig::default()).len(),
        1
    );
}

#[test]
fn non_call_traffic_is_not_a_call() {
    let legs = feed(vec![
        Msg::req("REGISTER", "r1", A, B, 0),
        Msg::resp(401, "REGISTER", "r1", B, A, 1),
        Msg::req("REGISTER", "r1", A, B, 2).cseq(2),
        Msg::resp(200, "REGISTER", "r1", B, A, 3).cseq(2),
        Msg::req("OPTIONS", "o1", A, B, 4),
    ]);
    let r = legs.get("r1").unwrap();
    assert_eq!(r.kind, LegKind::Register);
    assert_eq!(r.final_status, Some(200));
    assert_eq!(legs.get("o1").unwrap().kind, LegKind::Options);
    assert!(group_legs(legs.all(), &CorrelationConfig::default()).is_empty());
}

#[test]
fn rfc7989_session_id_links_three_legs() {
    // A -> B2BUA1 -> B2BUA2 -> C, each hop a new Call-ID; Session-ID carries the UUID pair.
    let u1 = "ab30317f1a784dc48ff824d0d3715d86";
    let u2 = "47755a9de7794ba387653f2099600ef2";
    let legs = feed(vec![
        Msg::req("INVITE", "leg1", A, B, 0).header(
            "session-id",
            &format!("{u1};remote=00000000000000000000000000000000"),
        ),
        Msg::req("INVITE", "leg2", B, C, 5).header(
            "session-id",
            &format!("{u1};remote=00000000000000000000000000000000"),
        ),
        Msg::req("INVITE", "leg3", C, "10.0.0.4:5060", 9).header(
            "session-id",
            &format!("{u1};remote=00000000000000000000000000000000"),
        ),
        Msg::resp(200, "INVITE", "leg3", "10.0.0.4:5060", C, 100)
            .header("session-id", &format!("{u2};remote={u1}")),
        Msg::req("INVITE", "other", "10.9.9.9:5060", "10.9.9.8:5060", 10).header(
            "session-id",
            "ffffffffffffffffffffffffffffffff;remote=00000000000000000000000000000000",
        ),
    ]);
    let groups = group_legs(
        legs.all(),
        &CorrelationConfig {
            heuristic: false,
            ..Default::default()
        },
    );
    assert_eq!(groups.len(), 2);
    let g = &groups[0];
    assert_eq!(
        g.legs.iter().map(|l| l.0).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(g.legs[0].1, LinkReason::Root);
    assert_eq!(
        g.legs[1].1,
        LinkReason::Header("session-id".into(), u1.into())
    );
}

#[test]
fn x_cid_names_the_other_call_id() {
    let legs = feed(vec![
        Msg::req("INVITE", "in-leg", A, B, 0),
        Msg::req("INVITE", "out-leg", B, C, 5).header("x-cid", "in-leg"),
    ]);
    let groups = group_legs(
        legs.all(),
        &CorrelationConfig {
            heuristic: false,
            ..Default::default()
        },
    );
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0].legs[1].1,
        LinkReason::Header("x-cid".into(), "in-leg".into())
    );
}

#[test]
fn p_charging_vector_icid() {
    let legs = feed(vec![
        Msg::req("INVITE", "a", A, B, 0).header(
            "p-charging-vector",
            "icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\";orig-ioi=home1.net",
        ),
        Msg::req("INVITE", "b", B, C, 5).header(
            "p-charging-vector",
            "icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;term-ioi=x",
        ),
    ]);
    assert_eq!(
        group_legs(
            legs.all(),
            &CorrelationConfig {
                heuristic: false,
                ..Default::default()
            }
        )
        .len(),
        1
    );
}

#[test]
fn heuristic_links_b2bua_but_not_parallel_calls() {
    // B2BUA at B: receives from A, sends to C 30 ms later with the same called number.
    let legs = feed(vec![
        Msg::req("INVITE", "x1", A, B, 0),
        Msg::req("INVITE", "x2", B, C, 30).with_to_user("15551234567"),
        // A second call from A to B at nearly the same time: same numbers, but it was not
        // forwarded by the host that received the first (source is A, not B).
        Msg::req("INVITE", "y1", A, B, 40),
    ]);
    let on = group_legs(legs.all(), &CorrelationConfig::default());
    assert_eq!(on.len(), 2);
    assert!(matches!(on[0].legs[1].1, LinkReason::Heuristic(_)));
    let off = group_legs(
        legs.all(),
        &CorrelationConfig {
            heuristic: false,
            ..Default::default()
        },
    );
    assert_eq!(off.len(), 3);
}
