//! The two-factor service: enrolment, verification, recovery codes,
//! modes, operation-bound approval and changes that need a fresh factor.

use std::fmt;
use std::sync::Arc;

use latchkey_core::{
    AccountId, Clock, EmailAddress, KeyedHmac, Mailer, Message, MessageKind, Pepper, random,
};
use latchkey_otp::{Algorithm, KeyUri, OtpSecret, Totp, TotpMatch};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::{
    Action, AttemptPolicy, AttemptReservation, Authenticator, DefaultNotices, Error, Mode, Notice,
    NoticeTemplate, PendingEnrolment, RecoveryCodes, RecoveryDigest, SecretSealer, TwoFactorStore,
    normalize_recovery_code,
};

/// Settings of the two-factor service.
///
/// ```
/// use latchkey_twofactor::TwoFactorSettings;
/// let s = TwoFactorSettings::new("npm").with_drift(true);
/// assert_eq!(s.issuer(), "npm");
/// ```
#[derive(Clone, Debug)]
pub struct TwoFactorSettings {
    issuer: String,
    pending_ttl: Duration,
    window: u64,
    drift: bool,
    max_drift: i32,
    approval_ttl: Duration,
    attempts: AttemptPolicy,
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

    /// How many second-factor attempts an account gets (REQ-24).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] for a lock after more than 100 attempts
    /// (REQ-37) or non-positive waits.
    pub fn with_attempt_policy(mut self, policy: AttemptPolicy) -> Result<Self, Error> {
        if policy.lock_after == 0
            || policy.lock_after > 100
            || !policy.first_wait.is_positive()
            || policy.max_wait < policy.first_wait
        {
            return Err(Error::InvalidSettings(
                "lock after 1 to 100 attempts, with positive waits",
            ));
        }
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

/// A second factor as the user typed it.
#[derive(Clone, Copy)]
pub enum SecondFactor<'a> {
    /// A code from the authenticator app.
    Totp(&'a str),
    /// One of the recovery codes.
    RecoveryCode(&'a str),
}

impl fmt::Debug for SecondFactor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "Totp(<redacted>)",
            Self::RecoveryCode(_) => "RecoveryCode(<redacted>)",
        })
    }
}

/// What checking a second factor found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum FactorOutcome {
    /// Accepted, and now used up.
    Accepted {
        /// For a recovery code: unused codes left.
        recovery_codes_left: Option<u32>,
    },
    /// Wrong code.
    Rejected,
    /// The code is one that was already used (or an earlier one); refused,
    /// and a notice was mailed (REQ-23).
    Replayed,
    /// The account has no active authenticator.
    NotEnrolled,
    /// Too many recent attempts: nothing was checked; try again at
    /// `retry_at` (REQ-24).
    Throttled {
        /// When the next attempt is allowed.
        retry_at: OffsetDateTime,
    },
    /// Too many failed attempts: second factors are locked until the host
    /// clears them.
    Locked,
}

impl FactorOutcome {
    /// Whether the factor was accepted.
    #[must_use]
    pub fn is_accepted(self) -> bool {
        matches!(self, Self::Accepted { .. })
    }
}

/// An enrolment in progress: show the URI (or its QR code) to the user.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The `otpauth://` URI to scan.
    pub uri: KeyUri,
    /// When the enrolment lapses if no code confirms it.
    pub expires_at: OffsetDateTime,
}

/// What [`TwoFactor::confirm_enrolment`] found.
#[derive(Debug, Clone)]
#[must_use]
pub enum ConfirmOutcome {
    /// 2FA is on; show these recovery codes once.
    Enabled {
        /// The new recovery codes.
        recovery_codes: RecoveryCodes,
    },
    /// The code does not match the new secret.
    WrongCode,
    /// The enrolment lapsed.
    Expired,
    /// No enrolment is in progress.
    NoPending,
    /// An authenticator is already active (one per account for now).
    AlreadyEnabled,
    /// Too many recent attempts; try again at `retry_at`.
    Throttled {
        /// When the next attempt is allowed.
        retry_at: OffsetDateTime,
    },
    /// Too many failed attempts: locked until the host clears it.
    Locked,
}

/// What a change that needs a fresh second factor did.
#[derive(Debug, Clone)]
#[must_use]
pub enum ChangeOutcome<T> {
    /// Done; `T` is the change's result.
    Done(T),
    /// The proof was not accepted; nothing changed.
    Refused(FactorOutcome),
}

/// A digest of the operation a code approves (a package tarball's
/// SHA-256, say), computed by the host.
pub type OperationDigest = [u8; 32];

/// Proof that a second factor approved one operation for one account until
/// `expires_at`. Redeem it with [`TwoFactor::redeem_approval`] right
/// before the write: it works once.
#[derive(Clone, PartialEq, Eq)]
pub struct Approval {
    id: [u8; 16],
    account: AccountId,
    operation: OperationDigest,
    expires_at: OffsetDateTime,
    tag: [u8; 32],
}

impl fmt::Debug for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Approval")
            .field("account", &self.account)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Approval {
    /// When it stops being valid.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
}

/// Two-factor authentication with an authenticator app.
///
/// - Enrolment: [`TwoFactor::begin_enrolment`] makes a secret and its
///   `otpauth://` URI; [`TwoFactor::confirm_enrolment`] activates it with a
///   valid current code and returns 10 recovery codes. Pending enrolments
///   lapse after 15 minutes.
/// - Sign-in: [`TwoFactor::verify`] accepts a TOTP code at most once: the
///   store advances the last used step atomically and refuses that step or
///   any earlier one, also across instances (REQ-23). Recovery codes work
///   once each (REQ-30).
/// - Modes: [`TwoFactor::requires_code`] answers for sign-in and writes.
/// - Writes: [`TwoFactor::approve_operation`] binds a code to one
///   operation's digest.
/// - Changes (disable, new recovery codes, mode) need a fresh factor and
///   mail a notice (REQ-28); so do recovery-code use and refused replays.
/// - Secrets are encrypted at rest with a [`SecretSealer`] (REQ-25);
///   recovery codes are stored as keyed digests under the pepper (REQ-29).
#[derive(Clone)]
pub struct TwoFactor {
    store: Arc<dyn TwoFactorStore>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    sealer: SecretSealer,
    recovery: KeyedHmac,
    approvals: KeyedHmac,
    settings: TwoFactorSettings,
    notices: Arc<dyn NoticeTemplate>,
}

impl fmt::Debug for TwoFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoFactor")
            .field("store", &self.store)
            .field("sealer", &self.sealer)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The encryption context of an authenticator's secret.
/// The encryption context of an authenticator's secret: its id, the
/// account, and the code parameters, so a ciphertext moved to another row,
/// or a row whose digits or algorithm were changed, does not open.
fn context(
    account: &AccountId,
    id: &[u8; 16],
    algorithm: Algorithm,
    digits: u32,
    period: u64,
) -> Vec<u8> {
    let mut c = Vec::with_capacity(account.as_str().len() + 48);
    c.extend_from_slice(id);
    c.extend_from_slice(algorithm.as_str().as_bytes());
    c.extend_from_slice(&digits.to_be_bytes());
    c.extend_from_slice(&period.to_be_bytes());
    c.extend_from_slice(account.as_str().as_bytes());
    c
}

fn authenticator_context(account: &AccountId, a: &Authenticator) -> Vec<u8> {
    context(account, &a.id, a.algorithm, a.digits, a.period)
}

impl TwoFactor {
    /// A service over the host's store, mailer, clock, encryption keys and
    /// pepper.
    #[must_use]
    pub fn new(
        store: Arc<dyn TwoFactorStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        sealer: SecretSealer,
        pepper: &Pepper,
        settings: TwoFactorSettings,
    ) -> Self {
        Self {
            store,
            mailer,
            clock,
            sealer,
            recovery: KeyedHmac::derive(pepper, b"latchkey recovery code v1"),
            approvals: KeyedHmac::derive(pepper, b"latchkey write approval v1"),
            settings,
            notices: Arc::new(DefaultNotices),
        }
    }

    /// Replaces the notice templates.
    #[must_use]
    pub fn with_notices(mut self, notices: Arc<dyn NoticeTemplate>) -> Self {
        self.notices = notices;
        self
    }

    /// Starts enrolling an authenticator app: a fresh secret (SHA-1, 6
    /// digits, 30 s, which every app supports), stored encrypted and
    /// pending. `label` is the account name the app shows.
    ///
    /// # Errors
    /// Store, randomness or encryption failures.
    pub async fn begin_enrolment(
        &self,
        account: &AccountId,
        label: &str,
    ) -> Result<Enrolment, Error> {
        let secret = OtpSecret::generate(Algorithm::Sha1)?;
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let expires_at = self.clock.now() + self.settings.pending_ttl;
        let pending = PendingEnrolment {
            id,
            sealed: self.sealer.seal(
                &secret,
                &context(account, &id, Algorithm::Sha1, 6, Totp::DEFAULT_PERIOD),
            )?,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: Totp::DEFAULT_PERIOD,
            expires_at,
        };
        self.store.put_pending(account, pending).await?;
        Ok(Enrolment {
            uri: KeyUri::new(self.settings.issuer.clone(), label, secret),
            expires_at,
        })
    }

    /// Activates the pending authenticator if `code` is valid for it now;
    /// returns the recovery codes to show once, and mails a notice.
    ///
    /// # Errors
    /// Store, decryption or randomness failures.
    pub async fn confirm_enrolment(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        code: &str,
    ) -> Result<ConfirmOutcome, Error> {
        let now = self.clock.now();
        let state = self.store.load(account).await?;
        if state.authenticator.is_some() {
            return Ok(ConfirmOutcome::AlreadyEnabled);
        }
        let Some(pending) = state.pending else {
            return Ok(ConfirmOutcome::NoPending);
        };
        if now >= pending.expires_at {
            return Ok(ConfirmOutcome::Expired);
        }
        match self.reserve_attempt(account).await? {
            None => {}
            Some(FactorOutcome::Throttled { retry_at }) => {
                return Ok(ConfirmOutcome::Throttled { retry_at });
            }
            Some(_) => return Ok(ConfirmOutcome::Locked),
        }
        let secret = self.sealer.open(
            &pending.sealed,
            &context(
                account,
                &pending.id,
                pending.algorithm,
                pending.digits,
                pending.period,
            ),
        )?;
        let totp = Totp::new(&secret, pending.algorithm, pending.digits, pending.period)?;
        let TotpMatch::Matched { step } = totp.verify(code, now, self.settings.window)? else {
            return Ok(ConfirmOutcome::WrongCode);
        };
        self.store.clear_attempts(account).await?;
        let recovery_codes = RecoveryCodes::generate()?;
        let digests = self.recovery_digests(account, &recovery_codes);
        if !self
            .store
            .activate(account, &pending.id, now, step, digests, Mode::AuthOnly)
            .await?
        {
            return Ok(ConfirmOutcome::NoPending);
        }
        self.notify(address, Notice::Enabled).await;
        Ok(ConfirmOutcome::Enabled { recovery_codes })
    }

    /// Whether `action` needs a second-factor code for this account.
    ///
    /// # Errors
    /// A store failure.
    pub async fn requires_code(&self, account: &AccountId, action: Action) -> Result<bool, Error> {
        let state = self.store.load(account).await?;
        Ok(state.authenticator.is_some() && state.mode.requires_code(action))
    }

    /// The account's mode (`Off` without an authenticator).
    ///
    /// # Errors
    /// A store failure.
    pub async fn mode(&self, account: &AccountId) -> Result<Mode, Error> {
        let state = self.store.load(account).await?;
        Ok(if state.authenticator.is_some() {
            state.mode
        } else {
            Mode::Off
        })
    }

    /// Unused recovery codes left.
    ///
    /// # Errors
    /// A store failure.
    pub async fn recovery_codes_left(&self, account: &AccountId) -> Result<u32, Error> {
        Ok(self.store.load(account).await?.recovery_codes_left)
    }

    /// Checks a second factor and uses it up. A recovery code's use and a
    /// refused replay mail a notice to `address`.
    ///
    /// # Errors
    /// Store or decryption failures (a wrong or missing key included).
    pub async fn verify(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        factor: SecondFactor<'_>,
    ) -> Result<FactorOutcome, Error> {
        let state = self.store.load(account).await?;
        let Some(authenticator) = state.authenticator else {
            return Ok(FactorOutcome::NotEnrolled);
        };
        if let Some(refused) = self.reserve_attempt(account).await? {
            return Ok(refused);
        }
        let outcome = match factor {
            SecondFactor::Totp(code) => self.verify_totp(account, &authenticator, code).await?,
            SecondFactor::RecoveryCode(code) => self.use_recovery_code(account, code).await?,
        };
        if outcome.is_accepted() {
            self.store.clear_attempts(account).await?;
        }
        match outcome {
            FactorOutcome::Replayed => {
                // At most one replay notice an hour: a double-clicked form
                // or a replaying attacker must not flood the inbox.
                let now = self.clock.now();
                if self
                    .store
                    .claim_replay_notice(account, now, Duration::HOUR)
                    .await?
                {
                    self.notify(address, Notice::ReplayRefused).await;
                }
            }
            FactorOutcome::Accepted {
                recovery_codes_left: Some(remaining),
            } => {
                self.notify(address, Notice::RecoveryCodeUsed { remaining })
                    .await
            }
            _ => {}
        }
        Ok(outcome)
    }

    /// Counts an attempt before checking it; `Some(outcome)` when none is
    /// allowed now.
    async fn reserve_attempt(&self, account: &AccountId) -> Result<Option<FactorOutcome>, Error> {
        let now = self.clock.now();
        Ok(
            match self
                .store
                .reserve_attempt(account, now, self.settings.attempts)
                .await?
            {
                AttemptReservation::Allowed => None,
                AttemptReservation::RetryAt { at } => {
                    Some(FactorOutcome::Throttled { retry_at: at })
                }
                AttemptReservation::Locked => Some(FactorOutcome::Locked),
            },
        )
    }

    async fn verify_totp(
        &self,
        account: &AccountId,
        authenticator: &Authenticator,
        code: &str,
    ) -> Result<FactorOutcome, Error> {
        let secret = self.sealer.open(
            &authenticator.sealed,
            &authenticator_context(account, authenticator),
        )?;
        let totp = Totp::new(
            &secret,
            authenticator.algorithm,
            authenticator.digits,
            authenticator.period,
        )?;
        let now_step = totp.step_at(self.clock.now())?;
        let drift = if self.settings.drift {
            authenticator
                .drift
                .clamp(-self.settings.max_drift, self.settings.max_drift)
        } else {
            0
        };
        // The window around the server's step always counts, so a device
        // whose clock was corrected is never locked out by a learnt drift;
        // with drift learning, the window around the device's step counts
        // too. Both are computed, whatever the input.
        let w = self.settings.window;
        let around_now = totp.verify_around(code, now_step, w, None);
        let device_step = now_step.saturating_add_signed(i64::from(drift));
        let around_device = totp.verify_around(code, device_step, w, None);
        let step = match (around_now, around_device) {
            (TotpMatch::Matched { step }, _)
            | (TotpMatch::NoMatch, TotpMatch::Matched { step }) => step,
            (TotpMatch::NoMatch, TotpMatch::NoMatch) => return Ok(FactorOutcome::Rejected),
        };
        if step <= authenticator.last_used_step {
            return Ok(FactorOutcome::Replayed);
        }
        let observed =
            i64::try_from(step).unwrap_or(i64::MAX) - i64::try_from(now_step).unwrap_or(i64::MAX);
        let new_drift = if self.settings.drift {
            i32::try_from(observed)
                .unwrap_or(0)
                .clamp(-self.settings.max_drift, self.settings.max_drift)
        } else {
            0
        };
        Ok(
            if self
                .store
                .advance_step(account, &authenticator.id, step, new_drift)
                .await?
            {
                self.reseal_if_rotated(account, authenticator, &secret)
                    .await?;
                FactorOutcome::Accepted {
                    recovery_codes_left: None,
                }
            } else {
                // Another request used this step first.
                FactorOutcome::Replayed
            },
        )
    }

    /// Key rotation: a secret still sealed under an old key is sealed
    /// again under the current one (compare-and-set on the key id), so old
    /// keys can be retired once every active user has signed in.
    async fn reseal_if_rotated(
        &self,
        account: &AccountId,
        authenticator: &Authenticator,
        secret: &OtpSecret,
    ) -> Result<(), Error> {
        if authenticator.sealed.key_id == *self.sealer.current_key_id() {
            return Ok(());
        }
        let fresh = self
            .sealer
            .seal(secret, &authenticator_context(account, authenticator))?;
        self.store
            .reseal(
                account,
                &authenticator.id,
                &authenticator.sealed.key_id,
                fresh,
            )
            .await?;
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        account: &AccountId,
        code: &str,
    ) -> Result<FactorOutcome, Error> {
        let Some(normalized) = normalize_recovery_code(code) else {
            return Ok(FactorOutcome::Rejected);
        };
        let digest = self
            .recovery
            .mac(&[account.as_str().as_bytes(), &normalized]);
        Ok(
            match self.store.use_recovery_code(account, &digest).await? {
                Some(left) => FactorOutcome::Accepted {
                    recovery_codes_left: Some(left),
                },
                None => FactorOutcome::Rejected,
            },
        )
    }

    fn recovery_digests(&self, account: &AccountId, codes: &RecoveryCodes) -> Vec<RecoveryDigest> {
        codes
            .iter()
            .filter_map(normalize_recovery_code)
            .map(|n| self.recovery.mac(&[account.as_str().as_bytes(), &n]))
            .collect()
    }

    /// Checks a second factor for one write operation and, if accepted,
    /// returns an [`Approval`] bound to that operation's digest. The code
    /// is used up, so it cannot approve another operation.
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn approve_operation(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        factor: SecondFactor<'_>,
        operation: &OperationDigest,
    ) -> Result<ChangeOutcome<Approval>, Error> {
        let outcome = self.verify(account, address, factor).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        let expires_at = self.clock.now() + self.settings.approval_ttl;
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let tag = self.approval_tag(&id, account, operation, expires_at);
        Ok(ChangeOutcome::Done(Approval {
            id,
            account: account.clone(),
            operation: *operation,
            expires_at,
            tag,
        }))
    }

    /// Redeems `approval` for `operation` by `account`, right before the
    /// write: `true` only if the tag is ours (constant-time compare), the
    /// operation and account match, it has not expired, and it was never
    /// redeemed before (an atomic store operation), so it authorises one
    /// write.
    ///
    /// # Errors
    /// A store failure.
    pub async fn redeem_approval(
        &self,
        approval: &Approval,
        account: &AccountId,
        operation: &OperationDigest,
    ) -> Result<bool, Error> {
        let expected = self.approval_tag(&approval.id, account, operation, approval.expires_at);
        let genuine =
            bool::from(expected.ct_eq(&approval.tag)) && self.clock.now() < approval.expires_at;
        if !genuine {
            return Ok(false);
        }
        Ok(self
            .store
            .consume_approval(account, &approval.id, approval.expires_at)
            .await?)
    }

    fn approval_tag(
        &self,
        id: &[u8; 16],
        account: &AccountId,
        operation: &OperationDigest,
        expires_at: OffsetDateTime,
    ) -> [u8; 32] {
        let expiry = expires_at.unix_timestamp_nanos().to_be_bytes();
        self.approvals
            .mac(&[id, account.as_str().as_bytes(), operation, &expiry])
    }

    /// Changes the mode, after a fresh second factor (REQ-28).
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn set_mode(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        mode: Mode,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<()>, Error> {
        if mode == Mode::Off {
            return self.disable(account, address, proof).await;
        }
        let outcome = self.verify(account, address, proof).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        if !self.store.set_mode(account, mode).await? {
            return Ok(ChangeOutcome::Refused(FactorOutcome::NotEnrolled));
        }
        self.notify(address, Notice::ModeChanged { mode }).await;
        Ok(ChangeOutcome::Done(()))
    }

    /// Replaces the recovery codes, after a fresh second factor; the old
    /// set stops working (REQ-28, REQ-30).
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn regenerate_recovery_codes(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<RecoveryCodes>, Error> {
        let outcome = self.verify(account, address, proof).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        let codes = RecoveryCodes::generate()?;
        self.store
            .replace_recovery_codes(account, self.recovery_digests(account, &codes))
            .await?;
        self.notify(address, Notice::RecoveryCodesRegenerated).await;
        Ok(ChangeOutcome::Done(codes))
    }

    /// Clears the account's count of second-factor attempts, lifting its
    /// wait or lock (an administrator's decision, after checking with the
    /// owner).
    ///
    /// # Errors
    /// A store failure.
    pub async fn clear_attempts(&self, account: &AccountId) -> Result<(), Error> {
        Ok(self.store.clear_attempts(account).await?)
    }

    /// Turns 2FA off, after a fresh second factor (REQ-28).
    ///
    /// # Errors
    /// As [`TwoFactor::verify`].
    pub async fn disable(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        proof: SecondFactor<'_>,
    ) -> Result<ChangeOutcome<()>, Error> {
        let outcome = self.verify(account, address, proof).await?;
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome));
        }
        self.store.disable(account).await?;
        self.notify(address, Notice::Disabled).await;
        Ok(ChangeOutcome::Done(()))
    }

    /// Mails a notice. Best effort: the change it reports has happened, so
    /// a mail failure must not undo it or hide its result.
    async fn notify(&self, address: &EmailAddress, notice: Notice) {
        let content = self.notices.render(notice);
        let mut message = Message::new(
            address.clone(),
            content.subject,
            content.text,
            MessageKind::SecurityNotice,
        );
        message.html = content.html;
        let _ = self.mailer.send(message).await;
    }
}
