//! Changes to an account's proofs made through the flow: the password,
//! 2FA on and off, and step-up challenges for writes.

use latchkey_challenge::ChallengeKind;
use latchkey_core::{AccountId, OperationDigest, SecretString};
use latchkey_credentials::ChangeOutcome as PasswordChange;
use latchkey_throttle::DeviceLane;
use latchkey_twofactor::{Action, ChangeOutcome, ConfirmOutcome, SecondFactor};

use crate::{Error, PasswordChanged, SecurityEvent, SignIn, StepUp, TwoFactorChange};

impl SignIn {
    /// Changes a password: needs the current one (REQ-06), which counts
    /// against the account's password backoff exactly like a sign-in
    /// (REQ-37), so a stolen session cannot guess it without limit. The
    /// new one goes through the password policy. Hashing runs on the
    /// blocking executor.
    ///
    /// # Errors
    /// Store, hashing or executor failures.
    pub async fn change_password(
        &self,
        login: &str,
        current: &SecretString,
        new: &SecretString,
    ) -> Result<PasswordChanged, Error> {
        let now = self.clock.now();
        let known = self.checker.find(login).await?.map(|c| c.account);
        let key = self.password_key(login, known.as_ref(), DeviceLane::Any);
        let attempts = match self.reserve(&key, now, known.as_ref()).await? {
            Ok(attempts) => attempts,
            Err(retry_at) => return Ok(PasswordChanged::Throttled { retry_at }),
        };
        let outcome = self
            .checker
            .change_password(login, current, new, &self.settings.password_policy)
            .await?;
        Ok(match outcome {
            PasswordChange::Changed => {
                self.throttle.clear(&key).await?;
                PasswordChanged::Changed
            }
            PasswordChange::Denied => {
                self.emit(SecurityEvent::SignInDenied {
                    account: known.clone(),
                });
                self.after_failure(known.as_ref(), attempts);
                PasswordChanged::Denied
            }
            PasswordChange::Refused(reasons) => {
                // The current password was right.
                self.throttle.clear(&key).await?;
                PasswordChanged::Refused(reasons)
            }
            PasswordChange::Conflict => PasswordChanged::Conflict,
        })
    }

    /// Step-up for a write in auth-and-writes mode: a challenge for a
    /// fresh TOTP or recovery code, bound to this account and `operation`
    /// (the SHA-256 of what is being written).
    /// [`submit_step_up`](Self::submit_step_up) answers it.
    ///
    /// # Errors
    /// Store failures.
    pub async fn step_up(
        &self,
        account: &AccountId,
        operation: &OperationDigest,
    ) -> Result<StepUp, Error> {
        if !self.requires_code(account, Action::Write).await? {
            return Ok(StepUp::NotRequired);
        }
        let now = self.clock.now();
        let (challenge, expires_at) = self
            .new_challenge(
                account,
                ChallengeKind::StepUp {
                    operation: *operation,
                },
                now,
            )
            .await?;
        Ok(StepUp::Challenge {
            challenge,
            expires_at,
        })
    }

    /// Confirms a pending authenticator with its first code and reports
    /// the change as an event.
    ///
    /// # Errors
    /// As [`TwoFactor::confirm_enrolment`](latchkey_twofactor::TwoFactor::confirm_enrolment),
    /// or a missing address.
    pub async fn confirm_two_factor(
        &self,
        account: &AccountId,
        code: &str,
    ) -> Result<ConfirmOutcome, Error> {
        let address = self.address_of(account).await?;
        let outcome = self
            .two_factor()?
            .confirm_enrolment(account, &address, code)
            .await?;
        if matches!(outcome, ConfirmOutcome::Enabled { .. }) {
            self.emit(SecurityEvent::TwoFactorChanged {
                account: account.clone(),
                change: TwoFactorChange::Enabled,
            });
        }
        Ok(outcome)
    }

    /// Turns 2FA off after a fresh second factor, and reports it.
    ///
    /// # Errors
    /// As [`TwoFactor::disable`](latchkey_twofactor::TwoFactor::disable),
    /// or a missing address.
    pub async fn disable_two_factor(
        &self,
        account: &AccountId,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<()>, Error> {
        let address = self.address_of(account).await?;
        let outcome = self.two_factor()?.disable(account, &address, proof).await?;
        if matches!(outcome, ChangeOutcome::Done(())) {
            self.emit(SecurityEvent::TwoFactorChanged {
                account: account.clone(),
                change: TwoFactorChange::Disabled,
            });
        }
        Ok(outcome)
    }
}
