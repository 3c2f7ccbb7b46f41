//! Decoder over arbitrary link type + bytes. Input: byte 0 picks a link type, byte 1 the number
//! of frames (1-4) the rest is split into (so fragments can meet), byte 2 the timestamp step.
//! Invariants: never panics; exactly one event per frame; segment payloads are sub-slices of
//! the frame or come from a reassembly buffer no larger than the configured maximum; malformed
//! events carry the frame; stats add up.
#![no_main]
use callscope_shared::wire::capture::{Frame, LinkType};
use callscope_shared::wire::decap::{DecodeEvent, Decoder, DecoderConfig};
use libfuzzer_sys::fuzz_target;

const LINKS: [u32; 12] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 9];

fuzz_target!(|data: &[u8]| {
    let [sel, nframes, step, rest @ ..] = data else {
        return;
    };
    let link = LinkType(LINKS[usize::from(*sel) % LINKS.len()]);
    let n = 1 + usize::from(*nframes % 4);
    let cfg = DecoderConfig {
        frag_timeout: 1_000,
        frag_max_datagrams: 4,
        ..Default::default()
    };
    let max = cfg.frag_max_datagram_size;
    let mut dec = Decoder::new(cfg);
    let chunk = rest.len().div_ceil(n).max(1);
    for (i, frame_data) in rest.chunks(chunk).enumerate() {
        let frame = Frame {
            ts: i as u64 * u64::from(*step) * 100,
            link_type: link,
            data: frame_data,
            orig_len: frame_data.len() as u32,
            interface: 0,
        };
        let range = frame_data.as_ptr_range();
        let mut events = 0;
        dec.decode(&frame, &mut |ev| {
            events += 1;
            match ev {
                DecodeEvent::Segment(s) => {
                    let p = s.payload.as_ptr_range();
                    let inside = p.start >= range.start && p.end <= range.end;
                    assert!(
                        inside || s.payload.len() <= max,
                        "payload neither in frame nor reassembled"
                    );
                    assert!(s.payload.len() <= 65_535);
                    assert_eq!(s.ts, frame.ts);
                }
                DecodeEvent::Malformed {
                    data, error, layer, ..
                } => {
                    assert_eq!(data.as_ptr_range(), range);
                    assert_eq!(error.layer(), layer);
                }
                DecodeEvent::Ignored { .. } => {}
            }
        });
        assert_eq!(events, 1, "one event per frame");
    }
    let s = dec.stats();
    let ignored: u64 = s.ignored.iter().sum();
    assert_eq!(s.segments + ignored + s.malformed, s.frames);
    assert_eq!(s.udp + s.tcp + s.sctp, s.segments);
    let (_, bytes) = dec.fragments_in_flight();
    assert!(bytes <= DecoderConfig::default().frag_max_bytes);
});
