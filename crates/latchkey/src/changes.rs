//! Changes to an account's proofs made through the flow: the password,
//! the address, 2FA on and off, recovery codes, and step-up challenges for
//! writes. Each sensitive change needs a current [`Authentication`], fresh
//! where REQ-39 asks for it.

use latchkey_challenge::ChallengeKind;
use latchkey_core::{AccountId, OperationDigest, SecretString};
use latchkey_credentials::ChangeOutcome as PasswordChange;
use latchkey_throttle::DeviceLane;
use latchkey_twofactor::{
    Action, ChangeOutcome, ConfirmOutcome, Enrolment, RecoveryCodes, SecondFactor,
};
use latchkey_webauthn::CeremonyPurpose;

use crate::{
    Authentication, Error, PasswordChanged, SecurityEvent, Sensitive, SignIn, StampReason, StepUp,
    TwoFactorChange,
};

impl SignIn {
    /// Changes a password: needs a current authentication and the current
    /// password (REQ-06: the current password is the fresh proof), which
    /// counts against the account's password backoff exactly like a
    /// sign-in (REQ-37), so a stolen session cannot guess it without
    /// limit. The new one goes through the password policy; hashing runs
    /// on the blocking executor. A change ends every other session,
    /// challenge and remembered device (a new security stamp); this
    /// session goes on with the renewed authentication.
    ///
    /// # Errors
    /// Store, hashing or executor failures.
    pub async fn change_password(
        &self,
        authentication: &Authentication,
        login: &str,
        current: &SecretString,
        new: &SecretString,
    ) -> Result<Sensitive<PasswordChanged>, Error> {
        if !self.is_current(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let done = |outcome| Sensitive::Done {
            outcome,
            authentication: authentication.clone(),
        };
        let now = self.clock.now();
        let account = &authentication.account;
        let found = self.checker.find(login).await?.map(|c| c.account);
        if found.as_ref() != Some(account) {
            return Ok(done(PasswordChanged::OtherAccount));
        }
        let key = self.password_key(login, Some(account), DeviceLane::Any);
        let attempts = match self.reserve(&key, now, Some(account)).await? {
            Ok(attempts) => attempts,
            Err(retry_at) => return Ok(done(PasswordChanged::Throttled { retry_at })),
        };
        let outcome = self
            .checker
            .change_password(login, current, new, &self.settings.password_policy)
            .await?;
        Ok(match outcome {
            PasswordChange::Changed => {
                self.throttle.clear(&key).await?;
                let stamp = self
                    .credentials_changed(account, StampReason::PasswordChanged)
                    .await?;
                Sensitive::Done {
                    outcome: PasswordChanged::Changed,
                    authentication: self.renewed_under(authentication, stamp),
                }
            }
            PasswordChange::Denied => {
                self.emit(SecurityEvent::SignInDenied {
                    account: Some(account.clone()),
                });
                self.after_failure(Some(account), attempts);
                done(PasswordChanged::Denied)
            }
            PasswordChange::Refused(reasons) => {
                // The current password was right.
                self.throttle.clear(&key).await?;
                done(PasswordChanged::Refused(reasons))
            }
            PasswordChange::Conflict => done(PasswordChanged::Conflict),
            PasswordChange::Busy => done(PasswordChanged::Busy),
        })
    }

    /// Step-up for a write in auth-and-writes mode: a challenge for a
    /// fresh TOTP or recovery code, or the security key (its ceremony
    /// bound to this write), bound to this account and `operation` (the
    /// SHA-256 of what is being written).
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
        let stamp = self.current_stamp(account).await?;
        let (challenge, expires_at) = self
            .new_challenge(
                account,
                ChallengeKind::StepUp {
                    operation: *operation,
                },
                now,
                stamp,
            )
            .await?;
        let security_key = self
            .key_request(
                account,
                CeremonyPurpose::StepUp {
                    operation: *operation,
                },
            )
            .await?
            .map(Box::new);
        Ok(StepUp::Challenge {
            challenge,
            expires_at,
            security_key,
        })
    }

    /// Starts adding an authenticator app (a new factor: needs a fresh
    /// authentication, REQ-39). `label` is the account name the app
    /// shows.
    ///
    /// # Errors
    /// Store, randomness or encryption failures; [`Error::NotConfigured`]
    /// without 2FA.
    pub async fn begin_two_factor(
        &self,
        authentication: &Authentication,
        label: &str,
    ) -> Result<Sensitive<Enrolment>, Error> {
        let two_factor = self.two_factor()?;
        if !self.is_fresh_with_factor(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        Ok(Sensitive::Done {
            outcome: two_factor
                .begin_enrolment(&authentication.account, label)
                .await?,
            authentication: authentication.clone(),
        })
    }

    /// Confirms a pending authenticator with its first code (fresh
    /// authentication): 2FA is on, a notice is mailed, the stamp changes.
    ///
    /// # Errors
    /// As [`TwoFactor::confirm_enrolment`](latchkey_twofactor::TwoFactor::confirm_enrolment),
    /// or a missing address.
    pub async fn confirm_two_factor(
        &self,
        authentication: &Authentication,
        code: &str,
    ) -> Result<Sensitive<ConfirmOutcome>, Error> {
        let two_factor = self.two_factor()?;
        if !self.is_fresh(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let account = &authentication.account;
        let address = self.address_of(account).await?;
        let outcome = two_factor
            .confirm_enrolment(account, &address, code)
            .await?;
        if matches!(outcome, ConfirmOutcome::Enabled { .. }) {
            self.emit(SecurityEvent::TwoFactorChanged {
                account: account.clone(),
                change: TwoFactorChange::Enabled,
            });
        }
        Ok(Sensitive::Done {
            outcome,
            authentication: self.renewed(authentication).await?,
        })
    }

    /// Turns 2FA off: a fresh authentication and a fresh second factor
    /// (REQ-28, REQ-39). The authenticator app, the recovery codes and
    /// every security key go (the keys through the 2FA service's change
    /// listener, so turning 2FA off on the service directly removes them
    /// too). A notice is mailed and the stamp changes.
    ///
    /// # Errors
    /// As [`TwoFactor::disable`](latchkey_twofactor::TwoFactor::disable),
    /// or a missing address.
    pub async fn disable_two_factor(
        &self,
        authentication: &Authentication,
        proof: SecondFactor<'_>,
    ) -> Result<Sensitive<ChangeOutcome<()>>, Error> {
        let two_factor = self.two_factor()?;
        if !self.is_fresh(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let account = &authentication.account;
        let address = self.address_of(account).await?;
        let outcome = two_factor.disable(account, &address, proof).await?;
        let authentication = if matches!(outcome, ChangeOutcome::Done(())) {
            self.emit(SecurityEvent::TwoFactorChanged {
                account: account.clone(),
                change: TwoFactorChange::Disabled,
            });
            self.renewed(authentication).await?
        } else {
            authentication.clone()
        };
        Ok(Sensitive::Done {
            outcome,
            authentication,
        })
    }

    /// New recovery codes (the old set stops working): a fresh
    /// authentication and a fresh second factor (REQ-28, REQ-39).
    ///
    /// # Errors
    /// As [`TwoFactor::regenerate_recovery_codes`](latchkey_twofactor::TwoFactor::regenerate_recovery_codes).
    pub async fn regenerate_recovery_codes(
        &self,
        authentication: &Authentication,
        proof: SecondFactor<'_>,
    ) -> Result<Sensitive<ChangeOutcome<RecoveryCodes>>, Error> {
        let two_factor = self.two_factor()?;
        if !self.is_fresh(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let account = &authentication.account;
        let address = self.address_of(account).await?;
        let outcome = two_factor
            .regenerate_recovery_codes(account, &address, proof)
            .await?;
        let authentication = if matches!(outcome, ChangeOutcome::Done(_)) {
            self.renewed(authentication).await?
        } else {
            authentication.clone()
        };
        Ok(Sensitive::Done {
            outcome,
            authentication,
        })
    }
}
