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
use passkey_authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey_client::{Client, DefaultClientData};
use passkey_crypto::AvailableBackend;
use passkey_types::{Passkey, ctap2, webauthn};
use time::OffsetDateTime;
use url::Url;

const ORIGIN: &str = "https://example.com";

/// A user who is there and verified (a PIN or a fingerprint).
struct VerifiedUser;

#[async_trait::async_trait]
impl UserValidationMethod for VerifiedUser {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Self::PasskeyItem>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, ctap2::Ctap2Error> {
        Ok(UserCheck {
            presence,
            verification,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }
}

type Device = Client<
    passkey_authenticator::MemoryStore,
    VerifiedUser,
    AvailableBackend,
    public_suffix::PublicSuffixList,
    (),
>;

fn device() -> Device {
    let mut authenticator = Authenticator::new(
        ctap2::Aaguid::new_empty(),
        passkey_authenticator::MemoryStore::new(),
        VerifiedUser,
        AvailableBackend,
    );
    authenticator.set_make_credentials_with_signature_counter(true);
    Client::new(authenticator)
}

fn service() -> (SecurityKeys, AccountId) {
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time"),
    ));
    let rp = RelyingParty::new("example.com", ORIGIN, "Example").expect("rp");
    let pepper = Pepper::from_bytes(&[3; 32]).expect("pepper");
    let keys = SecurityKeys::new(rp, Arc::new(MemoryStore::new()), clock, &pepper);
    (keys, AccountId::new("jane").expect("id"))
}

/// passkey-rs's answer as a browser's `PublicKeyCredential.toJSON()`
/// gives it: every byte string (serialized by passkey-types as an array
/// of numbers) as base64url.
fn browser_json(theirs: &impl serde::Serialize) -> String {
    fn walk(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Array(items)
                if !items.is_empty()
                    && items.iter().all(|v| v.as_u64().is_some_and(|n| n <= 255)) =>
            {
                let bytes: Vec<u8> = items
                    .iter()
                    .filter_map(Value::as_u64)
                    .filter_map(|n| u8::try_from(n).ok())
                    .collect();
                Value::String(data_encoding::BASE64URL_NOPAD.encode(&bytes))
            }
            Value::Array(items) => Value::Array(items.into_iter().map(walk).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, walk(v))).collect())
            }
            other => other,
        }
    }
    walk(serde_json::to_value(theirs).expect("its answer serializes")).to_string()
}

/// Our options to passkey-rs's types, through JSON.
fn to_theirs<T: serde::de::DeserializeOwned>(ours: &impl serde::Serialize) -> T {
    let json = serde_json::to_string(ours).expect("our options serialize");
    serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("passkey-rs reads our options: {e}\n{json}"))
}

async fn register(keys: &SecurityKeys, jane: &AccountId, device: &mut Device) -> Registered {
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
