//! Standard template-based IPFIX with hand-built RFC 7011 messages.
use super::super::*;
use super::message;

/// Runs a session over messages; returns the events as debug strings and the session.
fn run(msgs: &[Vec<u8>]) -> (Vec<String>, CollectorSession) {
    let mut s = CollectorSession::new(CollectorConfig::default());
    let mut ev = Vec::new();
    for m in msgs {
        s.on_bytes(m, 0, &mut |e| ev.push(show(&e))).unwrap();
    }
    (ev, s)
}

fn show(e: &CollectorEvent<'_>) -> String {
    match e {
        CollectorEvent::TemplateData {
            domain,
            template_id,
            fields,
        } => {
            let f: Vec<String> = fields
                .iter()
                .map(|f| {
                    let v: String = f.value.iter().map(|b| format!("{b:02x}")).collect();
                    if f.enterprise == 0 {
                        format!("{}={v}", f.id)
                    } else {
                        format!("{}/{}={v}", f.enterprise, f.id)
                    }
                })
                .collect();
            format!("data d{domain} t{template_id} {}", f.join(" "))
        }
        other => format!("{other:?}"),
    }
}

fn spec(id: u16, len: u16) -> FieldSpec {
    FieldSpec {
        enterprise: 0,
        id,
        len,
    }
}

fn template_body(templates: &[Template]) -> Vec<u8> {
    let mut b = Vec::new();
    for t in templates {
        template::emit_template_record(&mut b, t);
    }
    b
}

/// sourceIPv4Address(8), destinationIPv4Address(12), sourceTransportPort(7),
/// destinationTransportPort(11), octetDeltaCount(1) with a reduced-size 4-byte encoding.
fn flow_template(id: u16) -> Template {
    Template {
        id,
        scope_count: 0,
        fields: vec![spec(8, 4), spec(12, 4), spec(7, 2), spec(11, 2), spec(1, 4)],
    }
}

fn flow_record(a: [u8; 4], b: [u8; 4], sp: u16, dp: u16, octets: u32) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&a);
    r.extend_from_slice(&b);
    r.extend_from_slice(&sp.to_be_bytes());
    r.extend_from_slice(&dp.to_be_bytes());
    r.extend_from_slice(&octets.to_be_bytes());
    r
}

/// RFC 7011 §3.4.1 Template Set, §3.3.2 data set named by its template ID, §8 the template
/// and its data in different messages, §3.1 sequence = data records before this message.
#[test]
fn rfc7011_section3_4_1_template_then_data_in_later_message() {
    let t = template_body(&[flow_template(256)]);
    let mut d = flow_record([192, 0, 2, 1], [192, 0, 2, 2], 5060, 5061, 1000);
    d.extend(flow_record([192, 0, 2, 3], [192, 0, 2, 4], 1, 2, 3));
    let (ev, s) = run(&[
        message(1, 0, 7, &[(2, &t)]),
        message(2, 0, 7, &[(256, &d)]),
        message(3, 2, 7, &[(256, &d[..16])]),
    ]);
    assert_eq!(
        ev,
        [
            "TemplateDefined { domain: 7, template_id: 256, options: false, outcome: New }",
            "data d7 t256 8=c0000201 12=c0000202 7=13c4 11=13c5 1=000003e8",
            "data d7 t256 8=c0000203 12=c0000204 7=0001 11=0002 1=00000003",
            "data d7 t256 8=c0000201 12=c0000202 7=13c4 11=13c5 1=000003e8",
        ]
    );
    let c = s.counters();
    assert_eq!((c.template_data_records, c.sequence_gaps), (3, 0));
    // The SBC set IDs are not special once a template names them: 256 here is data.
    assert_eq!(c.handshakes, 0);
}

/// RFC 7011 §7 variable-length encoding (1-byte and 0xFF + 2-byte length) and §3.2 the
/// enterprise bit followed by the PEN.
#[test]
fn rfc7011_section7_varlen_and_section3_2_enterprise_bit() {
    let t = Template {
        id: 300,
        scope_count: 0,
        fields: vec![
            FieldSpec {
                enterprise: 9148,
                id: 1,
                len: FieldSpec::VARIABLE,
            },
            spec(82, FieldSpec::VARIABLE), // interfaceName
            FieldSpec {
                enterprise: 32473,
                id: 0x7fff,
                len: 2,
            },
        ],
    };
    let tb = template_body(std::slice::from_ref(&t));
    // The enterprise bit is on the wire: 0x8001 then 0xffff then PEN 9148.
    assert_eq!(&tb[4..12], &[0x80, 0x01, 0xff, 0xff, 0, 0, 0x23, 0xbc]);
    let mut d = vec![
        3, b'a', b'b', b'c', 0xff, 0x00, 0x02, b'x', b'y', 0xab, 0xcd,
    ];
    d.extend([0, 0xff, 0, 0, 0, 0]); // second record: both strings empty
    d.extend([0; 2]); // padding (RFC 7011 §3.3.1): shorter than the shortest record (4)
    let (ev, s) = run(&[message(0, 0, 0, &[(2, &tb), (300, &d)])]);
    assert_eq!(
        ev[1..],
        [
            "data d0 t300 9148/1=616263 82=7879 32473/32767=abcd",
            "data d0 t300 9148/1= 82= 32473/32767=0000",
        ]
    );
    assert_eq!(s.templates().get(0, 300), Some(&t));
}

/// RFC 7011 §3.4.2.2 Options Template Record: scope field count first; 0 is invalid.
#[test]
fn rfc7011_section3_4_2_options_template() {
    let t = Template {
        id: 400,
        scope_count: 1,
        fields: vec![spec(149, 4), spec(41, 8)], // observationDomainId; exportedMessageTotalCount
    };
    let tb = template_body(std::slice::from_ref(&t));
    let mut d = 7u32.to_be_bytes().to_vec();
    d.extend(99u64.to_be_bytes());
    let (ev, s) = run(&[message(0, 0, 0, &[(3, &tb), (400, &d)])]);
    assert_eq!(
        ev,
        [
            "TemplateDefined { domain: 0, template_id: 400, options: true, outcome: New }",
            "data d0 t400 149=00000007 41=0000000000000063",
        ]
    );
    assert!(s.templates().get(0, 400).unwrap().is_options());
    // Scope count 0.
    let bad = [1, 144, 0, 1, 0, 0, 0, 149, 0, 4];
    let mut s = CollectorSession::new(CollectorConfig::default());
    let e = s.on_bytes(&message(0, 0, 0, &[(3, &bad)]), 0, &mut |_| {});
    assert!(matches!(
        e,
        Err(SessionError::Message {
            error: IpfixError::InvalidScopeCount { scope: 0, .. },
            ..
        })
    ));
}

/// RFC 7011 §8.1 Template Withdrawal (field count 0), all-templates withdrawal (ID 2 in set 2),
/// an unknown withdrawal ignored; §8 data without a template dropped and counted.
#[test]
fn rfc7011_section8_1_withdrawal() {
    let t = template_body(&[flow_template(256), flow_template(257)]);
    let d = flow_record([10, 0, 0, 1], [10, 0, 0, 2], 1, 2, 3);
    let (ev, s) = run(&[
        message(0, 0, 0, &[(2, &t)]),
        message(0, 0, 0, &[(2, &[1, 0, 0, 0])]), // withdraw 256
        message(0, 0, 0, &[(256, &d)]),          // no template now
        message(0, 0, 0, &[(2, &[1, 88, 0, 0])]), // withdraw unknown 344
        message(0, 0, 0, &[(2, &[0, 2, 0, 0])]), // withdraw all
        message(0, 0, 0, &[(257, &d)]),
    ]);
    assert_eq!(
        ev[2..],
        [
            "TemplateWithdrawn { domain: 0, template_id: Some(256), options: false, known: true }",
            "UnknownSet { domain: 0, set_id: 256, len: 16 }",
            "TemplateWithdrawn { domain: 0, template_id: Some(344), options: false, known: false }",
            "TemplateWithdrawn { domain: 0, template_id: None, options: false, known: true }",
            "UnknownSet { domain: 0, set_id: 257, len: 16 }",
        ]
    );
    let c = s.counters();
    assert_eq!((c.templates_withdrawn, c.unknown_withdrawals), (2, 1));
    assert_eq!(c.unknown_sets, 2);
    assert!(s.templates().is_empty());
    // Records of unknown count: the sequence is re-learnt, no false gap.
    assert_eq!(c.sequence_gaps, 0);
}

/// RFC 7011 §8: two observation domains in one session may use one template ID for different
/// templates; a redefinition without withdrawal replaces (and is reported).
#[test]
fn rfc7011_section8_domains_and_redefinition() {
    let short = Template {
        id: 256,
        scope_count: 0,
        fields: vec![spec(7, 2)],
    };
    let (ev, s) = run(&[
        message(0, 0, 1, &[(2, &template_body(&[flow_template(256)]))]),
        message(
            0,
            0,
            2,
            &[(2, &template_body(std::slice::from_ref(&short)))],
        ),
        message(0, 0, 2, &[(256, &[0, 9])]),
        message(
            0,
            1,
            2,
            &[(2, &template_body(std::slice::from_ref(&short)))],
        ),
        message(0, 1, 2, &[(2, &template_body(&[flow_template(256)]))]),
    ]);
    assert_eq!(ev[2], "data d2 t256 7=0009");
    assert!(ev[3].ends_with("outcome: Identical }"));
    assert!(ev[4].ends_with("outcome: Replaced }"));
    assert_eq!(s.templates().len(), 2);
}

/// RFC 7011 §3.1: the sequence number counts data records; a jump is reported once.
#[test]
fn rfc7011_section3_1_sequence_gap() {
    let t = template_body(&[Template {
        id: 256,
        scope_count: 0,
        fields: vec![spec(7, 2)],
    }]);
    let (ev, s) = run(&[
        message(0, 10, 0, &[(2, &t), (256, &[0, 1, 0, 2])]),
        message(0, 12, 0, &[(256, &[0, 3])]),
        message(0, 20, 0, &[(256, &[0, 4])]),
        message(0, 21, 0, &[(256, &[0, 5])]),
    ]);
    let gaps: Vec<&String> = ev.iter().filter(|e| e.starts_with("SequenceGap")).collect();
    assert_eq!(gaps, ["SequenceGap { domain: 0, expected: 13, got: 20 }"]);
    assert_eq!(s.counters().sequence_gaps, 1);
}
