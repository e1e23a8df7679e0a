//! Operation-bound approval: a second factor approves one write, and the
//! approval is redeemed once, right before it.

use std::fmt;

pub use latchkey_core::OperationDigest;
use latchkey_core::{AccountId, EmailAddress, random};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{ChangeOutcome, SecondFactor, TwoFactor};
use crate::Error;

/// Proof that a second factor approved one operation for one account until
/// `expires_at`. Redeem it with [`TwoFactor::redeem_approval`] right
/// before the write: it works once.
#[derive(Clone, PartialEq, Eq)]
pub struct Approval {
    id: [u8; 16],
    account: AccountId,
    operation: OperationDigest,
    expires_at: OffsetDateTime,
    tag: [u8; 32],
}

impl fmt::Debug for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Approval")
            .field("account", &self.account)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Approval {
    /// When it stops being valid.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
}

impl TwoFactor {
    /// Checks a second factor for one write operation and, if accepted,
    /// returns an [`Approval`] bound to that operation's digest. The code
    /// is used up, so it cannot approve another operation.
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn approve_operation(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        factor: SecondFactor<'_>,
        operation: &OperationDigest,
    ) -> Result<ChangeOutcome<Approval>, Error> {
        let outcome = self.verify(account, address, factor).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        Ok(ChangeOutcome::Done(
            self.approval_after_security_key(account, operation)?,
        ))
    }

    /// An [`Approval`] for one write, after the caller verified a factor
    /// this service does not hold: a security key's assertion for a
    /// ceremony bound to this account and `operation` (the `latchkey`
    /// facade calls it once `latchkey-webauthn` has verified one). Never
    /// call it without such a verification: it checks nothing itself.
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn approval_after_security_key(
        &self,
        account: &AccountId,
        operation: &OperationDigest,
    ) -> Result<Approval, Error> {
        let expires_at = self.clock.now() + self.settings.approval_ttl;
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let tag = self.approval_tag(&id, account, operation, expires_at);
        Ok(Approval {
            id,
            account: account.clone(),
            operation: *operation,
            expires_at,
            tag,
        })
    }

    /// Redeems `approval` for `operation` by `account`, right before the
    /// write: `true` only if the tag is ours (constant-time compare), the
    /// operation and account match, it has not expired, and it was never
    /// redeemed before (an atomic store operation), so it authorises one
    /// write.
    ///
    /// # Errors
    /// A store failure.
    pub async fn redeem_approval(
        &self,
        approval: &Approval,
        account: &AccountId,
        operation: &OperationDigest,
    ) -> Result<bool, Error> {
        let expected = self.approval_tag(&approval.id, account, operation, approval.expires_at);
        let genuine =
            bool::from(expected.ct_eq(&approval.tag)) && self.clock.now() < approval.expires_at;
        if !genuine {
            return Ok(false);
        }
        Ok(self
            .store
            .consume_approval(account, &approval.id, approval.expires_at)
            .await?)
    }

    fn approval_tag(
        &self,
        id: &[u8; 16],
        account: &AccountId,
        operation: &OperationDigest,
        expires_at: OffsetDateTime,
    ) -> [u8; 32] {
        let expiry = expires_at.unix_timestamp_nanos().to_be_bytes();
        self.approvals
            .mac(&[id, account.as_str().as_bytes(), operation, &expiry])
    }
}
