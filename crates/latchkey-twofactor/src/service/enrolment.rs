//! Enrolment: a fresh secret pending until a first code confirms it.

use latchkey_core::{AccountId, EmailAddress, random};
use latchkey_otp::{Algorithm, KeyUri, OtpSecret, Totp, TotpMatch};

use super::{ConfirmOutcome, Enrolment, FactorOutcome, TwoFactor, context};
use crate::{Error, FactorChange, Mode, Notice, PendingEnrolment, RecoveryCodes};

impl TwoFactor {
    /// Starts enrolling an authenticator app: a fresh secret (SHA-1, 6
    /// digits, 30 s, which every app supports), stored encrypted and
    /// pending. `label` is the account name the app shows.
    ///
    /// # Errors
    /// Store, randomness or encryption failures.
    pub async fn begin_enrolment(
        &self,
        account: &AccountId,
        label: &str,
    ) -> Result<Enrolment, Error> {
        let secret = OtpSecret::generate(Algorithm::Sha1)?;
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let expires_at = self.clock.now() + self.settings.pending_ttl;
        let pending = PendingEnrolment {
            id,
            sealed: self.sealer.seal(
                &secret,
                &context(account, &id, Algorithm::Sha1, 6, Totp::DEFAULT_PERIOD),
            )?,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: Totp::DEFAULT_PERIOD,
            expires_at,
        };
        self.store.put_pending(account, pending).await?;
        Ok(Enrolment {
            uri: KeyUri::new(self.settings.issuer.clone(), label, secret),
            expires_at,
        })
    }

    /// Activates the pending authenticator if `code` is valid for it now;
    /// returns the recovery codes to show once, and mails a notice.
    ///
    /// # Errors
    /// Store, decryption or randomness failures.
    pub async fn confirm_enrolment(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        code: &str,
    ) -> Result<ConfirmOutcome, Error> {
        let now = self.clock.now();
        let state = self.store.load(account).await?;
        // 2FA on already (an app, or security keys): a new app would
        // replace the recovery codes on a factor the user may not hold.
        // Turn 2FA off first (a fresh factor), as npm asks.
        if state.mode != Mode::Off {
            return Ok(ConfirmOutcome::AlreadyEnabled);
        }
        let Some(pending) = state.pending else {
            return Ok(ConfirmOutcome::NoPending);
        };
        if now >= pending.expires_at {
            return Ok(ConfirmOutcome::Expired);
        }
        match self.reserve_attempt(account).await? {
            None => {}
            Some(FactorOutcome::Throttled { retry_at }) => {
                return Ok(ConfirmOutcome::Throttled { retry_at });
            }
            Some(_) => return Ok(ConfirmOutcome::Locked),
        }
        let secret = self.sealer.open(
            &pending.sealed,
            &context(
                account,
                &pending.id,
                pending.algorithm,
                pending.digits,
                pending.period,
            ),
        )?;
        let totp = Totp::new(&secret, pending.algorithm, pending.digits, pending.period)?;
        let TotpMatch::Matched { step } = totp.verify(code, now, self.settings.window)? else {
            return Ok(ConfirmOutcome::WrongCode);
        };
        self.clear_attempts(account).await?;
        let recovery_codes = RecoveryCodes::generate()?;
        let digests = self.recovery_digests(account, &recovery_codes);
        if !self
            .store
            .activate(account, &pending.id, now, step, digests, Mode::AuthOnly)
            .await?
        {
            return Ok(ConfirmOutcome::NoPending);
        }
        self.changed(account, FactorChange::Enabled).await?;
        self.notify(address, Notice::Enabled).await;
        Ok(ConfirmOutcome::Enabled { recovery_codes })
    }
}
