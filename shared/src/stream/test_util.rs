//! Helpers for the stream tests: segments built by hand and an event collector.
use std::net::{IpAddr, Ipv4Addr};

use super::{SipStreams, StreamError, StreamEvent};
use crate::net::{Endpoint, Flow, Nanos, Transport};
use crate::wire::decap::{Segment, TcpInfo};

pub(crate) const SYN: u8 = TcpInfo::SYN;
pub(crate) const FIN: u8 = TcpInfo::FIN;
pub(crate) const RST: u8 = TcpInfo::RST;
pub(crate) const ACK: u8 = 0x10;
pub(crate) const PSH: u8 = 0x08;

/// Client 10.0.0.1:40000 -> server 10.0.0.2:5060.
pub(crate) fn client_flow() -> Flow {
    Flow {
        src: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000),
        dst: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 5060),
    }
}

pub(crate) fn tcp_seg(flow: Flow, ts: Nanos, seq: u32, flags: u8, payload: &[u8]) -> Segment<'_> {
    Segment {
        ts,
        flow,
        transport: Transport::Tcp,
        tcp: Some(TcpInfo { seq, ack: 0, flags }),
        payload,
        icmp_quoted: false,
    }
}

/// An owned copy of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ev {
    Msg { ts: Nanos, flow: Flow, transport: Transport, bytes: Vec<u8>, no_cl: bool },
    Bad { flow: Flow, transport: Transport, bytes: Vec<u8>, error: StreamError },
}

impl Ev {
    pub(crate) fn msg_bytes(&self) -> Option<&[u8]> {
        match self {
            Ev::Msg { bytes, .. } => Some(bytes),
            Ev::Bad { .. } => None,
        }
    }
}

pub(crate) fn own(ev: StreamEvent<'_>) -> Ev {
    match ev {
        StreamEvent::Message(m) => Ev::Msg {
            ts: m.ts,
            flow: m.flow,
            transport: m.transport,
            bytes: m.bytes.to_vec(),
            no_cl: m.missing_content_length,
        },
        StreamEvent::Malformed { flow, transport, bytes, error, .. } => {
            Ev::Bad { flow, transport, bytes: bytes.to_vec(), error }
        }
    }
}

/// Feeds TCP segments then flushes; returns every event.
pub(crate) fn run_tcp(s: &mut SipStreams, segs: &[Segment<'_>]) -> Vec<Ev> {
    let mut evs = Vec::new();
    for seg in segs {
        s.on_tcp(seg, &mut |e| evs.push(own(e)));
    }
    s.flush(&mut |e| evs.push(own(e)));
    evs
}

/// The messages' bytes only.
pub(crate) fn messages(evs: &[Ev]) -> Vec<Vec<u8>> {
    evs.iter().filter_map(|e| e.msg_bytes().map(<[u8]>::to_vec)).collect()
}
