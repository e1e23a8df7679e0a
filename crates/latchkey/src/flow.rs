//! The sign-in flow's value: what it holds, how it is made, and the
//! services a host reaches through it. Each user step lives in a file of
//! its own (`password`, `answer`, `resend`, `recovering`, `changes`,
//! `admin`, `register`).

use std::fmt;
use std::sync::Arc;

use latchkey_challenge::ChallengeStore;
use latchkey_core::{AccountId, Clock, EmailAddress, KeyedHmac};
use latchkey_credentials::{CredentialChecker, Hasher};
use latchkey_devices::{DeviceStore, StampStore};
use latchkey_otp::MailedCodes;
use latchkey_recovery::Recovery;
use latchkey_throttle::{ThrottleKeys, ThrottleStore};
use latchkey_twofactor::{TwoFactor, TwoFactorStore};
use time::OffsetDateTime;

use crate::settings::SignInSettings;
use crate::stamp::CredentialsChanged;
use crate::{Accounts, Error, EventSink, Keys, RiskSignals, SecurityEvent, SignInBuilder};

/// The sign-in flow that npm's help page describes.
///
/// 1. [`start`](Self::start) with login and password: signed in, a mailed
///    code sent, a second factor needed, denied (one answer for unknown
///    logins and wrong passwords, at the same cost), or throttled.
/// 2. [`submit`](Self::submit) the mailed code, a TOTP code or a recovery
///    code against the challenge; [`resend`](Self::resend) the mailed code.
/// 3. [`recover`](Self::recover): "Try recovering your account" opens a
///    support ticket from the login-verification form.
///
/// Build one with [`SignIn::builder`], or [`SignIn::in_memory`] for tests
/// and examples. Every failure counts against the account (backoff, then
/// lockout at the bound): password failures until the right password,
/// code failures until a completed sign-in. Every request counts against
/// the client's budget. Counts live in the shared throttle store. Argon2
/// runs on the blocking executor. Each outcome is reported to the
/// [`EventSink`].
#[derive(Clone)]
pub struct SignIn {
    pub(crate) checker: CredentialChecker,
    pub(crate) codes: MailedCodes,
    pub(crate) two_factor: Option<TwoFactor>,
    pub(crate) two_factor_state: Option<Arc<dyn TwoFactorStore>>,
    pub(crate) recovery: Option<Recovery>,
    pub(crate) challenges: Arc<dyn ChallengeStore>,
    pub(crate) throttle: Arc<dyn ThrottleStore>,
    pub(crate) accounts: Arc<dyn Accounts>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) devices: Arc<dyn DeviceStore>,
    pub(crate) stamps: Arc<dyn StampStore>,
    pub(crate) cli_logins: Option<Arc<dyn latchkey_cli_login::CliLoginStore>>,
    pub(crate) security_keys: Option<latchkey_webauthn::SecurityKeys>,
    pub(crate) passkey_sign_in: bool,
    pub(crate) changes: CredentialsChanged,
    pub(crate) otp_store: Arc<dyn latchkey_otp::OtpStore>,
    pub(crate) authentications: KeyedHmac,
    pub(crate) mailer: Arc<dyn latchkey_core::Mailer>,
    pub(crate) throttle_keys: ThrottleKeys,
    pub(crate) events: Arc<dyn EventSink>,
    pub(crate) risk: Arc<dyn RiskSignals>,
    pub(crate) settings: SignInSettings,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("checker", &self.checker)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// Starts building a flow; `issuer` is the service's name, shown by
    /// authenticator apps and kept out of passwords.
    pub fn builder(issuer: &str, keys: Keys) -> SignInBuilder {
        SignInBuilder::new(issuer, keys)
    }

    /// The password hasher in use (its [`runs`](Hasher::runs) count every
    /// Argon2 run, for tests that prove equal cost).
    #[must_use]
    pub fn hasher(&self) -> &Hasher {
        self.checker.hasher()
    }

    /// The 2FA service: enrolment, modes, recovery codes, approvals.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] when the flow has no 2FA store or no
    /// encryption key.
    pub fn two_factor(&self) -> Result<&TwoFactor, Error> {
        self.two_factor.as_ref().ok_or(Error::NotConfigured(
            "2FA needs a two-factor store and an encryption key (Keys::with_encryption_key)",
        ))
    }

    /// The recovery service, for staff: review, approve, complete.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] when the flow has no ticket store.
    pub fn recovery(&self) -> Result<&Recovery, Error> {
        self.recovery
            .as_ref()
            .ok_or(Error::NotConfigured("recovery needs a ticket store"))
    }

    /// The time on the flow's clock (for `Retry-After`, say).
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub(crate) fn emit(&self, event: SecurityEvent) {
        self.events.record(&event);
    }

    /// The account's address of record; an error if the host has none.
    pub(crate) async fn address_of(&self, account: &AccountId) -> Result<EmailAddress, Error> {
        self.accounts
            .address(account)
            .await?
            .ok_or_else(|| Error::NoAddress(account.clone()))
    }
}
