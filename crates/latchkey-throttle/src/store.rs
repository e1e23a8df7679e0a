//! The storage contract for throttling counters.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::StoreError;
use time::{Duration, OffsetDateTime};

use crate::{AttemptPolicy, ThrottleKey};

/// The answer to [`ThrottleStore::reserve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleReservation {
    /// Counted; go ahead and check.
    Allowed {
        /// Consecutive uncleared attempts, including this one.
        attempts: u32,
    },
    /// Too soon after the last attempt; try again at `at`. Nothing was
    /// counted.
    RetryAt {
        /// When the next attempt is allowed.
        at: OffsetDateTime,
    },
    /// The policy's lock bound is reached: locked until cleared. Nothing
    /// was counted.
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

/// Throttling counters shared across instances (REQ-24, REQ-37).
///
/// A key has a backoff counter ([`reserve`](Self::reserve) and
/// [`clear`](Self::clear)) and a fixed window ([`hit`](Self::hit)); the
/// two are separate. Every method is one atomic operation: of concurrent
/// reservations, no more are allowed than the policy allows.
#[async_trait]
pub trait ThrottleStore: fmt::Debug + Send + Sync + 'static {
    /// Counts one attempt under `key` before it is checked, if `policy`
    /// allows one at `now`. It is refused (nothing counted) while fewer
    /// than `policy.wait_after(attempts)` have passed since the last
    /// counted attempt (so an attempt exactly at the end of the wait is
    /// allowed), and locked once `attempts >= policy.lock_after`.
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<ThrottleReservation, StoreError>;

    /// Deletes what no longer matters, so counters do not pile up:
    /// backoff counters whose count is zero (cleared) and whose last
    /// attempt was before `idle_before`, and windows that ended at or
    /// before `idle_before`. A counter of uncleared failures is never
    /// deleted nor lowered, however old (a purge must not reset a count on
    /// its way to the lock). Returns how many records went. It must not
    /// make a concurrent [`reserve`](Self::reserve) fail.
    async fn purge_idle(&self, idle_before: OffsetDateTime) -> Result<u64, StoreError>;

    /// Sets `key`'s consecutive attempts to zero (a success, or an
    /// administrator unlocking an account). A missing key is fine.
    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError>;

    /// Counts one hit in `key`'s fixed window of length `window`: a window
    /// starts at the first hit at or after the previous one's end (a hit
    /// exactly at the end starts a new window), and no concurrent hit is
    /// lost.
    async fn hit(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<WindowCount, StoreError>;
}
