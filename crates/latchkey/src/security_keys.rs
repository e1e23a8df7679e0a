//! Security keys and passkeys as a second factor, through the flow:
//! adding one (a fresh authentication; the first turns 2FA on with
//! recovery codes), listing, renaming and removing them, and the options
//! a sign-in or a write's step-up offers the browser.

use latchkey_core::AccountId;
use latchkey_twofactor::RecoveryCodes;
use latchkey_webauthn::{
    CeremonyId, CeremonyPurpose, Refusal, RegisterPublicKeyCredential, Registered,
    RegistrationBegin, RequestChallengeResponse, SecurityKeyRecord, SecurityKeys,
};

use crate::{Authentication, Error, SecurityEvent, Sensitive, SignIn, TwoFactorChange};

/// Options for `navigator.credentials.get`, and the ceremony they belong
/// to: keep `ceremony` in the server-side session, send `options` to the
/// browser as JSON, and answer with
/// [`Answer::SecurityKey`](crate::Answer::SecurityKey).
#[derive(Debug)]
pub struct SecurityKeyRequest {
    /// The ceremony (single use, 5 minutes by default).
    pub ceremony: CeremonyId,
    /// `serde_json::to_string(&options)` for the page's script.
    pub options: RequestChallengeResponse,
}

/// Which second factors an account with 2FA can answer with.
#[derive(Debug)]
pub struct Factors {
    /// An authenticator app (a TOTP code).
    pub authenticator_app: bool,
    /// Unused recovery codes are left.
    pub recovery_codes: bool,
    /// The account has security keys: the browser's options, already
    /// started.
    pub security_key: Option<SecurityKeyRequest>,
}

/// What [`SignIn::finish_security_key`] did.
#[derive(Debug)]
#[must_use]
pub enum KeyAdded {
    /// The key is the account's. `recovery_codes` when it turned 2FA on:
    /// show them once.
    Added {
        /// The new key.
        key: SecurityKeyRecord,
        /// The recovery codes made with the first key.
        recovery_codes: Option<RecoveryCodes>,
    },
    /// The ceremony expired, was answered already, or is another's.
    Expired,
    /// The answer did not verify.
    Refused(Refusal),
    /// This credential is registered already (to some account), or the
    /// account reached its number of keys meanwhile.
    NotAdded,
}

/// What [`SignIn::remove_security_key`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum KeyRemoved {
    /// The key is gone; a notice was mailed.
    Removed,
    /// The account has no such key.
    NotFound,
    /// It is the account's last second factor (no authenticator app):
    /// nothing was removed. Turning 2FA off takes a fresh factor
    /// ([`SignIn::disable_two_factor`] with a recovery code).
    LastFactor,
}

impl SignIn {
    /// The security-key service.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] when the flow was built without
    /// [`security_keys`](crate::SignInBuilder::security_keys).
    pub fn security_key_service(&self) -> Result<&SecurityKeys, Error> {
        self.security_keys.as_ref().ok_or(Error::NotConfigured(
            "security keys need a relying party and a store (SignInBuilder::security_keys)",
        ))
    }

    /// Starts adding a security key or passkey named `key_name` (a new
    /// factor: a fresh authentication, REQ-39, made by a second factor
    /// when 2FA is on, REQ-47; else `NeedsFreshAuthentication`). `user_name` is what the
    /// authenticator shows. The account's keys are excluded, so one
    /// authenticator is not added twice.
    ///
    /// # Errors
    /// Store, randomness or webauthn-rs failures;
    /// [`Error::NotConfigured`] without security keys or 2FA.
    pub async fn begin_security_key(
        &self,
        authentication: &Authentication,
        user_name: &str,
        key_name: &str,
    ) -> Result<Sensitive<RegistrationBegin>, Error> {
        let Some((keys, _)) = self.fresh_key_change(authentication).await? else {
            return Ok(Sensitive::NeedsFreshAuthentication);
        };
        let outcome = keys
            .begin_registration(&authentication.account, user_name, key_name)
            .await?;
        Ok(Sensitive::Done {
            outcome,
            authentication: authentication.clone(),
        })
    }

    /// Finishes adding a key with the browser's answer (a fresh
    /// authentication). The first key turns 2FA on (`auth-only`) and
    /// returns the recovery codes; every added key mails a notice and
    /// changes the security stamp (this session goes on, renewed).
    ///
    /// # Errors
    /// Store or randomness failures; [`Error::NotConfigured`] without
    /// security keys or 2FA; a missing address.
    pub async fn finish_security_key(
        &self,
        authentication: &Authentication,
        ceremony: &CeremonyId,
        answer: &RegisterPublicKeyCredential,
    ) -> Result<Sensitive<KeyAdded>, Error> {
        let Some((keys, two_factor)) = self.fresh_key_change(authentication).await? else {
            return Ok(Sensitive::NeedsFreshAuthentication);
        };
        let account = &authentication.account;
        let done = |outcome| Sensitive::Done {
            outcome,
            authentication: authentication.clone(),
        };
        // Read before the key is stored: a missing address must not leave
        // a key behind with 2FA off.
        let address = self.address_of(account).await?;
        let key = match keys.finish_registration(ceremony, account, answer).await? {
            Registered::Added(key) => key,
            Registered::Expired => return Ok(done(KeyAdded::Expired)),
            Registered::Refused(refusal) => return Ok(done(KeyAdded::Refused(refusal))),
            Registered::AlreadyRegistered | Registered::TooManyKeys => {
                return Ok(done(KeyAdded::NotAdded));
            }
        };
        let recovery_codes = two_factor.security_key_added(account, &address).await?;
        if recovery_codes.is_some() {
            self.emit(SecurityEvent::TwoFactorChanged {
                account: account.clone(),
                change: TwoFactorChange::Enabled,
            });
        }
        self.emit(SecurityEvent::TwoFactorChanged {
            account: account.clone(),
            change: TwoFactorChange::SecurityKeyAdded,
        });
        Ok(Sensitive::Done {
            outcome: KeyAdded::Added {
                key,
                recovery_codes,
            },
            authentication: self.renewed(authentication).await?,
        })
    }

    /// The services a key change needs, when `authentication` is fresh
    /// and, with 2FA on, made by a second factor (REQ-39, REQ-47); `None`
    /// when it is not.
    async fn fresh_key_change(
        &self,
        authentication: &Authentication,
    ) -> Result<Option<(&SecurityKeys, &latchkey_twofactor::TwoFactor)>, Error> {
        let keys = self.security_key_service()?;
        let two_factor = self.two_factor()?;
        Ok(self
            .is_fresh_with_factor(authentication)
            .await?
            .then_some((keys, two_factor)))
    }

    /// The account's security keys, oldest first (none without the
    /// service).
    ///
    /// # Errors
    /// A store failure.
    pub async fn security_keys(
        &self,
        account: &AccountId,
    ) -> Result<Vec<SecurityKeyRecord>, Error> {
        match &self.security_keys {
            Some(keys) => Ok(keys.list(account).await?),
            None => Ok(Vec::new()),
        }
    }

    /// Renames one of the account's keys; `false` when it has no such key
    /// or the name is not acceptable (1 to 64 characters, no control
    /// characters).
    ///
    /// # Errors
    /// A store failure; [`Error::NotConfigured`] without security keys.
    pub async fn rename_security_key(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, Error> {
        Ok(self
            .security_key_service()?
            .rename(account, credential_id, name)
            .await?)
    }

    /// Removes one of the account's keys (a fresh authentication,
    /// REQ-39): a notice is mailed and the security stamp changes. The
    /// account's last second factor is not removed here
    /// ([`KeyRemoved::LastFactor`]): turning 2FA off needs a fresh factor.
    ///
    /// # Errors
    /// Store failures; [`Error::NotConfigured`] without security keys or
    /// 2FA; a missing address.
    pub async fn remove_security_key(
        &self,
        authentication: &Authentication,
        credential_id: &[u8],
    ) -> Result<Sensitive<KeyRemoved>, Error> {
        let Some((keys, two_factor)) = self.fresh_key_change(authentication).await? else {
            return Ok(Sensitive::NeedsFreshAuthentication);
        };
        let account = &authentication.account;
        let done = |outcome| Sensitive::Done {
            outcome,
            authentication: authentication.clone(),
        };
        let address = self.address_of(account).await?;
        let has_app = self
            .two_factor_state_of(account)
            .await?
            .authenticator
            .is_some();
        let listed = keys.list(account).await?;
        let Some(key) = listed.iter().find(|k| k.credential_id == credential_id) else {
            return Ok(done(KeyRemoved::NotFound));
        };
        if listed.len() == 1 && !has_app {
            return Ok(done(KeyRemoved::LastFactor));
        }
        if !keys.remove(account, credential_id).await? {
            return Ok(done(KeyRemoved::NotFound));
        }
        // Concurrent removals of the last two keys both passed the check
        // above: whichever finds none left puts its key back, so the
        // account never ends with 2FA on and no key to answer it.
        if !has_app && keys.list(account).await?.is_empty() {
            keys.restore(key.clone()).await?;
            return Ok(done(KeyRemoved::LastFactor));
        }
        two_factor.security_key_removed(account, &address).await?;
        self.emit(SecurityEvent::TwoFactorChanged {
            account: account.clone(),
            change: TwoFactorChange::SecurityKeyRemoved,
        });
        Ok(Sensitive::Done {
            outcome: KeyRemoved::Removed,
            authentication: self.renewed(authentication).await?,
        })
    }

    /// New security-key options for a live sign-in challenge that asked
    /// for a second factor (after a failed or abandoned attempt: each
    /// ceremony answers once). `None` when the challenge is not live, not
    /// a second-factor challenge, or its account has no key.
    ///
    /// # Errors
    /// Store, randomness or webauthn-rs failures.
    pub async fn security_key_request(
        &self,
        challenge: &crate::ChallengeId,
    ) -> Result<Option<SecurityKeyRequest>, Error> {
        let now = self.clock.now();
        let key = latchkey_challenge::ChallengeKey::sign_in(challenge);
        let Some(record) = self.challenges.get_challenge(&key).await? else {
            return Ok(None);
        };
        let live = now < record.expires_at && record.attempts_left() > 0;
        if !live || record.kind != latchkey_challenge::ChallengeKind::SecondFactor {
            return Ok(None);
        }
        self.key_request(&record.account, CeremonyPurpose::SecondFactor)
            .await
    }

    /// A key ceremony for `purpose`, when the flow has keys and the
    /// account one.
    pub(crate) async fn key_request(
        &self,
        account: &AccountId,
        purpose: CeremonyPurpose,
    ) -> Result<Option<SecurityKeyRequest>, Error> {
        let Some(keys) = &self.security_keys else {
            return Ok(None);
        };
        Ok(keys
            .begin_assertion(account, purpose)
            .await?
            .map(|started| SecurityKeyRequest {
                ceremony: started.ceremony,
                options: started.options,
            }))
    }

    /// The factors an account with 2FA (in `state`) can answer a sign-in
    /// with.
    pub(crate) async fn factors(
        &self,
        account: &AccountId,
        state: &latchkey_twofactor::TwoFactorState,
    ) -> Result<Factors, Error> {
        Ok(Factors {
            authenticator_app: state.authenticator.is_some(),
            recovery_codes: state.recovery_codes_left > 0,
            security_key: self
                .key_request(account, CeremonyPurpose::SecondFactor)
                .await?,
        })
    }

    /// Raises a key whose counter went backwards (it may be cloned).
    pub(crate) fn counter_regressed(&self, account: &AccountId, credential_id: &[u8]) {
        self.emit(SecurityEvent::SecurityKeyCounterRegressed {
            account: account.clone(),
            credential_id: data_encoding::BASE64URL_NOPAD.encode(credential_id),
        });
    }
}
