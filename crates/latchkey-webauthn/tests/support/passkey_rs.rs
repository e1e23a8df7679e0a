//! 1Password's passkey-rs as a browser and its platform authenticator
//! (discoverable credentials, a verified user), and the JSON between it
//! and latchkey: shared by latchkey-webauthn's tests and the facade's
//! (`#[path]`-included, so neither crate depends on the other's tests).

#![allow(
    dead_code,
    reason = "each test crate that includes this uses part of it"
)]

use passkey_authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey_client::Client;
use passkey_crypto::AvailableBackend;
use passkey_types::{Passkey, ctap2};

/// A user who is there and verified (a PIN or a fingerprint).
pub struct VerifiedUser;

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

pub type Device = Client<
    passkey_authenticator::MemoryStore,
    VerifiedUser,
    AvailableBackend,
    public_suffix::PublicSuffixList,
    (),
>;

pub fn device() -> Device {
    let mut authenticator = Authenticator::new(
        ctap2::Aaguid::new_empty(),
        passkey_authenticator::MemoryStore::new(),
        VerifiedUser,
        AvailableBackend,
    );
    authenticator.set_make_credentials_with_signature_counter(true);
    Client::new(authenticator)
}

/// passkey-rs's answer as a browser's `PublicKeyCredential.toJSON()`
/// gives it: every byte string (serialized by passkey-types as an array
/// of numbers) as base64url.
pub fn browser_json(theirs: &impl serde::Serialize) -> String {
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
pub fn to_theirs<T: serde::de::DeserializeOwned>(ours: &impl serde::Serialize) -> T {
    let json = serde_json::to_string(ours).expect("our options serialize");
    serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("passkey-rs reads our options: {e}\n{json}"))
}

/// A device that keeps one discoverable credential (passkey-rs's
/// `Option<Passkey>` store finds it with no credential named), as a
/// platform passkey does.
pub type DiscoverableDevice =
    Client<Option<Passkey>, VerifiedUser, AvailableBackend, public_suffix::PublicSuffixList, ()>;

/// A fresh [`DiscoverableDevice`].
pub fn discoverable_device() -> DiscoverableDevice {
    let mut authenticator = Authenticator::new(
        ctap2::Aaguid::new_empty(),
        None,
        VerifiedUser,
        AvailableBackend,
    );
    authenticator.set_make_credentials_with_signature_counter(true);
    Client::new(authenticator)
}
