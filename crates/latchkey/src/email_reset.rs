//! What the flow does when a recovery ticket completes, and where the
//! recovery service's owner notices run.

use std::sync::Arc;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_otp::OtpStore;
use latchkey_recovery::{CompletionHook, Instruction};

use crate::stamp::CredentialsChanged;
use crate::{Accounts, StampReason};

/// Applies an approved email reset in the mechanism, whoever completes
/// the ticket (REQ-36): the address of record changes, codes outstanding
/// for the account are voided, and the security stamp changes, which ends
/// every session, challenge and remembered device of the account.
#[derive(Debug)]
pub(crate) struct ApplyEmailReset {
    pub(crate) accounts: Arc<dyn Accounts>,
    pub(crate) codes: Arc<dyn OtpStore>,
    pub(crate) changes: CredentialsChanged,
}

#[async_trait]
impl CompletionHook for ApplyEmailReset {
    async fn completed(
        &self,
        _account: Option<&AccountId>,
        instruction: &Instruction,
    ) -> Result<(), StoreError> {
        if let Instruction::ResetEmail {
            account,
            new_address,
            ..
        } = instruction
        {
            // The stamp first: if a later step fails, sessions and devices
            // have ended rather than outliving the reset.
            self.changes.apply(account, StampReason::EmailReset).await?;
            self.accounts.set_address(account, new_address).await?;
            self.codes.void_all(account).await?;
        }
        Ok(())
    }
}

/// Runs the recovery service's owner notices on tokio, off the request
/// path, so a recovery answer takes the same time whether or not the
/// login exists (REQ-31).
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub(crate) struct TokioBackground(pub(crate) tokio::runtime::Handle);

#[cfg(feature = "tokio")]
impl latchkey_recovery::Background for TokioBackground {
    fn spawn(&self, job: latchkey_recovery::BackgroundJob) {
        drop(self.0.spawn(job));
    }
}
