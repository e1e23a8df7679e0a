//! Fuzzes what a client sends the sign-in flow besides codes: a challenge
//! id (a form field) and a device token (a cookie). Neither may panic; an
//! id that parses prints back to the same id; no forged token is ever
//! recognized, and a genuine one survives only unchanged.
#![no_main]

use std::sync::LazyLock;

use latchkey::{ChallengeId, DeviceTokens};
use latchkey_core::{AccountId, Pepper};
use libfuzzer_sys::fuzz_target;
use time::{Duration, OffsetDateTime};

static TOKENS: LazyLock<(DeviceTokens, AccountId, String)> = LazyLock::new(|| {
    let tokens = DeviceTokens::new(
        &Pepper::from_bytes(&[7; 32]).expect("pepper"),
        Duration::days(90),
    );
    let account = AccountId::new("fuzz").expect("account");
    let genuine = tokens.issue(
        &account,
        OffsetDateTime::UNIX_EPOCH + Duration::days(10_000),
    );
    (tokens, account, genuine)
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(id) = text.parse::<ChallengeId>() {
        assert_eq!(
            id.to_string().parse::<ChallengeId>().expect("round trip"),
            id
        );
    }
    let (tokens, account, genuine) = &*TOKENS;
    let now = OffsetDateTime::UNIX_EPOCH + Duration::days(10_001);
    let recognized = tokens.recognizes(&text, account, now);
    assert_eq!(recognized, text == *genuine);
    assert!(tokens.recognizes(genuine, account, now));
});
