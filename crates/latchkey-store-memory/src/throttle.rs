//! [`ThrottleStore`]: backoff counters and fixed windows.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::StoreError;
use latchkey_throttle::{
    AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
use time::{Duration, OffsetDateTime};

use crate::{MemoryStore, lock, removed};

/// Every key's backoff counter and fixed window (separate things).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    backoff: HashMap<ThrottleKey, Backoff>,
    windows: HashMap<ThrottleKey, Window>,
}

/// Consecutive uncleared attempts, and when the last was counted.
#[derive(Debug)]
struct Backoff {
    attempts: u32,
    last_at: OffsetDateTime,
}

/// Hits in the current window, and when it ends.
#[derive(Debug)]
struct Window {
    hits: u32,
    resets_at: OffsetDateTime,
}

#[async_trait]
impl ThrottleStore for MemoryStore {
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<ThrottleReservation, StoreError> {
        let mut throttle = lock(&self.throttle);
        let counter = throttle.backoff.entry(*key).or_insert(Backoff {
            attempts: 0,
            last_at: now,
        });
        if counter.attempts >= policy.lock_after {
            return Ok(ThrottleReservation::Locked);
        }
        if counter.attempts > 0 {
            let at = counter
                .last_at
                .saturating_add(policy.wait_after(counter.attempts));
            if now < at {
                return Ok(ThrottleReservation::RetryAt { at });
            }
        }
        counter.attempts += 1;
        counter.last_at = now;
        Ok(ThrottleReservation::Allowed {
            attempts: counter.attempts,
        })
    }

    async fn purge_idle(&self, idle_before: OffsetDateTime) -> Result<u64, StoreError> {
        let mut throttle = lock(&self.throttle);
        let before = throttle.backoff.len() + throttle.windows.len();
        // Uncleared failures stay however old: only a cleared counter goes.
        throttle
            .backoff
            .retain(|_, c| c.attempts > 0 || c.last_at >= idle_before);
        throttle.windows.retain(|_, w| w.resets_at > idle_before);
        Ok(removed(
            before,
            throttle.backoff.len() + throttle.windows.len(),
        ))
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        if let Some(counter) = lock(&self.throttle).backoff.get_mut(key) {
            counter.attempts = 0;
        }
        Ok(())
    }

    async fn hit(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<WindowCount, StoreError> {
        let mut throttle = lock(&self.throttle);
        let resets_at = now.saturating_add(window);
        let current = throttle
            .windows
            .entry(*key)
            .or_insert(Window { hits: 0, resets_at });
        if current.resets_at <= now {
            *current = Window { hits: 0, resets_at };
        }
        current.hits = current.hits.saturating_add(1);
        Ok(WindowCount {
            count: current.hits,
            resets_at: current.resets_at,
        })
    }
}
