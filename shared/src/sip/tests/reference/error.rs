//! Typed SIP parse errors and the non-fatal quirks a parsed message may carry.
use core::fmt;

/// Why a buffer is not a SIP message we can read. Every variant carries the byte offset (from
/// the start of the input) where the parser gave up, so a log line can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SipError {
    #[error("empty input: no SIP start line")]
    Empty,
    #[error("no SIP start line at byte {offset} (neither `SIP/x.y NNN` nor `METHOD uri SIP/x.y`)")]
    NoStartLine { offset: usize },
    #[error("malformed request line at byte {offset}")]
    BadRequestLine { offset: usize },
    #[error("status code at byte {offset} is not three digits 100-699")]
    BadStatusCode { offset: usize },
    #[error("SIP version at byte {offset} is not `SIP/<digits>.<digits>`")]
    BadVersion { offset: usize },
    #[error("header section longer than {limit} bytes (ends past byte {offset})")]
    HeadersTooLarge { offset: usize, limit: usize },
}

/// Non-fatal deviations found while parsing, as bit flags the engine can count per reason.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Quirks(u32);

macro_rules! quirks {
    ($($(#[$doc:meta])* $name:ident = $bit:expr, $label:literal;)*) => {
        impl Quirks {
            $($(#[$doc])* pub const $name: Quirks = Quirks(1 << $bit);)*
            /// Every flag with its stable snake_case label (for counters).
            pub const ALL: &'static [(Quirks, &'static str)] = &[$((Quirks::$name, $label)),*];
        }
    };
}

quirks! {
    /// CRLF keep-alives (RFC 3261 §7.5) before the start line.
    LEADING_CRLF = 0, "leading_crlf";
    /// Bytes that are not a start line were skipped (`parse_skipping_junk` only).
    JUNK_PREFIX = 1, "junk_prefix";
    /// At least one line ends with a bare LF instead of CRLF.
    LF_ONLY = 2, "lf_only";
    /// At least one header value is folded over several lines (obsolete line folding).
    FOLDED_LINE = 3, "folded_line";
    /// A header line has no colon; it was skipped (tshark does the same).
    HEADER_WITHOUT_COLON = 4, "header_without_colon";
    /// Content-Length is larger than the bytes present after the headers (truncated body).
    CONTENT_LENGTH_MISMATCH = 5, "content_length_mismatch";
    /// Bytes remain after the Content-Length body (another message, or padding).
    TRAILING_BYTES = 6, "trailing_bytes";
    /// Content-Length is not a number (tshark flags the message as malformed).
    BAD_CONTENT_LENGTH = 7, "bad_content_length";
    /// No Content-Length: the body runs to the end of the datagram.
    MISSING_CONTENT_LENGTH = 8, "missing_content_length";
    /// More than one Call-ID header.
    DUPLICATE_CALL_ID = 9, "duplicate_call_id";
    /// More than one CSeq header.
    DUPLICATE_CSEQ = 10, "duplicate_cseq";
    /// More than one From or To header.
    DUPLICATE_FROM_TO = 11, "duplicate_from_to";
    /// More than one Content-Length header.
    DUPLICATE_CONTENT_LENGTH = 12, "duplicate_content_length";
    /// The input ended before the empty line that closes the headers.
    NO_EMPTY_LINE = 13, "no_empty_line";
    /// More than [`super::message::INDEX_CAP`] header lines (kept for compatibility: the
    /// message keeps no per-line index and generic lookups always rescan the bytes).
    HEADER_INDEX_FULL = 14, "header_index_full";
    /// The SIP version is well-formed but not 2.0.
    UNUSUAL_VERSION = 15, "unusual_version";
    /// One of Call-ID, CSeq, From, To, Via is missing (RFC 3261 §8.1.1).
    MISSING_MANDATORY = 16, "missing_mandatory";
    /// A header name has whitespace before its colon (allowed by RFC 3261 §7.3.1, rare).
    SPACE_BEFORE_COLON = 17, "space_before_colon";
}

impl Quirks {
    pub const NONE: Quirks = Quirks(0);

    pub const fn bits(self) -> u32 {
        self.0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub const fn contains(self, other: Quirks) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn insert(&mut self, other: Quirks) {
        self.0 |= other.0;
    }
    /// The labels of the flags that are set.
    pub fn labels(self) -> impl Iterator<Item = &'static str> {
        Self::ALL
            .iter()
            .filter(move |(q, _)| self.contains(*q))
            .map(|(_, l)| *l)
    }
}

impl core::ops::BitOr for Quirks {
    type Output = Quirks;
    fn bitor(self, rhs: Quirks) -> Quirks {
        Quirks(self.0 | rhs.0)
    }
}

impl fmt::Debug for Quirks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.labels()).finish()
    }
}
