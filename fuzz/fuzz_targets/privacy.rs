//! Fuzz privacy masking of SIP messages, RTCP and addresses: never panics, never changes a
//! length, and only ever turns a letter, digit or non-ASCII byte into `*`.
#![no_main]
use callscope_shared::privacy::{mask_address, mask_rtcp, mask_sip};
use libfuzzer_sys::fuzz_target;

fn only_masked(before: &[u8], after: &[u8]) {
    assert_eq!(before.len(), after.len());
    for (a, b) in before.iter().zip(after) {
        assert!(a == b || (*b == b'*' && (a.is_ascii_alphanumeric() || *a >= 0x80)));
    }
}

fuzz_target!(|data: &[u8]| {
    let mut v = data.to_vec();
    let n = mask_sip(&mut v).bytes;
    only_masked(data, &v);
    assert_eq!(n, data.iter().zip(&v).filter(|(a, b)| a != b).count());
    let mut r = data.to_vec();
    mask_rtcp(&mut r);
    only_masked(data, &r);
    if let Ok(s) = std::str::from_utf8(data) {
        let m = mask_address(s);
        assert_eq!(m.len(), s.len());
    }
});
