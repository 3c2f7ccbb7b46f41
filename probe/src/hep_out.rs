//! What the probe puts on the wire: HEPv3.
//!
//! - [`HepEncode`] turns each SIP message, RTCP packet and stream report into one HEP packet
//!   (the spool record). Records carry no sequence number: the spool numbers them.
//! - [`HepFraming`] sends a record with callscope's vendor chunks (spool sequence and spool
//!   id, vendor 0x4353) appended, and reads the engine's HEP acknowledgements.
use crate::pipeline::Encode;
use crate::sender::Framing;
use callscope_shared::analysis::live::{LiveEvent, StreamReport};
use callscope_shared::hep::{
    CHUNK_HEADER_LEN, Hep3Packet, HepEncoder, ProtocolType, QUALITY_REPORT_PROTO, RTCP_PROTO,
    next_packet, parse_ack,
};
use callscope_shared::net::Transport;

/// Vendor id and chunk types of callscope's HEP extension (see `shared::hep`).
const CS_VENDOR: u16 = 0x4353;
const CS_SEQ: u16 = 0x0001;
const CS_SPOOL: u16 = 0x0003;

/// HEP encoder for spool records.
#[derive(Debug, Clone)]
pub struct HepEncode {
    pub agent_id: u32,
    pub agent_name: String,
    /// Scratch buffer for report JSON (reused).
    json: Vec<u8>,
    /// Records that could not be encoded (a message over 64 KB): counted, not sent.
    pub too_large: u64,
}

impl HepEncode {
    pub fn new(agent_id: u32, agent_name: &str) -> Self {
        Self {
            agent_id,
            agent_name: agent_name.to_owned(),
            json: Vec::with_capacity(4096),
            too_large: 0,
        }
    }
}

fn ip_proto(t: Transport) -> u8 {
    match t {
        Transport::Udp => 17,
        Transport::Tcp | Transport::Ws => 6,
        Transport::Sctp => 132,
    }
}

impl Encode for HepEncode {
    fn encode_event(&mut self, ev: &LiveEvent<'_>, out: &mut Vec<u8>) -> bool {
        let (ts, flow, transport, bytes, call_id, proto) = match *ev {
            LiveEvent::Sip {
                ts,
                flow,
                transport,
                bytes,
                call_id,
            } => (ts, flow, transport, bytes, call_id, ProtocolType::Sip),
            LiveEvent::Rtcp {
                ts,
                flow,
                bytes,
                call_id,
            } => (ts, flow, Transport::Udp, bytes, call_id, RTCP_PROTO),
        };
        let mut e = HepEncoder::new(flow.src, flow.dst, bytes)
            .ip_proto(Some(ip_proto(transport)))
            .ts(ts)
            .proto_type(proto)
            .capture_id(self.agent_id)
            .capture_name(self.agent_name.as_bytes());
        if let Some(c) = call_id {
            e = e.correlation_id(c.as_bytes());
        }
        let ok = e.encode(out).is_ok();
        if !ok {
            self.too_large += 1;
        }
        ok
    }

    fn encode_report(&mut self, r: &StreamReport, out: &mut Vec<u8>) -> bool {
        if self.encode_report_once(r, out) {
            return true;
        }
        // Past ~2 hours a stream's 10 s MOS list no longer fits HEP's 64 KB: the report goes
        // without it (the quality series, at most 360 buckets, covers the same time), and in the
        // last resort without the series, rather than not at all.
        let mut slim = r.clone();
        slim.stream.mos_intervals = Vec::new();
        if self.encode_report_once(&slim, out) {
            return true;
        }
        slim.stream.series = None;
        let ok = self.encode_report_once(&slim, out);
        if !ok {
            self.too_large += 1;
        }
        ok
    }
}

impl HepEncode {
    fn encode_report_once(&mut self, r: &StreamReport, out: &mut Vec<u8>) -> bool {
        self.json.clear();
        if serde_json::to_writer(&mut self.json, r).is_err() {
            return false;
        }
        let mut e = HepEncoder::new(r.stream.src, r.stream.dst, &self.json)
            .ip_proto(Some(17))
            .ts(r.ts)
            .proto_type(QUALITY_REPORT_PROTO)
            .capture_id(self.agent_id)
            .capture_name(self.agent_name.as_bytes());
        if let Some(c) = &r.call_id {
            e = e.correlation_id(c.as_bytes());
        }
        e.encode(out).is_ok()
    }
}

/// HEP on the connection to the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct HepFraming {
    spool_id: u64,
}

fn push_u64_chunk(out: &mut Vec<u8>, type_id: u16, v: u64) {
    out.extend_from_slice(&CS_VENDOR.to_be_bytes());
    out.extend_from_slice(&type_id.to_be_bytes());
    out.extend_from_slice(&((CHUNK_HEADER_LEN + 8) as u16).to_be_bytes());
    out.extend_from_slice(&v.to_be_bytes());
}

impl Framing for HepFraming {
    fn hello(&mut self, spool_id: u64, _out: &mut Vec<u8>) {
        self.spool_id = spool_id;
    }

    fn encode(&mut self, seq: u64, record: &[u8], out: &mut Vec<u8>) {
        // A record is one HEP packet; append the two chunks and fix the total length.
        let start = out.len();
        out.extend_from_slice(record);
        push_u64_chunk(out, CS_SEQ, seq);
        push_u64_chunk(out, CS_SPOOL, self.spool_id);
        let total = out.len() - start;
        match (u16::try_from(total), out.get_mut(start + 4..start + 6)) {
            (Ok(t), Some(len)) if record.len() >= 6 => len.copy_from_slice(&t.to_be_bytes()),
            // Cannot happen for records the encoder made (it keeps room); never send a lie.
            _ => out.truncate(start),
        }
    }

    fn parse_ack(&mut self, buf: &[u8]) -> Option<(usize, u64)> {
        match next_packet(buf) {
            Ok(Some(len)) => {
                let seq = buf
                    .get(..len)
                    .and_then(|p| Hep3Packet::new_checked(p).ok())
                    .and_then(|p| parse_ack(&p))
                    .filter(|(spool, _)| *spool == self.spool_id)
                    .map_or(0, |(_, seq)| seq);
                Some((len, seq))
            }
            Ok(None) => None,
            // Not HEP: skip a byte at a time (the engine only ever sends acks).
            Err(_) => Some((1, 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_shared::hep::{HepMessage, encode_ack};
    use callscope_shared::net::{Endpoint, Flow};

    /// A report of a very long stream (its 10 s MOS list past 64 KB) is still sent, without
    /// that list but with the bounded quality series.
    #[test]
    fn oversized_report_goes_without_the_mos_list() {
        use callscope_shared::analysis::live::LivePolicy;
        use callscope_shared::analysis::report::IntervalRecord;
        use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
        use callscope_shared::wire::capture::CaptureReader;
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../pcaps/vq_xr.pcap"))
            .expect("pcaps/vq_xr.pcap");
        let mut a = Analyzer::new(AnalyzerConfig {
            live: true,
            ..AnalyzerConfig::default()
        });
        for f in CaptureReader::new(&bytes).expect("pcap") {
            a.on_frame_live(&f.expect("frame"), &mut |_| {});
        }
        let mut reports = Vec::new();
        a.prune(u64::MAX / 2, &LivePolicy::default(), &mut |r| {
            reports.push(r)
        });
        let mut r = reports.pop().expect("a stream report");
        r.ts = r.last_packet; // pruned "at the end of time": a HEP time must fit 32-bit seconds
        assert!(r.stream.series.is_some());
        r.stream.mos_intervals = (0..2000)
            .map(|i| IntervalRecord {
                start_rel: f64::from(i) * 10.0,
                packets: 500,
                lost: 3,
                mos: Some(4.2),
            })
            .collect();
        let mut enc = HepEncode::new(1, "p");
        let mut rec = Vec::new();
        assert!(enc.encode_report(&r, &mut rec));
        assert_eq!(enc.too_large, 0);
        let p = Hep3Packet::new_checked(&rec).expect("hep");
        let m = HepMessage::decode_v3(&p).expect("hep");
        let back: StreamReport = serde_json::from_slice(m.payload).expect("json");
        assert!(back.stream.mos_intervals.is_empty());
        assert_eq!(back.stream.series, r.stream.series);
        assert_eq!(back.stream.packets, r.stream.packets);
    }

    #[test]
    fn framed_record_decodes_with_seq_and_spool_and_ack_parses() {
        let flow = Flow {
            src: Endpoint::new([10, 0, 0, 1].into(), 5060),
            dst: Endpoint::new([10, 0, 0, 2].into(), 5060),
        };
        let sip = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
        let mut enc = HepEncode::new(7, "probe-a");
        let mut rec = Vec::new();
        assert!(enc.encode_event(
            &LiveEvent::Sip {
                ts: 1_700_000_000_123_456_000,
                flow,
                transport: Transport::Udp,
                bytes: sip,
                call_id: Some("x"),
            },
            &mut rec,
        ));
        let mut f = HepFraming::default();
        f.hello(0xABCD, &mut Vec::new());
        let mut wire = Vec::new();
        f.encode(42, &rec, &mut wire);
        let p = Hep3Packet::new_checked(&wire).unwrap();
        let m = HepMessage::decode_v3(&p).unwrap();
        assert_eq!((m.seq, m.spool_id), (Some(42), Some(0xABCD)));
        assert_eq!(m.payload, sip);
        assert_eq!(m.capture_name, Some(&b"probe-a"[..]));
        assert_eq!(m.correlation_id, Some(&b"x"[..]));
        assert_eq!(m.ts, Some(1_700_000_000_123_456_000));

        let mut ack = Vec::new();
        encode_ack(0xABCD, 41, &mut ack);
        assert_eq!(f.parse_ack(&ack), Some((ack.len(), 41)));
        assert_eq!(f.parse_ack(&ack[..10]), None);
        let mut other = Vec::new();
        encode_ack(0x1, 99, &mut other);
        assert_eq!(
            f.parse_ack(&other),
            Some((other.len(), 0)),
            "another spool's ack"
        );
    }
}
