//! [`OtpStore`](latchkey_otp::OtpStore): mailed codes in `latchkey_codes`
//! (at most one per account and purpose), sends in `latchkey_code_sends`
//! for the cooldown and the hourly cap.

use latchkey_core::{AccountId, StoreError};
use latchkey_otp::{CodeRecord, Purpose};

use crate::codec::Columns;

/// A code from a row with `id`, `digest`, `expires_at`, `max_attempts`
/// and `failed_attempts`, for the account and purpose it was looked up by.
pub(crate) fn code_from_row(
    row: &impl Columns,
    account: &AccountId,
    purpose: &Purpose,
) -> Result<CodeRecord, StoreError> {
    Ok(CodeRecord {
        id: row.array("id")?,
        account: account.clone(),
        purpose: purpose.clone(),
        digest: row.array("digest")?,
        expires_at: row.time("expires_at")?,
        max_attempts: row.narrow("max_attempts")?,
        failed_attempts: row.narrow("failed_attempts")?,
    })
}

/// An account's sends in the last hour.
pub(crate) struct RecentSends {
    /// The newest send that holds the cooldown.
    pub(crate) last_holding: Option<time::OffsetDateTime>,
    /// How many.
    pub(crate) sends: i64,
    /// The oldest.
    pub(crate) oldest: Option<time::OffsetDateTime>,
}

/// Recent sends from a row with `last_holding`, `sends` and `oldest`.
pub(crate) fn recent_sends_from_row(row: &impl Columns) -> Result<RecentSends, StoreError> {
    Ok(RecentSends {
        last_holding: row.time_opt("last_holding")?,
        sends: row.int("sends")?,
        oldest: row.time_opt("oldest")?,
    })
}

/// Implements `OtpStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_otp_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::{AccountId, StoreError};
            use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
            use time::{Duration, OffsetDateTime};

            use $crate::codec::Columns as _;
            use $crate::codes::{code_from_row, recent_sends_from_row};
            use $crate::{cutoff, nanos, unavailable};

            #[async_trait]
            impl OtpStore for $store {
                async fn reserve_send(
                    &self,
                    account: &AccountId,
                    now: OffsetDateTime,
                    cooldown: Duration,
                    hourly_cap: u32,
                ) -> Result<SendReservation, StoreError> {
                    let at = nanos(now)?;
                    let mut tx = self.begin_write().await?;
                    Self::lock(&mut tx, "send", account.as_str()).await?;
                    sqlx::query(
                        "DELETE FROM latchkey_code_sends WHERE account = $1 AND sent_at <= $2",
                    )
                    .bind(account.as_str())
                    .bind(cutoff(now, Duration::HOUR))
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let row = sqlx::query(
                        "SELECT MAX(CASE WHEN holds_cooldown THEN sent_at END) AS last_holding, \
                         COUNT(*) AS sends, MIN(sent_at) AS oldest \
                         FROM latchkey_code_sends WHERE account = $1",
                    )
                    .bind(account.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let recent = recent_sends_from_row(&row)?;
                    if let Some(last) = recent.last_holding {
                        let until = last.saturating_add(cooldown);
                        if now < until {
                            tx.commit().await.map_err(unavailable)?;
                            return Ok(SendReservation::CoolingDown { until });
                        }
                    }
                    if recent.sends >= i64::from(hourly_cap) {
                        let oldest = recent.oldest.unwrap_or(now);
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(SendReservation::CapReached {
                            until: oldest.saturating_add(Duration::HOUR),
                        });
                    }
                    sqlx::query(
                        "INSERT INTO latchkey_code_sends (account, sent_at, holds_cooldown) \
                         VALUES ($1, $2, TRUE)",
                    )
                    .bind(account.as_str())
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(SendReservation::Reserved)
                }

                async fn release_send(
                    &self,
                    account: &AccountId,
                    sent_at: OffsetDateTime,
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "UPDATE latchkey_code_sends SET holds_cooldown = FALSE WHERE seq = \
                         (SELECT seq FROM latchkey_code_sends WHERE account = $1 \
                          AND sent_at = $2 AND holds_cooldown ORDER BY seq LIMIT 1)",
                    )
                    .bind(account.as_str())
                    .bind(nanos(sent_at)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                async fn put(&self, record: CodeRecord) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO latchkey_codes (account, purpose, id, digest, expires_at, \
                         max_attempts, failed_attempts) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (account, purpose) DO UPDATE SET id = excluded.id, \
                         digest = excluded.digest, expires_at = excluded.expires_at, \
                         max_attempts = excluded.max_attempts, \
                         failed_attempts = excluded.failed_attempts",
                    )
                    .bind(record.account.as_str())
                    .bind(record.purpose.as_str())
                    .bind(&record.id[..])
                    .bind(&record.digest[..])
                    .bind(nanos(record.expires_at)?)
                    .bind(i64::from(record.max_attempts))
                    .bind(i64::from(record.failed_attempts))
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                async fn get(
                    &self,
                    account: &AccountId,
                    purpose: &Purpose,
                ) -> Result<Option<CodeRecord>, StoreError> {
                    sqlx::query(
                        "SELECT id, digest, expires_at, max_attempts, failed_attempts \
                         FROM latchkey_codes WHERE account = $1 AND purpose = $2",
                    )
                    .bind(account.as_str())
                    .bind(purpose.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .map(|row| code_from_row(&row, account, purpose))
                    .transpose()
                }

                async fn record_failure(
                    &self,
                    account: &AccountId,
                    purpose: &Purpose,
                    id: &[u8; 16],
                ) -> Result<FailureCount, StoreError> {
                    // The decision: one conditional UPDATE.
                    let counted = sqlx::query(
                        "UPDATE latchkey_codes SET failed_attempts = failed_attempts + 1 \
                         WHERE account = $1 AND purpose = $2 AND id = $3 \
                         AND failed_attempts < max_attempts RETURNING failed_attempts",
                    )
                    .bind(account.as_str())
                    .bind(purpose.as_str())
                    .bind(&id[..])
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    if let Some(row) = counted {
                        return Ok(FailureCount::Counted {
                            failed_attempts: row.narrow("failed_attempts")?,
                        });
                    }
                    // Nothing was counted; this read only says why.
                    let still_there = sqlx::query(
                        "SELECT failed_attempts FROM latchkey_codes \
                         WHERE account = $1 AND purpose = $2 AND id = $3",
                    )
                    .bind(account.as_str())
                    .bind(purpose.as_str())
                    .bind(&id[..])
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(if still_there.is_some() {
                        FailureCount::Exhausted
                    } else {
                        FailureCount::Gone
                    })
                }

                async fn consume(
                    &self,
                    account: &AccountId,
                    purpose: &Purpose,
                    id: &[u8; 16],
                    now: OffsetDateTime,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "DELETE FROM latchkey_codes WHERE account = $1 AND purpose = $2 \
                         AND id = $3 AND expires_at > $4 AND failed_attempts < max_attempts",
                    )
                    .bind(account.as_str())
                    .bind(purpose.as_str())
                    .bind(&id[..])
                    .bind(nanos(now)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn withdraw(
                    &self,
                    account: &AccountId,
                    purpose: &Purpose,
                    id: &[u8; 16],
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "DELETE FROM latchkey_codes \
                         WHERE account = $1 AND purpose = $2 AND id = $3",
                    )
                    .bind(account.as_str())
                    .bind(purpose.as_str())
                    .bind(&id[..])
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError> {
                    let done = sqlx::query("DELETE FROM latchkey_codes WHERE account = $1")
                        .bind(account.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(unavailable)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(crate) use impl_otp_store;
