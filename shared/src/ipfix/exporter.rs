//! A pure encoder that speaks like an SBC: handshake, keepalive, SIP copies (258-261) and QoS
//! reports (268), one set per message, with the sequence numbers of the reference vectors
//! (data messages count 0, 1, 2, ...; handshake and keepalive do not count).
use super::error::EncodeError;
use super::message::{emit_single_set, set_id};
use super::sbc::{
    DatagramParams, Direction, Handshake, Interface, QosRecord, SbcTime, SipTcpRecord,
    SipUdpRecord, emit_udp_datagram,
};
use crate::net::Endpoint;

/// The keepalive as observed from a real SBC: export time, sequence and domain all 0.
pub const KEEPALIVE: [u8; 20] = [0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4];

/// Encoder state of one export session: the observation domain and the data-record count.
#[derive(Debug, Clone)]
pub struct Exporter {
    domain: u32,
    seq: u32,
    body: Vec<u8>,
}

impl Exporter {
    pub fn new(observation_domain: u32) -> Self {
        Self {
            domain: observation_domain,
            seq: 0,
            body: Vec::new(),
        }
    }

    /// Sequence number the next data message will carry.
    pub fn sequence(&self) -> u32 {
        self.seq
    }

    fn message(
        &mut self,
        set: u16,
        export_time: u32,
        data: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        emit_single_set(out, set, &self.body, export_time, self.seq, self.domain).map_err(
            |len| EncodeError::TooLong {
                what: "IPFIX message",
                len,
            },
        )?;
        if data {
            self.seq = self.seq.wrapping_add(1);
        }
        Ok(())
    }

    /// Appends a set 256 handshake message.
    pub fn handshake(
        &mut self,
        hs: &Handshake<'_>,
        export_time: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        self.body.clear();
        hs.emit(&mut self.body)?;
        self.message(set_id::HANDSHAKE, export_time, false, out)
    }

    /// Appends a keepalive.
    pub fn keepalive(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&KEEPALIVE);
    }

    /// Appends a 258 (`Direction::In`) or 259 (`Direction::Out`) message. For 259 a missing
    /// call-id is sent empty; for 258 the call-id is not sent.
    pub fn sip_udp(
        &mut self,
        direction: Direction,
        rec: &SipUdpRecord<'_>,
        export_time: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let (set, call_id) = match direction {
            Direction::In => (set_id::SIP_UDP_IN, None),
            Direction::Out => (set_id::SIP_UDP_OUT, Some(rec.call_id.unwrap_or(b""))),
        };
        self.body.clear();
        SipUdpRecord { call_id, ..*rec }.emit(&mut self.body)?;
        self.message(set, export_time, true, out)
    }

    /// Appends a 258/259 message for a SIP message sent over UDP from `src` to `dst`,
    /// synthesising the IPv4/IPv6 + UDP header with `params`.
    #[allow(clippy::too_many_arguments)]
    pub fn sip_udp_message(
        &mut self,
        direction: Direction,
        time: SbcTime,
        iface: Interface,
        call_id: Option<&[u8]>,
        src: Endpoint,
        dst: Endpoint,
        sip: &[u8],
        params: DatagramParams,
        export_time: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let mut datagram = Vec::with_capacity(48 + sip.len());
        emit_udp_datagram(&mut datagram, src, dst, sip, params)?;
        let rec = SipUdpRecord {
            time,
            iface,
            call_id,
            datagram: &datagram,
        };
        self.sip_udp(direction, &rec, export_time, out)
    }

    /// Appends a 260 (`Direction::In`) or 261 (`Direction::Out`) message.
    pub fn sip_tcp(
        &mut self,
        direction: Direction,
        rec: &SipTcpRecord<'_>,
        export_time: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let (set, call_id) = match direction {
            Direction::In => (set_id::SIP_TCP_IN, None),
            Direction::Out => (set_id::SIP_TCP_OUT, Some(rec.call_id.unwrap_or(b""))),
        };
        self.body.clear();
        SipTcpRecord { call_id, ..*rec }.emit(&mut self.body)?;
        self.message(set, export_time, true, out)
    }

    /// Appends a 268 QoS message.
    pub fn qos(
        &mut self,
        rec: &QosRecord<'_>,
        export_time: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        self.body.clear();
        rec.emit(&mut self.body)?;
        self.message(set_id::QOS, export_time, true, out)
    }
}
