use latchkey_core::{MailError, StoreError};

/// What went wrong in latchkey-recovery. Form problems, wrong codes and
/// refused moves are values, not errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store, directory or links source failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A recovery mail was not sent.
    #[error("a recovery mail was not sent")]
    Mail(#[source] MailError),
    /// The contact-address code could not be issued or checked.
    #[error(transparent)]
    Otp(#[from] latchkey_otp::Error),
    /// The OS random generator failed.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
}
