//! Proving it again: re-authentication, and the email change it guards.

use latchkey_core::{EmailAddress, Message, MessageKind};
use latchkey_throttle::DeviceLane;

use crate::{
    Authentication, EmailChanged, Error, Method, Reauthenticate, Reauthenticated, SecurityEvent,
    Sensitive, SignIn, StampReason,
};

impl SignIn {
    /// Re-authenticates a signed-in user before a sensitive change
    /// (REQ-39): the password (counted against the account's password
    /// backoff, like a sign-in) or, for an account with 2FA, a second
    /// factor (counted like any code). The answer's
    /// [`Reauthenticated::Fresh`] authentication replaces the session's.
    ///
    /// # Errors
    /// Store, hashing, executor or decryption failures.
    pub async fn reauthenticate(
        &self,
        authentication: &Authentication,
        proof: Reauthenticate<'_>,
    ) -> Result<Reauthenticated, Error> {
        if !self.is_current(authentication).await? {
            return Ok(Reauthenticated::Ended);
        }
        let now = self.clock.now();
        let account = &authentication.account;
        let method = match proof {
            Reauthenticate::Password { login, password } => {
                let key = self.password_key(login, Some(account), DeviceLane::Any);
                let attempts = match self.reserve(&key, now, Some(account)).await? {
                    Ok(attempts) => attempts,
                    Err(retry_at) => return Ok(Reauthenticated::Throttled { retry_at }),
                };
                // The login must be this account's: one hash either way.
                let found = self
                    .checker
                    .find(login)
                    .await?
                    .filter(|c| c.account == *account);
                if self.checker.verify(found, password).await?.is_none() {
                    self.emit(SecurityEvent::SignInDenied {
                        account: Some(account.clone()),
                    });
                    self.after_failure(Some(account), attempts);
                    return Ok(Reauthenticated::Denied);
                }
                self.throttle.clear(&key).await?;
                Method::Password
            }
            Reauthenticate::SecondFactor(factor) => {
                let address = self.address_of(account).await?;
                let outcome = self.two_factor()?.verify(account, &address, factor).await?;
                match outcome {
                    latchkey_twofactor::FactorOutcome::Accepted { .. } => match factor {
                        latchkey_twofactor::SecondFactor::Totp(_) => Method::Totp,
                        latchkey_twofactor::SecondFactor::RecoveryCode(_) => Method::RecoveryCode,
                    },
                    latchkey_twofactor::FactorOutcome::Throttled { retry_at } => {
                        return Ok(Reauthenticated::Throttled {
                            retry_at: Some(retry_at),
                        });
                    }
                    latchkey_twofactor::FactorOutcome::Locked => {
                        return Ok(Reauthenticated::Throttled { retry_at: None });
                    }
                    _ => return Ok(Reauthenticated::Denied),
                }
            }
            Reauthenticate::SecurityKey {
                ceremony,
                credential,
            } => match self
                .reauthenticate_with_key(account, ceremony, credential, now)
                .await?
            {
                Ok(method) => method,
                Err(refused) => return Ok(refused),
            },
        };
        let stamp = self.current_stamp(account).await?;
        Ok(Reauthenticated::Fresh(self.authenticated(
            account.clone(),
            method,
            now,
            stamp,
        )))
    }

    /// Changes the account's address of record (a fresh authentication,
    /// REQ-39): both addresses are told, codes outstanding for the account
    /// are voided, and every other session, challenge and remembered
    /// device ends (a new stamp).
    ///
    /// # Errors
    /// Store failures (a notice that cannot be mailed is not one: the
    /// change is made).
    pub async fn change_email(
        &self,
        authentication: &Authentication,
        new_address: &str,
    ) -> Result<Sensitive<EmailChanged>, Error> {
        if !self.is_fresh(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let Ok(new_address) = EmailAddress::parse(new_address) else {
            return Ok(Sensitive::Done {
                outcome: EmailChanged::InvalidEmail,
                authentication: authentication.clone(),
            });
        };
        let account = &authentication.account;
        let old = self.accounts.address(account).await?;
        // The stamp first: if a later step fails, sessions and devices
        // have ended (the safe side) rather than outliving the change.
        let stamp = self
            .credentials_changed(account, StampReason::EmailChanged)
            .await?;
        self.accounts.set_address(account, &new_address).await?;
        self.otp_store.void_all(account).await?;
        let masked_address = new_address.masked();
        for to in old.into_iter().chain([new_address]) {
            let message = Message::new(
                to,
                "Your account's email address changed",
                format!(
                    "The email address of your account is now {masked_address}.\n\n\
                     If you did not do this, secure your account now.\n"
                ),
                MessageKind::SecurityNotice,
            );
            // Best effort: the change is made and must not be hidden.
            let _ = self.mailer.send(message).await;
        }
        Ok(Sensitive::Done {
            outcome: EmailChanged::Changed { masked_address },
            authentication: self.renewed_under(authentication, stamp),
        })
    }

    /// Options for re-authenticating with one of the account's security
    /// keys (`None` without keys, or when the authentication is no longer
    /// current); answer with [`Reauthenticate::SecurityKey`].
    ///
    /// # Errors
    /// Store, randomness or webauthn-rs failures.
    pub async fn reauthentication_key_request(
        &self,
        authentication: &Authentication,
    ) -> Result<Option<crate::SecurityKeyRequest>, Error> {
        if !self.is_current(authentication).await? {
            return Ok(None);
        }
        self.key_request(
            &authentication.account,
            latchkey_webauthn::CeremonyPurpose::SecondFactor,
        )
        .await
    }

    /// A key's assertion as a fresh proof, counted on the account's code
    /// counter like any second factor.
    async fn reauthenticate_with_key(
        &self,
        account: &latchkey_core::AccountId,
        ceremony: &latchkey_webauthn::CeremonyId,
        credential: &latchkey_webauthn::PublicKeyCredential,
        now: time::OffsetDateTime,
    ) -> Result<Result<Method, Reauthenticated>, Error> {
        let keys = self.security_key_service()?;
        let counter = self.codes_key(account);
        let attempts = match self.reserve(&counter, now, Some(account)).await? {
            Ok(attempts) => attempts,
            Err(retry_at) => return Ok(Err(Reauthenticated::Throttled { retry_at })),
        };
        let purpose = latchkey_webauthn::CeremonyPurpose::SecondFactor;
        match keys
            .finish_assertion(ceremony, account, &purpose, credential)
            .await?
        {
            latchkey_webauthn::Asserted::Verified { .. } => {
                self.throttle.clear(&counter).await?;
                Ok(Ok(Method::SecurityKey))
            }
            refused => {
                if let latchkey_webauthn::Asserted::CounterRegressed { credential_id } = refused {
                    self.counter_regressed(account, &credential_id);
                }
                self.emit(SecurityEvent::CodeFailed {
                    account: account.clone(),
                    method: Method::SecurityKey,
                });
                self.after_failure(Some(account), attempts);
                Ok(Err(Reauthenticated::Denied))
            }
        }
    }
}
