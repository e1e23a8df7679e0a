//! Fuzzes account-recovery form validation.
//!
//! Input: fields separated by NUL bytes (login, contact email, details,
//! then identity user ids), the first byte's low bit choosing "Reset my
//! email". Validation must never panic, and a form it passes must hold
//! within every documented limit.
#![no_main]

use latchkey_recovery::{
    LinkedIdentity, MAX_DETAILS_CHARS, MAX_LOGIN_BYTES, Provider, TicketForm, Topic, validate,
};
use libfuzzer_sys::fuzz_target;
use time::{Duration, OffsetDateTime};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut fields = rest
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let login = fields.next().unwrap_or_default();
    let contact_email = fields.next().unwrap_or_default();
    let details = fields.next().unwrap_or_default();
    let identities: Vec<LinkedIdentity> = fields
        .enumerate()
        .map(|(i, user_id)| LinkedIdentity {
            provider: if i % 2 == 0 {
                Provider::GitHub
            } else {
                Provider::Twitter
            },
            handle: user_id.chars().rev().collect(),
            user_id,
            verified_at: now - Duration::minutes(i64::from(flags >> 1)),
        })
        .collect();
    let form = TicketForm {
        login,
        contact_email,
        reset_email: flags & 1 == 1,
        details,
        identities,
    };
    if let Ok(valid) = validate(&form, now, Duration::minutes(15)) {
        assert!(!valid.login.is_empty() && valid.login.len() <= MAX_LOGIN_BYTES);
        assert!(!valid.login.chars().any(char::is_control));
        if let Topic::Other { details } = &valid.topic {
            assert!(!details.trim().is_empty() && details.chars().count() <= MAX_DETAILS_CHARS);
        }
        assert!(valid.identities.len() <= 2, "one per provider");
    }
});
