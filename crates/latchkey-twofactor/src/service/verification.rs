//! Verification of a second factor: a TOTP code at most once (REQ-23), or
//! a recovery code once (REQ-30), each attempt counted first (REQ-24).

use latchkey_core::{AccountId, EmailAddress};
use latchkey_otp::{OtpSecret, Totp, TotpMatch};
use time::Duration;

use super::{FactorOutcome, SecondFactor, TwoFactor, authenticator_context};
use crate::{Authenticator, Error, Mode, Notice, normalize_recovery_code};

impl TwoFactor {
    /// Checks a second factor and uses it up. A recovery code's use and a
    /// refused replay mail a notice to `address`.
    ///
    /// # Errors
    /// Store or decryption failures (a wrong or missing key included).
    pub async fn verify(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        factor: SecondFactor<'_>,
    ) -> Result<FactorOutcome, Error> {
        let state = self.store.load(account).await?;
        // 2FA may be on with security keys only: then recovery codes work
        // and a TOTP code cannot (there is no app).
        let app = match (state.mode, state.authenticator, factor) {
            (Mode::Off, _, _) | (_, None, SecondFactor::Totp(_)) => {
                return Ok(FactorOutcome::NotEnrolled);
            }
            (_, authenticator, _) => authenticator,
        };
        if let Some(refused) = self.reserve_attempt(account).await? {
            return Ok(refused);
        }
        let outcome = match (factor, app) {
            (SecondFactor::Totp(code), Some(app)) => self.verify_totp(account, &app, code).await?,
            (SecondFactor::RecoveryCode(code), _) => self.use_recovery_code(account, code).await?,
            (SecondFactor::Totp(_), None) => FactorOutcome::NotEnrolled,
        };
        if outcome.is_accepted() {
            self.clear_attempts(account).await?;
        }
        match outcome {
            FactorOutcome::Replayed => {
                // At most one replay notice an hour: a double-clicked form
                // or a replaying attacker must not flood the inbox.
                let now = self.clock.now();
                if self
                    .store
                    .claim_replay_notice(account, now, Duration::HOUR)
                    .await?
                {
                    self.notify(address, Notice::ReplayRefused).await;
                }
            }
            FactorOutcome::Accepted {
                recovery_codes_left: Some(remaining),
            } => {
                self.notify(address, Notice::RecoveryCodeUsed { remaining })
                    .await
            }
            _ => {}
        }
        Ok(outcome)
    }

    async fn verify_totp(
        &self,
        account: &AccountId,
        authenticator: &Authenticator,
        code: &str,
    ) -> Result<FactorOutcome, Error> {
        let secret = self.sealer.open(
            &authenticator.sealed,
            &authenticator_context(account, authenticator),
        )?;
        let totp = Totp::new(
            &secret,
            authenticator.algorithm,
            authenticator.digits,
            authenticator.period,
        )?;
        let now_step = totp.step_at(self.clock.now())?;
        let drift = if self.settings.drift {
            authenticator
                .drift
                .clamp(-self.settings.max_drift, self.settings.max_drift)
        } else {
            0
        };
        // The window around the server's step always counts, so a device
        // whose clock was corrected is never locked out by a learnt drift;
        // with drift learning, the window around the device's step counts
        // too. Both are computed, whatever the input.
        let w = self.settings.window;
        let around_now = totp.verify_around(code, now_step, w, None);
        let device_step = now_step.saturating_add_signed(i64::from(drift));
        let around_device = totp.verify_around(code, device_step, w, None);
        let step = match (around_now, around_device) {
            (TotpMatch::Matched { step }, _)
            | (TotpMatch::NoMatch, TotpMatch::Matched { step }) => step,
            (TotpMatch::NoMatch, TotpMatch::NoMatch) => return Ok(FactorOutcome::Rejected),
        };
        if step <= authenticator.last_used_step {
            return Ok(FactorOutcome::Replayed);
        }
        let observed =
            i64::try_from(step).unwrap_or(i64::MAX) - i64::try_from(now_step).unwrap_or(i64::MAX);
        let new_drift = if self.settings.drift {
            i32::try_from(observed)
                .unwrap_or(0)
                .clamp(-self.settings.max_drift, self.settings.max_drift)
        } else {
            0
        };
        Ok(
            if self
                .store
                .advance_step(account, &authenticator.id, step, new_drift)
                .await?
            {
                self.reseal_if_rotated(account, authenticator, &secret)
                    .await?;
                FactorOutcome::Accepted {
                    recovery_codes_left: None,
                }
            } else {
                // Another request used this step first.
                FactorOutcome::Replayed
            },
        )
    }

    /// Key rotation: a secret still sealed under an old key is sealed
    /// again under the current one (compare-and-set on the key id), so old
    /// keys can be retired once every active user has signed in.
    async fn reseal_if_rotated(
        &self,
        account: &AccountId,
        authenticator: &Authenticator,
        secret: &OtpSecret,
    ) -> Result<(), Error> {
        if authenticator.sealed.key_id == *self.sealer.current_key_id() {
            return Ok(());
        }
        let fresh = self
            .sealer
            .seal(secret, &authenticator_context(account, authenticator))?;
        self.store
            .reseal(
                account,
                &authenticator.id,
                &authenticator.sealed.key_id,
                fresh,
            )
            .await?;
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        account: &AccountId,
        code: &str,
    ) -> Result<FactorOutcome, Error> {
        let Some(normalized) = normalize_recovery_code(code) else {
            return Ok(FactorOutcome::Rejected);
        };
        let digest = self
            .recovery
            .mac(&[account.as_str().as_bytes(), &normalized]);
        Ok(
            match self.store.use_recovery_code(account, &digest).await? {
                Some(left) => FactorOutcome::Accepted {
                    recovery_codes_left: Some(left),
                },
                None => FactorOutcome::Rejected,
            },
        )
    }
}
