//! The facade's one error: which part failed.

use latchkey_core::executor::ExecutorError;
use latchkey_core::{AccountId, MailError, StoreError};

/// What went wrong in the sign-in flow. User outcomes (wrong code,
/// expired, throttled, denied) are values of the flow's answers, never
/// errors; these are failures of the backends or of the host's setup.
/// Each variant keeps its cause as the [`source`](std::error::Error::source).
///
/// ```
/// use latchkey::Error;
/// let e = Error::from(latchkey::core::StoreError::corrupt("challenge row"));
/// assert!(matches!(e, Error::Store(_)));
/// assert_eq!(e.to_string(), "a store failed");
/// assert!(std::error::Error::source(&e).is_some());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A store failed (the backend is down, a record is corrupt).
    #[error("a store failed")]
    Store(#[source] StoreError),
    /// A mail could not be sent (any code it carried was withdrawn).
    #[error("a mail was not sent")]
    Mail(#[source] MailError),
    /// Password hashing or a stored password hash failed.
    #[error("password hashing failed")]
    Hashing(#[source] latchkey_credentials::Error),
    /// A stored 2FA secret could not be decrypted (a missing or wrong
    /// encryption key, or altered data).
    #[error("a stored 2FA secret could not be decrypted")]
    Decryption(#[source] latchkey_twofactor::Error),
    /// A one-time-password parameter was invalid.
    #[error("a one-time-password parameter was invalid")]
    Otp(#[source] latchkey_otp::Error),
    /// A recovery step failed in a way none of the other variants names.
    #[error("a recovery step failed")]
    Recovery(#[source] latchkey_recovery::Error),
    /// A security key step failed: webauthn-rs refused to start a
    /// ceremony, or stored key data does not read back.
    #[error("a security key step failed")]
    SecurityKey(#[source] latchkey_webauthn::Error),
    /// The operating system's random generator failed.
    #[error("the random generator failed")]
    Randomness(#[source] latchkey_core::Error),
    /// The blocking executor did not run a job to completion.
    #[error("the blocking executor failed")]
    Executor(#[source] ExecutorError),
    /// A setting is out of range, or a required part is missing
    /// (checked by [`SignInBuilder::build`](crate::SignInBuilder::build)).
    #[error("invalid settings: {0}")]
    InvalidSettings(&'static str),
    /// A feature was used that the flow was built without (2FA without an
    /// encryption key, recovery without a ticket store).
    #[error("not configured: {0}")]
    NotConfigured(&'static str),
    /// The host's accounts have no address for an account that has a
    /// credential.
    #[error("no address of record for account {0}")]
    NoAddress(AccountId),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<ExecutorError> for Error {
    fn from(e: ExecutorError) -> Self {
        Self::Executor(e)
    }
}

impl From<latchkey_core::Error> for Error {
    fn from(e: latchkey_core::Error) -> Self {
        Self::Randomness(e)
    }
}

impl From<latchkey_credentials::Error> for Error {
    fn from(e: latchkey_credentials::Error) -> Self {
        use latchkey_credentials::Error as E;
        match e {
            E::Store(e) => Self::Store(e),
            E::Executor(e) => Self::Executor(e),
            E::Core(e) => Self::Randomness(e),
            other => Self::Hashing(other),
        }
    }
}

impl From<latchkey_otp::Error> for Error {
    fn from(e: latchkey_otp::Error) -> Self {
        use latchkey_otp::Error as E;
        match e {
            E::Store(e) => Self::Store(e),
            E::Mail(e) => Self::Mail(e),
            E::Core(e) => Self::Randomness(e),
            other => Self::Otp(other),
        }
    }
}

impl From<latchkey_twofactor::Error> for Error {
    fn from(e: latchkey_twofactor::Error) -> Self {
        use latchkey_twofactor::Error as E;
        match e {
            E::Store(e) => Self::Store(e),
            E::Mail(e) => Self::Mail(e),
            E::Core(e) => Self::Randomness(e),
            E::Otp(e) => Self::Otp(e),
            E::InvalidSettings(what) => Self::InvalidSettings(what),
            other => Self::Decryption(other),
        }
    }
}

impl From<latchkey_recovery::Error> for Error {
    fn from(e: latchkey_recovery::Error) -> Self {
        use latchkey_recovery::Error as E;
        match e {
            E::Store(e) => Self::Store(e),
            E::Mail(e) => Self::Mail(e),
            E::Otp(e) => e.into(),
            E::Core(e) => Self::Randomness(e),
            other => Self::Recovery(other),
        }
    }
}

impl From<latchkey_webauthn::Error> for Error {
    fn from(e: latchkey_webauthn::Error) -> Self {
        use latchkey_webauthn::Error as E;
        match e {
            E::Store(e) => Self::Store(e),
            E::Randomness(e) => Self::Randomness(e),
            other => Self::SecurityKey(other),
        }
    }
}
