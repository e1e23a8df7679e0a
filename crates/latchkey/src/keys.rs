//! The host's keys.

use latchkey_core::{EncryptionKey, KeyId, Pepper};
use latchkey_twofactor::SecretSealer;

use crate::Error;

/// The host's keys: they come from the host's configuration or secret
/// manager, never from the database (REQ-41).
///
/// - The pepper (required) keys the digests of mailed codes, recovery
///   codes, device tokens and throttle keys.
/// - An encryption key (needed only for 2FA) seals authenticator secrets
///   at rest; [`with_sealer`](Self::with_sealer) takes several, for
///   rotation.
///
/// ```
/// use latchkey::Keys;
/// use latchkey::core::{EncryptionKey, KeyId, Pepper};
/// let keys = Keys::new(Pepper::from_bytes(&[7; 32])?)
///     .with_encryption_key(EncryptionKey::new(KeyId::new("2026-12")?, [9; 32]));
/// assert!(format!("{keys:?}").contains("<redacted>"));
/// # Ok::<(), latchkey::core::Error>(())
/// ```
#[derive(Debug)]
pub struct Keys {
    pub(crate) pepper: Pepper,
    pub(crate) sealer: Option<SecretSealer>,
}

impl Keys {
    /// The pepper alone: enough for passwords, mailed codes and recovery
    /// tickets.
    #[must_use]
    pub fn new(pepper: Pepper) -> Self {
        Self {
            pepper,
            sealer: None,
        }
    }

    /// Fresh random keys, lost when the process ends: for tests, demos and
    /// [`SignIn::in_memory`](crate::SignIn::in_memory) only (codes, device
    /// tokens and 2FA secrets made under them stop working at restart).
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn ephemeral() -> Result<Self, Error> {
        Ok(Self::new(Pepper::generate()?)
            .with_encryption_key(EncryptionKey::generate(KeyId::new("ephemeral")?)?))
    }

    /// Adds the key that encrypts 2FA secrets at rest (REQ-25).
    #[must_use]
    pub fn with_encryption_key(self, key: EncryptionKey) -> Self {
        self.with_sealer(SecretSealer::new(key))
    }

    /// Adds a sealer holding the current encryption key and earlier ones
    /// still in use (key rotation).
    #[must_use]
    pub fn with_sealer(mut self, sealer: SecretSealer) -> Self {
        self.sealer = Some(sealer);
        self
    }
}
