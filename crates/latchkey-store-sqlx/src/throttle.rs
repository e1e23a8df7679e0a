//! [`ThrottleStore`](latchkey_throttle::ThrottleStore): backoff counters in
//! `latchkey_throttle_backoff`, fixed windows in
//! `latchkey_throttle_windows`, both keyed by the counter's digest.

use latchkey_core::StoreError;
use latchkey_throttle::WindowCount;
use time::OffsetDateTime;

use crate::codec::Columns;

/// A backoff counter: consecutive uncleared attempts, and when the last
/// one was counted.
pub(crate) struct Backoff {
    /// Uncleared attempts.
    pub(crate) attempts: u32,
    /// The last counted attempt (or the row's creation).
    pub(crate) last_at: OffsetDateTime,
}

/// A backoff counter from a row with `attempts` and `last_at`.
pub(crate) fn backoff_from_row(row: &impl Columns) -> Result<Backoff, StoreError> {
    Ok(Backoff {
        attempts: row.narrow("attempts")?,
        last_at: row.time("last_at")?,
    })
}

/// A window's count from a row with `hits` and `resets_at`; a count above
/// `u32::MAX` reads as `u32::MAX`.
pub(crate) fn window_from_row(row: &impl Columns) -> Result<WindowCount, StoreError> {
    Ok(WindowCount {
        count: u32::try_from(row.int("hits")?).unwrap_or(u32::MAX),
        resets_at: row.time("resets_at")?,
    })
}

/// Implements `ThrottleStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_throttle_store {
    ($store:ident, $for_update:literal) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::StoreError;
            use latchkey_throttle::{
                AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
            };
            use time::{Duration, OffsetDateTime};

            use $crate::throttle::{backoff_from_row, window_from_row};
            use $crate::{nanos, unavailable};

            #[async_trait]
            impl ThrottleStore for $store {
                async fn reserve(
                    &self,
                    key: &ThrottleKey,
                    now: OffsetDateTime,
                    policy: AttemptPolicy,
                ) -> Result<ThrottleReservation, StoreError> {
                    let at = nanos(now)?;
                    let mut tx = self.begin_write().await?;
                    // Make sure the row exists, then lock it. A concurrent
                    // purge may delete a cleared row in between (PostgreSQL,
                    // read committed): insert again and retry.
                    let mut tries = 0;
                    let row = loop {
                        sqlx::query(
                            "INSERT INTO latchkey_throttle_backoff \
                             (throttle_key, attempts, last_at) VALUES ($1, 0, $2) \
                             ON CONFLICT (throttle_key) DO NOTHING",
                        )
                        .bind(&key.0[..])
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                        let row = sqlx::query(concat!(
                            "SELECT attempts, last_at FROM latchkey_throttle_backoff \
                             WHERE throttle_key = $1",
                            $for_update
                        ))
                        .bind(&key.0[..])
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                        tries += 1;
                        match row {
                            Some(row) => break row,
                            None if tries < 5 => {}
                            None => {
                                return Err(StoreError::corrupt(
                                    "throttle row vanished five times",
                                ));
                            }
                        }
                    };
                    let counter = backoff_from_row(&row)?;
                    if counter.attempts >= policy.lock_after {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(ThrottleReservation::Locked);
                    }
                    if counter.attempts > 0 {
                        let at = counter
                            .last_at
                            .saturating_add(policy.wait_after(counter.attempts));
                        if now < at {
                            tx.commit().await.map_err(unavailable)?;
                            return Ok(ThrottleReservation::RetryAt { at });
                        }
                    }
                    sqlx::query(
                        "UPDATE latchkey_throttle_backoff \
                         SET attempts = attempts + 1, last_at = $2 WHERE throttle_key = $1",
                    )
                    .bind(&key.0[..])
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(ThrottleReservation::Allowed {
                        attempts: counter.attempts + 1,
                    })
                }

                async fn purge_idle(&self, idle_before: OffsetDateTime) -> Result<u64, StoreError> {
                    let before = nanos(idle_before)?;
                    // Only cleared counters: a count of uncleared failures
                    // stays, however old, on its way to the lock.
                    let counters = sqlx::query(
                        "DELETE FROM latchkey_throttle_backoff \
                         WHERE attempts = 0 AND last_at < $1",
                    )
                    .bind(before)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    let windows =
                        sqlx::query("DELETE FROM latchkey_throttle_windows WHERE resets_at <= $1")
                            .bind(before)
                            .execute(&self.pool)
                            .await
                            .map_err(unavailable)?;
                    Ok(counters.rows_affected() + windows.rows_affected())
                }

                async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
                    // Zero the count, never delete the row: `reserve` inserts
                    // the row, then locks it with a SELECT, and a DELETE in
                    // between (a concurrent success) would leave it nothing
                    // to lock. `purge_idle` deletes it once it is idle.
                    sqlx::query(
                        "UPDATE latchkey_throttle_backoff SET attempts = 0 \
                         WHERE throttle_key = $1",
                    )
                    .bind(&key.0[..])
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                async fn hit(
                    &self,
                    key: &ThrottleKey,
                    now: OffsetDateTime,
                    window: Duration,
                ) -> Result<WindowCount, StoreError> {
                    // One upsert: a window that has ended starts over at this hit.
                    let row = sqlx::query(
                        "INSERT INTO latchkey_throttle_windows (throttle_key, hits, resets_at) \
                         VALUES ($1, 1, $3) ON CONFLICT (throttle_key) DO UPDATE SET \
                         hits = CASE WHEN latchkey_throttle_windows.resets_at <= $2 THEN 1 \
                                ELSE latchkey_throttle_windows.hits + 1 END, \
                         resets_at = CASE WHEN latchkey_throttle_windows.resets_at <= $2 THEN $3 \
                                ELSE latchkey_throttle_windows.resets_at END \
                         RETURNING hits, resets_at",
                    )
                    .bind(&key.0[..])
                    .bind(nanos(now)?)
                    .bind(nanos(now.saturating_add(window))?)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    window_from_row(&row)
                }
            }
        };
    };
}

pub(crate) use impl_throttle_store;
