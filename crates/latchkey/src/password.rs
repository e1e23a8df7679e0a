//! The first step: login and password.

use latchkey_challenge::ChallengeKind;
use latchkey_core::{AccountId, SecurityStamp};
use latchkey_otp::IssueOutcome;
use latchkey_throttle::DeviceLane;
use latchkey_twofactor::Action;
use time::OffsetDateTime;

use crate::challenges::purpose;
use crate::remembered::Recognition;
use crate::{
    ClientContext, Error, Familiarity, MailedCodePolicy, Method, SecurityEvent, SignIn, SignInStep,
    SignedIn,
};

/// Who completed a sign-in, and how.
pub(crate) struct Done {
    pub(crate) account: AccountId,
    pub(crate) method: Method,
    pub(crate) recovery_codes_left: Option<u32>,
}

impl SignIn {
    /// Signs in with login and password.
    ///
    /// An unknown login costs one full Argon2 run and gets
    /// [`SignInStep::Denied`], like a wrong password (REQ-38); both count
    /// toward the same kind of backoff, so throttling does not reveal
    /// which logins exist either.
    ///
    /// # Errors
    /// Store, hashing, executor or mail failures. A failed mail leaves no
    /// challenge and no usable code behind.
    #[tracing::instrument(name = "latchkey.sign_in.start", skip_all)]
    pub async fn start(
        &self,
        login: &str,
        password: &str,
        ctx: &ClientContext,
    ) -> Result<SignInStep, Error> {
        let now = self.clock.now();
        if let Some(at) = self.client_over_budget(ctx, now, None).await? {
            return Ok(SignInStep::Throttled { retry_at: Some(at) });
        }
        // A full hashing queue refuses before any look-up or count.
        let Some(admitted) = self.checker.admit() else {
            return Ok(SignInStep::Busy {
                retry_at: now + time::Duration::seconds(1),
            });
        };
        let found = self.checker.find(login).await?;
        let known = found.as_ref().map(|c| c.account.clone());
        // Device tokens are read the same way for known and unknown logins
        // (the work must not tell them apart); a genuine token of the
        // login's account picks the remembered lane. Nothing about the
        // device is written, nor its stamp checked, before the password is.
        let candidates = self.device_candidates(ctx, known.as_ref(), now).await?;
        let lane = if candidates.matching.is_some() {
            DeviceLane::Remembered
        } else {
            DeviceLane::Any
        };
        let key = self.password_key(login, known.as_ref(), lane);
        let attempts = match self.reserve(&key, now, known.as_ref()).await? {
            Ok(attempts) => attempts,
            Err(retry_at) => return Ok(SignInStep::Throttled { retry_at }),
        };

        let Some(credential) = self
            .checker
            .verify_admitted(admitted, found, password)
            .await?
        else {
            self.emit(SecurityEvent::SignInDenied {
                account: known.clone(),
            });
            self.after_failure(known.as_ref(), attempts);
            return Ok(SignInStep::Denied);
        };
        // The password is right: its stage's count starts again.
        self.throttle.clear(&key).await?;
        let account = credential.account;
        let stamp = self.current_stamp(&account).await?;
        let recognition = self.confirm_candidate(candidates, ctx, stamp, now).await?;
        let recognized = recognition.live.is_some();

        // One read of the 2FA state decides and, with 2FA on, lists the
        // factors.
        let two_factor = self.two_factor_state_of(&account).await?;
        if two_factor.requires_code(Action::SignIn) {
            let (challenge, expires_at) = self
                .new_challenge(&account, ChallengeKind::SecondFactor, now, stamp)
                .await?;
            return Ok(SignInStep::SecondFactorRequired {
                challenge,
                expires_at,
                factors: self.factors(&account, &two_factor).await?,
            });
        }

        let ask = match self.settings.mailed_code_policy {
            MailedCodePolicy::Always => true,
            MailedCodePolicy::Never => false,
            MailedCodePolicy::WhenUnfamiliar => {
                self.risk.assess(&account, ctx, recognized).await == Familiarity::Unfamiliar
            }
        };
        if !ask {
            let done = Done {
                account,
                method: Method::Password,
                recovery_codes_left: None,
            };
            return Ok(SignInStep::SignedIn(
                self.signed_in(done, ctx, stamp, Some(recognition), now)
                    .await?,
            ));
        }
        self.send_first_code(account, now, stamp).await
    }

    /// Whether the account's 2FA asks for a code for `action`: read from
    /// the 2FA store itself, so an account with 2FA is asked for its
    /// factor even by a flow built without an encryption key (which then
    /// fails to check it, rather than skipping it).
    pub(crate) async fn requires_code(
        &self,
        account: &AccountId,
        action: Action,
    ) -> Result<bool, Error> {
        Ok(self
            .two_factor_state_of(account)
            .await?
            .requires_code(action))
    }

    /// The account's 2FA state (off and empty for a flow without 2FA).
    pub(crate) async fn two_factor_state_of(
        &self,
        account: &AccountId,
    ) -> Result<latchkey_twofactor::TwoFactorState, Error> {
        Ok(match &self.two_factor_state {
            Some(store) => store.load(account).await?,
            None => latchkey_twofactor::TwoFactorState::default(),
        })
    }

    async fn send_first_code(
        &self,
        account: AccountId,
        now: OffsetDateTime,
        stamp: SecurityStamp,
    ) -> Result<SignInStep, Error> {
        let address = self.address_of(&account).await?;
        let (challenge, expires_at) = self
            .new_challenge(&account, ChallengeKind::MailedCode, now, stamp)
            .await?;
        let key = latchkey_challenge::ChallengeKey::sign_in(&challenge);
        let issued = self.codes.issue(&account, &address, &purpose(&key)).await;
        let retry_after = match issued {
            Ok(IssueOutcome::Sent { masked_address, .. }) => {
                self.emit(SecurityEvent::CodeSent {
                    account,
                    masked_address: masked_address.clone(),
                });
                return Ok(SignInStep::MailedCodeSent {
                    challenge,
                    masked_address,
                    expires_at,
                });
            }
            Ok(
                IssueOutcome::CoolingDown { retry_after }
                | IssueOutcome::CapReached { retry_after },
            ) => retry_after,
            Err(e) => {
                self.challenges.consume_challenge(&key, now).await?;
                return Err(e.into());
            }
        };
        // A code went out moments ago (a double submit, or a lost
        // response): no new one, and no new challenge.
        self.challenges.consume_challenge(&key, now).await?;
        Ok(SignInStep::CodeRecentlySent {
            masked_address: address.masked(),
            resend_at: now + retry_after,
        })
    }

    /// Completes a sign-in: events, the remembered device (kept, or made
    /// after a verified code), the authentication.
    pub(crate) async fn signed_in(
        &self,
        done: Done,
        ctx: &ClientContext,
        stamp: SecurityStamp,
        recognition: Option<Recognition>,
        now: OffsetDateTime,
    ) -> Result<SignedIn, Error> {
        let Done {
            account,
            method,
            recovery_codes_left,
        } = done;
        self.emit(SecurityEvent::SignedIn {
            account: account.clone(),
            method,
        });
        if let Some(remaining) = recovery_codes_left {
            self.emit(SecurityEvent::RecoveryCodeUsed {
                account: account.clone(),
                remaining,
            });
        }
        let recognition = match recognition {
            Some(recognition) => recognition,
            None if ctx.device_tokens().is_empty() => Recognition::default(),
            None => self.recognition(ctx, &account, stamp, now).await?,
        };
        // A device is remembered after a verified code, never by the
        // password alone: a stolen cookie stops working at its expiry. A
        // browser that already holds a live device of the account keeps it
        // (no second record, no second cookie).
        let device_token = match (method, recognition.live) {
            (Method::Password, _) => None,
            (_, Some(live)) => Some(live),
            (_, None) => Some(self.remember(&account, ctx, stamp, now).await?),
        };
        let authentication = self.authenticated(account.clone(), method, now, stamp);
        Ok(SignedIn {
            account,
            method,
            device_token,
            stale_device_tokens: recognition.stale,
            recovery_codes_left,
            authentication,
        })
    }
}
