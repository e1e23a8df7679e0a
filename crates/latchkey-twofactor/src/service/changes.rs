//! Changes that need a fresh second factor and mail a notice (REQ-28),
//! and the administrator's unlock.

use latchkey_core::{AccountId, EmailAddress};

use super::{ChangeOutcome, FactorOutcome, SecondFactor, TwoFactor};
use crate::{Error, FactorChange, Mode, Notice, RecoveryCodes};

impl TwoFactor {
    /// Changes the mode, after a fresh second factor (REQ-28).
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn set_mode(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        mode: Mode,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<()>, Error> {
        if mode == Mode::Off {
            return self.disable(account, address, proof).await;
        }
        let outcome = self.verify(account, address, proof).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        if !self.store.set_mode(account, mode).await? {
            return Ok(ChangeOutcome::Refused(FactorOutcome::NotEnrolled));
        }
        self.notify(address, Notice::ModeChanged { mode }).await;
        Ok(ChangeOutcome::Done(()))
    }

    /// Replaces the recovery codes, after a fresh second factor; the old
    /// set stops working (REQ-28, REQ-30).
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn regenerate_recovery_codes(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<RecoveryCodes>, Error> {
        let outcome = self.verify(account, address, proof).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        let codes = RecoveryCodes::generate()?;
        self.store
            .replace_recovery_codes(account, self.recovery_digests(account, &codes))
            .await?;
        self.changed(account, FactorChange::RecoveryCodesReplaced)
            .await?;
        self.notify(address, Notice::RecoveryCodesRegenerated).await;
        Ok(ChangeOutcome::Done(codes))
    }

    /// Clears the account's count of code attempts, lifting its wait or
    /// lock (an administrator's decision, after checking with the owner).
    ///
    /// # Errors
    /// A store failure.
    pub async fn unlock(&self, account: &AccountId) -> Result<(), Error> {
        self.clear_attempts(account).await
    }

    /// Turns 2FA off, after a fresh second factor (REQ-28).
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn disable(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<()>, Error> {
        let outcome = self.verify(account, address, proof).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        self.store.disable(account).await?;
        self.changed(account, FactorChange::Disabled).await?;
        self.notify(address, Notice::Disabled).await;
        Ok(ChangeOutcome::Done(()))
    }
}
