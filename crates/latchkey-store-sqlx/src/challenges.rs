//! [`ChallengeStore`](latchkey_challenge::ChallengeStore): one row per
//! challenge in `latchkey_challenges`, keyed by the id's digest.

use latchkey_challenge::{ChallengeKey, ChallengeRecord};
use latchkey_core::{SecurityStamp, StoreError};

use crate::codec::{self, Columns};

/// The columns [`challenge_from_row`] reads, for `SELECT` and `RETURNING`.
macro_rules! challenge_columns {
    () => {
        "challenge_key, account, kind, operation, created_at, expires_at, max_attempts, attempts, \
         stamp"
    };
}
pub(crate) use challenge_columns;

/// A challenge from a row with the [`challenge_columns!`].
pub(crate) fn challenge_from_row(row: &impl Columns) -> Result<ChallengeRecord, StoreError> {
    Ok(ChallengeRecord {
        key: ChallengeKey(row.array("challenge_key")?),
        account: row.account("account")?,
        kind: codec::challenge_kind(&row.text("kind")?, row.bytes_opt("operation")?)?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
        max_attempts: row.narrow("max_attempts")?,
        attempts: row.narrow("attempts")?,
        stamp: SecurityStamp(row.array("stamp")?),
    })
}

/// Implements `ChallengeStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_challenge_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_challenge::{
                ChallengeAttempt, ChallengeKey, ChallengeRecord, ChallengeStore,
            };
            use latchkey_core::StoreError;
            use time::OffsetDateTime;

            use $crate::challenges::{challenge_columns, challenge_from_row};
            use $crate::{nanos, unavailable};

            #[async_trait]
            impl ChallengeStore for $store {
                async fn insert_challenge(
                    &self,
                    record: ChallengeRecord,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(concat!(
                        "INSERT INTO latchkey_challenges (",
                        challenge_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
                    ))
                    .bind(&record.key.0[..])
                    .bind(record.account.as_str())
                    .bind(record.kind.name())
                    .bind(record.kind.operation().map(Vec::from))
                    .bind(nanos(record.created_at)?)
                    .bind(nanos(record.expires_at)?)
                    .bind(i64::from(record.max_attempts))
                    .bind(i64::from(record.attempts))
                    .bind(&record.stamp.0[..])
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn get_challenge(
                    &self,
                    key: &ChallengeKey,
                ) -> Result<Option<ChallengeRecord>, StoreError> {
                    sqlx::query(concat!(
                        "SELECT ",
                        challenge_columns!(),
                        " FROM latchkey_challenges WHERE challenge_key = $1"
                    ))
                    .bind(&key.0[..])
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .map(|row| challenge_from_row(&row))
                    .transpose()
                }

                async fn reserve_attempt(
                    &self,
                    key: &ChallengeKey,
                    now: OffsetDateTime,
                ) -> Result<ChallengeAttempt, StoreError> {
                    let at = nanos(now)?;
                    // The decision: one conditional UPDATE, which also reads
                    // the record as counted.
                    let counted = sqlx::query(concat!(
                        "UPDATE latchkey_challenges SET attempts = attempts + 1 \
                         WHERE challenge_key = $1 AND expires_at > $2 \
                         AND attempts < max_attempts RETURNING ",
                        challenge_columns!()
                    ))
                    .bind(&key.0[..])
                    .bind(at)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    if let Some(row) = counted {
                        return Ok(ChallengeAttempt::Counted(challenge_from_row(&row)?));
                    }
                    // Nothing was counted; this read only says why.
                    let live = sqlx::query(
                        "SELECT attempts FROM latchkey_challenges \
                         WHERE challenge_key = $1 AND expires_at > $2",
                    )
                    .bind(&key.0[..])
                    .bind(at)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(if live.is_some() {
                        ChallengeAttempt::Exhausted
                    } else {
                        ChallengeAttempt::Gone
                    })
                }

                async fn consume_challenge(
                    &self,
                    key: &ChallengeKey,
                    now: OffsetDateTime,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "DELETE FROM latchkey_challenges \
                         WHERE challenge_key = $1 AND expires_at > $2",
                    )
                    .bind(&key.0[..])
                    .bind(nanos(now)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn purge_expired_challenges(
                    &self,
                    now: OffsetDateTime,
                ) -> Result<u64, StoreError> {
                    let done =
                        sqlx::query("DELETE FROM latchkey_challenges WHERE expires_at <= $1")
                            .bind(nanos(now)?)
                            .execute(&self.pool)
                            .await
                            .map_err(unavailable)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(crate) use impl_challenge_store;
