//! IPFIX collector session (SBC comm-monitor and template-based) on an arbitrary byte stream
//! in an arbitrary chunking.
//!
//! Input: `[seed, stream...]`. `seed` picks the chunk sizes (1 to 64 bytes, cycling through
//! the low bits of a tiny xorshift); bit 0x80 of the seed prepends the real SBC handshake so
//! the fuzzer starts past it more often.
//!
//! Invariants: no panic; the chunked run gives exactly the events, error and reply bytes of
//! the one-shot run; at most one message (65535 bytes) is buffered; every SIP copy's bytes
//! and every template data field lie inside the input; after an error, the session is closed.
#![no_main]
use callscope_shared::ipfix::{CollectorConfig, CollectorEvent, CollectorSession};
use libfuzzer_sys::fuzz_target;

const HANDSHAKE: [u8; 48] = [
    0x00, 0x0a, 0x00, 0x30, 0x59, 0x41, 0x37, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0x20,
    0x00, 0x01, 0x00, 0x02, 0x00, 0xfc, 0x77, 0x31, 0x00, 0x00, 0x00, 0x1e, 0, 0, 0, 0, 0x43, 0x5a,
    0x07, 0x03, 0x00, 0x06, b'e', b'c', b'z', b'7', b'3', b'0',
];

struct Run {
    events: Vec<String>,
    error: Option<String>,
    tx: Vec<u8>,
}

fn run(stream: &[u8], mut seed: u32) -> Run {
    let cfg = CollectorConfig {
        max_templates: 64,
        max_template_fields: 1024,
        max_domains: 16,
        ..CollectorConfig::default()
    };
    let mut s = CollectorSession::new(cfg);
    let mut events = Vec::new();
    let mut error = None;
    let mut rest = stream;
    let mut now = 0;
    let total = stream.len();
    while !rest.is_empty() {
        let n = if seed == 0 {
            rest.len()
        } else {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as usize % 64 + 1).min(rest.len())
        };
        let (a, b) = rest.split_at(n);
        rest = b;
        now += 1;
        let r = s.on_bytes(a, now, &mut |e: CollectorEvent<'_>| {
            match &e {
                CollectorEvent::Sip(c) => assert!(c.bytes.len() <= total),
                CollectorEvent::TemplateData { fields, .. } => {
                    assert!(fields.iter().map(|f| f.value.len()).sum::<usize>() <= total)
                }
                _ => {}
            }
            events.push(format!("{e:?}"));
        });
        assert!(s.buffered() <= 65_535);
        if let Err(e) = r {
            assert!(s.is_failed());
            assert!(s.on_bytes(b"x", now, &mut |_| {}).is_err());
            error = Some(e.to_string());
            break;
        }
    }
    let mut tx = Vec::new();
    s.poll_transmit(&mut tx);
    Run { events, error, tx }
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let stream: Vec<u8> = if seed & 0x80 != 0 {
        HANDSHAKE.iter().chain(body).copied().collect()
    } else {
        body.to_vec()
    };
    let whole = run(&stream, 0);
    let chunked = run(&stream, u32::from(seed) | 0x100);
    assert_eq!(whole.events, chunked.events);
    assert_eq!(whole.error, chunked.error);
    assert_eq!(whole.tx, chunked.tx);
});
