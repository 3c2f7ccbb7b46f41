//! RFC 6035 `application/vq-rtcpxr` bodies (SIP PUBLISH, Event: vq-rtcpxr): a zero-copy
//! parser. Strings are slices of the body; numbers are parsed to typed fields, and a missing
//! metric is `None` (absent is not zero, VOICE_QUALITY.md §5.3).
//!
//! Tolerances from the RFC's own examples and from deployed phones: the colon after the
//! report type is optional; no space is needed after a line name's colon; lines may be folded
//! (a continuation starts with SP/HTAB; tokens never span a fold, so folded header values are
//! returned as the raw span, see [`unfold`]); a bare `Metrics:` is local metrics; SSRCs may
//! lack `0x`; quoted values (`FMTP="a b"`) may contain spaces; unknown lines and keys are
//! kept and reachable through [`Metrics::value`] / [`VqReport::header`].

use std::net::IpAddr;

/// Why a body is not a vq-rtcpxr report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VqError {
    #[error("vq-rtcpxr body is not UTF-8 (byte {0})")]
    NotUtf8(usize),
    #[error(
        "vq-rtcpxr body does not start with VQSessionReport, VQIntervalReport or VQAlertReport"
    )]
    UnknownReportType,
    #[error("vq-rtcpxr body has no CallID line")]
    MissingCallId,
    #[error("vq-rtcpxr {line} {key} has an invalid value")]
    BadValue {
        line: &'static str,
        key: &'static str,
    },
}

/// The report type line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind<'a> {
    /// `VQSessionReport`, with `call_term` for `: CallTerm`.
    Session {
        call_term: bool,
    },
    Interval,
    /// `VQAlertReport: Type=… Severity=… Dir=…` (parameters kept raw).
    Alert {
        params: &'a str,
    },
}

/// `LocalAddr` / `RemoteAddr`: `IP=… PORT=… SSRC=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddrInfo<'a> {
    pub ip: Option<IpAddr>,
    pub ip_raw: Option<&'a str>,
    pub port: Option<u16>,
    pub ssrc: Option<u32>,
}

/// `Timestamps:START=… STOP=…` (ISO 8601, kept as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamps<'a> {
    pub start: Option<&'a str>,
    pub stop: Option<&'a str>,
}

/// `SessionDesc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionDesc<'a> {
    pub pt: Option<u8>,
    pub pd: Option<&'a str>,
    pub sr: Option<u32>,
    pub fd: Option<u32>,
    pub fo: Option<u32>,
    pub fpp: Option<u32>,
    pub pps: Option<u32>,
    /// Without the quotes.
    pub fmtp: Option<&'a str>,
    pub plc: Option<u8>,
    pub ssup: Option<&'a str>,
}

/// `JitterBuffer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterBufferDesc {
    pub jba: Option<u8>,
    pub jbr: Option<u8>,
    pub jbn: Option<u32>,
    pub jbm: Option<u32>,
    pub jbx: Option<u32>,
}

/// `PacketLoss` (percent).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PacketLoss {
    pub nlr: Option<f64>,
    pub jdr: Option<f64>,
}

/// `BurstGapLoss`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BurstGapLoss {
    pub bld: Option<f64>,
    pub bd: Option<u32>,
    pub gld: Option<f64>,
    pub gd: Option<u32>,
    pub gmin: Option<u32>,
}

/// `Delay` (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DelayDesc {
    pub rtd: Option<u32>,
    pub esd: Option<u32>,
    pub sowd: Option<u32>,
    pub owd: Option<u32>,
    pub iaj: Option<u32>,
    pub maj: Option<u32>,
}

/// `Signal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignalDesc {
    pub sl: Option<i32>,
    pub nl: Option<i32>,
    pub rerl: Option<i32>,
}

/// `QualityEst`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QualityEst<'a> {
    pub rlq: Option<u32>,
    pub rcq: Option<u32>,
    pub extri: Option<u32>,
    pub extro: Option<u32>,
    pub moslq: Option<f64>,
    pub moscq: Option<f64>,
    pub rlq_est_alg: Option<&'a str>,
    pub rcq_est_alg: Option<&'a str>,
    pub moslq_est_alg: Option<&'a str>,
    pub moscq_est_alg: Option<&'a str>,
    pub qoe_est_alg: Option<&'a str>,
}

/// One metrics section (`LocalMetrics:`, `RemoteMetrics:` or a bare `Metrics:`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Metrics<'a> {
    /// The section's raw text (its lines, folded as received).
    pub raw: &'a str,
    pub timestamps: Timestamps<'a>,
    pub session_desc: SessionDesc<'a>,
    pub jitter_buffer: JitterBufferDesc,
    pub packet_loss: PacketLoss,
    pub burst_gap_loss: BurstGapLoss,
    pub delay: DelayDesc,
    pub signal: SignalDesc,
    pub quality_est: QualityEst<'a>,
}

/// A parsed report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VqReport<'a> {
    pub body: &'a str,
    pub kind: ReportKind<'a>,
    pub call_id: &'a str,
    pub local_id: Option<&'a str>,
    pub remote_id: Option<&'a str>,
    pub orig_id: Option<&'a str>,
    pub local_group: Option<&'a str>,
    pub remote_group: Option<&'a str>,
    pub local_addr: Option<AddrInfo<'a>>,
    pub remote_addr: Option<AddrInfo<'a>>,
    pub local_mac: Option<&'a str>,
    pub remote_mac: Option<&'a str>,
    pub local_metrics: Option<Metrics<'a>>,
    pub remote_metrics: Option<Metrics<'a>>,
    /// Raw (possibly folded) DialogID value.
    pub dialog_id: Option<&'a str>,
}

/// Logical lines: (name, value, raw span). A continuation line (leading SP/HTAB) extends the
/// previous logical line's span.
fn logical_lines(body: &str) -> impl Iterator<Item = (&str, &str)> {
    let bytes = body.as_bytes();
    let mut pos = 0usize;
    core::iter::from_fn(move || {
        // Skip empty lines.
        loop {
            if pos >= bytes.len() {
                return None;
            }
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            if body[pos..end].trim().is_empty() {
                pos = end + 1;
                continue;
            }
            break;
        }
        let start = pos;
        let mut end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        // Absorb continuation lines.
        while end + 1 < bytes.len() && matches!(bytes[end + 1], b' ' | b'\t') {
            end = memchr::memchr(b'\n', &bytes[end + 1..]).map_or(bytes.len(), |i| end + 1 + i);
        }
        pos = end + 1;
        let line = body[start..end.min(bytes.len())].trim_end();
        let (name, value) = match line.find(':') {
            Some(i) => (line[..i].trim(), line[i + 1..].trim()),
            None => (line.trim(), ""),
        };
        Some((name, value))
    })
}

/// Splits a (possibly folded) value into its physical pieces, trimmed.
pub fn unfold(value: &str) -> impl Iterator<Item = &str> {
    value.split('\n').map(str::trim).filter(|s| !s.is_empty())
}

/// `KEY=value` tokens of a metric line; quoted values may contain spaces.
fn tokens(value: &str) -> impl Iterator<Item = (&str, &str)> {
    let b = value.as_bytes();
    let mut i = 0usize;
    core::iter::from_fn(move || {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        let mut in_quotes = false;
        while i < b.len() && (in_quotes || !b[i].is_ascii_whitespace()) {
            if b[i] == b'"' {
                in_quotes = !in_quotes;
            }
            i += 1;
        }
        let tok = &value[start..i];
        Some(match tok.find('=') {
            Some(k) => (&tok[..k], tok[k + 1..].trim_matches('"')),
            None => (tok, ""),
        })
    })
}

fn find<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    tokens(value)
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn num<T: core::str::FromStr>(
    value: &str,
    line: &'static str,
    key: &'static str,
) -> Result<Option<T>, VqError> {
    match find(value, key) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| VqError::BadValue { line, key }),
    }
}

fn parse_ssrc(v: &str) -> Option<u32> {
    let h = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    u32::from_str_radix(h, 16).ok()
}

fn parse_addr<'a>(value: &'a str, line: &'static str) -> Result<AddrInfo<'a>, VqError> {
    let ip_raw = find(value, "IP");
    let ssrc = match find(value, "SSRC") {
        None => None,
        Some(v) => Some(parse_ssrc(v).ok_or(VqError::BadValue { line, key: "SSRC" })?),
    };
    Ok(AddrInfo {
        ip: ip_raw.and_then(|v| v.trim_start_matches('[').trim_end_matches(']').parse().ok()),
        ip_raw,
        port: num(value, line, "PORT")?,
        ssrc,
    })
}

impl<'a> Metrics<'a> {
    fn apply(&mut self, name: &str, value: &'a str) -> Result<(), VqError> {
        match name.to_ascii_lowercase().as_str() {
            "timestamps" => {
                self.timestamps = Timestamps {
                    start: find(value, "START"),
                    stop: find(value, "STOP"),
                }
            }
            "sessiondesc" => {
                const L: &str = "SessionDesc";
                self.session_desc = SessionDesc {
                    pt: num(value, L, "PT")?,
                    pd: find(value, "PD"),
                    sr: num(value, L, "SR")?,
                    fd: num(value, L, "FD")?,
                    fo: num(value, L, "FO")?,
                    fpp: num(value, L, "FPP")?,
                    pps: num(value, L, "PPS")?,
                    fmtp: find(value, "FMTP"),
                    plc: num(value, L, "PLC")?,
                    ssup: find(value, "SSUP"),
                }
            }
            "jitterbuffer" => {
                const L: &str = "JitterBuffer";
                self.jitter_buffer = JitterBufferDesc {
                    jba: num(value, L, "JBA")?,
                    jbr: num(value, L, "JBR")?,
                    jbn: num(value, L, "JBN")?,
                    jbm: num(value, L, "JBM")?,
                    jbx: num(value, L, "JBX")?,
                }
            }
            "packetloss" => {
                const L: &str = "PacketLoss";
                self.packet_loss = PacketLoss {
                    nlr: num(value, L, "NLR")?,
                    jdr: num(value, L, "JDR")?,
                }
            }
            "burstgaploss" => {
                const L: &str = "BurstGapLoss";
                self.burst_gap_loss = BurstGapLoss {
                    bld: num(value, L, "BLD")?,
                    bd: num(value, L, "BD")?,
                    gld: num(value, L, "GLD")?,
                    gd: num(value, L, "GD")?,
                    gmin: num(value, L, "GMIN")?,
                }
            }
            "delay" => {
                const L: &str = "Delay";
                self.delay = DelayDesc {
                    rtd: num(value, L, "RTD")?,
                    esd: num(value, L, "ESD")?,
                    sowd: num(value, L, "SOWD")?,
                    owd: num(value, L, "OWD")?,
                    iaj: num(value, L, "IAJ")?,
                    maj: num(value, L, "MAJ")?,
                }
            }
            "signal" => {
                const L: &str = "Signal";
                self.signal = SignalDesc {
                    sl: num(value, L, "SL")?,
                    nl: num(value, L, "NL")?,
                    rerl: num(value, L, "RERL")?,
                }
            }
            "qualityest" => {
                const L: &str = "QualityEst";
                self.quality_est = QualityEst {
                    rlq: num(value, L, "RLQ")?,
                    rcq: num(value, L, "RCQ")?,
                    extri: num(value, L, "EXTRI")?,
                    extro: num(value, L, "EXTRO")?,
                    moslq: num(value, L, "MOSLQ")?,
                    moscq: num(value, L, "MOSCQ")?,
                    rlq_est_alg: find(value, "RLQEstAlg"),
                    rcq_est_alg: find(value, "RCQEstAlg"),
                    moslq_est_alg: find(value, "MOSLQEstAlg"),
                    moscq_est_alg: find(value, "MOSCQEstAlg"),
                    qoe_est_alg: find(value, "QoEEstAlg"),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Any `KEY=value` of a metric line by line name, including vendor lines and keys.
    pub fn value(&self, line: &str, key: &str) -> Option<&'a str> {
        let raw: &'a str = self.raw;
        logical_lines(raw)
            .find(|(n, _)| n.eq_ignore_ascii_case(line))
            .and_then(|(_, v)| find(v, key))
    }
}

fn is_metric_line(name: &str) -> bool {
    [
        "Timestamps",
        "SessionDesc",
        "JitterBuffer",
        "PacketLoss",
        "BurstGapLoss",
        "Delay",
        "Signal",
        "QualityEst",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
        || name.starts_with("X-")
        || name.starts_with("x-")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Local,
    Remote,
}

fn offset_in(body: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(body.as_ptr() as usize)
}

impl<'a> VqReport<'a> {
    pub fn parse(body: &'a [u8]) -> Result<Self, VqError> {
        let body = core::str::from_utf8(body).map_err(|e| VqError::NotUtf8(e.valid_up_to()))?;
        let mut lines = logical_lines(body);
        let (first_name, first_value) = lines.next().ok_or(VqError::UnknownReportType)?;
        // The colon after the type is optional: "VQSessionReport CallTerm" splits differently.
        let (ty, rest) = match first_name.split_once(char::is_whitespace) {
            Some((t, r)) => (t, r.trim()),
            None => (first_name, ""),
        };
        let param = if first_value.is_empty() {
            rest
        } else {
            first_value
        };
        let kind = if ty.eq_ignore_ascii_case("VQSessionReport") {
            ReportKind::Session {
                call_term: param.eq_ignore_ascii_case("CallTerm"),
            }
        } else if ty.eq_ignore_ascii_case("VQIntervalReport") {
            ReportKind::Interval
        } else if ty.eq_ignore_ascii_case("VQAlertReport") {
            ReportKind::Alert { params: param }
        } else {
            return Err(VqError::UnknownReportType);
        };
        let mut r = VqReport {
            body,
            kind,
            call_id: "",
            local_id: None,
            remote_id: None,
            orig_id: None,
            local_group: None,
            remote_group: None,
            local_addr: None,
            remote_addr: None,
            local_mac: None,
            remote_mac: None,
            local_metrics: None,
            remote_metrics: None,
            dialog_id: None,
        };
        let mut have_call_id = false;
        let mut section = Section::None;
        let mut cur = Metrics::default();
        let mut cur_start = 0usize;
        let mut cur_end = 0usize;
        let finish = |r: &mut VqReport<'a>, s: Section, mut m: Metrics<'a>, a: usize, b: usize| {
            m.raw = body.get(a..b).unwrap_or("");
            match s {
                Section::Local => r.local_metrics = Some(m),
                Section::Remote => r.remote_metrics = Some(m),
                Section::None => {}
            }
        };
        for (name, value) in lines {
            let lname = name.to_ascii_lowercase();
            let new_section = match lname.as_str() {
                "localmetrics" | "metrics" => Some(Section::Local),
                "remotemetrics" => Some(Section::Remote),
                _ => None,
            };
            if let Some(s) = new_section {
                finish(&mut r, section, cur, cur_start, cur_end);
                section = s;
                cur = Metrics::default();
                cur_start = offset_in(body, value);
                cur_end = cur_start;
                continue;
            }
            if section != Section::None && is_metric_line(name) {
                cur.apply(name, value)?;
                cur_end = offset_in(body, value) + value.len();
                continue;
            }
            if section != Section::None {
                finish(&mut r, section, cur, cur_start, cur_end);
                section = Section::None;
                cur = Metrics::default();
            }
            match lname.as_str() {
                "callid" => {
                    r.call_id = value;
                    have_call_id = true;
                }
                "localid" => r.local_id = Some(value),
                "remoteid" => r.remote_id = Some(value),
                "origid" => r.orig_id = Some(value),
                "localgroup" => r.local_group = Some(value),
                "remotegroup" => r.remote_group = Some(value),
                "localaddr" => r.local_addr = Some(parse_addr(value, "LocalAddr")?),
                "remoteaddr" => r.remote_addr = Some(parse_addr(value, "RemoteAddr")?),
                "localmac" => r.local_mac = Some(value),
                "remotemac" => r.remote_mac = Some(value),
                "dialogid" => r.dialog_id = Some(value),
                _ => {}
            }
        }
        finish(&mut r, section, cur, cur_start, cur_end);
        if !have_call_id {
            return Err(VqError::MissingCallId);
        }
        Ok(r)
    }

    /// The first value of a header line by name (any line, including vendor extensions).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        let body: &'a str = self.body;
        logical_lines(body)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// RFC 6035 §4.7.3 end-of-session report, as given in VOICE_QUALITY.md §5.3 (documentation
    /// addresses, `0x` added to the LocalAddr SSRC, STOP date typo corrected), CRLF endings.
    const RFC6035_SESSION: &str = "VQSessionReport: CallTerm\r\n\
CallID: 6dg37f1890463\r\n\
LocalID: Alice <sip:alice@example.org>\r\n\
RemoteID: Bill <sip:bill@example.net>\r\n\
OrigID: Alice <sip:alice@example.org>\r\n\
LocalGroup: example-phone-55671\r\n\
RemoteGroup: example-gateway-09871\r\n\
LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=0x1a3b5c7d\r\n\
LocalMAC: 00:00:5e:00:53:01\r\n\
RemoteAddr:IP=198.51.100.150 PORT=5002 SSRC=0x2468abcd\r\n\
RemoteMAC: 00:00:5e:00:53:02\r\n\
LocalMetrics:\r\n\
Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:26:02Z\r\n\
SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r\n                FMTP=\"annexb=no\" PLC=3 SSUP=on\r\n\
JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n\
PacketLoss:NLR=5.0 JDR=2.0\r\n\
BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n\
Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n\
Signal:SL=-21 NL=-50 RERL=55\r\n\
QualityEst:RLQ=90 RCQ=85 EXTRI=90 MOSLQ=4.2 MOSCQ=4.3\r\n  QoEEstAlg=P.564\r\n\
RemoteMetrics:\r\n\
Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:26:02Z\r\n\
SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r\n                FMTP=\"annexb=no\" PLC=3 SSUP=on\r\n\
JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n\
PacketLoss:NLR=5.0 JDR=2.0\r\n\
BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n\
Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n\
Signal:SL=-21 NL=-45 RERL=55\r\n\
QualityEst:RLQ=90 RCQ=85 MOSLQ=4.3 MOSCQ=4.2 QoEEstAlg=P.564\r\n\
DialogID:1890463548@alice.example.org;to-tag=8472761;\r\n   from-tag=9123dh311\r\n";

    #[test]
    fn rfc6035_session_report() {
        let r = VqReport::parse(RFC6035_SESSION.as_bytes()).unwrap();
        assert_eq!(r.kind, ReportKind::Session { call_term: true });
        assert_eq!(r.call_id, "6dg37f1890463");
        assert_eq!(r.local_id, Some("Alice <sip:alice@example.org>"));
        assert_eq!(r.remote_id, Some("Bill <sip:bill@example.net>"));
        assert_eq!(r.orig_id, Some("Alice <sip:alice@example.org>"));
        assert_eq!(r.local_group, Some("example-phone-55671"));
        assert_eq!(r.remote_group, Some("example-gateway-09871"));
        let la = r.local_addr.unwrap();
        assert_eq!(la.ip, Some("192.0.2.100".parse().unwrap()));
        assert_eq!((la.port, la.ssrc), (Some(5000), Some(0x1a3b5c7d)));
        let ra = r.remote_addr.unwrap();
        assert_eq!(ra.ip, Some("198.51.100.150".parse().unwrap()));
        assert_eq!((ra.port, ra.ssrc), (Some(5002), Some(0x2468abcd)));
        assert_eq!(r.local_mac, Some("00:00:5e:00:53:01"));
        assert_eq!(r.remote_mac, Some("00:00:5e:00:53:02"));

        let l = r.local_metrics.unwrap();
        assert_eq!(l.timestamps.start, Some("2004-10-10T18:23:43Z"));
        assert_eq!(l.timestamps.stop, Some("2004-10-10T18:26:02Z"));
        let sd = l.session_desc;
        assert_eq!((sd.pt, sd.pd, sd.sr), (Some(18), Some("G729"), Some(8000)));
        assert_eq!(
            (sd.fd, sd.fo, sd.fpp, sd.pps),
            (Some(20), Some(20), Some(2), Some(50))
        );
        assert_eq!(
            (sd.fmtp, sd.plc, sd.ssup),
            (Some("annexb=no"), Some(3), Some("on"))
        );
        assert_eq!(
            l.jitter_buffer,
            JitterBufferDesc {
                jba: Some(3),
                jbr: Some(2),
                jbn: Some(40),
                jbm: Some(80),
                jbx: Some(120)
            }
        );
        assert_eq!(
            l.packet_loss,
            PacketLoss {
                nlr: Some(5.0),
                jdr: Some(2.0)
            }
        );
        assert_eq!(
            l.burst_gap_loss,
            BurstGapLoss {
                bld: Some(0.0),
                bd: Some(0),
                gld: Some(2.0),
                gd: Some(500),
                gmin: Some(16)
            }
        );
        assert_eq!(
            l.delay,
            DelayDesc {
                rtd: Some(200),
                esd: Some(140),
                sowd: Some(200),
                owd: None,
                iaj: Some(2),
                maj: Some(10)
            }
        );
        assert_eq!(
            l.signal,
            SignalDesc {
                sl: Some(-21),
                nl: Some(-50),
                rerl: Some(55)
            }
        );
        let q = l.quality_est;
        assert_eq!(
            (q.rlq, q.rcq, q.extri, q.extro),
            (Some(90), Some(85), Some(90), None)
        );
        assert_eq!((q.moslq, q.moscq), (Some(4.2), Some(4.3)));
        assert_eq!(q.qoe_est_alg, Some("P.564"));

        // RemoteMetrics are kept apart (heplify's first-occurrence extraction loses them).
        let rm = r.remote_metrics.unwrap();
        assert_eq!(rm.signal.nl, Some(-45));
        assert_eq!(
            (rm.quality_est.moslq, rm.quality_est.moscq),
            (Some(4.3), Some(4.2))
        );
        assert_eq!(rm.quality_est.extri, None);
        assert_eq!(rm.value("Delay", "IAJ"), Some("2"));

        let dialog: Vec<&str> = unfold(r.dialog_id.unwrap()).collect();
        assert_eq!(
            dialog,
            [
                "1890463548@alice.example.org;to-tag=8472761;",
                "from-tag=9123dh311"
            ]
        );
    }

    /// An alert report in the style of RFC 6035 §4.7.1 (bare `Metrics:`, SSRC without `0x`,
    /// LF endings, a vendor line). Written for this test, not the RFC's verbatim text.
    #[test]
    fn alert_report_with_bare_metrics() {
        let body = "VQAlertReport: Type=RLQ Severity=Critical Dir=local\n\
CallID: 6dg37f1890463\n\
LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=1a3b5c7d\n\
Metrics:\n\
Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:26:02Z\n\
SessionDesc:PT=18 PD=G729 SR=8000 PPS=50 SSUP=on\n\
PacketLoss:NLR=5.0 JDR=2.0\n\
QualityEst:RLQ=66 MOSLQ=2.1 MOSCQ=3.0\n\
X-Vendor:FOO=1 BAR=two\n\
DialogID:1890463548@alice.example.org;to-tag=8472761;from-tag=9123dh311\n";
        let r = VqReport::parse(body.as_bytes()).unwrap();
        assert_eq!(
            r.kind,
            ReportKind::Alert {
                params: "Type=RLQ Severity=Critical Dir=local"
            }
        );
        assert_eq!(r.local_addr.unwrap().ssrc, Some(0x1a3b5c7d));
        let m = r.local_metrics.unwrap();
        assert_eq!(m.quality_est.rlq, Some(66));
        assert_eq!(m.quality_est.moslq, Some(2.1));
        assert_eq!(m.jitter_buffer, JitterBufferDesc::default()); // absent, not zero
        assert_eq!(m.value("X-Vendor", "BAR"), Some("two"));
        assert!(r.remote_metrics.is_none());
        assert_eq!(
            r.dialog_id,
            Some("1890463548@alice.example.org;to-tag=8472761;from-tag=9123dh311")
        );
    }

    #[test]
    fn interval_report_without_colon_and_errors() {
        let r =
            VqReport::parse(b"VQIntervalReport\r\nCallID:abc\r\nLocalMetrics:\r\nDelay:RTD=12\r\n")
                .unwrap();
        assert_eq!(r.kind, ReportKind::Interval);
        assert_eq!(r.local_metrics.unwrap().delay.rtd, Some(12));
        let s = VqReport::parse(b"VQSessionReport CallTerm\nCallID: x\n").unwrap();
        assert_eq!(s.kind, ReportKind::Session { call_term: true });
        assert_eq!(
            VqReport::parse(b"INVITE sip:x SIP/2.0\r\n"),
            Err(VqError::UnknownReportType)
        );
        assert_eq!(VqReport::parse(b""), Err(VqError::UnknownReportType));
        assert_eq!(
            VqReport::parse(b"VQSessionReport\r\n"),
            Err(VqError::MissingCallId)
        );
        assert_eq!(
            VqReport::parse(b"VQSessionReport\nCallID: a\nLocalMetrics:\nPacketLoss:NLR=lots\n"),
            Err(VqError::BadValue {
                line: "PacketLoss",
                key: "NLR"
            })
        );
        assert!(matches!(
            VqReport::parse(b"VQSessionReport\n\xff"),
            Err(VqError::NotUtf8(16))
        ));
    }
}
