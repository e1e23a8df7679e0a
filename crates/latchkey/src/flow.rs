//! The sign-in flow: password, then a mailed code or a second factor,
//! with throttling, security events and the turn to account recovery.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use latchkey_core::{AccountId, Clock, EncryptionKey, KeyedHmac, Mailer, Pepper, random};
use latchkey_credentials::{CredentialChecker, CredentialStore, HashSettings, Hasher};
use latchkey_otp::{
    IssueOutcome, MailedCodeSettings, MailedCodes, OtpStore, Purpose, VerifyOutcome,
};
use latchkey_recovery::{
    AccountDirectory, ConfirmOutcome, DraftId, LinkedIdentities, Recovery, RecoverySettings,
    StartOutcome, TicketForm, TicketStore,
};
use latchkey_twofactor::{
    Action, Approval, ChangeOutcome, FactorOutcome, SecondFactor, SecretSealer, TwoFactor,
    TwoFactorSettings, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::Error;
use crate::accounts::AccountAddresses;
use crate::device::{
    ClientContext, DeviceTokenOnly, DeviceTokens, Familiarity, MailedCodePolicy, RiskSignals,
};
use crate::events::{EventSink, Factor, Method, SecurityEvent, TracingSink, TwoFactorChange};
use crate::executor::{BlockingExecutor, default_executor, offload};
use crate::store::{
    AttemptPolicy, ChallengeAttempt, ChallengeKey, ChallengeKind, ChallengeRecord, ChallengeStore,
    ThrottleKey, ThrottleReservation, ThrottleStore,
};

/// A challenge's id: 128 bits from the OS CSPRNG (REQ-40), shown to the
/// client as 32 lowercase hex digits. It is a bearer secret for the
/// sign-in in progress: stores keep only its SHA-256, and `Debug` hides it.
///
/// ```
/// use latchkey::ChallengeId;
/// let id = ChallengeId::generate()?;
/// let text = id.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(text.parse::<ChallengeId>()?, id);
/// assert!("not-an-id".parse::<ChallengeId>().is_err());
/// assert_eq!(format!("{id:?}"), "ChallengeId(<redacted>)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct ChallengeId([u8; 16]);

impl ChallengeId {
    /// A fresh id.
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn generate() -> Result<Self, latchkey_core::Error> {
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        Ok(Self(id))
    }

    /// What stores keep of it.
    #[must_use]
    pub fn key(&self) -> ChallengeKey {
        ChallengeKey::of(&self.0)
    }
}

impl fmt::Debug for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChallengeId(<redacted>)")
    }
}

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

/// The text is not a challenge id (32 hex digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a challenge id is 32 hexadecimal digits")]
pub struct MalformedChallengeId;

impl FromStr for ChallengeId {
    type Err = MalformedChallengeId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(s.as_bytes())
            .map_err(|_| MalformedChallengeId)?;
        let id: [u8; 16] = bytes.try_into().map_err(|_| MalformedChallengeId)?;
        Ok(Self(id))
    }
}

/// A completed sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who signed in.
    pub account: AccountId,
    /// How.
    pub method: Method,
    /// A fresh device token for the host to keep in a cookie, when this
    /// sign-in verified a code (never for the password alone, so a stolen
    /// token is not renewed with the password). With it, [`MailedCodePolicy::WhenUnfamiliar`] skips
    /// the mailed code next time.
    pub device_token: Option<String>,
    /// For a recovery code: unused codes left.
    pub recovery_codes_left: Option<u32>,
}

impl fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedIn")
            .field("account", &self.account)
            .field("method", &self.method)
            .field(
                "device_token",
                &self.device_token.as_ref().map(|_| "<redacted>"),
            )
            .field("recovery_codes_left", &self.recovery_codes_left)
            .finish()
    }
}

/// What [`SignIn::start`] decided.
#[derive(Debug)]
#[must_use]
pub enum SignInStep {
    /// The password alone was enough.
    SignedIn(SignedIn),
    /// A code went to the account's address; ask for it ("OTP for logging
    /// in to your account").
    MailedCodeSent {
        /// Send this back with the code.
        challenge: ChallengeId,
        /// Where the code went, masked for display.
        masked_address: String,
        /// When the challenge stops working.
        expires_at: OffsetDateTime,
    },
    /// The account has 2FA: ask for a code from the authenticator app, or
    /// a recovery code.
    SecondFactorRequired {
        /// Send this back with the code.
        challenge: ChallengeId,
        /// When the challenge stops working.
        expires_at: OffsetDateTime,
    },
    /// Unknown login or wrong password: one answer for both (REQ-38).
    Denied,
    /// Too many attempts. `retry_at` is when to try again; `None` means
    /// locked until the host unlocks the account ([`SignIn::unlock`]).
    Throttled {
        /// When the next attempt is allowed.
        retry_at: Option<OffsetDateTime>,
    },
}

/// An answer to a challenge, as the user typed it.
#[derive(Clone, Copy)]
pub enum Answer<'a> {
    /// The mailed code.
    MailedCode(&'a str),
    /// A code from the authenticator app.
    Totp(&'a str),
    /// A recovery code.
    RecoveryCode(&'a str),
}

impl fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MailedCode(_) => "MailedCode(<redacted>)",
            Self::Totp(_) => "Totp(<redacted>)",
            Self::RecoveryCode(_) => "RecoveryCode(<redacted>)",
        })
    }
}

/// What [`SignIn::submit`] decided.
#[derive(Debug)]
#[must_use]
pub enum Submitted {
    /// The sign-in is complete.
    SignedIn(SignedIn),
    /// A step-up challenge was answered ([`SignIn::submit_step_up`]): the
    /// write is approved. Redeem the approval with [`TwoFactor::redeem_approval`] right before the write.
    Approved(Approval),
    /// Wrong (or replayed) code. At zero attempts left the challenge is
    /// dead: start again.
    Wrong {
        /// Attempts left on this challenge.
        attempts_left: u32,
    },
    /// The challenge is unknown, expired, used or spent: start again.
    Expired,
    /// Too many attempts; see [`SignInStep::Throttled`].
    Throttled {
        /// When the next attempt is allowed; `None` when locked.
        retry_at: Option<OffsetDateTime>,
    },
}

/// What [`SignIn::resend`] did.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Resent {
    /// A new code went out; the earlier one no longer works.
    Sent {
        /// Where, masked.
        masked_address: String,
    },
    /// Too soon, or too many sends this hour: try again after this.
    TooSoon {
        /// How long to wait.
        retry_after: Duration,
    },
    /// The challenge is unknown, expired, or not a mailed-code challenge.
    Expired,
}

/// What [`SignIn::recover`] did.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Recovering {
    /// The recovery service's answer: problems with the form, throttled,
    /// or a code sent to the contact address (confirm it with
    /// [`SignIn::confirm_recovery`]).
    Started(StartOutcome),
    /// The challenge is unknown, expired or spent: start again.
    Expired,
    /// The form's login is not the account this sign-in is for.
    OtherAccount,
    /// The client's request budget is spent; try again at `retry_at`.
    Throttled {
        /// When the window ends.
        retry_at: OffsetDateTime,
    },
}

/// What [`SignIn::step_up`] decided for a write.
#[derive(Debug)]
#[must_use]
pub enum StepUp {
    /// The account's mode does not ask for a code on writes.
    NotRequired,
    /// Ask for a TOTP or recovery code, and answer with
    /// [`SignIn::submit_step_up`].
    Challenge {
        /// Send this back with the code.
        challenge: ChallengeId,
        /// When the challenge stops working.
        expires_at: OffsetDateTime,
    },
}

/// The flow's settings, with defaults from `../shared/REQUIREMENTS.md`.
#[derive(Clone, Debug)]
pub struct SignInSettings {
    /// Password hashing (Argon2id at the OWASP floor by default).
    pub hasher: Hasher,
    /// When to ask for a mailed code on accounts without 2FA.
    pub mailed_code_policy: MailedCodePolicy,
    /// Mailed codes: digits, lifetime, budget, cooldown, hourly cap.
    pub mailed_codes: MailedCodeSettings,
    /// 2FA: issuer name shown in apps, windows, budgets.
    pub two_factor: TwoFactorSettings,
    /// Recovery tickets.
    pub recovery: RecoverySettings,
    /// How long a challenge lives (10 min, as long as its mailed code, so
    /// a challenge never outlives the code it is waiting for).
    pub challenge_ttl: Duration,
    /// Answers allowed per challenge (5).
    pub challenge_attempts: u32,
    /// Per-account backoff and lockout (5 free attempts, then 30 s
    /// doubling to 1 h, locked after 100; REQ-37).
    pub account_backoff: AttemptPolicy,
    /// Requests allowed per client in each window (300).
    pub client_budget: u32,
    /// The per-client window (15 min).
    pub client_window: Duration,
    /// How long a device token is recognized (90 days).
    pub device_token_ttl: Duration,
}

impl SignInSettings {
    /// Defaults, with `issuer` as the name authenticator apps show.
    #[must_use]
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            hasher: Hasher::new(HashSettings::default()),
            mailed_code_policy: MailedCodePolicy::default(),
            mailed_codes: MailedCodeSettings::default(),
            two_factor: TwoFactorSettings::new(issuer),
            recovery: RecoverySettings::default(),
            challenge_ttl: Duration::minutes(10),
            challenge_attempts: 5,
            account_backoff: AttemptPolicy::default(),
            client_budget: 300,
            client_window: Duration::minutes(15),
            device_token_ttl: Duration::days(90),
        }
    }

    fn check(&self) -> Result<(), Error> {
        if self.challenge_ttl <= Duration::ZERO || self.challenge_ttl > Duration::hours(1) {
            return Err(Error::InvalidSetting(
                "challenge_ttl must be within (0, 1 h]",
            ));
        }
        if !(1..=20).contains(&self.challenge_attempts) {
            return Err(Error::InvalidSetting("challenge_attempts must be 1 to 20"));
        }
        let b = &self.account_backoff;
        if b.lock_after == 0 || b.lock_after > 100 || b.free > b.lock_after {
            return Err(Error::InvalidSetting(
                "account_backoff: lock_after must be 1 to 100 (REQ-37), and free at most lock_after",
            ));
        }
        if b.first_wait <= Duration::ZERO || b.max_wait < b.first_wait {
            return Err(Error::InvalidSetting(
                "account_backoff: waits must be positive and max_wait >= first_wait",
            ));
        }
        if self.client_budget == 0 || self.client_window <= Duration::ZERO {
            return Err(Error::InvalidSetting(
                "client_budget and client_window must be positive",
            ));
        }
        if self.device_token_ttl <= Duration::ZERO {
            return Err(Error::InvalidSetting("device_token_ttl must be positive"));
        }
        Ok(())
    }
}

/// The host's stores, one per trait. [`Stores::all`] takes one value that
/// implements them all (the memory store, the sqlx store).
#[derive(Clone, Debug)]
pub struct Stores {
    /// Logins and password hashes.
    pub credentials: Arc<dyn CredentialStore>,
    /// Mailed codes.
    pub codes: Arc<dyn OtpStore>,
    /// 2FA state.
    pub two_factor: Arc<dyn TwoFactorStore>,
    /// Recovery tickets.
    pub tickets: Arc<dyn TicketStore>,
    /// Sign-in challenges.
    pub challenges: Arc<dyn ChallengeStore>,
    /// Throttling counters.
    pub throttle: Arc<dyn ThrottleStore>,
}

impl Stores {
    /// Every store from one value.
    pub fn all<S>(store: Arc<S>) -> Self
    where
        S: CredentialStore
            + OtpStore
            + TwoFactorStore
            + TicketStore
            + ChallengeStore
            + ThrottleStore,
    {
        Self {
            credentials: store.clone(),
            codes: store.clone(),
            two_factor: store.clone(),
            tickets: store.clone(),
            challenges: store.clone(),
            throttle: store,
        }
    }
}

/// What the host provides besides stores.
#[derive(Clone, Debug)]
pub struct Host {
    /// Sends mail.
    pub mailer: Arc<dyn Mailer>,
    /// Tells the time.
    pub clock: Arc<dyn Clock>,
    /// Addresses of record.
    pub addresses: Arc<dyn AccountAddresses>,
    /// Accounts by login (recovery).
    pub directory: Arc<dyn AccountDirectory>,
    /// Linked GitHub/Twitter identities (recovery evidence).
    pub links: Arc<dyn LinkedIdentities>,
}

impl Host {
    /// A host whose account book answers all three account questions.
    pub fn new<A>(mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>, accounts: Arc<A>) -> Self
    where
        A: AccountAddresses + AccountDirectory + LinkedIdentities,
    {
        Self {
            mailer,
            clock,
            addresses: accounts.clone(),
            directory: accounts.clone(),
            links: accounts,
        }
    }
}

/// The host's keys: they come from the host's configuration or secret
/// manager, never from the database (REQ-41).
#[derive(Debug)]
pub struct Keys {
    /// Keys code digests, recovery codes, device tokens, throttle keys.
    pub pepper: Pepper,
    /// Encrypts TOTP secrets at rest.
    pub encryption: SecretSealer,
}

impl Keys {
    /// A pepper and one current encryption key.
    #[must_use]
    pub fn new(pepper: Pepper, encryption_key: EncryptionKey) -> Self {
        Self {
            pepper,
            encryption: SecretSealer::new(encryption_key),
        }
    }
}

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
/// Every failure counts against the account (backoff, then lockout at
/// the bound): password failures until the right password, code failures
/// until a completed sign-in. Every request counts against the client's
/// budget. Counts live in the shared throttle store. Argon2 runs on the blocking executor. Each
/// outcome is reported to the [`EventSink`].
///
/// ```
/// use std::sync::Arc;
/// use latchkey::*;
/// use latchkey_core::*;
/// use latchkey_credentials::PasswordPolicy;
/// use latchkey_store_memory::MemoryStore;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = Arc::new(MemoryStore::new());
/// let accounts = Arc::new(InMemoryAccounts::new());
/// let mailer = Arc::new(RecordingMailer::new());
/// let flow = SignIn::new(
///     Stores::all(store),
///     Host::new(mailer.clone(), Arc::new(SystemClock), accounts.clone()),
///     Keys::new(Pepper::generate()?, EncryptionKey::generate(KeyId::new("k1")?)?),
///     SignInSettings::new("Example"),
/// )?;
/// let jane = AccountId::new("1")?;
/// accounts.add("jane", &jane, EmailAddress::parse("jane@example.com")?);
/// let _ = flow.checker().register("jane", &jane, "violet umbrella sky", &PasswordPolicy::new()).await?;
///
/// let client = ClientContext::new().with_client("203.0.113.7");
/// let SignInStep::MailedCodeSent { challenge, .. } =
///     flow.start("jane", "violet umbrella sky", &client).await?
/// else { panic!("an unfamiliar device gets a mailed code") };
/// let mail = mailer.last().unwrap();
/// assert!(mail.subject.starts_with("OTP for logging in to your account"));
/// let code: String = mail.text.chars().filter(char::is_ascii_digit).take(6).collect();
/// let Submitted::SignedIn(done) = flow.submit(&challenge, Answer::MailedCode(&code), &client).await?
/// else { panic!("the mailed code signs in") };
/// assert_eq!(done.account, jane);
/// assert!(done.device_token.is_some());
///
/// assert!(matches!(flow.start("jane", "wrong", &client).await?, SignInStep::Denied));
/// assert!(matches!(flow.start("nobody", "wrong", &client).await?, SignInStep::Denied));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct SignIn {
    checker: CredentialChecker,
    codes: MailedCodes,
    two_factor: TwoFactor,
    recovery: Recovery,
    challenges: Arc<dyn ChallengeStore>,
    throttle: Arc<dyn ThrottleStore>,
    addresses: Arc<dyn AccountAddresses>,
    clock: Arc<dyn Clock>,
    devices: DeviceTokens,
    throttle_keys: KeyedHmac,
    events: Arc<dyn EventSink>,
    executor: Arc<dyn BlockingExecutor>,
    risk: Arc<dyn RiskSignals>,
    settings: SignInSettings,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("checker", &self.checker)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// How one answer to a challenge went.
enum Verdict {
    Passed {
        method: Method,
        recovery_codes_left: Option<u32>,
        approval: Option<Approval>,
    },
    Failed(Factor),
    Replayed,
    Dead,
    Throttled(Option<OffsetDateTime>),
}

impl SignIn {
    /// Builds the flow and the services it joins, from the host's stores,
    /// mailer, clock, accounts and keys.
    ///
    /// # Errors
    /// An out-of-range setting, or a failure making the dummy hash.
    pub fn new(
        stores: Stores,
        host: Host,
        keys: Keys,
        settings: SignInSettings,
    ) -> Result<Self, Error> {
        settings.check()?;
        let checker = CredentialChecker::new(stores.credentials, settings.hasher.clone())?;
        let codes = MailedCodes::new(
            stores.codes,
            host.mailer.clone(),
            host.clock.clone(),
            keys.pepper.clone(),
        )
        .with_settings(settings.mailed_codes);
        let two_factor = TwoFactor::new(
            stores.two_factor,
            host.mailer.clone(),
            host.clock.clone(),
            keys.encryption,
            &keys.pepper,
            settings.two_factor.clone(),
        );
        let recovery = Recovery::new(
            stores.tickets,
            codes.clone(),
            host.mailer,
            host.clock.clone(),
            host.directory,
            host.links,
            &keys.pepper,
            settings.recovery.clone(),
        );
        Ok(Self {
            checker,
            codes,
            two_factor,
            recovery,
            challenges: stores.challenges,
            throttle: stores.throttle,
            addresses: host.addresses,
            clock: host.clock,
            devices: DeviceTokens::new(&keys.pepper, settings.device_token_ttl),
            throttle_keys: KeyedHmac::derive(&keys.pepper, b"latchkey throttle key v1"),
            events: Arc::new(TracingSink),
            executor: default_executor(),
            risk: Arc::new(DeviceTokenOnly),
            settings,
        })
    }

    /// Sends security events to `sink` instead of `tracing`.
    #[must_use]
    pub fn with_events(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.events = sink;
        self
    }

    /// Runs Argon2 on `executor` (the default is tokio's blocking pool).
    #[must_use]
    pub fn with_executor(mut self, executor: Arc<dyn BlockingExecutor>) -> Self {
        self.executor = executor;
        self
    }

    /// Judges unfamiliar sign-ins with the host's own signals.
    #[must_use]
    pub fn with_risk_signals(mut self, risk: Arc<dyn RiskSignals>) -> Self {
        self.risk = risk;
        self
    }

    /// The credential checker (register, change password).
    #[must_use]
    pub fn checker(&self) -> &CredentialChecker {
        &self.checker
    }

    /// The mailed-code service.
    #[must_use]
    pub fn codes(&self) -> &MailedCodes {
        &self.codes
    }

    /// The 2FA service (enrolment, modes, recovery codes, approvals).
    #[must_use]
    pub fn two_factor(&self) -> &TwoFactor {
        &self.two_factor
    }

    /// The recovery service (staff review, approval, completion).
    #[must_use]
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The device-token signer.
    #[must_use]
    pub fn device_tokens(&self) -> &DeviceTokens {
        &self.devices
    }

    /// The settings in force.
    #[must_use]
    pub fn settings(&self) -> &SignInSettings {
        &self.settings
    }

    fn emit(&self, event: SecurityEvent) {
        self.events.record(&event);
    }

    /// The password-stage counter: per login as typed, the same way for
    /// known and unknown logins (so it reveals neither which logins exist
    /// nor which two logins share an account), and separate for devices
    /// that present a valid device token, so a stranger's wrong guesses
    /// cannot lock the owner out of her own devices.
    fn login_key(&self, login: &str, recognized_device: bool) -> ThrottleKey {
        let lane: &[u8] = if recognized_device {
            b"known-device"
        } else {
            b"any-device"
        };
        ThrottleKey(self.throttle_keys.mac(&[b"login", lane, login.as_bytes()]))
    }

    /// An account's counter for the code stage (answers to challenges).
    /// It is separate from the password counters, which a right password
    /// clears (so a user who remembers her password after a few tries is
    /// not made to wait before typing the code); only a completed sign-in
    /// clears this one, so knowing the password does not reset the backoff
    /// on guessing codes.
    fn account_key(&self, account: &AccountId) -> ThrottleKey {
        ThrottleKey(
            self.throttle_keys
                .mac(&[b"account", b"code", account.as_str().as_bytes()]),
        )
    }

    /// The mailed code of one challenge: its own record, bound to the
    /// challenge by the digest, so a code never works on another challenge.
    fn purpose(key: &ChallengeKey) -> Purpose {
        Purpose::SIGN_IN.scoped(&data_encoding::HEXLOWER.encode(&key.0[..8]))
    }

    /// Counts a request against the client's budget; `Some(retry_at)` when
    /// it is spent.
    async fn client_over_budget(
        &self,
        ctx: &ClientContext,
        now: OffsetDateTime,
        account: Option<&AccountId>,
    ) -> Result<Option<OffsetDateTime>, Error> {
        let Some(client) = ctx.client() else {
            return Ok(None);
        };
        let key = ThrottleKey(self.throttle_keys.mac(&[b"client", client.as_bytes()]));
        let window = self
            .throttle
            .hit(&key, now, self.settings.client_window)
            .await?;
        if window.count <= self.settings.client_budget {
            return Ok(None);
        }
        self.emit(SecurityEvent::Throttled {
            account: account.cloned(),
            per_client: true,
        });
        Ok(Some(window.resets_at))
    }

    /// Counts an attempt against a backoff counter (a login's or an
    /// account's); `Err(retry_at)` when refused, `Err(None)` when locked.
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        account: Option<&AccountId>,
    ) -> Result<Result<u32, Option<OffsetDateTime>>, Error> {
        let refused = match self
            .throttle
            .reserve(key, now, self.settings.account_backoff)
            .await?
        {
            ThrottleReservation::Allowed { attempts } => return Ok(Ok(attempts)),
            ThrottleReservation::RetryAt { at } => Some(at),
            ThrottleReservation::Locked => None,
        };
        self.emit(SecurityEvent::Throttled {
            account: account.cloned(),
            per_client: false,
        });
        Ok(Err(refused))
    }

    /// Reports a lockout when a failed attempt was the last one allowed.
    fn after_failure(&self, account: Option<&AccountId>, attempts: u32) {
        if let Some(account) = account
            && attempts >= self.settings.account_backoff.lock_after
        {
            self.emit(SecurityEvent::LockedOut {
                account: account.clone(),
            });
        }
    }

    async fn new_challenge(
        &self,
        account: &AccountId,
        kind: ChallengeKind,
        now: OffsetDateTime,
    ) -> Result<(ChallengeId, OffsetDateTime), Error> {
        let expires_at = now + self.settings.challenge_ttl;
        loop {
            let id = ChallengeId::generate()?;
            let inserted = self
                .challenges
                .insert_challenge(ChallengeRecord {
                    key: id.key(),
                    account: account.clone(),
                    kind,
                    created_at: now,
                    expires_at,
                    max_attempts: self.settings.challenge_attempts,
                    attempts: 0,
                })
                .await?;
            if inserted {
                return Ok((id, expires_at));
            }
        }
    }

    /// Signs in with login and password.
    ///
    /// An unknown login costs one full Argon2 run and gets
    /// [`SignInStep::Denied`], like a wrong password (REQ-38); both count
    /// toward the same kind of backoff (the unknown login's own counter),
    /// so throttling does not reveal which logins exist either.
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
        let found = self.checker.find(login).await?;
        let known = found.as_ref().map(|c| c.account.clone());
        // A device token is checked against the account only; for unknown
        // logins nothing is recognized, as for a known login on a new device.
        let recognized_before = match (&known, ctx.device_token()) {
            (Some(account), Some(token)) => self.devices.recognizes(token, account, now),
            _ => false,
        };
        let key = self.login_key(login, recognized_before);
        let attempts = match self.reserve(&key, now, known.as_ref()).await? {
            Ok(attempts) => attempts,
            Err(retry_at) => return Ok(SignInStep::Throttled { retry_at }),
        };

        let checker = self.checker.clone();
        let typed = Zeroizing::new(password.to_owned());
        let verdict = offload(&*self.executor, move || {
            checker.verify_found(found, &typed).map(|v| (v, typed))
        })
        .await??;
        let (verdict, typed) = verdict;
        let Some((credential, rehash_due)) = verdict else {
            self.emit(SecurityEvent::SignInDenied {
                account: known.clone(),
            });
            self.after_failure(known.as_ref(), attempts);
            return Ok(SignInStep::Denied);
        };
        // The password is right: its stage's count starts again.
        self.throttle.clear(&key).await?;
        if rehash_due {
            let hasher = self.checker.hasher().clone();
            // Best effort: a failed upgrade must not refuse a right password;
            // the next sign-in tries again.
            if let Ok(Ok(fresh)) = offload(&*self.executor, move || hasher.hash(&typed)).await {
                let _ = self.checker.store_rehash(&credential, &fresh).await;
            }
        }
        let account = credential.account;

        if self
            .two_factor
            .requires_code(&account, Action::SignIn)
            .await?
        {
            let (challenge, expires_at) = self
                .new_challenge(&account, ChallengeKind::SecondFactor, now)
                .await?;
            return Ok(SignInStep::SecondFactorRequired {
                challenge,
                expires_at,
            });
        }

        let recognized = recognized_before;
        let ask = match self.settings.mailed_code_policy {
            MailedCodePolicy::Always => true,
            MailedCodePolicy::Never => false,
            MailedCodePolicy::WhenUnfamiliar => {
                self.risk.assess(&account, ctx, recognized).await == Familiarity::Unfamiliar
            }
        };
        if !ask {
            return Ok(SignInStep::SignedIn(self.signed_in(
                account,
                Method::Password,
                None,
                now,
            )));
        }
        self.send_first_code(account, now).await
    }

    async fn send_first_code(
        &self,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<SignInStep, Error> {
        let address = self.address_of(&account).await?;
        let (challenge, expires_at) = self
            .new_challenge(&account, ChallengeKind::MailedCode, now)
            .await?;
        let key = challenge.key();
        let issued = self
            .codes
            .issue(&account, &address, &Self::purpose(&key))
            .await;
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
        self.challenges.consume_challenge(&key, now).await?;
        self.emit(SecurityEvent::Throttled {
            account: Some(account),
            per_client: false,
        });
        Ok(SignInStep::Throttled {
            retry_at: Some(now + retry_after),
        })
    }

    fn signed_in(
        &self,
        account: AccountId,
        method: Method,
        recovery_codes_left: Option<u32>,
        now: OffsetDateTime,
    ) -> SignedIn {
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
        // A token is earned by a verified code, never renewed by the
        // password alone: a stolen cookie stops working at its expiry.
        let device_token = (method != Method::Password).then(|| self.devices.issue(&account, now));
        SignedIn {
            account,
            method,
            device_token,
            recovery_codes_left,
        }
    }

    /// Answers a sign-in challenge: the mailed code, a TOTP code or a
    /// recovery code. Each answer counts against the challenge's budget
    /// and the account's backoff before it is checked; a success consumes
    /// the challenge atomically, so of concurrent right answers one wins.
    /// Step-up challenges are answered with
    /// [`submit_step_up`](Self::submit_step_up) only: here they are
    /// [`Submitted::Expired`].
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
        self.answer(challenge, answer, ctx, |r| r.kind.operation().is_none())
            .await
    }

    /// Answers a step-up challenge for `operation` by `account` with a
    /// TOTP or recovery code: [`Submitted::Approved`] on success. A
    /// challenge of another kind, account or operation is
    /// [`Submitted::Expired`], untouched, so a sign-in challenge (or
    /// another account's step-up) can never approve this write.
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
        operation: &[u8; 32],
    ) -> Result<Submitted, Error> {
        self.answer(challenge, answer, ctx, |r| {
            r.account == *account && r.kind.operation() == Some(*operation)
        })
        .await
    }

    async fn answer(
        &self,
        challenge: &ChallengeId,
        answer: Answer<'_>,
        ctx: &ClientContext,
        fits: impl Fn(&ChallengeRecord) -> bool,
    ) -> Result<Submitted, Error> {
        let now = self.clock.now();
        let key = challenge.key();
        let record = self
            .challenges
            .get_challenge(&key)
            .await?
            .filter(|r| r.expires_at > now && fits(r));
        let account = record.as_ref().map(|r| r.account.clone());
        if let Some(at) = self.client_over_budget(ctx, now, account.as_ref()).await? {
            return Ok(Submitted::Throttled { retry_at: Some(at) });
        }
        let Some(record) = record else {
            return Ok(Submitted::Expired);
        };
        let account = record.account.clone();
        let account_key = self.account_key(&account);
        let attempts = match self.reserve(&account_key, now, Some(&account)).await? {
            Ok(attempts) => attempts,
            Err(retry_at) => return Ok(Submitted::Throttled { retry_at }),
        };
        let attempts_left = match self.challenges.reserve_attempt(&key, now).await? {
            ChallengeAttempt::Counted { attempts_left } => attempts_left,
            ChallengeAttempt::Exhausted | ChallengeAttempt::Gone => return Ok(Submitted::Expired),
        };

        match self.check_answer(&record, &key, answer).await? {
            Verdict::Passed {
                method,
                recovery_codes_left,
                approval,
            } => {
                if !self.challenges.consume_challenge(&key, now).await? {
                    return Ok(Submitted::Expired);
                }
                self.throttle.clear(&account_key).await?;
                if let Some(approval) = approval {
                    self.emit(SecurityEvent::TwoFactorChanged {
                        account,
                        change: TwoFactorChange::WriteApproved,
                    });
                    return Ok(Submitted::Approved(approval));
                }
                Ok(Submitted::SignedIn(self.signed_in(
                    account,
                    method,
                    recovery_codes_left,
                    now,
                )))
            }
            Verdict::Failed(factor) => Ok(self.answer_failed(
                SecurityEvent::CodeFailed {
                    account: account.clone(),
                    factor,
                },
                &account,
                attempts,
                attempts_left,
            )),
            Verdict::Replayed => Ok(self.answer_failed(
                SecurityEvent::CodeReplayed {
                    account: account.clone(),
                },
                &account,
                attempts,
                attempts_left,
            )),
            Verdict::Dead => {
                self.challenges.consume_challenge(&key, now).await?;
                Ok(Submitted::Expired)
            }
            Verdict::Throttled(retry_at) => Ok(Submitted::Throttled { retry_at }),
        }
    }

    /// The account's address of record; an error if the host has none.
    async fn address_of(&self, account: &AccountId) -> Result<latchkey_core::EmailAddress, Error> {
        self.addresses
            .address(account)
            .await?
            .ok_or_else(|| Error::NoAddress(account.clone()))
    }

    fn answer_failed(
        &self,
        event: SecurityEvent,
        account: &AccountId,
        attempts: u32,
        attempts_left: u32,
    ) -> Submitted {
        self.emit(event);
        self.after_failure(Some(account), attempts);
        Submitted::Wrong { attempts_left }
    }

    async fn check_answer(
        &self,
        record: &ChallengeRecord,
        key: &ChallengeKey,
        answer: Answer<'_>,
    ) -> Result<Verdict, Error> {
        let account = &record.account;
        let (factor, second) = match answer {
            Answer::MailedCode(code) => {
                if record.kind != ChallengeKind::MailedCode {
                    return Ok(Verdict::Failed(Factor::MailedCode));
                }
                return Ok(
                    match self
                        .codes
                        .verify(account, &Self::purpose(key), code)
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
                            Verdict::Failed(Factor::MailedCode)
                        }
                        VerifyOutcome::Expired | VerifyOutcome::Exhausted => Verdict::Dead,
                    },
                );
            }
            Answer::Totp(code) => (Factor::Totp, SecondFactor::Totp(code)),
            Answer::RecoveryCode(code) => (Factor::RecoveryCode, SecondFactor::RecoveryCode(code)),
        };
        if record.kind == ChallengeKind::MailedCode {
            return Ok(Verdict::Failed(factor));
        }
        let address = self.address_of(account).await?;
        let (outcome, approval) = match record.kind.operation() {
            Some(operation) => match self
                .two_factor
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
            None => (
                self.two_factor.verify(account, &address, second).await?,
                None,
            ),
        };
        Ok(match outcome {
            FactorOutcome::Accepted {
                recovery_codes_left,
            } => Verdict::Passed {
                method: factor,
                recovery_codes_left,
                approval,
            },
            FactorOutcome::Replayed => Verdict::Replayed,
            FactorOutcome::Rejected | FactorOutcome::NotEnrolled => Verdict::Failed(factor),
            FactorOutcome::Throttled { retry_at } => Verdict::Throttled(Some(retry_at)),
            FactorOutcome::Locked => Verdict::Throttled(None),
        })
    }

    /// Mails a new code for a mailed-code challenge (the old one stops
    /// working), subject to the resend cooldown and hourly cap.
    ///
    /// # Errors
    /// Store or mail failures (a failed mail leaves no usable code).
    #[tracing::instrument(name = "latchkey.sign_in.resend", skip_all)]
    pub async fn resend(
        &self,
        challenge: &ChallengeId,
        ctx: &ClientContext,
    ) -> Result<Resent, Error> {
        let now = self.clock.now();
        let key = challenge.key();
        let record = self.challenges.get_challenge(&key).await?.filter(|r| {
            r.expires_at > now && r.kind == ChallengeKind::MailedCode && r.attempts < r.max_attempts
        });
        if let Some(at) = self
            .client_over_budget(ctx, now, record.as_ref().map(|r| &r.account))
            .await?
        {
            return Ok(Resent::TooSoon {
                retry_after: at - now,
            });
        }
        let Some(record) = record else {
            return Ok(Resent::Expired);
        };
        let address = self.address_of(&record.account).await?;
        match self
            .codes
            .issue(&record.account, &address, &Self::purpose(&key))
            .await?
        {
            IssueOutcome::Sent { masked_address, .. } => {
                self.emit(SecurityEvent::CodeSent {
                    account: record.account,
                    masked_address: masked_address.clone(),
                });
                Ok(Resent::Sent { masked_address })
            }
            IssueOutcome::CoolingDown { retry_after }
            | IssueOutcome::CapReached { retry_after } => Ok(Resent::TooSoon { retry_after }),
        }
    }

    /// "Try recovering your account" from the login-verification form:
    /// starts a support ticket (REQ-31 to REQ-36) while the challenge is
    /// live. The ticket never bypasses a remaining factor (REQ-33): an
    /// approved email reset changes the address only, so an account with
    /// 2FA still asks for its authenticator or a recovery code at sign-in.
    ///
    /// # Errors
    /// Store or mail failures.
    #[tracing::instrument(name = "latchkey.sign_in.recover", skip_all)]
    pub async fn recover(
        &self,
        challenge: &ChallengeId,
        form: &TicketForm,
        ctx: &ClientContext,
    ) -> Result<Recovering, Error> {
        let now = self.clock.now();
        let key = challenge.key();
        let record = self
            .challenges
            .get_challenge(&key)
            .await?
            .filter(|r| r.expires_at > now && r.kind.operation().is_none());
        if let Some(at) = self
            .client_over_budget(ctx, now, record.as_ref().map(|r| &r.account))
            .await?
        {
            return Ok(Recovering::Throttled { retry_at: at });
        }
        let Some(record) = record else {
            return Ok(Recovering::Expired);
        };
        // The ticket is for this sign-in's account, not any login typed.
        let same_account = self
            .checker
            .find(&form.login)
            .await?
            .is_some_and(|c| c.account == record.account);
        if !same_account {
            return Ok(Recovering::OtherAccount);
        }
        // Each start mails the contact address: it spends one of the
        // challenge's attempts, so one challenge cannot mail without end.
        if !matches!(
            self.challenges.reserve_attempt(&key, now).await?,
            ChallengeAttempt::Counted { .. }
        ) {
            return Ok(Recovering::Expired);
        }
        let started = self.recovery.start(form).await?;
        if matches!(started, StartOutcome::CodeSent { .. }) {
            self.emit(SecurityEvent::RecoveryStarted {
                account: record.account,
            });
        }
        Ok(Recovering::Started(started))
    }

    /// Confirms the contact address of a recovery draft with the code
    /// mailed to it, which queues the ticket for staff.
    ///
    /// # Errors
    /// Store, directory or mail failures.
    pub async fn confirm_recovery(
        &self,
        draft: &DraftId,
        code: &str,
    ) -> Result<ConfirmOutcome, Error> {
        let outcome = self.recovery.confirm(draft, code).await?;
        if let ConfirmOutcome::Submitted { reference } = &outcome {
            self.emit(SecurityEvent::TicketOpened { ticket: *reference });
        }
        Ok(outcome)
    }

    /// Step-up for a write in auth-and-writes mode: a challenge for a
    /// fresh TOTP or recovery code, bound to `operation` (the SHA-256 of
    /// what is being written). [`submit_step_up`](Self::submit_step_up) answers it with
    /// [`Submitted::Approved`].
    ///
    /// # Errors
    /// Store failures.
    pub async fn step_up(
        &self,
        account: &AccountId,
        operation: &[u8; 32],
    ) -> Result<StepUp, Error> {
        if !self
            .two_factor
            .requires_code(account, Action::Write)
            .await?
        {
            return Ok(StepUp::NotRequired);
        }
        let now = self.clock.now();
        let (challenge, expires_at) = self
            .new_challenge(
                account,
                ChallengeKind::StepUp {
                    operation: *operation,
                },
                now,
            )
            .await?;
        Ok(StepUp::Challenge {
            challenge,
            expires_at,
        })
    }

    /// Confirms a pending authenticator with its first code and reports
    /// the change as an event.
    ///
    /// # Errors
    /// As [`TwoFactor::confirm_enrolment`], or a missing address.
    pub async fn confirm_two_factor(
        &self,
        account: &AccountId,
        code: &str,
    ) -> Result<latchkey_twofactor::ConfirmOutcome, Error> {
        let address = self.address_of(account).await?;
        let outcome = self
            .two_factor
            .confirm_enrolment(account, &address, code)
            .await?;
        if matches!(outcome, latchkey_twofactor::ConfirmOutcome::Enabled { .. }) {
            self.emit(SecurityEvent::TwoFactorChanged {
                account: account.clone(),
                change: TwoFactorChange::Enabled,
            });
        }
        Ok(outcome)
    }

    /// Turns 2FA off after a fresh second factor, and reports it.
    ///
    /// # Errors
    /// As [`TwoFactor::disable`], or a missing address.
    pub async fn disable_two_factor(
        &self,
        account: &AccountId,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<()>, Error> {
        let address = self.address_of(account).await?;
        let outcome = self.two_factor.disable(account, &address, proof).await?;
        if matches!(outcome, ChangeOutcome::Done(())) {
            self.emit(SecurityEvent::TwoFactorChanged {
                account: account.clone(),
                change: TwoFactorChange::Disabled,
            });
        }
        Ok(outcome)
    }

    /// Clears an account's backoff and lockout on codes, 2FA's own
    /// attempt count included (an administrator's decision, after
    /// checking with the owner). Password backoff is per login: see
    /// [`unlock_login`](Self::unlock_login).
    ///
    /// # Errors
    /// A store failure.
    pub async fn unlock(&self, account: &AccountId) -> Result<(), Error> {
        self.throttle.clear(&self.account_key(account)).await?;
        self.two_factor.clear_attempts(account).await?;
        Ok(())
    }

    /// Clears a login's password backoff and lockout, on every device (an
    /// administrator's decision). Password failures count per login as
    /// typed: clear each login of the account (username and email, say).
    ///
    /// # Errors
    /// A store failure.
    pub async fn unlock_login(&self, login: &str) -> Result<(), Error> {
        for recognized in [false, true] {
            self.throttle
                .clear(&self.login_key(login, recognized))
                .await?;
        }
        Ok(())
    }

    /// Deletes expired challenges, and throttle counters idle for a day
    /// that are not locked (a day without attempts ends a backoff anyway:
    /// the longest wait is an hour); returns how many. Run it now and then.
    ///
    /// # Errors
    /// A store failure.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let now = self.clock.now();
        let challenges = self.challenges.purge_expired_challenges(now).await?;
        let counters = self
            .throttle
            .purge_idle(
                now - Duration::days(1),
                self.settings.account_backoff.lock_after,
            )
            .await?;
        Ok(challenges + counters)
    }
}
