//! [`CliLoginStore`](latchkey_cli_login::CliLoginStore): one row per
//! command-line login session in `latchkey_cli_logins`, keyed by the id's
//! digest, the poll token's digest unique beside it.

use latchkey_cli_login::{CliLoginDecision, CliLoginPoll, CliLoginRecord};
use latchkey_core::{AccountId, SecurityStamp, StoreError};
use time::{Duration, OffsetDateTime};

use crate::codec::{self, Columns};

/// The `state` of a session no one has decided yet.
pub(crate) const PENDING: &str = "pending";
/// The `state` of an approval no poll has collected yet.
const APPROVED: &str = "approved";
/// The `state` of a denied session.
const DENIED: &str = "denied";
/// The `state` of an approval a poll has collected.
const CLAIMED: &str = "claimed";

/// The columns [`cli_login_from_row`] reads, in the order
/// `insert_cli_login` writes them.
macro_rules! cli_login_columns {
    () => {
        "id_digest, poll_digest, user_code, client, created_at, expires_at"
    };
}
pub(crate) use cli_login_columns;

/// The columns [`polled_from_row`] reads.
macro_rules! polled_columns {
    () => {
        "id_digest, state, account, stamp, last_poll_at"
    };
}
pub(crate) use polled_columns;

/// A session from a row with the [`cli_login_columns!`].
pub(crate) fn cli_login_from_row(row: &impl Columns) -> Result<CliLoginRecord, StoreError> {
    Ok(CliLoginRecord {
        id_digest: row.array("id_digest")?,
        poll_digest: row.array("poll_digest")?,
        user_code: codec::user_code(&row.text("user_code")?)?,
        client: row.text_opt("client")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
    })
}

/// What `decide_cli_login` writes: the `state`, `account` and `stamp`.
pub(crate) fn decision_columns(
    decision: &CliLoginDecision,
) -> (&'static str, Option<&str>, Option<&[u8]>) {
    match decision {
        CliLoginDecision::Approve { account, stamp } => {
            (APPROVED, Some(account.as_str()), Some(&stamp.0[..]))
        }
        CliLoginDecision::Deny => (DENIED, None, None),
    }
}

/// Where a session stands, as its `state`, `account` and `stamp` say.
enum Standing {
    Pending,
    Approved {
        account: AccountId,
        stamp: SecurityStamp,
    },
    Denied,
    Claimed,
}

impl Standing {
    /// The `state` that says so.
    fn name(&self) -> &'static str {
        match self {
            Self::Pending => PENDING,
            Self::Approved { .. } => APPROVED,
            Self::Denied => DENIED,
            Self::Claimed => CLAIMED,
        }
    }
}

/// A live session as a poll found (and, on PostgreSQL, locked) it.
pub(crate) struct Polled {
    /// Which row.
    pub(crate) id_digest: [u8; 32],
    standing: Standing,
    last_poll_at: Option<OffsetDateTime>,
}

impl Polled {
    /// The answer to a poll at `now`, and the `state` to store with `now`
    /// as the last poll: an approval in time is claimed as it is answered.
    pub(crate) fn answer(
        self,
        now: OffsetDateTime,
        min_gap: Duration,
    ) -> (CliLoginPoll, &'static str) {
        if self
            .last_poll_at
            .is_some_and(|at| now < at.saturating_add(min_gap))
        {
            return (CliLoginPoll::TooSoon, self.standing.name());
        }
        match self.standing {
            Standing::Pending => (CliLoginPoll::Waiting, PENDING),
            Standing::Denied => (CliLoginPoll::Denied, DENIED),
            Standing::Approved { account, stamp } => {
                (CliLoginPoll::Approved { account, stamp }, CLAIMED)
            }
            Standing::Claimed => (CliLoginPoll::Claimed, CLAIMED),
        }
    }
}

/// A polled session from a row with the [`polled_columns!`].
pub(crate) fn polled_from_row(row: &impl Columns) -> Result<Polled, StoreError> {
    let account = row.account_opt("account")?;
    let stamp = row.array_opt("stamp")?.map(SecurityStamp);
    let standing = match (row.text("state")?.as_str(), account, stamp) {
        (PENDING, None, None) => Standing::Pending,
        (APPROVED, Some(account), Some(stamp)) => Standing::Approved { account, stamp },
        (DENIED, None, None) => Standing::Denied,
        (CLAIMED, Some(_), Some(_)) => Standing::Claimed,
        _ => return Err(StoreError::corrupt("command-line login state")),
    };
    Ok(Polled {
        id_digest: row.array("id_digest")?,
        standing,
        last_poll_at: row.time_opt("last_poll_at")?,
    })
}

/// Implements `CliLoginStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_cli_login_store {
    ($store:ident, $for_update:literal) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_cli_login::{
                CliLoginDecision, CliLoginPoll, CliLoginRecord, CliLoginStore,
            };
            use latchkey_core::StoreError;
            use time::{Duration, OffsetDateTime};

            use $crate::cli_logins::{
                PENDING, cli_login_columns, cli_login_from_row, decision_columns, polled_columns,
                polled_from_row,
            };
            use $crate::{nanos, unavailable};

            #[async_trait]
            impl CliLoginStore for $store {
                async fn insert_cli_login(
                    &self,
                    record: CliLoginRecord,
                ) -> Result<bool, StoreError> {
                    // A taken id digest or poll digest: either conflict
                    // stores nothing.
                    let done = sqlx::query(concat!(
                        "INSERT INTO latchkey_cli_logins (",
                        cli_login_columns!(),
                        ", state) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
                    ))
                    .bind(&record.id_digest[..])
                    .bind(&record.poll_digest[..])
                    .bind(record.user_code.to_string())
                    .bind(record.client.as_deref())
                    .bind(nanos(record.created_at)?)
                    .bind(nanos(record.expires_at)?)
                    .bind(PENDING)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn pending_cli_login(
                    &self,
                    id_digest: &[u8; 32],
                    now: OffsetDateTime,
                ) -> Result<Option<CliLoginRecord>, StoreError> {
                    sqlx::query(concat!(
                        "SELECT ",
                        cli_login_columns!(),
                        " FROM latchkey_cli_logins \
                         WHERE id_digest = $1 AND expires_at > $2 AND state = $3"
                    ))
                    .bind(&id_digest[..])
                    .bind(nanos(now)?)
                    .bind(PENDING)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .map(|row| cli_login_from_row(&row))
                    .transpose()
                }

                async fn decide_cli_login(
                    &self,
                    id_digest: &[u8; 32],
                    decision: &CliLoginDecision,
                    now: OffsetDateTime,
                ) -> Result<bool, StoreError> {
                    let (state, account, stamp) = decision_columns(decision);
                    // The decision: one conditional UPDATE; of concurrent
                    // ones only the first still finds the session pending.
                    let done = sqlx::query(
                        "UPDATE latchkey_cli_logins SET state = $3, account = $4, stamp = $5 \
                         WHERE id_digest = $1 AND expires_at > $2 AND state = $6",
                    )
                    .bind(&id_digest[..])
                    .bind(nanos(now)?)
                    .bind(state)
                    .bind(account)
                    .bind(stamp)
                    .bind(PENDING)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn poll_cli_login(
                    &self,
                    poll_digest: &[u8; 32],
                    now: OffsetDateTime,
                    min_gap: Duration,
                ) -> Result<CliLoginPoll, StoreError> {
                    let at = nanos(now)?;
                    // The answer depends on the previous poll, which this
                    // one replaces: read the row locked (the write lock on
                    // SQLite, the row's on PostgreSQL), then write it back.
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        polled_columns!(),
                        " FROM latchkey_cli_logins WHERE poll_digest = $1 AND expires_at > $2",
                        $for_update
                    ))
                    .bind(&poll_digest[..])
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let Some(row) = row else {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(CliLoginPoll::Gone);
                    };
                    let polled = polled_from_row(&row)?;
                    let id_digest = polled.id_digest;
                    let (answer, state) = polled.answer(now, min_gap);
                    sqlx::query(
                        "UPDATE latchkey_cli_logins SET last_poll_at = $2, state = $3 \
                         WHERE id_digest = $1",
                    )
                    .bind(&id_digest[..])
                    .bind(at)
                    .bind(state)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(answer)
                }

                async fn purge_expired_cli_logins(
                    &self,
                    now: OffsetDateTime,
                ) -> Result<u64, StoreError> {
                    let done =
                        sqlx::query("DELETE FROM latchkey_cli_logins WHERE expires_at <= $1")
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

pub(crate) use impl_cli_login_store;
