//! The facade's error: a failure of a part, or of the host's setup.

use crate::executor::ExecutorError;

/// What went wrong in the sign-in flow. User outcomes (wrong code,
/// expired, throttled, denied) are values of the flow's answers, never
/// errors; these are failures of the backends or of the host's setup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A store failed.
    #[error(transparent)]
    Store(#[from] latchkey_core::StoreError),
    /// Randomness or an id failed.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
    /// Password hashing failed.
    #[error(transparent)]
    Credentials(#[from] latchkey_credentials::Error),
    /// Mailed codes failed (the mail included).
    #[error(transparent)]
    Otp(#[from] latchkey_otp::Error),
    /// 2FA failed.
    #[error(transparent)]
    TwoFactor(#[from] latchkey_twofactor::Error),
    /// Recovery failed.
    #[error(transparent)]
    Recovery(#[from] latchkey_recovery::Error),
    /// The blocking executor failed.
    #[error(transparent)]
    Executor(#[from] ExecutorError),
    /// The host's account book has no address for an account that has a
    /// credential.
    #[error("no address of record for account {0}")]
    NoAddress(latchkey_core::AccountId),
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    InvalidSetting(&'static str),
}
