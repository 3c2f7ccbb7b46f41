//! Fuzz the HEP codec: HEPv3/EEPv3 view and message, HEPv1/v2, stream framing and resync,
//! acknowledgements. Never panics; every borrowed slice lies inside the input; framing agrees
//! with the checked view; a decoded message re-encodes to the same message.
#![no_main]
use callscope_shared::hep::{
    HEADER_LEN, Hep3Packet, HepEncoder, HepMessage, MAGIC_EEP3, MAGIC_HEP3, decode_v12,
    next_packet, parse_ack, resync,
};
use libfuzzer_sys::fuzz_target;

fn inside(input: &[u8], s: &[u8]) -> bool {
    let (b0, b1) = (
        input.as_ptr() as usize,
        input.as_ptr() as usize + input.len(),
    );
    let s0 = s.as_ptr() as usize;
    s.is_empty() || (s0 >= b0 && s0 + s.len() <= b1)
}

fn check_message(input: &[u8], m: &HepMessage<'_>) {
    assert!(inside(input, m.payload) && !m.payload.is_empty());
    for s in [m.capture_name, m.auth_key, m.correlation_id, m.group_id]
        .into_iter()
        .flatten()
    {
        assert!(inside(input, s));
    }
    // Re-encoding gives back the same message (when it fits the 16-bit lengths and 32-bit
    // seconds).
    let enc = HepEncoder::from_message(m);
    let mut out = Vec::new();
    if let Ok(n) = enc.encode(&mut out) {
        assert_eq!(n, out.len());
        let p = Hep3Packet::new_checked(&out).expect("encoder output is a valid packet");
        let again = HepMessage::decode_v3(&p).expect("encoder output decodes");
        assert_eq!(HepEncoder::from_message(&again), enc);
    }
}

fuzz_target!(|data: &[u8]| {
    // Datagram (any version).
    if let Ok(m) = HepMessage::parse_datagram(data) {
        check_message(data, &m);
    }
    if let Ok(m) = decode_v12(data) {
        check_message(data, &m);
    }
    // HEPv3 view: framing and the view agree on the length.
    let framed = next_packet(data);
    match Hep3Packet::new_checked(data) {
        Ok(p) => {
            assert_eq!(framed, Ok(Some(p.total_len())));
            assert!(p.total_len() >= HEADER_LEN && p.total_len() <= data.len());
            let mut end = HEADER_LEN;
            for c in p.chunks() {
                assert_eq!(c.offset, end);
                assert!(inside(data, c.payload));
                end = c.offset + 6 + c.payload.len();
            }
            assert_eq!(end, p.total_len());
            let _ = parse_ack(&p);
            if let Ok(m) = HepMessage::decode_v3(&p) {
                check_message(data, &m);
            }
        }
        Err(_) => {
            if let Ok(Some(n)) = framed {
                assert!(n >= HEADER_LEN && n <= data.len());
            }
        }
    }
    // Resync never loops: it skips at least one byte of a non-empty buffer.
    let r = resync(data);
    assert!(r.skipped <= data.len());
    assert!(data.is_empty() || r.skipped >= 1);
    if r.found {
        let id = &data[r.skipped..r.skipped + 4];
        assert!(id == MAGIC_HEP3 || id == MAGIC_EEP3);
    }
});
