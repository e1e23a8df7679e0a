//! A real authenticator app, played by `oathtool` and by pyotp: it reads
//! the `otpauth://` URI latchkey hands out, computes codes from it, and
//! latchkey enrols, signs in and refuses the same code twice (REQ-23).
//!
//! Missing peers print `SKIPPED: …` (and fail under
//! `LATCHKEY_REQUIRE_PEERS=1`, as in CI).

use std::sync::Arc;

use latchkey_core::{
    AccountId, Clock, EmailAddress, EncryptionKey, KeyId, ManualClock, Pepper, RecordingMailer,
};
use latchkey_store_memory::MemoryStore;
use latchkey_testkit::peers::{self, OATHTOOL, PYOTP};
use latchkey_twofactor::{
    ConfirmOutcome, FactorOutcome, SecondFactor, SecretSealer, TwoFactor, TwoFactorSettings,
};
use time::{Duration, OffsetDateTime};

fn service(clock: Arc<ManualClock>) -> TwoFactor {
    // One memory store holds the 2FA state and counts the attempts.
    let store = Arc::new(MemoryStore::new());
    TwoFactor::new(
        store.clone(),
        store,
        Arc::new(RecordingMailer::new()),
        clock,
        SecretSealer::new(EncryptionKey::generate(KeyId::new("k1").unwrap()).unwrap()),
        &Pepper::generate().unwrap(),
        TwoFactorSettings::new("npm"),
    )
}

/// The `secret` parameter of an `otpauth://` URI, read as an app reads it.
fn secret_of(uri: &str) -> String {
    let query = uri.split_once('?').expect("a query").1;
    let pair = query
        .split('&')
        .find(|p| p.starts_with("secret="))
        .expect("a secret");
    pair["secret=".len()..].to_owned()
}

/// Enrols with codes from `app(uri, unix_time)`, signs in at the next
/// step, and replays that code.
async fn enrol_sign_in_and_replay(app: impl Fn(&str, i64) -> String) {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let tf = service(clock.clone());
    let (jane, address) = (
        AccountId::new("jane").unwrap(),
        EmailAddress::parse("jane@example.com").unwrap(),
    );
    let uri = tf
        .begin_enrolment(&jane, "jane@example.com")
        .await
        .unwrap()
        .uri
        .to_string();

    let first = app(&uri, clock.now().unix_timestamp());
    let confirmed = tf.confirm_enrolment(&jane, &address, &first).await.unwrap();
    assert!(
        matches!(confirmed, ConfirmOutcome::Enabled { .. }),
        "{confirmed:?} for {first}"
    );

    clock.advance(Duration::seconds(30));
    let code = app(&uri, clock.now().unix_timestamp());
    assert!(
        tf.verify(&jane, &address, SecondFactor::Totp(&code))
            .await
            .unwrap()
            .is_accepted()
    );
    assert_eq!(
        tf.verify(&jane, &address, SecondFactor::Totp(&code))
            .await
            .unwrap(),
        FactorOutcome::Replayed,
        "the same code a second time fails"
    );
}

#[tokio::test]
async fn req_23_oathtool_as_the_authenticator_enrols_signs_in_and_cannot_replay() {
    if !OATHTOOL.available() {
        return;
    }
    enrol_sign_in_and_replay(|uri, time| {
        let lines = peers::oathtool(
            &[
                "--totp=SHA1",
                "-b",
                "-d",
                "6",
                "-s",
                "30s",
                "-N",
                &format!("@{time}"),
            ],
            &secret_of(uri),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        lines.concat()
    })
    .await;
}

#[tokio::test]
async fn req_23_pyotp_as_the_authenticator_enrols_signs_in_and_cannot_replay() {
    if !PYOTP.available() {
        return;
    }
    enrol_sign_in_and_replay(|uri, time| {
        // pyotp parses the whole URI, as an app does; the URI goes on stdin.
        let script =
            "import sys, pyotp; print(pyotp.parse_uri(sys.stdin.read()).at(int(sys.argv[1])))";
        let lines = peers::run(
            &peers::python(),
            &["-c", script, &time.to_string()],
            uri.as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        lines.concat()
    })
    .await;
}
