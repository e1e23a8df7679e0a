use latchkey_core::{MailError, StoreError};

use crate::Instruction;

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
    /// The ticket completed, but the host's
    /// [`CompletionHook`](crate::CompletionHook) failed to carry out its
    /// instruction. The ticket stays completed: carry out `instruction`
    /// from here.
    #[error("the ticket completed, but carrying out its instruction failed")]
    Completion {
        /// What the host must still do.
        instruction: Box<Instruction>,
        /// The hook's failure.
        #[source]
        source: StoreError,
    },
    /// The OS random generator failed.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
}
