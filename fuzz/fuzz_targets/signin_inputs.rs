//! Fuzzes what a client sends the sign-in flow besides codes: a challenge
//! id (a form field), a remembered-device token (a cookie, and the whole
//! Cookie header it comes in) and a session's authentication text. None
//! may panic; whatever parses prints back to what parses the same; a
//! device token matches only the digest of its own secret.
#![no_main]

use std::sync::LazyLock;

use latchkey::devices::DeviceToken;
use latchkey::{Authentication, ChallengeId, DeviceCookie};
use libfuzzer_sys::fuzz_target;

static GENUINE: LazyLock<(DeviceToken, [u8; 32])> =
    LazyLock::new(|| DeviceToken::generate().expect("token"));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(id) = text.parse::<ChallengeId>() {
        assert_eq!(
            id.to_string().parse::<ChallengeId>().expect("round trip"),
            id
        );
    }
    let (genuine, digest) = &*GENUINE;
    if let Ok(token) = text.parse::<DeviceToken>() {
        let again: DeviceToken = token.to_string().parse().expect("round trip");
        assert_eq!(again, token);
        assert_eq!(token.matches(digest), token == *genuine);
    }
    for token in DeviceCookie::tokens(&text, false) {
        assert!(token.parse::<DeviceToken>().is_ok());
    }
    if let Ok(auth) = text.parse::<Authentication>() {
        let again: Authentication = auth.to_string().parse().expect("round trip");
        assert_eq!(again, auth);
    }
});
