//! The flow's own store traits: sign-in challenges and throttling counters.
//!
//! Like every latchkey store, each method is one atomic operation, so
//! several service instances sharing one database never both accept a
//! challenge, nor together exceed an attempt budget.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

pub use latchkey_twofactor::AttemptPolicy;

/// What stores keep of a challenge id: its SHA-256. The id itself (a
/// 128-bit bearer secret in the user's browser) is never stored, so a
/// leaked table cannot be replayed against the flow.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChallengeKey(pub [u8; 32]);

impl ChallengeKey {
    /// The key of a challenge id's bytes.
    #[must_use]
    pub fn of(id: &[u8; 16]) -> Self {
        Self(Sha256::digest(id).into())
    }
}

/// `Name(0a1b2c3d…)`: the first four bytes of a digest, enough to
/// correlate log lines, not to look anything up.
fn digest_prefix(f: &mut fmt::Formatter<'_>, name: &str, digest: &[u8; 32]) -> fmt::Result {
    write!(
        f,
        "{name}({}…)",
        data_encoding::HEXLOWER.encode(&digest[..4])
    )
}

impl fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        digest_prefix(f, "ChallengeKey", &self.0)
    }
}

/// What a challenge asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeKind {
    /// The code mailed to the account's address (login verification).
    MailedCode,
    /// A TOTP code or a recovery code (2FA at sign-in).
    SecondFactor,
    /// A TOTP code or a recovery code approving one write (step-up in
    /// auth-and-writes mode), bound to the operation's digest.
    StepUp {
        /// SHA-256 of the operation the host described.
        operation: [u8; 32],
    },
}

impl ChallengeKind {
    /// The kind's name as stored: `mailed-code`, `second-factor` or
    /// `step-up`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::MailedCode => "mailed-code",
            Self::SecondFactor => "second-factor",
            Self::StepUp { .. } => "step-up",
        }
    }

    /// Rebuilds a kind from its stored name and operation digest; `None`
    /// if they do not fit together.
    #[must_use]
    pub fn from_parts(name: &str, operation: Option<[u8; 32]>) -> Option<Self> {
        match (name, operation) {
            ("mailed-code", None) => Some(Self::MailedCode),
            ("second-factor", None) => Some(Self::SecondFactor),
            ("step-up", Some(operation)) => Some(Self::StepUp { operation }),
            _ => None,
        }
    }

    /// The operation digest of a step-up challenge.
    #[must_use]
    pub fn operation(&self) -> Option<[u8; 32]> {
        match self {
            Self::StepUp { operation } => Some(*operation),
            _ => None,
        }
    }
}

/// A stored challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// The digest of the challenge id.
    pub key: ChallengeKey,
    /// The account it belongs to.
    pub account: AccountId,
    /// What it asks for.
    pub kind: ChallengeKind,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Attempts counted so far.
    pub attempts: u32,
}

/// The answer to [`ChallengeStore::reserve_attempt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeAttempt {
    /// Counted; this many attempts remain after this one.
    Counted {
        /// Attempts left after this one.
        attempts_left: u32,
    },
    /// The budget was already spent; nothing counted.
    Exhausted,
    /// No such challenge, or it has expired.
    Gone,
}

/// Where sign-in challenges live.
#[async_trait]
pub trait ChallengeStore: fmt::Debug + Send + Sync + 'static {
    /// Stores a new challenge. Returns `false`, storing nothing, if the key
    /// is taken (with 128-bit random ids this never happens by chance).
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError>;

    /// The challenge with this key, expired or not.
    async fn get_challenge(
        &self,
        key: &ChallengeKey,
    ) -> Result<Option<ChallengeRecord>, StoreError>;

    /// Counts one attempt before the answer is checked, if the challenge
    /// exists, is unexpired at `now`, and has budget left. Counting first
    /// means parallel guesses cannot exceed the budget.
    async fn reserve_attempt(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<ChallengeAttempt, StoreError>;

    /// Deletes the challenge and returns `true` only if it exists and is
    /// unexpired at `now`: of concurrent callers exactly one gets `true`.
    async fn consume_challenge(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Deletes every challenge expired at `now` (`expires_at <= now`);
    /// returns how many.
    async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}

/// A throttling counter's key: a keyed digest (HMAC-SHA256 under the
/// pepper) of what is counted, such as an account or a client address.
/// Stores never see a login as typed (people type passwords into login
/// fields) nor a client's address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThrottleKey(pub [u8; 32]);

impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        digest_prefix(f, "ThrottleKey", &self.0)
    }
}

/// The answer to [`ThrottleStore::reserve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleReservation {
    /// Counted; go ahead and check.
    Allowed {
        /// Consecutive uncleared attempts, including this one.
        attempts: u32,
    },
    /// Too soon after the last attempt; try again at `at`.
    RetryAt {
        /// When the next attempt is allowed.
        at: OffsetDateTime,
    },
    /// The policy's lock bound is reached: locked until cleared.
    Locked,
}

/// A fixed window's count, from [`ThrottleStore::hit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowCount {
    /// Hits in the current window, including this one.
    pub count: u32,
    /// When the current window ends.
    pub resets_at: OffsetDateTime,
}

/// Throttling counters shared across instances (REQ-37).
///
/// [`reserve`](Self::reserve) counters and [`hit`](Self::hit) windows are
/// separate: one key may have both.
#[async_trait]
pub trait ThrottleStore: fmt::Debug + Send + Sync + 'static {
    /// Counts one attempt under `key` before it is checked, if `policy`
    /// allows one at `now`: refused while fewer than
    /// `policy.wait_after(attempts)` have passed since the last counted
    /// attempt, and locked once `attempts >= policy.lock_after`.
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<ThrottleReservation, StoreError>;

    /// Deletes what no longer matters, so counters do not pile up: backoff
    /// counters whose last attempt was before `idle_before` and that are
    /// not locked (`attempts < lock_after`; locks stay until cleared), and
    /// windows that ended at or before `idle_before`. Returns how many.
    /// It must not make a concurrent [`reserve`](Self::reserve) fail.
    async fn purge_idle(
        &self,
        idle_before: OffsetDateTime,
        lock_after: u32,
    ) -> Result<u64, StoreError>;

    /// Clears `key`'s consecutive attempts (a success, or an administrator
    /// unlocking an account).
    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError>;

    /// Counts one hit in `key`'s fixed window of length `window`: a window
    /// starts at the first hit after the previous one ended.
    async fn hit(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<WindowCount, StoreError>;
}
