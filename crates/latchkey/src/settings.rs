//! The flow's settings and their defaults (set through
//! [`SignInBuilder`](crate::SignInBuilder), checked by its `build`).

use latchkey_credentials::{HashSettings, Hasher, PasswordPolicy};
use latchkey_otp::MailedCodeSettings;
use latchkey_recovery::RecoverySettings;
use latchkey_throttle::AttemptPolicy;
use latchkey_twofactor::TwoFactorSettings;
use time::Duration;

use crate::{Error, MailedCodePolicy};

/// Every setting of the flow, with the defaults that `docs/security.md`
/// explains. Hosts change them through the builder's methods, each of
/// which documents its default; [`SignInBuilder::build`] checks them all.
///
/// [`SignInBuilder::build`]: crate::SignInBuilder::build
#[derive(Clone, Debug)]
pub(crate) struct SignInSettings {
    pub(crate) hasher: Hasher,
    pub(crate) password_policy: PasswordPolicy,
    pub(crate) mailed_code_policy: MailedCodePolicy,
    pub(crate) mailed_codes: MailedCodeSettings,
    pub(crate) two_factor: TwoFactorSettings,
    pub(crate) recovery: RecoverySettings,
    pub(crate) challenge_ttl: Duration,
    pub(crate) challenge_attempts: u32,
    pub(crate) backoff: AttemptPolicy,
    pub(crate) client_budget: u32,
    pub(crate) client_window: Duration,
    pub(crate) device_token_ttl: Duration,
    pub(crate) fresh_window: Duration,
}

impl SignInSettings {
    pub(crate) fn new(issuer: &str) -> Self {
        Self {
            hasher: Hasher::new(HashSettings::default()),
            password_policy: PasswordPolicy::new().with_service_name(issuer),
            mailed_code_policy: MailedCodePolicy::default(),
            mailed_codes: MailedCodeSettings::default(),
            two_factor: TwoFactorSettings::new(issuer),
            recovery: RecoverySettings::default(),
            challenge_ttl: Duration::minutes(10),
            challenge_attempts: 5,
            backoff: AttemptPolicy::DEFAULT,
            client_budget: 300,
            client_window: Duration::minutes(15),
            device_token_ttl: Duration::days(90),
            fresh_window: Duration::minutes(10),
        }
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.challenge_ttl <= Duration::ZERO || self.challenge_ttl > Duration::hours(1) {
            return Err(Error::InvalidSettings(
                "challenge_ttl must be within (0, 1 h]",
            ));
        }
        if !(1..=20).contains(&self.challenge_attempts) {
            return Err(Error::InvalidSettings("challenge_attempts must be 1 to 20"));
        }
        self.backoff
            .check()
            .map_err(|e| Error::InvalidSettings(e.0))?;
        if self.client_budget == 0 || self.client_window <= Duration::ZERO {
            return Err(Error::InvalidSettings(
                "client_budget and client_window must be positive",
            ));
        }
        if self.device_token_ttl <= Duration::ZERO || self.device_token_ttl > Duration::days(400) {
            return Err(Error::InvalidSettings(
                "device_token_ttl must be within (0, 400 days]",
            ));
        }
        if self.fresh_window < Duration::MINUTE || self.fresh_window > Duration::DAY {
            return Err(Error::InvalidSettings(
                "fresh_window must be within [1 min, 24 h]",
            ));
        }
        Ok(())
    }
}
