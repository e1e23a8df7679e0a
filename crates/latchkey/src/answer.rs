//! Answering a challenge: the mailed code, a TOTP code, a recovery code
//! or a security key, at sign-in or for one write (step-up).

use latchkey_challenge::{
    ChallengeAttempt, ChallengeId, ChallengeKey, ChallengeKind, ChallengeRecord,
};
use latchkey_core::{AccountId, OperationDigest, SecurityStamp};
use latchkey_otp::VerifyOutcome;
use latchkey_twofactor::{Approval, ChangeOutcome, FactorOutcome, SecondFactor};
use latchkey_webauthn::{Asserted, CeremonyId, CeremonyPurpose, PublicKeyCredential};
use time::OffsetDateTime;

use crate::challenges::purpose;
use crate::password::Done;
use crate::throttling::Refused;
use crate::{
    Answer, ClientContext, Error, Method, SecurityEvent, SignIn, StepUpAnswer, Submitted,
    TwoFactorChange,
};

/// How one answer to a challenge went.
enum Verdict {
    Passed {
        method: Method,
        recovery_codes_left: Option<u32>,
        approval: Option<Approval>,
    },
    Failed(Method),
    Replayed,
    Dead,
    Throttled(Refused),
}

/// An answer's outcome before it is shaped for sign-in or step-up.
enum Answered {
    Passed {
        account: AccountId,
        method: Method,
        recovery_codes_left: Option<u32>,
        approval: Option<Approval>,
        stamp: SecurityStamp,
    },
    Wrong {
        attempts_left: u32,
    },
    Expired,
    Throttled(Refused),
}

impl SignIn {
    /// Answers a sign-in challenge: the mailed code, a TOTP code or a
    /// recovery code. Each answer counts against the challenge's budget
    /// and the account's backoff before it is checked; a success consumes
    /// the challenge atomically, so of concurrent right answers one wins.
    /// A step-up challenge's id is not a sign-in challenge: here it finds
    /// nothing ([`Submitted::Expired`]) and counts nothing.
    ///
    /// # Errors
    /// Store, decryption or mail failures.
    #[tracing::instrument(name = "latchkey.sign_in.submit", skip_all)]
    pub async fn submit(
        &self,
        challenge: &ChallengeId,
        answer: Answer<'_>,
        ctx: &ClientContext,
    ) -> Result<Submitted, Error> {
        let now = self.clock.now();
        Ok(
            match self
                .answer(&ChallengeKey::sign_in(challenge), answer, ctx, now)
                .await?
            {
                Answered::Passed {
                    account,
                    method,
                    recovery_codes_left,
                    stamp,
                    ..
                } => {
                    let done = Done {
                        account,
                        method,
                        recovery_codes_left,
                    };
                    Submitted::SignedIn(self.signed_in(done, ctx, stamp, None, now).await?)
                }
                Answered::Wrong { attempts_left } => Submitted::Wrong { attempts_left },
                Answered::Expired => Submitted::Expired,
                Answered::Throttled(retry_at) => Submitted::Throttled { retry_at },
            },
        )
    }

    /// Answers a step-up challenge for `operation` by `account` with a
    /// TOTP or recovery code: [`StepUpAnswer::Approved`] on success. The
    /// challenge is stored under its account and write, so a sign-in
    /// challenge, another account's step-up, or another write's finds
    /// nothing here ([`StepUpAnswer::Expired`]) and counts nothing.
    ///
    /// # Errors
    /// Store, decryption or mail failures.
    #[tracing::instrument(name = "latchkey.sign_in.submit_step_up", skip_all)]
    pub async fn submit_step_up(
        &self,
        challenge: &ChallengeId,
        answer: Answer<'_>,
        ctx: &ClientContext,
        account: &AccountId,
        operation: &OperationDigest,
    ) -> Result<StepUpAnswer, Error> {
        let now = self.clock.now();
        let key = ChallengeKey::step_up(challenge, account, operation);
        Ok(match self.answer(&key, answer, ctx, now).await? {
            Answered::Passed {
                account,
                approval: Some(approval),
                ..
            } => {
                self.emit(SecurityEvent::TwoFactorChanged {
                    account,
                    change: TwoFactorChange::WriteApproved,
                });
                StepUpAnswer::Approved(approval)
            }
            Answered::Passed { .. } | Answered::Expired => StepUpAnswer::Expired,
            Answered::Wrong { attempts_left } => StepUpAnswer::Wrong { attempts_left },
            Answered::Throttled(retry_at) => StepUpAnswer::Throttled { retry_at },
        })
    }

    async fn answer(
        &self,
        key: &ChallengeKey,
        answer: Answer<'_>,
        ctx: &ClientContext,
        now: OffsetDateTime,
    ) -> Result<Answered, Error> {
        if let Some(at) = self.client_over_budget(ctx, now, None).await? {
            return Ok(Answered::Throttled(Some(at)));
        }
        // One round trip reads the challenge and counts this answer.
        let record = match self.challenges.reserve_attempt(key, now).await? {
            ChallengeAttempt::Counted(record) => record,
            ChallengeAttempt::Exhausted | ChallengeAttempt::Gone => return Ok(Answered::Expired),
        };
        let account = record.account.clone();
        let attempts_left = record.attempts_left();
        // A challenge made before the account's credentials changed (a
        // password change, 2FA turned on) is dead (REQ-49).
        if record.stamp != self.current_stamp(&account).await? {
            self.challenges.consume_challenge(key, now).await?;
            return Ok(Answered::Expired);
        }
        // 2FA counts its own answers (in the same account counter); the
        // flow counts the rest.
        let counted_here = !matches!(
            (answer, record.kind),
            (
                Answer::Totp(_) | Answer::RecoveryCode(_),
                ChallengeKind::SecondFactor | ChallengeKind::StepUp { .. }
            )
        );
        let attempts = if counted_here {
            match self
                .reserve(&self.codes_key(&account), now, Some(&account))
                .await?
            {
                Ok(attempts) => Some(attempts),
                Err(retry_at) => return Ok(Answered::Throttled(retry_at)),
            }
        } else {
            None
        };

        match self.check_answer(&record, answer).await? {
            Verdict::Passed {
                method,
                recovery_codes_left,
                approval,
            } => {
                if !self.challenges.consume_challenge(key, now).await? {
                    return Ok(Answered::Expired);
                }
                if counted_here {
                    self.throttle.clear(&self.codes_key(&account)).await?;
                }
                Ok(Answered::Passed {
                    account,
                    method,
                    recovery_codes_left,
                    approval,
                    stamp: record.stamp,
                })
            }
            Verdict::Failed(method) => {
                self.emit(SecurityEvent::CodeFailed {
                    account: account.clone(),
                    method,
                });
                self.after_failure(Some(&account), attempts.unwrap_or(0));
                Ok(Answered::Wrong { attempts_left })
            }
            Verdict::Replayed => {
                self.emit(SecurityEvent::CodeReplayed {
                    account: account.clone(),
                });
                Ok(Answered::Wrong { attempts_left })
            }
            Verdict::Dead => {
                self.challenges.consume_challenge(key, now).await?;
                Ok(Answered::Expired)
            }
            Verdict::Throttled(retry_at) => {
                // 2FA refused to count the answer (its own backoff or lock).
                self.emit(SecurityEvent::Throttled {
                    account: Some(account.clone()),
                    per_client: false,
                });
                if retry_at.is_none() {
                    self.emit(SecurityEvent::LockedOut { account });
                }
                Ok(Answered::Throttled(retry_at))
            }
        }
    }

    async fn check_answer(
        &self,
        record: &ChallengeRecord,
        answer: Answer<'_>,
    ) -> Result<Verdict, Error> {
        let account = &record.account;
        let (method, second) = match answer {
            Answer::MailedCode(code) => {
                if record.kind != ChallengeKind::MailedCode {
                    return Ok(Verdict::Failed(Method::MailedCode));
                }
                return Ok(
                    match self
                        .codes
                        .verify(account, &purpose(&record.key), code)
                        .await?
                    {
                        VerifyOutcome::Verified => Verdict::Passed {
                            method: Method::MailedCode,
                            recovery_codes_left: None,
                            approval: None,
                        },
                        // No code: a concurrent right answer used it (that
                        // request is consuming the challenge), or it was
                        // voided; either way this answer failed.
                        VerifyOutcome::Wrong { .. } | VerifyOutcome::NoCode => {
                            Verdict::Failed(Method::MailedCode)
                        }
                        VerifyOutcome::Expired | VerifyOutcome::Exhausted => Verdict::Dead,
                    },
                );
            }
            Answer::Totp(code) => (Method::Totp, SecondFactor::Totp(code)),
            Answer::RecoveryCode(code) => (Method::RecoveryCode, SecondFactor::RecoveryCode(code)),
            Answer::SecurityKey {
                ceremony,
                credential,
            } => return self.check_security_key(record, ceremony, credential).await,
        };
        if record.kind == ChallengeKind::MailedCode {
            return Ok(Verdict::Failed(method));
        }
        let two_factor = self.two_factor()?;
        let address = self.address_of(account).await?;
        let (outcome, approval) = match record.kind.operation() {
            Some(operation) => match two_factor
                .approve_operation(account, &address, second, &operation)
                .await?
            {
                ChangeOutcome::Done(approval) => (
                    FactorOutcome::Accepted {
                        recovery_codes_left: None,
                    },
                    Some(approval),
                ),
                ChangeOutcome::Refused(outcome) => (outcome, None),
            },
            None => (two_factor.verify(account, &address, second).await?, None),
        };
        Ok(match outcome {
            FactorOutcome::Accepted {
                recovery_codes_left,
            } => Verdict::Passed {
                method,
                recovery_codes_left,
                approval,
            },
            FactorOutcome::Replayed => Verdict::Replayed,
            FactorOutcome::Rejected | FactorOutcome::NotEnrolled => Verdict::Failed(method),
            FactorOutcome::Throttled { retry_at } => Verdict::Throttled(Some(retry_at)),
            FactorOutcome::Locked => Verdict::Throttled(None),
        })
    }

    /// A security key's assertion: the ceremony must be the challenge
    /// account's and for its purpose (a sign-in's second factor, or this
    /// write). Every refusal is a failed answer, counted like a wrong
    /// code; a counter that did not move forward is raised as an event.
    async fn check_security_key(
        &self,
        record: &ChallengeRecord,
        ceremony: &CeremonyId,
        credential: &PublicKeyCredential,
    ) -> Result<Verdict, Error> {
        let failed = Verdict::Failed(Method::SecurityKey);
        let purpose = match record.kind {
            ChallengeKind::MailedCode => return Ok(failed),
            ChallengeKind::SecondFactor => CeremonyPurpose::SecondFactor,
            ChallengeKind::StepUp { operation } => CeremonyPurpose::StepUp { operation },
        };
        let account = &record.account;
        let asserted = self
            .security_key_service()?
            .finish_assertion(ceremony, account, &purpose, credential)
            .await?;
        Ok(match asserted {
            Asserted::Verified { .. } => Verdict::Passed {
                method: Method::SecurityKey,
                recovery_codes_left: None,
                approval: match record.kind.operation() {
                    Some(operation) => Some(
                        self.two_factor()?
                            .approval_after_security_key(account, &operation)?,
                    ),
                    None => None,
                },
            },
            Asserted::CounterRegressed { credential_id } => {
                self.counter_regressed(account, &credential_id);
                failed
            }
            Asserted::Expired | Asserted::Refused(_) => failed,
        })
    }
}
