use latchkey_core::{MailError, StoreError};

/// What went wrong in latchkey-twofactor. A wrong, replayed or used-up
/// code is not an error: it is a [`FactorOutcome`](crate::FactorOutcome).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A stored secret names an encryption key the host did not supply.
    #[error("no encryption key with id {key_id:?} is configured; supply it to the SecretSealer")]
    UnknownKey {
        /// The key id stored with the ciphertext.
        key_id: String,
    },
    /// A stored secret failed authentication: wrong key material for its
    /// id, or the ciphertext or its context was altered.
    #[error("the stored TOTP secret could not be decrypted (wrong key, or altered data)")]
    Decryption,
    /// The OS random generator failed, or another core error.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
    /// An OTP parameter was invalid.
    #[error(transparent)]
    Otp(#[from] latchkey_otp::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The enrolment mail could not be sent.
    #[error("mail not sent")]
    Mail(#[source] MailError),
    /// Settings that do not make sense.
    #[error("invalid settings: {0}")]
    InvalidSettings(&'static str),
}
