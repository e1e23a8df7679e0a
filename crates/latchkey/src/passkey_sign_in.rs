//! Signing in with a passkey alone (no login, no password), when the host
//! enables it ([`SignInBuilder::passkey_sign_in`](crate::SignInBuilder::passkey_sign_in)).
//! The passkey verifies its user (PIN or biometrics) and proves the
//! device: two factors in one gesture. It counts against the client's
//! budget and a backoff of the account's own (the same policy as the
//! password's, in a separate counter, so password guessing does not lock
//! the passkey out), and reports the same events, as the password step
//! does.

use latchkey_twofactor::Action;
use latchkey_webauthn::{Asserted, CeremonyId, PublicKeyCredential, SecurityKeys};
use time::OffsetDateTime;

use crate::password::Done;
use crate::{ClientContext, Error, Method, SecurityEvent, SecurityKeyRequest, SignIn, SignedIn};

/// What [`SignIn::begin_passkey_sign_in`] decided.
#[derive(Debug)]
#[must_use]
pub enum PasskeyBegin {
    /// Options for `navigator.credentials.get`, with `mediation:
    /// "conditional"` so the browser can offer passkeys in the username
    /// field (`autocomplete="username webauthn"`); drop `mediation` for a
    /// "Sign in with a passkey" button.
    Started(SecurityKeyRequest),
    /// The client's request budget is spent.
    Throttled {
        /// When the window ends.
        retry_at: OffsetDateTime,
    },
}

/// What [`SignIn::finish_passkey_sign_in`] decided.
#[derive(Debug)]
#[must_use]
pub enum PasskeySignIn {
    /// Signed in ([`Method::SecurityKey`]).
    SignedIn(SignedIn),
    /// Not signed in: an unknown or removed key, a bad or replayed
    /// answer, a ceremony that expired or was used, or a key whose
    /// counter went backwards. One answer for all (start again).
    Refused,
    /// Too many attempts (the client's budget, or the account's backoff).
    Throttled {
        /// When the next attempt is allowed; `None` when locked.
        retry_at: Option<OffsetDateTime>,
    },
}

impl SignIn {
    fn passkey_service(&self) -> Result<&SecurityKeys, Error> {
        match &self.security_keys {
            Some(keys) if self.passkey_sign_in => Ok(keys),
            _ => Err(Error::NotConfigured(
                "passkey sign-in is off (SignInBuilder::passkey_sign_in)",
            )),
        }
    }

    /// Starts a passkey sign-in: a ceremony that belongs to no account
    /// yet (the answer names its key). Counts against the client's
    /// budget.
    ///
    /// # Errors
    /// Store, randomness or webauthn-rs failures;
    /// [`Error::NotConfigured`] when passkey sign-in is off.
    pub async fn begin_passkey_sign_in(&self, ctx: &ClientContext) -> Result<PasskeyBegin, Error> {
        let keys = self.passkey_service()?;
        let now = self.clock.now();
        if let Some(retry_at) = self.client_over_budget(ctx, now, None).await? {
            return Ok(PasskeyBegin::Throttled { retry_at });
        }
        let started = keys.begin_passwordless().await?;
        Ok(PasskeyBegin::Started(SecurityKeyRequest {
            ceremony: started.ceremony,
            options: started.options,
        }))
    }

    /// Finishes a passkey sign-in with the browser's answer. The key it
    /// names must be registered, its account's 2FA on, and the attempt
    /// within the account's passkey backoff (counted before the answer
    /// is checked); the ceremony is consumed whatever the answer, so of
    /// concurrent answers at most one signs in.
    ///
    /// # Errors
    /// Store failures; [`Error::NotConfigured`] when passkey sign-in is
    /// off.
    #[tracing::instrument(name = "latchkey.sign_in.passkey", skip_all)]
    pub async fn finish_passkey_sign_in(
        &self,
        ceremony: &CeremonyId,
        answer: &PublicKeyCredential,
        ctx: &ClientContext,
    ) -> Result<PasskeySignIn, Error> {
        let keys = self.passkey_service()?;
        let now = self.clock.now();
        if let Some(at) = self.client_over_budget(ctx, now, None).await? {
            return Ok(PasskeySignIn::Throttled { retry_at: Some(at) });
        }
        let key = match keys.identify(answer).await? {
            Some(key) if self.requires_code(&key.account, Action::SignIn).await? => key,
            // An unknown key, or one whose account has 2FA off (left over
            // from an interrupted change): nobody is signed in, and the
            // ceremony is used up.
            _ => {
                keys.discard(ceremony).await?;
                self.emit(SecurityEvent::SignInDenied { account: None });
                return Ok(PasskeySignIn::Refused);
            }
        };
        let account = key.account.clone();
        // A lane of its own: a stranger guessing the password must not
        // lock the owner's passkey out, nor the other way round.
        let throttle_key = self
            .throttle_keys
            .other(b"passkey sign-in", &[account.as_str().as_bytes()]);
        let attempts = match self.reserve(&throttle_key, now, Some(&account)).await? {
            Ok(attempts) => attempts,
            Err(retry_at) => {
                keys.discard(ceremony).await?;
                return Ok(PasskeySignIn::Throttled { retry_at });
            }
        };
        match keys.finish_passwordless(ceremony, &key, answer).await? {
            Asserted::Verified { .. } => {}
            refused => {
                if let Asserted::CounterRegressed { credential_id } = refused {
                    self.counter_regressed(&account, &credential_id);
                }
                self.emit(SecurityEvent::SignInDenied {
                    account: Some(account.clone()),
                });
                self.after_failure(Some(&account), attempts);
                return Ok(PasskeySignIn::Refused);
            }
        }
        self.throttle.clear(&throttle_key).await?;
        let stamp = self.current_stamp(&account).await?;
        let done = Done {
            account,
            method: Method::SecurityKey,
            recovery_codes_left: None,
        };
        Ok(PasskeySignIn::SignedIn(
            self.signed_in(done, ctx, stamp, None, now).await?,
        ))
    }
}
