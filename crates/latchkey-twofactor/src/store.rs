//! The storage contract for two-factor state.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, KeyId, StoreError};
use latchkey_otp::Algorithm;
use time::{Duration, OffsetDateTime};

use crate::{Mode, SealedSecret};

/// The kind of a second factor. Only authenticator apps exist today; the
/// type leaves room for security keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FactorKind {
    /// A TOTP authenticator app.
    AuthenticatorApp,
}

/// An active authenticator app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticator {
    /// Random id; also part of the secret's encryption context.
    pub id: [u8; 16],
    /// What kind of factor it is.
    pub kind: FactorKind,
    /// The TOTP secret, encrypted.
    pub sealed: SealedSecret,
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: u32,
    /// Seconds per step.
    pub period: u64,
    /// The last accepted time step: it and every earlier one are refused
    /// from now on (REQ-23).
    pub last_used_step: u64,
    /// The device's clock offset in steps, learnt from accepted codes.
    pub drift: i32,
    /// When it was enabled.
    pub enabled_at: OffsetDateTime,
}

/// An enrolment waiting for its first code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEnrolment {
    /// Random id; becomes the authenticator's id on confirmation.
    pub id: [u8; 16],
    /// The new secret, encrypted.
    pub sealed: SealedSecret,
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: u32,
    /// Seconds per step.
    pub period: u64,
    /// When the enrolment lapses.
    pub expires_at: OffsetDateTime,
}

/// Everything stored about one account's second factor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TwoFactorState {
    /// The mode; `Off` whenever there is no authenticator.
    pub mode: Mode,
    /// The active authenticator app, if any.
    pub authenticator: Option<Authenticator>,
    /// An enrolment in progress, if any.
    pub pending: Option<PendingEnrolment>,
    /// Unused recovery codes left.
    pub recovery_codes_left: u32,
    /// Second-factor attempts since the last success (each attempt is
    /// counted before it is checked, and a success clears the count).
    pub failed_attempts: u32,
    /// When the last attempt was counted.
    pub last_attempt_at: Option<OffsetDateTime>,
    /// When the owner was last told of a refused replay.
    pub last_replay_notice_at: Option<OffsetDateTime>,
}

/// How many second-factor attempts an account gets (REQ-24, REQ-37):
/// `free` attempts, then a wait that doubles from `first_wait` up to
/// `max_wait` before each further one, and a lock after `lock_after`.
///
/// ```
/// use latchkey_twofactor::AttemptPolicy;
/// use time::Duration;
/// let p = AttemptPolicy::default();
/// assert_eq!(p.wait_after(4), Duration::ZERO);
/// assert_eq!(p.wait_after(5), Duration::seconds(30));
/// assert_eq!(p.wait_after(6), Duration::seconds(60));
/// assert_eq!(p.wait_after(40), Duration::hours(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptPolicy {
    /// Attempts with no wait.
    pub free: u32,
    /// The first wait.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// Attempts after which the account is locked until the host clears
    /// it (at most 100, REQ-37).
    pub lock_after: u32,
}

impl Default for AttemptPolicy {
    fn default() -> Self {
        Self {
            free: 5,
            first_wait: Duration::seconds(30),
            max_wait: Duration::hours(1),
            lock_after: 100,
        }
    }
}

impl AttemptPolicy {
    /// The wait before the next attempt, after `attempts` uncleared ones.
    #[must_use]
    pub fn wait_after(&self, attempts: u32) -> Duration {
        if attempts < self.free {
            return Duration::ZERO;
        }
        let doublings = (attempts - self.free).min(30);
        let wait = self.first_wait.saturating_mul(1_i32 << doublings.min(30));
        wait.min(self.max_wait)
    }
}

/// The answer to [`TwoFactorStore::reserve_attempt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptReservation {
    /// Counted; go ahead and check the code.
    Allowed,
    /// Too soon after the last attempt; try again at `at`.
    RetryAt {
        /// When the next attempt is allowed.
        at: OffsetDateTime,
    },
    /// Too many attempts: locked until the host clears it.
    Locked,
}

/// A recovery code's keyed digest (HMAC-SHA256 under the pepper).
pub type RecoveryDigest = [u8; 32];

/// Where two-factor state lives. Every method is one atomic operation:
/// two instances sharing a database can never both accept one TOTP step or
/// one recovery code.
#[async_trait]
pub trait TwoFactorStore: fmt::Debug + Send + Sync + 'static {
    /// The account's state (the default, `Off` and empty, when unknown).
    async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError>;

    /// Stores an enrolment in progress, replacing any earlier one.
    async fn put_pending(
        &self,
        account: &AccountId,
        pending: PendingEnrolment,
    ) -> Result<(), StoreError>;

    /// Turns the pending enrolment `pending_id` into the active
    /// authenticator, only if it is still pending, unexpired at `now`, and
    /// the account has no active authenticator: records `confirmed_step` as
    /// used, replaces the recovery codes and sets `mode`. Returns whether
    /// it did.
    async fn activate(
        &self,
        account: &AccountId,
        pending_id: &[u8; 16],
        now: OffsetDateTime,
        confirmed_step: u64,
        recovery_codes: Vec<RecoveryDigest>,
        mode: Mode,
    ) -> Result<bool, StoreError>;

    /// Records `step` as used by authenticator `authenticator_id`, only if
    /// it is later than the last used step (compare-and-set), and stores
    /// the device's drift. Returns whether it did; `false` means a replay.
    async fn advance_step(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        step: u64,
        drift: i32,
    ) -> Result<bool, StoreError>;

    /// Marks the unused recovery code with this digest as used and returns
    /// how many are left, or `None` when no unused code matches.
    async fn use_recovery_code(
        &self,
        account: &AccountId,
        digest: &RecoveryDigest,
    ) -> Result<Option<u32>, StoreError>;

    /// Replaces every recovery code (the old set is void).
    async fn replace_recovery_codes(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
    ) -> Result<(), StoreError>;

    /// Sets the mode; returns `false`, changing nothing, when the account
    /// has no active authenticator.
    async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError>;

    /// Removes the authenticator, any pending enrolment and every recovery
    /// code, and sets the mode to `Off`. (The attempt count stays.)
    async fn disable(&self, account: &AccountId) -> Result<(), StoreError>;

    /// Counts one second-factor attempt before it is checked, if `policy`
    /// allows one at `now`; otherwise says when, or that the account is
    /// locked. Counting first means parallel guesses cannot exceed the
    /// budget.
    async fn reserve_attempt(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<AttemptReservation, StoreError>;

    /// Replaces authenticator `authenticator_id`'s sealed secret with `new`,
    /// only if it is still sealed under `expected_key_id` (key rotation).
    /// Returns whether it did.
    async fn reseal(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        expected_key_id: &KeyId,
        new: SealedSecret,
    ) -> Result<bool, StoreError>;

    /// Claims the right to mail a replay notice at `now`: `true`, and
    /// records `now`, only if no notice was claimed in the last
    /// `min_interval`, so replays cannot flood the owner's inbox.
    async fn claim_replay_notice(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        min_interval: Duration,
    ) -> Result<bool, StoreError>;

    /// Clears the attempt count (after a success, or by an administrator).
    async fn clear_attempts(&self, account: &AccountId) -> Result<(), StoreError>;

    /// Records approval `id` as used, only if it was not used before;
    /// returns whether it was fresh. Entries may be forgotten after
    /// `expires_at`.
    async fn consume_approval(
        &self,
        account: &AccountId,
        id: &[u8; 16],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}
