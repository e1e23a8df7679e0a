//! The flow's settings and their defaults (set through
//! [`SignInBuilder`](crate::SignInBuilder), checked by its `build`).

use latchkey_credentials::{HashSettings, Hasher, PasswordPolicy};
use latchkey_otp::MailedCodeSettings;
use latchkey_recovery::RecoverySettings;
use latchkey_throttle::AttemptPolicy;
use latchkey_twofactor::TwoFactorSettings;
use time::Duration;

use crate::{Error, MailedCodePolicy, SignInBuilder};

/// Every setting of the flow, with the defaults that `docs/security.md`
/// explains. Hosts change them through the builder's methods, each of
/// which documents its default; [`SignInBuilder::build`] checks them all.
///
/// [`SignInBuilder::build`]: crate::SignInBuilder::build
#[derive(Clone, Debug)]
pub(crate) struct SignInSettings {
    pub(crate) hasher: Hasher,
    pub(crate) hash_queue: Option<usize>,
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
    pub(crate) cli_login_lifetime: Duration,
    pub(crate) cli_login_interval: Duration,
}

impl SignInSettings {
    pub(crate) fn new(issuer: &str) -> Self {
        Self {
            hasher: Hasher::new(HashSettings::default()),
            hash_queue: None,
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
            cli_login_lifetime: Duration::minutes(10),
            cli_login_interval: Duration::seconds(5),
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
        if self.cli_login_lifetime < Duration::MINUTE || self.cli_login_lifetime > Duration::HOUR {
            return Err(Error::InvalidSettings(
                "cli_login_lifetime must be within [1 min, 1 h]",
            ));
        }
        if self.cli_login_interval < Duration::SECOND || self.cli_login_interval > Duration::MINUTE
        {
            return Err(Error::InvalidSettings(
                "cli_login_poll_interval must be within [1 s, 60 s]",
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

/// Settings, each with its default.
impl SignInBuilder {
    /// Password hashing (default Argon2id m=19456 KiB, t=2, p=1, the
    /// OWASP floor; REQ-07).
    pub fn hash_settings(mut self, settings: HashSettings) -> Self {
        self.settings.hasher = Hasher::new(settings);
        self
    }

    /// The password hasher itself, for what [`hash_settings`](Self::hash_settings)
    /// cannot say: a pepper as Argon2's secret input (REQ-10), or verify
    /// limits. Replaces any earlier hash settings.
    pub fn hasher(mut self, hasher: Hasher) -> Self {
        self.settings.hasher = hasher;
        self
    }

    /// How many password checks may wait for a hashing slot before the
    /// next sign-in is answered [`SignInStep::Busy`](crate::SignInStep::Busy)
    /// at once (default [`DEFAULT_QUEUE_PER_SLOT`] per slot; the slots
    /// are the hasher's `max_in_flight`). A bounded queue keeps an
    /// overload from growing memory and answers it quickly.
    ///
    /// [`DEFAULT_QUEUE_PER_SLOT`]: latchkey_credentials::DEFAULT_QUEUE_PER_SLOT
    pub fn hash_queue_limit(mut self, waiting: usize) -> Self {
        self.settings.hash_queue = Some(waiting);
        self
    }

    /// The password policy at sign-up and password change (default
    /// [`PasswordPolicy::new`] with the issuer as the service name:
    /// at least 8 characters, not common, not the username or service).
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.settings.password_policy = policy;
        self
    }

    /// When to mail a code on accounts without 2FA (default
    /// [`MailedCodePolicy::WhenUnfamiliar`]).
    pub fn mailed_code_policy(mut self, policy: MailedCodePolicy) -> Self {
        self.settings.mailed_code_policy = policy;
        self
    }

    /// Mailed codes (default 6 digits, valid 10 minutes, 5 attempts, a
    /// resend cooldown of 60 s and at most 10 sends an hour; see
    /// [`MailedCodeSettings`]).
    pub fn mailed_codes(mut self, settings: MailedCodeSettings) -> Self {
        self.settings.mailed_codes = settings;
        self
    }

    /// 2FA (default [`TwoFactorSettings::new`] with the issuer: ±1 step,
    /// enrolments lapse after 15 minutes, approvals last 5 minutes).
    pub fn two_factor(mut self, settings: TwoFactorSettings) -> Self {
        self.settings.two_factor = settings;
        self
    }

    /// Recovery tickets (default [`RecoverySettings::default`]).
    pub fn recovery(mut self, settings: RecoverySettings) -> Self {
        self.settings.recovery = settings;
        self
    }

    /// How long a challenge lives (default 10 minutes, as long as its
    /// mailed code; at most 1 hour).
    pub fn challenge_ttl(mut self, ttl: Duration) -> Self {
        self.settings.challenge_ttl = ttl;
        self
    }

    /// Answers allowed per challenge (default 5; 1 to 20).
    pub fn challenge_attempts(mut self, attempts: u32) -> Self {
        self.settings.challenge_attempts = attempts;
        self
    }

    /// Per-account backoff and lockout, for passwords and codes, 2FA's
    /// included (default [`AttemptPolicy::DEFAULT`]: 5 free, then 30 s
    /// doubling to 1 h, locked after 100; REQ-37).
    pub fn backoff(mut self, policy: AttemptPolicy) -> Self {
        self.settings.backoff = policy;
        self
    }

    /// Requests allowed per client in each window (default 300 per 15
    /// minutes).
    pub fn client_budget(mut self, requests: u32, window: Duration) -> Self {
        self.settings.client_budget = requests;
        self.settings.client_window = window;
        self
    }

    /// How long a remembered device is recognized (default 90 days, at
    /// most 400; never extended by use).
    pub fn device_token_ttl(mut self, ttl: Duration) -> Self {
        self.settings.device_token_ttl = ttl;
        self
    }

    /// How recent an authentication must be for a sensitive change
    /// (default 10 minutes; 1 minute to 24 hours; REQ-39).
    pub fn fresh_window(mut self, window: Duration) -> Self {
        self.settings.fresh_window = window;
        self
    }

    /// How long a command-line login session lives (default 10 minutes;
    /// 1 minute to 1 hour): the user must approve and the command line
    /// collect within it.
    pub fn cli_login_lifetime(mut self, lifetime: Duration) -> Self {
        self.settings.cli_login_lifetime = lifetime;
        self
    }

    /// How long a command line waits between polls (default 5 s, as RFC
    /// 8628 section 3.5; 1 to 60 s). A poll sooner than four fifths of it
    /// after the previous one is answered
    /// [`CliLoginStatus::SlowDown`](crate::CliLoginStatus::SlowDown).
    pub fn cli_login_poll_interval(mut self, interval: Duration) -> Self {
        self.settings.cli_login_interval = interval;
        self
    }
}
