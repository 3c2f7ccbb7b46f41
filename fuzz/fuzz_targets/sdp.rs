//! Fuzz the SDP parser and the multipart search: never panics, every slice lies inside the
//! input.
#![no_main]
use callscope_shared::sip::sdp::{Sdp, find_sdp};
use libfuzzer_sys::fuzz_target;

fn inside(input: &[u8], s: &[u8]) -> bool {
    let (b0, b1) = (input.as_ptr() as usize, input.as_ptr() as usize + input.len());
    let s0 = s.as_ptr() as usize;
    s.is_empty() || (s0 >= b0 && s0 + s.len() <= b1)
}

fn check(input: &[u8], sdp: &Sdp<'_>) {
    if let Some(o) = sdp.origin() {
        assert!(inside(input, o.username) && inside(input, o.address));
    }
    if let Some(c) = sdp.connection() {
        assert!(inside(input, c.address));
    }
    for (n, v) in sdp.attributes() {
        assert!(inside(input, n) && v.is_none_or(|v| inside(input, v)));
    }
    for m in sdp.media() {
        assert!(inside(input, m.kind) && inside(input, m.proto) && inside(input, m.formats_raw));
        for pt in m.payload_types() {
            if let Some(r) = m.rtpmap(pt) {
                assert_eq!(r.payload_type, pt);
                assert!(inside(input, r.encoding));
            }
            m.fmtp(pt).iter().for_each(|f| assert!(inside(input, f)));
        }
        for (n, v) in m.attributes() {
            assert!(inside(input, n) && v.is_none_or(|v| inside(input, v)));
        }
        if let Some(c) = m.connection {
            assert!(inside(input, c.address));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first line (up to 200 bytes) is used as a Content-Type, the rest as the body.
    let split = data.iter().take(200).position(|&c| c == b'\n').unwrap_or(0);
    let (ct, body) = data.split_at(split);
    if let Some(found) = find_sdp(ct, body) {
        assert!(inside(body, found));
        if let Ok(sdp) = Sdp::parse(found) {
            check(found, &sdp);
        }
    }
    if let Ok(sdp) = Sdp::parse(data) {
        check(data, &sdp);
    }
});
