//! SDP parser. OWNER: sip helper.
