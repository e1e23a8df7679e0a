//! What can fail that is not the user's doing.

use latchkey_core::StoreError;
use webauthn_rs::prelude::WebauthnError;

/// A failure of the service, its store or its settings. A wrong,
/// replayed or cloned answer is not an error: it is an outcome.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed.
    #[error("security key store: {0}")]
    Store(#[from] StoreError),
    /// The OS random generator failed.
    #[error("randomness: {0}")]
    Randomness(#[from] latchkey_core::Error),
    /// The relying party's id, origin or a setting is not usable.
    #[error("WebAuthn settings: {0}")]
    Settings(&'static str),
    /// webauthn-rs refused to start a ceremony (its settings or a stored
    /// key it cannot read).
    #[error("WebAuthn: {0}")]
    Webauthn(#[source] WebauthnError),
    /// A stored ceremony or key does not read back.
    #[error("stored WebAuthn data does not read back: {0}")]
    Corrupt(#[source] serde_json::Error),
}
