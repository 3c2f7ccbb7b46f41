#![no_main]
//! RTCP compound parser, XR blocks, and the passive RTT tracker.
//! Invariants: no panic; iteration ends after the first error; a packet never claims more
//! bytes than the datagram; VoIP Metrics survive a serialize/parse round trip.
use callscope_shared::rtp::rtcp::RtcpPacket;
use callscope_shared::rtp::rtt::RtcpSession;
use callscope_shared::rtp::xr::VoipMetrics;
use callscope_shared::rtp::{RtcpCompound, looks_like_rtcp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_rtcp(data);
    let mut count = 0usize;
    let mut it = RtcpCompound::new(data);
    for pkt in it.by_ref() {
        count += 1;
        assert!(count <= data.len() / 4 + 1);
        let Ok(pkt) = pkt else { break };
        match pkt {
            RtcpPacket::SenderReport(sr) => {
                for b in sr.report_blocks() {
                    assert!((-0x80_0000..=0x7F_FFFF).contains(&b.cumulative_lost));
                }
            }
            RtcpPacket::ReceiverReport(rr) => {
                assert!(rr.report_blocks().count() <= 31);
            }
            RtcpPacket::Sdes(sdes) => {
                for c in sdes.chunks() {
                    for i in c.items() {
                        assert!(i.value.len() <= 255);
                    }
                }
                let _ = sdes.cname();
            }
            RtcpPacket::Bye(bye) => {
                let _ = bye.sources().count();
            }
            RtcpPacket::ExtendedReport(xr) => {
                for b in xr.blocks() {
                    let Ok(b) = b else { break };
                    assert!(b.body.len() <= data.len());
                    if let Some(vm) = b.voip_metrics() {
                        let block = vm.to_block();
                        assert_eq!(VoipMetrics::parse(&block[4..]), Some(vm));
                    }
                    let _ = b.receiver_reference_time();
                    let _ = b.dlrr().count();
                }
            }
            _ => {}
        }
    }
    assert!(it.next().is_none());
    let mut s = RtcpSession::new();
    s.on_datagram(1_000_000_000, data);
    s.on_datagram(1_100_000_000, data);
    if let Some(rtt) = s.rtt_end_to_end_ns() {
        assert!(rtt > 0 && rtt <= 2 * callscope_shared::rtp::rtt::MAX_RTT_NS);
    }
});
