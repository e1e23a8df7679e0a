//! The storage contract for two-factor state.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, KeyId, StoreError};
use latchkey_otp::Algorithm;
use time::{Duration, OffsetDateTime};

use crate::{Mode, SealedSecret};

/// The kind of a second factor kept in this store. Security keys live in
/// their own store (`latchkey-webauthn`); an account whose only factors
/// are keys has 2FA on with no authenticator here (see
/// [`TwoFactorStore::enable_without_app`]).
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
    /// The mode; `Off` whenever 2FA is off. It is on with an
    /// authenticator app, or without one when the account's factors are
    /// security keys kept elsewhere.
    pub mode: Mode,
    /// The active authenticator app, if any.
    pub authenticator: Option<Authenticator>,
    /// An enrolment in progress, if any.
    pub pending: Option<PendingEnrolment>,
    /// Unused recovery codes left.
    pub recovery_codes_left: u32,
    /// When the owner was last told of a refused replay.
    pub last_replay_notice_at: Option<OffsetDateTime>,
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
    /// it did; at its `expires_at` the enrolment is already dead.
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
    /// Of concurrent calls with one step exactly one wins.
    async fn advance_step(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        step: u64,
        drift: i32,
    ) -> Result<bool, StoreError>;

    /// Marks the unused recovery code with this digest as used and returns
    /// how many are left, or `None` when no unused code matches: of
    /// concurrent uses of one code exactly one gets `Some`.
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

    /// Sets the mode; returns `false`, changing nothing, when 2FA is off
    /// (mode `Off`: no authenticator, and not turned on by
    /// [`enable_without_app`](Self::enable_without_app)).
    async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError>;

    /// Turns 2FA on for an account whose factor lives in another store (a
    /// first security key): only if 2FA is off (mode `Off`), sets `mode`
    /// and replaces the recovery codes, in one step. Returns whether it
    /// did; of concurrent calls exactly one gets `true`. A later
    /// [`activate`](Self::activate) (an authenticator app added beside
    /// the keys) may run with 2FA already on this way.
    async fn enable_without_app(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
        mode: Mode,
    ) -> Result<bool, StoreError>;

    /// Removes the authenticator, any pending enrolment and every recovery
    /// code, and sets the mode to `Off` (whichever way 2FA was turned on). Used write approvals stay used
    /// (see [`consume_approval`](Self::consume_approval)), and so does the
    /// time of the last replay notice; an unknown account is fine.
    async fn disable(&self, account: &AccountId) -> Result<(), StoreError>;

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
    /// `min_interval`, so replays cannot flood the owner's inbox; a claim
    /// exactly `min_interval` after the last is allowed.
    async fn claim_replay_notice(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        min_interval: Duration,
    ) -> Result<bool, StoreError>;

    /// Records approval `id` as used, only if it was not used before;
    /// returns whether it was fresh (of concurrent calls exactly one).
    /// Used approvals live apart from the rest of the state: neither
    /// [`disable`](Self::disable) nor [`activate`](Self::activate) forgets
    /// them, so an approval used before 2FA was turned off and on is still
    /// used. An entry may be forgotten only after its `expires_at`
    /// (approvals live at most an hour, so entries that expired an hour
    /// before this one's `expires_at` may go).
    async fn consume_approval(
        &self,
        account: &AccountId,
        id: &[u8; 16],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}
