//! One leg: every message sharing a Call-ID, wherever it was seen (proxies that keep the
//! Call-ID make one leg with several hops). Tracks the initial INVITE transaction, forks
//! (several To-tags), re-INVITEs, CANCEL and BYE, and derives state and KPIs.
use super::info::{MediaInfo, SipInfo};
use crate::net::{Endpoint, Flow, Nanos};
use std::collections::{HashMap, HashSet};

/// (flow, CSeq number, method or "status method", Via branch, To-tag).
type SeenKey = (Flow, u32, String, Option<String>, Option<String>);

/// What a Call-ID carries: a call (INVITE dialog) or other traffic grouped by Call-ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LegKind {
    Call,
    Register,
    Options,
    Subscribe,
    Message,
    Publish,
    /// Only responses, or a request we have no class for.
    Other,
}

impl LegKind {
    fn from_method(m: &str) -> Self {
        match m {
            "INVITE" => LegKind::Call,
            "REGISTER" => LegKind::Register,
            "OPTIONS" => LegKind::Options,
            "SUBSCRIBE" | "NOTIFY" => LegKind::Subscribe,
            "MESSAGE" => LegKind::Message,
            "PUBLISH" => LegKind::Publish,
            _ => LegKind::Other,
        }
    }
}

/// Where the initial INVITE transaction and dialog stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegState {
    /// INVITE sent, no response seen.
    Calling,
    /// 100 Trying (or another 1xx without a To-tag).
    Proceeding,
    /// 180/183 seen (early dialog).
    Ringing,
    /// 2xx seen, no BYE yet.
    Answered,
    /// Answered and ended by BYE.
    Completed,
    /// CANCELled before answer (487 or CANCEL without answer).
    Cancelled,
    /// Final 3xx-6xx to the initial INVITE.
    Failed,
    /// Non-call traffic (REGISTER, OPTIONS, ...): the last transaction's outcome.
    Done,
    /// Non-call traffic without a final response.
    Pending,
}

/// One network hop on which the initial request was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Hop {
    pub src: Endpoint,
    pub dst: Endpoint,
}

/// A leg and everything derived from its messages.
#[derive(Debug, Clone)]
pub struct Leg {
    pub call_id: String,
    pub kind: LegKind,
    pub from_uri: String,
    pub from_user: String,
    pub from_tag: Option<String>,
    pub to_uri: String,
    pub to_user: String,
    /// Every distinct To-tag in responses (101-699) to the initial INVITE (several = forking).
    pub to_tags: Vec<String>,
    pub first_ts: Nanos,
    pub last_ts: Nanos,
    pub invite_ts: Option<Nanos>,
    pub ringing_ts: Option<Nanos>,
    pub answer_ts: Option<Nanos>,
    pub bye_ts: Option<Nanos>,
    pub cancel_ts: Option<Nanos>,
    pub final_status: Option<u16>,
    /// Reason header of the BYE/CANCEL/final response that ended the leg.
    pub reason: Option<String>,
    pub state: LegState,
    /// Hops of the initial request (first flow = where it was first seen).
    pub hops: Vec<Hop>,
    /// Message indexes in capture order.
    pub messages: Vec<usize>,
    pub retransmissions: u32,
    pub reinvites: u32,
    /// Who sent the BYE: `caller`, `callee` or unknown.
    pub ended_by: Option<&'static str>,
    /// Media announced in SDP by either side, latest first wins per address.
    pub media: Vec<MediaInfo>,
    /// Correlation header values seen on this leg.
    pub correlation: Vec<(String, String)>,
    initial_cseq: Option<u32>,
    /// Identity of messages already seen, to count retransmissions.
    seen: HashSet<SeenKey>,
}

impl Leg {
    fn new(m: &SipInfo) -> Self {
        let kind = m.method().map_or(LegKind::Other, LegKind::from_method);
        Leg {
            call_id: m.call_id.clone(),
            kind,
            from_uri: m.from_uri.clone(),
            from_user: m.from_user.clone(),
            from_tag: m.from_tag.clone(),
            to_uri: m.to_uri.clone(),
            to_user: m.to_user.clone(),
            to_tags: Vec::new(),
            first_ts: m.ts,
            last_ts: m.ts,
            invite_ts: None,
            ringing_ts: None,
            answer_ts: None,
            bye_ts: None,
            cancel_ts: None,
            final_status: None,
            reason: None,
            state: if kind == LegKind::Call {
                LegState::Calling
            } else {
                LegState::Pending
            },
            hops: Vec::new(),
            messages: Vec::new(),
            retransmissions: 0,
            reinvites: 0,
            ended_by: None,
            media: Vec::new(),
            correlation: Vec::new(),
            initial_cseq: None,
            seen: HashSet::new(),
        }
    }

    /// Heap bytes this leg owns (strings, message index, media, dedup set), approximately.
    pub fn heap_bytes(&self) -> usize {
        let strings = [
            &self.call_id,
            &self.from_uri,
            &self.from_user,
            &self.to_uri,
            &self.to_user,
        ]
        .iter()
        .map(|s| s.capacity())
        .sum::<usize>();
        strings
            + self.to_tags.iter().map(String::capacity).sum::<usize>()
            + self.messages.capacity() * std::mem::size_of::<usize>()
            + self.media.capacity() * std::mem::size_of::<MediaInfo>()
            + self.seen.capacity() * (std::mem::size_of::<SeenKey>() + 16)
    }

    pub fn is_call(&self) -> bool {
        self.kind == LegKind::Call
    }

    /// Post-dial delay: initial INVITE to first 18x (ms).
    pub fn post_dial_delay_ms(&self) -> Option<f64> {
        Some(ms(self.ringing_ts?.checked_sub(self.invite_ts?)?))
    }

    /// Answer time: initial INVITE to first 2xx (ms).
    pub fn answer_delay_ms(&self) -> Option<f64> {
        Some(ms(self.answer_ts?.checked_sub(self.invite_ts?)?))
    }

    /// Talk time: 2xx to BYE (or to the last message when no BYE was seen), in seconds.
    pub fn duration_s(&self) -> Option<f64> {
        let answer = self.answer_ts?;
        let end = self.bye_ts.unwrap_or(self.last_ts);
        Some(end.saturating_sub(answer) as f64 / 1e9)
    }

    fn apply(&mut self, m: &SipInfo) {
        self.last_ts = self.last_ts.max(m.ts);
        self.messages.push(m.index);
        let cseq_no = m.cseq.as_ref().map(|c| c.0);
        // A response is identified by status and CSeq method: the 200 to a CANCEL shares the
        // INVITE's CSeq number. Forked responses differ by To-tag.
        let label = match (m.method(), m.status()) {
            (Some(method), _) => method.to_owned(),
            (None, status) => format!(
                "{} {}",
                status.unwrap_or(0),
                m.transaction_method().unwrap_or("")
            ),
        };
        let key = (
            m.flow,
            cseq_no.unwrap_or(0),
            label,
            m.branch.clone(),
            m.to_tag.clone(),
        );
        if !self.seen.insert(key) {
            self.retransmissions += 1;
            return;
        }
        for c in &m.correlation {
            if !self.correlation.contains(c) {
                self.correlation.push(c.clone());
            }
        }
        if !m.media.is_empty() {
            self.merge_media(&m.media);
        }
        if self.kind != LegKind::Call {
            self.apply_non_call(m);
            if m.method() == Some("INVITE") {
                // A Call-ID that started with OPTIONS/other and then INVITEs: it is a call.
                self.kind = LegKind::Call;
                self.state = LegState::Calling;
            } else {
                return;
            }
        }
        match (m.method(), m.status()) {
            (Some("INVITE"), _) => self.on_invite(m),
            (Some("CANCEL"), _) => {
                self.cancel_ts.get_or_insert(m.ts);
                if self.answer_ts.is_none() {
                    self.state = LegState::Cancelled;
                    self.take_reason(m);
                }
            }
            (Some("BYE"), _) => {
                if self.bye_ts.is_none() {
                    self.bye_ts = Some(m.ts);
                    self.ended_by = Some(if m.from_tag.is_some() && m.from_tag == self.from_tag {
                        "caller"
                    } else {
                        "callee"
                    });
                    self.take_reason(m);
                }
                if matches!(
                    self.state,
                    LegState::Answered | LegState::Ringing | LegState::Proceeding
                ) {
                    self.state = LegState::Completed;
                }
            }
            (_, Some(status)) if m.transaction_method() == Some("INVITE") => {
                self.on_invite_response(m, status);
            }
            _ => {}
        }
    }

    fn on_invite(&mut self, m: &SipInfo) {
        let initial = m.to_tag.is_none()
            && (self.initial_cseq.is_none() || self.initial_cseq == m.cseq.as_ref().map(|c| c.0));
        if initial {
            self.invite_ts.get_or_insert(m.ts);
            self.initial_cseq = m.cseq.as_ref().map(|c| c.0);
            let hop = Hop {
                src: m.flow.src,
                dst: m.flow.dst,
            };
            if !self.hops.contains(&hop) {
                self.hops.push(hop);
            }
        } else {
            self.reinvites += 1;
        }
    }

    fn on_invite_response(&mut self, m: &SipInfo, status: u16) {
        let initial =
            self.initial_cseq.is_none() || m.cseq.as_ref().map(|c| c.0) == self.initial_cseq;
        if !initial {
            return;
        }
        if let Some(tag) = &m.to_tag
            && status > 100
            && !self.to_tags.contains(tag)
        {
            self.to_tags.push(tag.clone());
        }
        match status {
            100 => {
                if self.state == LegState::Calling {
                    self.state = LegState::Proceeding;
                }
            }
            101..=199 => {
                if matches!(status, 180 | 183) {
                    self.ringing_ts.get_or_insert(m.ts);
                }
                if matches!(self.state, LegState::Calling | LegState::Proceeding) {
                    self.state = LegState::Ringing;
                }
            }
            200..=299 => {
                if self.answer_ts.is_none() {
                    self.answer_ts = Some(m.ts);
                    self.final_status = Some(status);
                }
                if self.bye_ts.is_none() && !matches!(self.state, LegState::Completed) {
                    self.state = LegState::Answered;
                }
            }
            _ => {
                // A failure after a 2xx (another fork's 487, say) does not undo the answer.
                if self.answer_ts.is_none() {
                    self.final_status = Some(status);
                    self.state = if status == 487 {
                        LegState::Cancelled
                    } else {
                        LegState::Failed
                    };
                    self.take_reason(m);
                }
            }
        }
    }

    fn apply_non_call(&mut self, m: &SipInfo) {
        if let Some(status) = m.status() {
            if status >= 200 {
                self.final_status = Some(status);
                self.state = LegState::Done;
            }
        } else if self.hops.is_empty() {
            self.hops.push(Hop {
                src: m.flow.src,
                dst: m.flow.dst,
            });
        }
    }

    fn take_reason(&mut self, m: &SipInfo) {
        if self.reason.is_none() {
            self.reason.clone_from(&m.reason);
        }
    }

    fn merge_media(&mut self, media: &[MediaInfo]) {
        for md in media {
            match self
                .media
                .iter_mut()
                .find(|x| x.rtp == md.rtp && x.kind == md.kind)
            {
                Some(existing) => *existing = md.clone(),
                None => self.media.push(md.clone()),
            }
        }
    }
}

fn ms(ns: Nanos) -> f64 {
    ns as f64 / 1e6
}

/// All legs, by Call-ID, in order of first appearance.
#[derive(Debug, Default)]
pub struct Legs {
    by_call_id: HashMap<String, usize>,
    legs: Vec<Leg>,
}

impl Legs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one message; returns the index of its leg.
    pub fn on_message(&mut self, m: &SipInfo) -> usize {
        let idx = match self.by_call_id.get(&m.call_id) {
            Some(&i) => i,
            None => {
                let i = self.legs.len();
                self.legs.push(Leg::new(m));
                self.by_call_id.insert(m.call_id.clone(), i);
                i
            }
        };
        if let Some(leg) = self.legs.get_mut(idx) {
            leg.apply(m);
        }
        idx
    }

    pub fn get(&self, call_id: &str) -> Option<&Leg> {
        self.by_call_id.get(call_id).and_then(|&i| self.legs.get(i))
    }

    pub fn all(&self) -> &[Leg] {
        &self.legs
    }

    pub fn into_vec(self) -> Vec<Leg> {
        self.legs
    }

    /// Keeps the legs `keep` accepts (given their index), in order. Returns the new index of
    /// every old one (`None` when removed).
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &Leg) -> bool) -> Vec<Option<usize>> {
        let mut map = Vec::with_capacity(self.legs.len());
        let mut next = 0;
        let mut i = 0;
        self.legs.retain(|leg| {
            let k = keep(i, leg);
            i += 1;
            map.push(k.then_some(next));
            next += usize::from(k);
            k
        });
        self.by_call_id
            .retain(|_, idx| match map.get(*idx).copied().flatten() {
                Some(n) => {
                    *idx = n;
                    true
                }
                None => false,
            });
        map
    }
}
