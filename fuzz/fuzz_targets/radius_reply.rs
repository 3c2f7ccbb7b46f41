//! Fuzz the RADIUS reply view and verification: never panics; every attribute lies inside
//! the packet's Length and they tile it exactly; vendor sub-attributes tile their data; a
//! reply verifies only with a Message-Authenticator; re-encoding the attributes with the
//! builder gives a reply that verifies and reads back the same attributes.
#![no_main]
use callscope_shared::radius::{
    Code, HEADER_LEN, Packet, PacketBuilder, RadiusError, attr, unhide_password,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Packet::new_checked(data) else {
        return;
    };
    assert!(p.length() >= HEADER_LEN && p.length() <= data.len());
    let mut end = HEADER_LEN;
    let mut mas = 0;
    for a in p.attributes() {
        assert_eq!(a.offset, end);
        end += 2 + a.value.len();
        if a.type_id == attr::MESSAGE_AUTHENTICATOR {
            mas += 1;
        }
        if let Some(Ok(v)) = a.vendor_specific()
            && let Ok(subs) = v.sub_attributes()
        {
            assert_eq!(subs.map(|s| 2 + s.value.len()).sum::<usize>(), v.data.len());
        }
        if a.type_id == attr::USER_PASSWORD {
            let _ = unhide_password(a.value, SECRET, &p.authenticator());
        }
    }
    assert_eq!(end, p.length());
    let ra = [0x5a; 16];
    match p.verify_reply(p.identifier(), &ra, SECRET) {
        Ok(v) => {
            assert_eq!(mas, 1);
            assert!(matches!(
                v.code(),
                Code::AccessAccept | Code::AccessReject | Code::AccessChallenge
            ));
        }
        Err(RadiusError::MissingMessageAuthenticator) => assert_eq!(mas, 0),
        Err(_) => {}
    }
    // Re-encode as a signed reply: it verifies and carries the same attributes.
    let mut b = PacketBuilder::with_message_authenticator(Code::AccessAccept, p.identifier());
    for a in p
        .attributes()
        .filter(|a| a.type_id != attr::MESSAGE_AUTHENTICATOR)
    {
        if b.attribute(a.type_id, a.value).is_err() {
            return;
        }
    }
    let Ok(bytes) = b.finish_reply(&ra, SECRET) else {
        return;
    };
    let v = Packet::new_checked(&bytes)
        .and_then(|q| q.verify_reply(p.identifier(), &ra, SECRET))
        .expect("builder output verifies");
    assert!(
        v.attributes().skip(1).map(|a| (a.type_id, a.value)).eq(p
            .attributes()
            .filter(|a| a.type_id != attr::MESSAGE_AUTHENTICATOR)
            .map(|a| (a.type_id, a.value)))
    );
});
