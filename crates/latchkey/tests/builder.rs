//! Building a flow: `SignIn::builder(..).build()` refuses a missing part
//! or a setting out of range with `Error::InvalidSettings`, and a flow
//! built without an optional part says so when it is used.

use std::sync::Arc;

use latchkey::core::RecordingMailer;
use latchkey::credentials::HashSettings;
use latchkey::store_memory::MemoryStore;
use latchkey::testing::keys;
use latchkey::throttle::AttemptPolicy;
use latchkey::{Error, InMemoryAccounts, SignIn, SignInBuilder};
use time::Duration;

fn cheap() -> HashSettings {
    // Below the floor only to keep the tests quick.
    HashSettings::below_floor(256, 1, 1).unwrap()
}

/// Every required part.
fn complete() -> SignInBuilder {
    SignIn::builder("npm", keys())
        .store(Arc::new(MemoryStore::new()))
        .accounts(Arc::new(InMemoryAccounts::new()))
        .mailer(Arc::new(RecordingMailer::new()))
        .hash_settings(cheap())
}

/// The build's error, which must be `InvalidSettings` naming `what`.
fn refused(builder: SignInBuilder, what: &str) {
    match builder.build() {
        Err(Error::InvalidSettings(message)) => {
            assert!(message.contains(what), "{message:?} should name {what:?}");
        }
        Err(other) => panic!("expected InvalidSettings naming {what:?}, got {other:?}"),
        Ok(_) => panic!("expected InvalidSettings naming {what:?}, but it built"),
    }
}

#[test]
fn a_missing_part_is_refused() {
    complete().build().expect("every part is there");
    let accounts = || Arc::new(InMemoryAccounts::new());
    let mailer = || Arc::new(RecordingMailer::new());
    refused(
        SignIn::builder("npm", keys())
            .accounts(accounts())
            .mailer(mailer())
            .hash_settings(cheap()),
        "credential store",
    );
    refused(
        SignIn::builder("npm", keys())
            .store(Arc::new(MemoryStore::new()))
            .mailer(mailer())
            .hash_settings(cheap()),
        "accounts",
    );
    refused(
        SignIn::builder("npm", keys())
            .store(Arc::new(MemoryStore::new()))
            .accounts(accounts())
            .hash_settings(cheap()),
        "mailer",
    );
    // Stores one by one: each required one is named when missing.
    let store = Arc::new(MemoryStore::new());
    refused(
        SignIn::builder("npm", keys())
            .credential_store(store.clone())
            .accounts(accounts())
            .mailer(mailer()),
        "OTP store",
    );
    refused(
        SignIn::builder("npm", keys())
            .credential_store(store.clone())
            .otp_store(store.clone())
            .accounts(accounts())
            .mailer(mailer()),
        "challenge store",
    );
    refused(
        SignIn::builder("npm", keys())
            .credential_store(store.clone())
            .otp_store(store.clone())
            .challenge_store(store.clone())
            .accounts(accounts())
            .mailer(mailer()),
        "throttle store",
    );
    refused(
        SignIn::builder("npm", keys())
            .credential_store(store.clone())
            .otp_store(store.clone())
            .challenge_store(store.clone())
            .throttle_store(store.clone())
            .accounts(accounts())
            .mailer(mailer()),
        "device store",
    );
    refused(
        SignIn::builder("npm", keys())
            .credential_store(store.clone())
            .otp_store(store.clone())
            .challenge_store(store.clone())
            .throttle_store(store.clone())
            .device_store(store.clone())
            .accounts(accounts())
            .mailer(mailer()),
        "stamp store",
    );
}

#[test]
fn settings_out_of_range_are_refused() {
    refused(
        complete().backoff(AttemptPolicy {
            lock_after: 101,
            ..AttemptPolicy::DEFAULT
        }),
        "REQ-37",
    );
    refused(
        complete().backoff(AttemptPolicy {
            lock_after: 0,
            ..AttemptPolicy::DEFAULT
        }),
        "lock_after",
    );
    refused(complete().challenge_attempts(0), "challenge_attempts");
    refused(complete().challenge_attempts(21), "challenge_attempts");
    refused(complete().challenge_ttl(Duration::ZERO), "challenge_ttl");
    refused(
        complete().challenge_ttl(Duration::minutes(61)),
        "challenge_ttl",
    );
    refused(
        complete().client_budget(0, Duration::minutes(15)),
        "client_budget",
    );
    refused(
        complete().device_token_ttl(Duration::ZERO),
        "device_token_ttl",
    );
    refused(
        complete().device_token_ttl(Duration::days(401)),
        "device_token_ttl",
    );
    refused(
        complete().fresh_window(Duration::seconds(59)),
        "fresh_window",
    );
    refused(complete().fresh_window(Duration::hours(25)), "fresh_window");
    // The bounds themselves are allowed.
    complete()
        .fresh_window(Duration::DAY)
        .build()
        .expect("a day's fresh window is in range");
    complete()
        .challenge_attempts(20)
        .challenge_ttl(Duration::hours(1))
        .backoff(AttemptPolicy {
            lock_after: 100,
            ..AttemptPolicy::DEFAULT
        })
        .device_token_ttl(Duration::days(400))
        .fresh_window(Duration::MINUTE)
        .build()
        .expect("the bounds are in range");
}

#[test]
fn optional_parts_left_out_are_reported_when_used() {
    // No ticket store: recovery is off. No 2FA store: 2FA is off.
    let store = Arc::new(MemoryStore::new());
    let flow = SignIn::builder("npm", keys())
        .credential_store(store.clone())
        .otp_store(store.clone())
        .challenge_store(store.clone())
        .throttle_store(store.clone())
        .device_store(store.clone())
        .stamp_store(store)
        .accounts(Arc::new(InMemoryAccounts::new()))
        .mailer(Arc::new(RecordingMailer::new()))
        .hash_settings(cheap())
        .build()
        .expect("the required parts are there");
    assert!(matches!(flow.recovery(), Err(Error::NotConfigured(_))));
    assert!(matches!(flow.two_factor(), Err(Error::NotConfigured(_))));
    // No encryption key: 2FA is off even with its store.
    let flow = SignIn::builder(
        "npm",
        latchkey::Keys::new(latchkey::core::Pepper::from_bytes(&[9; 32]).unwrap()),
    )
    .store(Arc::new(MemoryStore::new()))
    .accounts(Arc::new(InMemoryAccounts::new()))
    .mailer(Arc::new(RecordingMailer::new()))
    .hash_settings(cheap())
    .build()
    .expect("the required parts are there");
    assert!(matches!(flow.two_factor(), Err(Error::NotConfigured(_))));
    assert!(flow.recovery().is_ok());
}
