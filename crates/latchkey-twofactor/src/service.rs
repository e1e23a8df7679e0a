//! The two-factor service: enrolment, verification, recovery codes,
//! modes, operation-bound approval and changes that need a fresh factor.
//!
//! [`TwoFactor`] and what its steps share are here; each step is in its
//! own module: `enrolment`, `verification`, `changes` and `approval`, with
//! the `settings` and the `outcome` types beside them.

mod approval;
mod changes;
mod enrolment;
mod outcome;
mod security_keys;
mod settings;
mod verification;

use std::fmt;
use std::sync::Arc;

use latchkey_core::{
    AccountId, Clock, EmailAddress, KeyedHmac, Mailer, Message, MessageKind, Pepper,
};
use latchkey_otp::Algorithm;
use latchkey_throttle::{ThrottleKeys, ThrottleReservation, ThrottleStore};

pub use self::approval::{Approval, OperationDigest};
pub use self::outcome::{ChangeOutcome, ConfirmOutcome, Enrolment, FactorOutcome, SecondFactor};
pub use self::settings::TwoFactorSettings;
use crate::{
    Action, Authenticator, DefaultNotices, Error, FactorChange, FactorChanges, Mode, NoListener,
    Notice, NoticeTemplate, RecoveryCodes, RecoveryDigest, SecretSealer, TwoFactorStore,
    normalize_recovery_code,
};

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
    throttle: Arc<dyn ThrottleStore>,
    throttle_keys: ThrottleKeys,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    sealer: SecretSealer,
    recovery: KeyedHmac,
    approvals: KeyedHmac,
    settings: TwoFactorSettings,
    notices: Arc<dyn NoticeTemplate>,
    changes: Arc<dyn FactorChanges>,
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
    /// A service over the host's stores (2FA state, and the throttle
    /// that counts attempts), mailer, clock, encryption keys and pepper.
    #[must_use]
    pub fn new(
        store: Arc<dyn TwoFactorStore>,
        throttle: Arc<dyn ThrottleStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        sealer: SecretSealer,
        pepper: &Pepper,
        settings: TwoFactorSettings,
    ) -> Self {
        Self {
            store,
            throttle,
            throttle_keys: ThrottleKeys::new(pepper),
            mailer,
            clock,
            sealer,
            recovery: KeyedHmac::derive(pepper, b"latchkey recovery code v1"),
            approvals: KeyedHmac::derive(pepper, b"latchkey write approval v1"),
            settings,
            notices: Arc::new(DefaultNotices),
            changes: Arc::new(NoListener),
        }
    }

    /// Tells `listener` of every factor change, right after it is stored.
    #[must_use]
    pub fn with_change_listener(mut self, listener: Arc<dyn FactorChanges>) -> Self {
        self.changes = listener;
        self
    }

    /// Reports a stored change to the listener.
    pub(crate) async fn changed(
        &self,
        account: &AccountId,
        change: FactorChange,
    ) -> Result<(), Error> {
        Ok(self.changes.factor_changed(account, change).await?)
    }

    /// Replaces the notice templates.
    #[must_use]
    pub fn with_notices(mut self, notices: Arc<dyn NoticeTemplate>) -> Self {
        self.notices = notices;
        self
    }

    /// Whether `action` needs a second-factor code for this account.
    ///
    /// # Errors
    /// A store failure.
    pub async fn requires_code(&self, account: &AccountId, action: Action) -> Result<bool, Error> {
        Ok(self.store.load(account).await?.requires_code(action))
    }

    /// The account's mode (`Off` while 2FA is off; on with an app, or
    /// with security keys only).
    ///
    /// # Errors
    /// A store failure.
    pub async fn mode(&self, account: &AccountId) -> Result<Mode, Error> {
        Ok(self.store.load(account).await?.mode)
    }

    /// Unused recovery codes left.
    ///
    /// # Errors
    /// A store failure.
    pub async fn recovery_codes_left(&self, account: &AccountId) -> Result<u32, Error> {
        Ok(self.store.load(account).await?.recovery_codes_left)
    }
}

/// What the steps share: the attempt counter, recovery-code digests and
/// notices.
impl TwoFactor {
    /// Counts an attempt against the account's code counter before
    /// checking it; `Some(outcome)` when none is allowed now.
    async fn reserve_attempt(&self, account: &AccountId) -> Result<Option<FactorOutcome>, Error> {
        let now = self.clock.now();
        let key = self.throttle_keys.account_codes(account);
        Ok(
            match self
                .throttle
                .reserve(&key, now, self.settings.attempts)
                .await?
            {
                ThrottleReservation::Allowed { .. } => None,
                ThrottleReservation::RetryAt { at } => {
                    Some(FactorOutcome::Throttled { retry_at: at })
                }
                ThrottleReservation::Locked => Some(FactorOutcome::Locked),
            },
        )
    }

    /// A success: the account's consecutive failures start again.
    async fn clear_attempts(&self, account: &AccountId) -> Result<(), Error> {
        let key = self.throttle_keys.account_codes(account);
        Ok(self.throttle.clear(&key).await?)
    }

    /// The keyed digests of `codes`, the only form the store keeps
    /// (REQ-29).
    fn recovery_digests(&self, account: &AccountId, codes: &RecoveryCodes) -> Vec<RecoveryDigest> {
        codes
            .iter()
            .filter_map(normalize_recovery_code)
            .map(|n| self.recovery.mac(&[account.as_str().as_bytes(), &n]))
            .collect()
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
