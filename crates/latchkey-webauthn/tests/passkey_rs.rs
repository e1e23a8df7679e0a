//! End to end against a second, independent implementation: 1Password's
//! passkey-rs (`passkey-authenticator` with `passkey-client`, the
//! RustCrypto backend). The options and answers cross as JSON, the way a
//! browser's `navigator.credentials` calls see them.

use std::sync::Arc;

use latchkey_core::{AccountId, ManualClock, Pepper};
use latchkey_store_memory::MemoryStore;
use latchkey_webauthn::{
    Asserted, CeremonyPurpose, Refusal, Registered, RegistrationBegin, RelyingParty, SecurityKeys,
    parse_assertion, parse_registration,
};
use passkey_client::{Client, DefaultClientData};
use passkey_crypto::AvailableBackend;
use passkey_types::webauthn;
use public_suffix::PublicSuffixList;
use support::passkey_rs::{
    Device, DiscoverableDevice, VerifiedUser, browser_json, device, discoverable_device, to_theirs,
};
use time::OffsetDateTime;
use url::Url;

mod support {
    pub mod passkey_rs;
}

const ORIGIN: &str = "https://example.com";

fn service() -> (SecurityKeys, AccountId) {
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time"),
    ));
    let rp = RelyingParty::new("example.com", ORIGIN, "Example").expect("rp");
    let pepper = Pepper::from_bytes(&[3; 32]).expect("pepper");
    let keys = SecurityKeys::new(rp, Arc::new(MemoryStore::new()), clock, &pepper);
    (keys, AccountId::new("jane").expect("id"))
}

async fn register<S>(
    keys: &SecurityKeys,
    jane: &AccountId,
    device: &mut Client<S, VerifiedUser, AvailableBackend, PublicSuffixList, ()>,
) -> Registered
where
    S: passkey_authenticator::CredentialStore<PasskeyItem = passkey_types::Passkey> + Sync + Send,
{
    let RegistrationBegin::Started(started) = keys
        .begin_registration(jane, "jane", "passkey-rs")
        .await
        .expect("begin")
    else {
        panic!("may add a key");
    };
    let options: webauthn::CredentialCreationOptions = to_theirs(&started.options);
    let origin = Url::parse(ORIGIN).expect("origin");
    let created = device
        .register(&origin, options, DefaultClientData)
        .await
        .expect("passkey-rs registers");
    let json = browser_json(&created);
    let answer = parse_registration(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    keys.finish_registration(&started.ceremony, jane, &answer)
        .await
        .expect("finish")
}

async fn assertion_json(
    keys: &SecurityKeys,
    jane: &AccountId,
    device: &mut Device,
    purpose: CeremonyPurpose,
) -> (latchkey_webauthn::CeremonyId, String) {
    let started = keys
        .begin_assertion(jane, purpose)
        .await
        .expect("begin")
        .expect("jane has a key");
    let options: webauthn::CredentialRequestOptions = to_theirs(&started.options);
    let origin = Url::parse(ORIGIN).expect("origin");
    let signed = device
        .authenticate(&origin, options, DefaultClientData)
        .await
        .expect("passkey-rs signs");
    (started.ceremony, browser_json(&signed))
}

#[tokio::test]
async fn passkey_rs_registers_signs_in_and_approves_one_write() {
    let (keys, jane) = service();
    let mut device = device();
    let Registered::Added(key) = register(&keys, &jane, &mut device).await else {
        panic!("passkey-rs's credential registers");
    };
    for purpose in [
        CeremonyPurpose::SecondFactor,
        CeremonyPurpose::StepUp { operation: [9; 32] },
    ] {
        let (ceremony, json) = assertion_json(&keys, &jane, &mut device, purpose.clone()).await;
        let answer = parse_assertion(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        let outcome = keys
            .finish_assertion(&ceremony, &jane, &purpose, &answer)
            .await
            .expect("finish");
        assert!(
            matches!(&outcome, Asserted::Verified { credential_id, user_verified: true, .. } if *credential_id == key.credential_id),
            "{purpose:?}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_replayed_passkey_rs_assertion_is_refused() {
    let (keys, jane) = service();
    let mut device = device();
    assert!(matches!(
        register(&keys, &jane, &mut device).await,
        Registered::Added(_)
    ));
    let purpose = CeremonyPurpose::SecondFactor;
    let (ceremony, json) = assertion_json(&keys, &jane, &mut device, purpose.clone()).await;
    let answer = parse_assertion(&json).expect("parses");
    assert!(matches!(
        keys.finish_assertion(&ceremony, &jane, &purpose, &answer)
            .await
            .expect("finish"),
        Asserted::Verified { .. }
    ));
    let fresh = keys
        .begin_assertion(&jane, purpose.clone())
        .await
        .expect("begin")
        .expect("a key");
    assert_eq!(
        keys.finish_assertion(&fresh.ceremony, &jane, &purpose, &answer)
            .await
            .expect("finish"),
        Asserted::Refused(Refusal::WrongChallenge)
    );
}

/// The relying party with discoverable credentials, and jane's passkey
/// registered on `device`.
async fn passwordless_service(device: &mut DiscoverableDevice) -> (SecurityKeys, AccountId) {
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time"),
    ));
    let rp = RelyingParty::new("example.com", ORIGIN, "Example")
        .expect("rp")
        .with_discoverable_credentials();
    let pepper = Pepper::from_bytes(&[3; 32]).expect("pepper");
    let keys = SecurityKeys::new(rp, Arc::new(MemoryStore::new()), clock, &pepper);
    let jane = AccountId::new("jane").expect("id");
    assert!(matches!(
        register(&keys, &jane, device).await,
        Registered::Added(_)
    ));
    (keys, jane)
}

/// A passwordless ceremony answered by `device`: the ceremony and the
/// browser's JSON.
async fn passwordless_json(
    keys: &SecurityKeys,
    device: &mut DiscoverableDevice,
) -> (latchkey_webauthn::CeremonyId, String) {
    let started = keys.begin_passwordless().await.expect("begin");
    let mut options = serde_json::to_value(&started.options).expect("json");
    assert_eq!(
        options["mediation"], "conditional",
        "for the username field"
    );
    assert!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "no credential is named: the browser picks one"
    );
    // A button's modal dialog, as passkey-rs's client plays it.
    options.as_object_mut().expect("object").remove("mediation");
    let options: webauthn::CredentialRequestOptions = to_theirs(&options);
    let signed = device
        .authenticate(
            &Url::parse(ORIGIN).expect("origin"),
            options,
            DefaultClientData,
        )
        .await
        .expect("passkey-rs signs with its discoverable credential");
    (started.ceremony, browser_json(&signed))
}

#[tokio::test]
async fn a_discoverable_passkey_names_its_account_and_signs_in_once() {
    let mut device = discoverable_device();
    let (keys, jane) = passwordless_service(&mut device).await;
    let (ceremony, json) = passwordless_json(&keys, &mut device).await;
    let answer = parse_assertion(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let key = keys
        .identify(&answer)
        .await
        .expect("identify")
        .expect("the answer names jane's key");
    assert_eq!(key.account, jane);
    assert!(matches!(
        keys.finish_passwordless(&ceremony, &key, &answer)
            .await
            .expect("finish"),
        Asserted::Verified {
            user_verified: true,
            ..
        }
    ));
    // Replayed: its ceremony is used up, and a new one signs another
    // challenge.
    assert_eq!(
        keys.finish_passwordless(&ceremony, &key, &answer)
            .await
            .expect("finish"),
        Asserted::Expired
    );
    let fresh = keys.begin_passwordless().await.expect("begin");
    assert_eq!(
        keys.finish_passwordless(&fresh.ceremony, &key, &answer)
            .await
            .expect("finish"),
        Asserted::Refused(Refusal::WrongChallenge)
    );
    // A second-factor ceremony is not a passwordless one.
    let second = keys
        .begin_assertion(&jane, CeremonyPurpose::SecondFactor)
        .await
        .expect("begin")
        .expect("a key");
    let (_, json) = passwordless_json(&keys, &mut device).await;
    let other = parse_assertion(&json).expect("parses");
    assert_eq!(
        keys.finish_passwordless(&second.ceremony, &key, &other)
            .await
            .expect("finish"),
        Asserted::Expired
    );
}

#[tokio::test]
async fn a_passkey_this_service_does_not_know_names_nobody() {
    let mut theirs = discoverable_device();
    let (elsewhere, _) = passwordless_service(&mut theirs).await;
    let (_, json) = passwordless_json(&elsewhere, &mut theirs).await;
    let answer = parse_assertion(&json).expect("parses");
    let mut ours = discoverable_device();
    let (keys, _) = passwordless_service(&mut ours).await;
    assert_eq!(
        keys.identify(&answer).await.expect("identify"),
        None,
        "a credential registered with another service (or removed) is nobody's here"
    );
}
