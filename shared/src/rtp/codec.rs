//! Codec impairment values (ITU-T G.113 Appendix I/IV/V via VOICE_QUALITY.md §3.5) and the
//! lookups by SDP encoding name and by static payload type.
//!
//! G.113 calls these "provisional planning values"; entries marked `provisional` are vendor
//! conventions or recalled values, not read from the ITU text. Callers may build their own
//! [`Codec`] from configuration.

/// E-model scale the codec's impairments are defined on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// G.107 narrowband, Ro = 93.2.
    Narrowband,
    /// G.107.1 wideband, Ro = 129, MOS from R/1.29.
    Wideband,
    /// G.107.2 fullband, Ro = 148, MOS from R/1.48.
    Fullband,
}

/// Equipment impairment of one codec configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Codec {
    pub name: &'static str,
    /// Equipment impairment factor Ie (on the codec's scale).
    pub ie: f64,
    /// Packet-loss robustness factor Bpl.
    pub bpl: f64,
    pub scale: Scale,
    /// Algorithmic delay beyond the frame (look-ahead), ms; added to the mouth-to-ear delay.
    pub lookahead_ms: f64,
    /// Value not from the ITU tables (vendor convention or recalled).
    pub provisional: bool,
}

const fn nb(name: &'static str, ie: f64, bpl: f64, lookahead_ms: f64, provisional: bool) -> Codec {
    Codec {
        name,
        ie,
        bpl,
        scale: Scale::Narrowband,
        lookahead_ms,
        provisional,
    }
}

pub const G711_NO_PLC: Codec = nb("G.711", 0.0, 4.3, 0.0, false);
/// G.711 with Appendix I PLC: the usual assumption for phones.
pub const G711_PLC: Codec = nb("G.711 PLC", 0.0, 25.1, 0.0, false);
pub const G729A_VAD: Codec = nb("G.729A+VAD", 11.0, 19.0, 5.0, false);
/// G.729 8 kbit/s: Ie 10 (G.113 Table I.1); Bpl borrowed from G.729A.
pub const G729: Codec = nb("G.729", 10.0, 19.0, 5.0, true);
pub const G723_1_63: Codec = nb("G.723.1 6.3k+VAD", 15.0, 16.1, 7.5, false);
/// G.723.1 5.3 kbit/s: Ie 19 recalled; Bpl borrowed from 6.3k.
pub const G723_1_53: Codec = nb("G.723.1 5.3k", 19.0, 16.1, 7.5, true);
/// GSM-FR: Ie 20 recalled; Bpl not published, 10 borrowed from EFR.
pub const GSM_FR: Codec = nb("GSM-FR", 20.0, 10.0, 0.0, true);
pub const GSM_EFR: Codec = nb("GSM-EFR", 5.0, 10.0, 0.0, false);
/// iLBC: no ITU value; vendors reuse the G.729A pair.
pub const ILBC: Codec = nb("iLBC", 11.0, 19.0, 5.0, true);
pub const G726_32: Codec = nb("G.726-32", 7.0, 4.3, 0.0, true);
pub const G728: Codec = nb("G.728", 7.0, 4.3, 0.625, true);
/// G.722 64 kbit/s on the wideband scale (Ie,WB ≈ 13); Bpl,WB borrowed from G.711.
pub const G722: Codec = Codec {
    name: "G.722",
    ie: 13.0,
    bpl: 4.3,
    scale: Scale::Wideband,
    lookahead_ms: 1.5,
    provisional: true,
};
/// AMR-WB 12.65 kbit/s (Ie,WB 13, Bpl,WB 4.3, G.113 Tables IV.1/IV.4 via a secondary source).
pub const AMR_WB: Codec = Codec {
    name: "AMR-WB 12.65",
    ie: 13.0,
    bpl: 4.3,
    scale: Scale::Wideband,
    lookahead_ms: 5.0,
    provisional: true,
};
/// Opus: no ITU value; rtpengine's G.107.2 pair (Ie,FB 10.2, Bpl 4.3).
pub const OPUS: Codec = Codec {
    name: "Opus",
    ie: 10.2,
    bpl: 4.3,
    scale: Scale::Fullband,
    lookahead_ms: 6.5,
    provisional: true,
};

/// What an encoding is, for quality purposes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CodecLookup {
    Voice(Codec),
    /// telephone-event (RFC 4733) or comfort noise: no MOS.
    NotVoice,
    Unknown,
}

/// By SDP rtpmap encoding name (case-insensitive). G.711 assumes PLC (phones have it).
pub fn by_encoding_name(name: &str) -> CodecLookup {
    let n = name.trim();
    let eq = |s: &str| n.eq_ignore_ascii_case(s);
    if eq("PCMU") || eq("PCMA") || eq("G711") {
        CodecLookup::Voice(G711_PLC)
    } else if eq("G729") || eq("G729A") {
        CodecLookup::Voice(G729A_VAD)
    } else if eq("G729D") || eq("G729E") {
        CodecLookup::Voice(G729)
    } else if eq("G723") || eq("G7231") {
        CodecLookup::Voice(G723_1_63)
    } else if eq("GSM") {
        CodecLookup::Voice(GSM_FR)
    } else if eq("GSM-EFR") {
        CodecLookup::Voice(GSM_EFR)
    } else if eq("iLBC") {
        CodecLookup::Voice(ILBC)
    } else if eq("G726-32") || eq("AAL2-G726-32") {
        CodecLookup::Voice(G726_32)
    } else if eq("G728") {
        CodecLookup::Voice(G728)
    } else if eq("G722") {
        CodecLookup::Voice(G722)
    } else if eq("AMR-WB") {
        CodecLookup::Voice(AMR_WB)
    } else if eq("opus") {
        CodecLookup::Voice(OPUS)
    } else if super::tshark::is_telephone_event(n) || eq("CN") {
        CodecLookup::NotVoice
    } else {
        CodecLookup::Unknown
    }
}

/// By static payload type (RFC 3551).
pub fn by_static_pt(pt: u8) -> CodecLookup {
    match pt {
        0 | 8 => CodecLookup::Voice(G711_PLC),
        3 => CodecLookup::Voice(GSM_FR),
        4 => CodecLookup::Voice(G723_1_63),
        9 => CodecLookup::Voice(G722),
        15 => CodecLookup::Voice(G728),
        18 => CodecLookup::Voice(G729A_VAD),
        13 | 19 => CodecLookup::NotVoice,
        _ => CodecLookup::Unknown,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(by_encoding_name("pcma"), CodecLookup::Voice(G711_PLC));
        assert_eq!(by_encoding_name("telephone-event"), CodecLookup::NotVoice);
        assert_eq!(by_encoding_name("H264"), CodecLookup::Unknown);
        assert_eq!(by_static_pt(18), CodecLookup::Voice(G729A_VAD));
        assert_eq!(by_static_pt(13), CodecLookup::NotVoice);
        assert_eq!(by_static_pt(96), CodecLookup::Unknown);
        match by_encoding_name("opus") {
            CodecLookup::Voice(c) => assert_eq!(c.scale, Scale::Fullband),
            other => panic!("{other:?}"),
        }
    }
}
