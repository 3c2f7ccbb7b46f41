#![no_main]
//! RFC 6035 vq-rtcpxr bodies. Invariants: no panic; every string returned is a slice of the
//! input; percentages and MOS values parse as finite numbers or are absent.
use callscope_shared::rtp::vq_report::{VqReport, unfold};
use libfuzzer_sys::fuzz_target;

fn inside(body: &str, part: &str) -> bool {
    let (b, p) = (body.as_ptr() as usize, part.as_ptr() as usize);
    p >= b && p + part.len() <= b + body.len()
}

fuzz_target!(|data: &[u8]| {
    let Ok(r) = VqReport::parse(data) else { return };
    assert!(inside(r.body, r.call_id));
    for m in [r.local_metrics, r.remote_metrics].into_iter().flatten() {
        assert!(inside(r.body, m.raw));
        if let Some(v) = m.session_desc.pd {
            assert!(inside(r.body, v));
        }
        let _ = m.value("QualityEst", "MOSLQ");
    }
    if let Some(d) = r.dialog_id {
        for piece in unfold(d) {
            assert!(inside(r.body, piece));
        }
    }
    let _ = r.header("X-Anything");
});
