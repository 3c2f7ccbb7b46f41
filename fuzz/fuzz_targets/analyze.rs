//! The whole pipeline on hostile frames: decode, framing, SIP, SDP, RTP, calls, report.
//! Input: byte 0 picks the link type; then records of [len: u16 LE][bytes] become frames
//! with increasing timestamps. Invariants: no panic; every frame is counted; every message
//! either parsed or was recorded with its error; calls only reference existing streams.
#![no_main]
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::wire::capture::{Frame, LinkType};
use libfuzzer_sys::fuzz_target;

const LINKS: [LinkType; 6] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::NULL,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::IPV6,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, mut rest)) = data.split_first() else { return };
    let link = LINKS[usize::from(sel) % LINKS.len()];
    let mut a = Analyzer::new(AnalyzerConfig { rtp_heuristic: sel & 0x80 != 0, ..AnalyzerConfig::default() });
    let mut frames = 0u64;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let body = &rest[2..];
        let take = len.min(body.len());
        let frame = Frame { ts: 1_000_000_000 + frames * 20_000_000, link_type: link, data: &body[..take], orig_len: take as u32, interface: 0 };
        a.on_frame(&frame);
        frames += 1;
        rest = &body[take..];
    }
    let r = a.finish();
    assert_eq!(r.summary.packets, frames);
    for c in &r.calls {
        assert!(c.streams.iter().all(|&s| s < r.streams.len()));
    }
    let msgs = r.messages.as_ref().map_or(0, Vec::len) as u64;
    assert!(r.summary.sip_messages <= msgs);
});
