//! A collector session (quinn-style, no I/O): feed the bytes read from one TCP/TLS connection
//! to `on_bytes`, send what `poll_transmit` returns, close the connection when `on_bytes`
//! fails. Time comes in as an argument.
use super::error::{DatagramError, IpfixError, SessionError};
use super::message::{HEADER_LEN, MAX_MESSAGE_LEN, Message, check_prefix, set_id};
use super::sbc::{
    Direction, Handshake, Interface, QosRecord, SipTcpRecord, SipUdpRecord, handshake_reply,
};
use super::template::{
    DataField, Defined, TemplateCache, TemplateItem, decode_data_set, parse_template_set,
};
use crate::net::{Endpoint, Nanos, Transport};
use std::collections::HashMap;
use std::net::IpAddr;

/// Session limits and behaviour. `Default` gives the values documented on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectorConfig {
    /// Longest message accepted (bytes, header included). Default and maximum 65535
    /// (RFC 7011 §10: a collector must take messages up to 65535 bytes).
    pub max_message_len: usize,
    /// Timeout written into the handshake reply; `None` echoes the SBC's value (the
    /// recommended reply, `IPFIX.md` §3.2). Default `None`.
    pub reply_timeout: Option<u16>,
    /// Templates held at once, all domains together. Default 4096.
    pub max_templates: usize,
    /// Field specifiers held by all templates together. Default 65536.
    pub max_template_fields: usize,
    /// Observation domains tracked per session. Default 1024.
    pub max_domains: usize,
    /// Reply bytes queued and not yet taken by `poll_transmit`. Default 1 MiB.
    pub max_pending_transmit: usize,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        Self {
            max_message_len: MAX_MESSAGE_LEN,
            reply_timeout: None,
            max_templates: 4096,
            max_template_fields: 65_536,
            max_domains: 1024,
            max_pending_transmit: 1 << 20,
        }
    }
}

/// A SIP message copied by the SBC (sets 258-261).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipCopy<'a> {
    pub set_id: u16,
    pub direction: Direction,
    /// UDP for 258/259, TCP for 260/261.
    pub transport: Transport,
    /// Capture time at the SBC (the record's timestamp, not the export time).
    pub ts: Nanos,
    pub src: Endpoint,
    pub dst: Endpoint,
    /// The SIP message bytes.
    pub bytes: &'a [u8],
    pub iface: Interface,
    /// The SBC's egress-leg Call-ID (259/261 only).
    pub sbc_call_id: Option<&'a [u8]>,
    /// TCP context id (260/261 only).
    pub context: Option<u32>,
}

/// What a session found in the bytes it was given, in stream order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CollectorEvent<'a> {
    /// Set 256; the 257 reply is queued for `poll_transmit`.
    Handshake {
        domain: u32,
        export_time: u32,
        handshake: Handshake<'a>,
    },
    /// Set 0.
    Keepalive { domain: u32 },
    /// Sets 258-261.
    Sip(SipCopy<'a>),
    /// A 258/259 record whose embedded datagram is not a whole IPv4/IPv6 UDP datagram. The
    /// session goes on.
    BadDatagram {
        set_id: u16,
        error: DatagramError,
        record: SipUdpRecord<'a>,
    },
    /// Set 268.
    Qos { domain: u32, record: QosRecord<'a> },
    /// A data record decoded with a template the exporter sent.
    TemplateData {
        domain: u32,
        template_id: u16,
        fields: &'a [DataField<'a>],
    },
    /// A template or options template definition (RFC 7011 §8). `Defined::Replaced` is an
    /// exporter error worth logging; `Identical` a retransmission.
    TemplateDefined {
        domain: u32,
        template_id: u16,
        options: bool,
        outcome: Defined,
    },
    /// A withdrawal (RFC 7011 §8.1). `template_id` is `None` for "all templates" (`options`
    /// tells which kind); `known` is false for an unknown ID (ignored, should be logged).
    TemplateWithdrawn {
        domain: u32,
        template_id: Option<u16>,
        options: bool,
        known: bool,
    },
    /// A set this collector cannot decode: a reserved ID (1, 4-255), an SBC ID whose layout is
    /// unknown (262-267, 269-...), or a data set whose template was not received (RFC 7011 §8
    /// leaves buffering optional; the set is dropped and counted).
    UnknownSet {
        domain: u32,
        set_id: u16,
        len: usize,
    },
    /// The header's sequence number is not the number of data records seen so far in this
    /// domain (RFC 7011 §3.1; should be logged, §10.3.2).
    SequenceGap {
        domain: u32,
        expected: u32,
        got: u32,
    },
}

/// Identity the SBC announced in its handshake.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PeerInfo {
    pub hostname: String,
    pub software: String,
    pub product: u16,
    pub system_id: u32,
    /// Timeout the SBC proposed, in seconds.
    pub timeout: u16,
}

/// Per-session counters, mirroring the SBC's `show comm-monitor` by set ID.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SessionCounters {
    /// Bytes given to `on_bytes`.
    pub bytes: u64,
    pub messages: u64,
    pub sets: u64,
    pub handshakes: u64,
    pub keepalives: u64,
    pub sip_udp_in: u64,
    pub sip_udp_out: u64,
    pub sip_tcp_in: u64,
    pub sip_tcp_out: u64,
    pub qos: u64,
    /// 258/259 records whose datagram did not decode.
    pub bad_datagrams: u64,
    pub templates_defined: u64,
    pub templates_withdrawn: u64,
    /// Withdrawals naming an unknown template (ignored).
    pub unknown_withdrawals: u64,
    pub template_data_records: u64,
    /// Sets counted as `UnknownSet`.
    pub unknown_sets: u64,
    pub sequence_gaps: u64,
    /// `now` of the last whole message.
    pub last_message_at: Option<Nanos>,
    pub last_keepalive_at: Option<Nanos>,
}

/// One exporter connection. See the module docs.
#[derive(Debug)]
pub struct CollectorSession {
    cfg: CollectorConfig,
    /// Bytes of a message not yet complete (at most `max_message_len`).
    buf: Vec<u8>,
    /// Stream offset of the first byte of `buf` (or of the next message).
    stream_pos: u64,
    tx: Vec<u8>,
    templates: TemplateCache,
    /// Next expected sequence number per observation domain; `None` after a message with
    /// records of unknown count.
    expected_seq: HashMap<u32, Option<u32>>,
    counters: SessionCounters,
    peer: Option<PeerInfo>,
    /// Set by the first Template or Options Template Set: the peer is a standard exporter, and
    /// data sets without a template are no longer read with the SBC's fixed layouts.
    standard: bool,
    failed: bool,
}

impl CollectorSession {
    pub fn new(cfg: CollectorConfig) -> Self {
        let cfg = CollectorConfig {
            max_message_len: cfg.max_message_len.clamp(HEADER_LEN, MAX_MESSAGE_LEN),
            ..cfg
        };
        Self {
            templates: TemplateCache::new(cfg.max_templates, cfg.max_template_fields),
            cfg,
            buf: Vec::new(),
            stream_pos: 0,
            tx: Vec::new(),
            expected_seq: HashMap::new(),
            counters: SessionCounters::default(),
            peer: None,
            standard: false,
            failed: false,
        }
    }

    pub fn config(&self) -> &CollectorConfig {
        &self.cfg
    }

    pub fn counters(&self) -> &SessionCounters {
        &self.counters
    }

    /// The SBC's identity once a handshake arrived.
    pub fn peer(&self) -> Option<&PeerInfo> {
        self.peer.as_ref()
    }

    /// Templates currently held.
    pub fn templates(&self) -> &TemplateCache {
        &self.templates
    }

    /// Bytes of an incomplete message held.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True once `on_bytes` failed: the connection must be closed.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// When the peer counts as gone: three times the keepalive timeout of the handshake reply
    /// after the last message (`None` before a handshake, or when the timeout is 0).
    pub fn idle_deadline(&self) -> Option<Nanos> {
        let t = self
            .cfg
            .reply_timeout
            .or(self.peer.as_ref().map(|p| p.timeout))?;
        if t == 0 {
            return None;
        }
        let last = self.counters.last_message_at?;
        Some(last.saturating_add(u64::from(t) * 3_000_000_000))
    }

    /// Appends the queued reply bytes (handshake replies) to `buf`; returns how many.
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.tx.len();
        buf.append(&mut self.tx);
        n
    }

    /// Feeds bytes read from the connection: any split of the stream gives the same events.
    /// An error ends the session (the caller closes the connection and logs the error); later
    /// calls return `SessionError::Closed`.
    pub fn on_bytes(
        &mut self,
        data: &[u8],
        now: Nanos,
        out: &mut impl FnMut(CollectorEvent<'_>),
    ) -> Result<(), SessionError> {
        if self.failed {
            return Err(SessionError::Closed);
        }
        let r = self.feed(data, now, out);
        if r.is_err() {
            self.failed = true;
            self.buf = Vec::new();
        }
        r
    }

    /// Length of the message starting `buf`, once 4 bytes are there.
    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, SessionError> {
        let &[a, b, c, d, ..] = buf else {
            return Ok(None);
        };
        let (version, length) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
        check_prefix(version, length).map_err(|error| SessionError::Message {
            offset: self.stream_pos,
            error,
        })?;
        let len = usize::from(length);
        if len > self.cfg.max_message_len {
            return Err(SessionError::MessageTooLarge {
                offset: self.stream_pos,
                len,
                max: self.cfg.max_message_len,
            });
        }
        Ok(Some(len))
    }

    fn feed(
        &mut self,
        mut data: &[u8],
        now: Nanos,
        out: &mut impl FnMut(CollectorEvent<'_>),
    ) -> Result<(), SessionError> {
        self.counters.bytes += data.len() as u64;
        loop {
            if self.buf.is_empty() {
                if data.is_empty() {
                    return Ok(());
                }
                // Fast path: whole messages straight from `data`, no copy.
                match self.frame_len(data)? {
                    Some(len) if data.len() >= len => {
                        let (msg, rest) = data.split_at(len);
                        self.process(msg, now, out)?;
                        data = rest;
                    }
                    _ => {
                        // Less than one message: `data` is shorter than 4 bytes or than a
                        // length already checked against the limit.
                        self.buf.extend_from_slice(data);
                        return Ok(());
                    }
                }
            } else {
                let want = self.frame_len(&self.buf)?.unwrap_or(4);
                let take = want.saturating_sub(self.buf.len()).min(data.len());
                let (head, rest) = data.split_at(take);
                self.buf.extend_from_slice(head);
                data = rest;
                match self.frame_len(&self.buf)? {
                    Some(len) if self.buf.len() >= len => {
                        let msg = std::mem::take(&mut self.buf);
                        let r = self.process(&msg, now, out);
                        self.buf = msg;
                        self.buf.clear();
                        r?;
                    }
                    _ if data.is_empty() => return Ok(()),
                    _ => {}
                }
            }
        }
    }

    fn process(
        &mut self,
        bytes: &[u8],
        now: Nanos,
        out: &mut impl FnMut(CollectorEvent<'_>),
    ) -> Result<(), SessionError> {
        let offset = self.stream_pos;
        let err = |error: IpfixError| SessionError::Message { offset, error };
        let msg = Message::new_checked(bytes).map_err(err)?;
        let h = *msg.header();
        let domain = h.observation_domain;
        self.counters.messages += 1;
        self.counters.last_message_at = Some(now);

        // The handshake and keepalive are outside the data-record count (their sequence
        // field is 0 on the wire).
        let control = msg.sets().any(|s| {
            s.is_ok_and(|s| {
                s.id == set_id::KEEPALIVE || (s.id == set_id::HANDSHAKE && !self.standard)
            })
        });
        let expected = match self.expected_seq.get(&domain) {
            Some(e) => *e,
            None => {
                if self.expected_seq.len() >= self.cfg.max_domains {
                    return Err(err(IpfixError::TooManyDomains {
                        limit: self.cfg.max_domains,
                    }));
                }
                None
            }
        };
        if !control
            && let Some(e) = expected
            && e != h.sequence
        {
            self.counters.sequence_gaps += 1;
            out(CollectorEvent::SequenceGap {
                domain,
                expected: e,
                got: h.sequence,
            });
        }

        let mut records: u32 = 0;
        let mut counted = true;
        let mut fields: Vec<DataField<'_>> = Vec::new();
        for set in msg.sets() {
            let set = set.map_err(err)?;
            self.counters.sets += 1;
            if set.id >= set_id::MIN_DATA
                && let Some(t) = self.templates.get(domain, set.id)
            {
                let template_id = set.id;
                let n = decode_data_set(t, set.body, &mut fields, &mut |fields| {
                    out(CollectorEvent::TemplateData {
                        domain,
                        template_id,
                        fields,
                    })
                })
                .map_err(err)?;
                records = records.wrapping_add(n);
                self.counters.template_data_records += u64::from(n);
                continue;
            }
            let sbc_layout = !self.standard
                && matches!(
                    set.id,
                    set_id::HANDSHAKE
                        | set_id::SIP_UDP_IN
                        | set_id::SIP_UDP_OUT
                        | set_id::SIP_TCP_IN
                        | set_id::SIP_TCP_OUT
                        | set_id::QOS
                );
            match set.id {
                id if id >= set_id::MIN_DATA && !sbc_layout => {
                    self.unknown_set(domain, id, set.body.len(), out);
                    counted = false;
                }
                set_id::KEEPALIVE => {
                    self.counters.keepalives += 1;
                    self.counters.last_keepalive_at = Some(now);
                    out(CollectorEvent::Keepalive { domain });
                }
                set_id::TEMPLATE | set_id::OPTIONS_TEMPLATE => {
                    self.standard = true;
                    self.on_templates(domain, set.id, set.body, out)
                        .map_err(err)?;
                }
                set_id::HANDSHAKE => {
                    let hs = Handshake::parse(set.body).map_err(err)?;
                    self.counters.handshakes += 1;
                    self.peer = Some(PeerInfo {
                        hostname: hs.hostname_lossy().into_owned(),
                        software: hs.software(),
                        product: hs.product,
                        system_id: hs.system_id,
                        timeout: hs.timeout,
                    });
                    let reply = handshake_reply(bytes, set.offset, self.cfg.reply_timeout);
                    if self.tx.len() + reply.len() > self.cfg.max_pending_transmit {
                        return Err(SessionError::TransmitBacklog {
                            pending: self.tx.len() + reply.len(),
                            max: self.cfg.max_pending_transmit,
                        });
                    }
                    self.tx.extend_from_slice(&reply);
                    out(CollectorEvent::Handshake {
                        domain,
                        export_time: h.export_time,
                        handshake: hs,
                    });
                }
                set_id::SIP_UDP_IN | set_id::SIP_UDP_OUT => {
                    let direction = if set.id == set_id::SIP_UDP_IN {
                        Direction::In
                    } else {
                        Direction::Out
                    };
                    let rec = SipUdpRecord::parse(set.body, direction).map_err(err)?;
                    records = records.wrapping_add(1);
                    match rec.udp() {
                        Ok(d) => {
                            match direction {
                                Direction::In => self.counters.sip_udp_in += 1,
                                Direction::Out => self.counters.sip_udp_out += 1,
                            }
                            out(CollectorEvent::Sip(SipCopy {
                                set_id: set.id,
                                direction,
                                transport: Transport::Udp,
                                ts: rec.time.nanos(),
                                src: d.src,
                                dst: d.dst,
                                bytes: d.payload,
                                iface: rec.iface,
                                sbc_call_id: rec.call_id,
                                context: None,
                            }));
                        }
                        Err(error) => {
                            self.counters.bad_datagrams += 1;
                            out(CollectorEvent::BadDatagram {
                                set_id: set.id,
                                error,
                                record: rec,
                            });
                        }
                    }
                }
                set_id::SIP_TCP_IN | set_id::SIP_TCP_OUT => {
                    let direction = if set.id == set_id::SIP_TCP_IN {
                        Direction::In
                    } else {
                        Direction::Out
                    };
                    let rec = SipTcpRecord::parse(set.body, direction).map_err(err)?;
                    records = records.wrapping_add(1);
                    match direction {
                        Direction::In => self.counters.sip_tcp_in += 1,
                        Direction::Out => self.counters.sip_tcp_out += 1,
                    }
                    out(CollectorEvent::Sip(SipCopy {
                        set_id: set.id,
                        direction,
                        transport: Transport::Tcp,
                        ts: rec.time.nanos(),
                        src: Endpoint::new(IpAddr::V4(*rec.src.ip()), rec.src.port()),
                        dst: Endpoint::new(IpAddr::V4(*rec.dst.ip()), rec.dst.port()),
                        bytes: rec.sip,
                        iface: rec.iface,
                        sbc_call_id: rec.call_id,
                        context: Some(rec.context),
                    }));
                }
                set_id::QOS => {
                    let record = QosRecord::parse(set.body).map_err(err)?;
                    records = records.wrapping_add(1);
                    self.counters.qos += 1;
                    out(CollectorEvent::Qos { domain, record });
                }
                id => self.unknown_set(domain, id, set.body.len(), out),
            }
        }
        let next = if control {
            expected
        } else if counted {
            Some(h.sequence.wrapping_add(records))
        } else {
            None
        };
        self.expected_seq.insert(domain, next);
        self.stream_pos += bytes.len() as u64;
        Ok(())
    }

    fn unknown_set(
        &mut self,
        domain: u32,
        set_id: u16,
        len: usize,
        out: &mut impl FnMut(CollectorEvent<'_>),
    ) {
        self.counters.unknown_sets += 1;
        out(CollectorEvent::UnknownSet {
            domain,
            set_id,
            len,
        });
    }

    fn on_templates(
        &mut self,
        domain: u32,
        set: u16,
        body: &[u8],
        out: &mut impl FnMut(CollectorEvent<'_>),
    ) -> Result<(), IpfixError> {
        let options = set == set_id::OPTIONS_TEMPLATE;
        for item in parse_template_set(set, body)? {
            match item {
                TemplateItem::Define(t) => {
                    let template_id = t.id;
                    let outcome = self.templates.define(domain, t)?;
                    self.counters.templates_defined += 1;
                    out(CollectorEvent::TemplateDefined {
                        domain,
                        template_id,
                        options,
                        outcome,
                    });
                }
                TemplateItem::Withdraw { id } => {
                    let known = self.templates.withdraw(domain, id);
                    if known {
                        self.counters.templates_withdrawn += 1;
                    } else {
                        self.counters.unknown_withdrawals += 1;
                    }
                    out(CollectorEvent::TemplateWithdrawn {
                        domain,
                        template_id: Some(id),
                        options,
                        known,
                    });
                }
                TemplateItem::WithdrawAll { options } => {
                    let n = self.templates.withdraw_all(domain, options);
                    self.counters.templates_withdrawn += n as u64;
                    out(CollectorEvent::TemplateWithdrawn {
                        domain,
                        template_id: None,
                        options,
                        known: true,
                    });
                }
            }
        }
        Ok(())
    }
}
