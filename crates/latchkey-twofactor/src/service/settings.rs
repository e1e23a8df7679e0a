//! Settings of the two-factor service.

use latchkey_otp::Totp;
use latchkey_throttle::AttemptPolicy;
use time::Duration;

use crate::Error;

/// Settings of the two-factor service.
///
/// ```
/// use latchkey_twofactor::TwoFactorSettings;
/// let s = TwoFactorSettings::new("npm").with_drift(true);
/// assert_eq!(s.issuer(), "npm");
/// ```
#[derive(Clone, Debug)]
pub struct TwoFactorSettings {
    pub(super) issuer: String,
    pub(super) pending_ttl: Duration,
    pub(super) window: u64,
    pub(super) drift: bool,
    pub(super) max_drift: i32,
    pub(super) approval_ttl: Duration,
    pub(super) attempts: AttemptPolicy,
}

impl TwoFactorSettings {
    /// Defaults: enrolments lapse after 15 minutes, ±1 step window, no
    /// drift learning, approvals last 5 minutes.
    #[must_use]
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            pending_ttl: Duration::minutes(15),
            window: Totp::DEFAULT_WINDOW,
            drift: false,
            max_drift: 3,
            approval_ttl: Duration::minutes(5),
            attempts: AttemptPolicy::default(),
        }
    }

    /// The issuer shown in authenticator apps.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How long an enrolment waits for its first code (1 s to 24 h).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] outside that range.
    pub fn with_pending_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl < Duration::SECOND || ttl > Duration::DAY {
            return Err(Error::InvalidSettings(
                "an enrolment waits 1 second to 24 hours",
            ));
        }
        self.pending_ttl = ttl;
        Ok(self)
    }

    /// How many second-factor attempts an account gets (REQ-24): the
    /// default is [`AttemptPolicy::DEFAULT`] (5 free, then 30 s doubling to
    /// 1 h, a lock after 100). The count is the account's code counter in
    /// the [`ThrottleStore`](latchkey_throttle::ThrottleStore), shared with
    /// the sign-in flow's mailed codes.
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] when [`AttemptPolicy::check`] refuses it.
    pub fn with_attempt_policy(mut self, policy: AttemptPolicy) -> Result<Self, Error> {
        policy.check().map_err(|e| Error::InvalidSettings(e.0))?;
        self.attempts = policy;
        Ok(self)
    }

    /// Learn each device's clock offset and centre the window on it (RFC
    /// 6238 section 6), up to ±3 steps.
    #[must_use]
    pub fn with_drift(mut self, on: bool) -> Self {
        self.drift = on;
        self
    }

    /// How long an operation approval stays valid (1 s to 1 h).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] outside that range.
    pub fn with_approval_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl < Duration::SECOND || ttl > Duration::HOUR {
            return Err(Error::InvalidSettings(
                "an approval lasts 1 second to 1 hour",
            ));
        }
        self.approval_ttl = ttl;
        Ok(self)
    }
}
