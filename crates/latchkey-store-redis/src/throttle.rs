//! [`ThrottleStore`]: a hash per backoff counter and per window, under the
//! hex of the throttle key.

use async_trait::async_trait;
use latchkey_core::StoreError;
use latchkey_throttle::{
    AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
use time::{Duration, OffsetDateTime};

use crate::RedisStore;
use crate::codec;
use crate::lua::SCRIPTS;

const WHAT: &str = "throttle counter";

#[async_trait]
impl ThrottleStore for RedisStore {
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<ThrottleReservation, StoreError> {
        let mut conn = self.conn();
        let (status, value): (i64, i64) = self
            .run(
                SCRIPTS
                    .throttle_reserve
                    .key(self.keys().backoff(key))
                    .arg(codec::micros(now))
                    .arg(policy.free)
                    .arg(codec::duration_micros(policy.first_wait))
                    .arg(codec::duration_micros(policy.max_wait))
                    .arg(policy.lock_after)
                    .invoke_async(&mut conn),
            )
            .await?;
        match status {
            0 => Ok(ThrottleReservation::Allowed {
                attempts: codec::count(value, WHAT)?,
            }),
            1 => Ok(ThrottleReservation::RetryAt {
                at: codec::from_micros(value, WHAT)?,
            }),
            2 => Ok(ThrottleReservation::Locked),
            _ => Err(StoreError::corrupt("throttle reservation: unknown answer")),
        }
    }

    /// Deletes the cleared counters idle since before `idle_before` and
    /// the windows ended by then that are still in Redis (their time to
    /// live removes most first). Counters with failures are never touched.
    async fn purge_idle(&self, idle_before: OffsetDateTime) -> Result<u64, StoreError> {
        let at = codec::micros(idle_before);
        let counters = self
            .purge_each(
                &self.keys().pattern("thr"),
                &SCRIPTS.throttle_purge_backoff,
                at,
            )
            .await?;
        let windows = self
            .purge_each(
                &self.keys().pattern("win"),
                &SCRIPTS.throttle_purge_window,
                at,
            )
            .await?;
        Ok(counters.saturating_add(windows))
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let _: i64 = self
            .run(
                SCRIPTS
                    .throttle_clear
                    .key(self.keys().backoff(key))
                    .arg(self.linger_millis().max(1))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    async fn hit(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<WindowCount, StoreError> {
        let mut conn = self.conn();
        let (end, count): (i64, i64) = self
            .run(
                SCRIPTS
                    .throttle_hit
                    .key(self.keys().window(key))
                    .arg(codec::micros(now))
                    .arg(codec::duration_micros(window))
                    .arg(self.linger_millis())
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(WindowCount {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            resets_at: codec::from_micros(end, "throttle window")?,
        })
    }
}
