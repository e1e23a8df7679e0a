//! The host's hook that carries out a completed ticket's [`Instruction`]
//! inside [`Recovery::complete`], so no caller can forget it (REQ-36).

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};

use super::Instruction;
#[cfg(doc)]
use super::Recovery;

/// Carries out what a completed ticket asks for.
///
/// [`Recovery::complete`] calls [`CompletionHook::completed`] exactly once
/// per ticket, after the ticket moved to completed and before the
/// "address changed" mails go out and `complete` returns. For an email
/// reset the host changes the address, voids the account's outstanding
/// codes, rotates its security stamp and forgets its remembered devices
/// (REQ-36). Install one with [`Recovery::with_completion`].
///
/// A failure is returned by `complete` as
/// [`Error::Completion`](crate::Error::Completion), with the instruction
/// to retry from: the ticket stays completed (the move is not undone and
/// `complete` will not run the hook again for it), and the mails saying
/// the address changed are not sent.
///
/// ```
/// use async_trait::async_trait;
/// use latchkey_core::{AccountId, StoreError};
/// use latchkey_recovery::{CompletionHook, Instruction};
///
/// #[derive(Debug)]
/// struct Apply;
///
/// #[async_trait]
/// impl CompletionHook for Apply {
///     async fn completed(
///         &self,
///         account: Option<&AccountId>,
///         instruction: &Instruction,
///     ) -> Result<(), StoreError> {
///         if let (Some(_account), Instruction::ResetEmail { .. }) = (account, instruction) {
///             // set the address, void codes, rotate the stamp, forget devices
///         }
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait CompletionHook: fmt::Debug + Send + Sync + 'static {
    /// Carries out `instruction` for `account` (the ticket's account;
    /// `None` when its login belongs to no account, which only an "Other"
    /// ticket can complete with).
    async fn completed(
        &self,
        account: Option<&AccountId>,
        instruction: &Instruction,
    ) -> Result<(), StoreError>;
}
