//! [`TwoFactorStore`](latchkey_twofactor::TwoFactorStore): the active
//! authenticator (with the mode and the last used step) in
//! `latchkey_authenticators` (the mode of 2FA turned on by a security key,
//! with no app, in `latchkey_two_factor_without_app`), an enrolment in progress in
//! `latchkey_pending_enrolments`, recovery codes as digests in
//! `latchkey_recovery_codes`, replay-notice claims in
//! `latchkey_replay_notices`, and used write approvals in
//! `latchkey_used_approvals`, a table of their own so that an approval
//! stays used when 2FA is disabled and enabled again.
//!
//! Second-factor attempts are not counted here: the service counts them
//! in the [`ThrottleStore`](latchkey_throttle::ThrottleStore).

use latchkey_core::{KeyId, StoreError};
use latchkey_twofactor::{
    Authenticator, FactorKind, Mode, PendingEnrolment, SealedSecret, TwoFactorState,
};

use crate::codec::{self, Columns};

/// A sealed secret from the columns `{prefix}_key_id`, `{prefix}_nonce`
/// and `{prefix}_ciphertext`.
fn sealed_from_row(row: &impl Columns, prefix: &str) -> Result<SealedSecret, StoreError> {
    let key_id = row.text(&format!("{prefix}_key_id"))?;
    Ok(SealedSecret {
        key_id: KeyId::new(key_id).map_err(|_| StoreError::corrupt("key id"))?,
        nonce: row.array(&format!("{prefix}_nonce"))?,
        ciphertext: row.bytes(&format!("{prefix}_ciphertext"))?,
    })
}

/// The authenticator in the `a_` columns of [`two_factor_from_row`]'s
/// row, if there is one.
fn authenticator_from_row(row: &impl Columns) -> Result<Option<Authenticator>, StoreError> {
    let Some(id) = row.array_opt("a_id")? else {
        return Ok(None);
    };
    Ok(Some(Authenticator {
        id,
        kind: FactorKind::AuthenticatorApp,
        sealed: sealed_from_row(row, "a")?,
        algorithm: codec::algorithm(&row.text("a_algorithm")?)?,
        digits: row.narrow("a_digits")?,
        period: row.narrow("a_period")?,
        last_used_step: row.narrow("a_last_used_step")?,
        drift: row.narrow("a_drift")?,
        enabled_at: row.time("a_enabled_at")?,
    }))
}

/// The pending enrolment in the `p_` columns of [`two_factor_from_row`]'s
/// row, if there is one.
fn pending_from_row(row: &impl Columns) -> Result<Option<PendingEnrolment>, StoreError> {
    let Some(id) = row.array_opt("p_id")? else {
        return Ok(None);
    };
    Ok(Some(PendingEnrolment {
        id,
        sealed: sealed_from_row(row, "p")?,
        algorithm: codec::algorithm(&row.text("p_algorithm")?)?,
        digits: row.narrow("p_digits")?,
        period: row.narrow("p_period")?,
        expires_at: row.time("p_expires_at")?,
    }))
}

/// An account's state from the one row `load` reads: the authenticator's
/// columns prefixed `a_`, the pending enrolment's `p_`, the mode without
/// an app `w_mode`, `codes_left` and `notified_at`.
pub(crate) fn two_factor_from_row(row: &impl Columns) -> Result<TwoFactorState, StoreError> {
    let authenticator = authenticator_from_row(row)?;
    let mode = match (&authenticator, row.text_opt("w_mode")?) {
        (Some(_), _) => codec::mode(&row.text("a_mode")?)?,
        (None, Some(mode)) => codec::mode(&mode)?,
        (None, None) => Mode::Off,
    };
    Ok(TwoFactorState {
        mode,
        authenticator,
        pending: pending_from_row(row)?,
        recovery_codes_left: row.narrow("codes_left")?,
        last_replay_notice_at: row.time_opt("notified_at")?,
    })
}

/// Implements `TwoFactorStore` for `$store` on database `$db` (see
/// `crate::impl_stores!`).
macro_rules! impl_two_factor_store {
    ($store:ident, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::{AccountId, KeyId, StoreError};
            use latchkey_twofactor::{
                Mode, PendingEnrolment, RecoveryDigest, SealedSecret, TwoFactorState,
                TwoFactorStore,
            };
            use time::{Duration, OffsetDateTime};

            use $crate::codec::Columns as _;
            use $crate::two_factor::two_factor_from_row;
            use $crate::{cutoff, int_of_u64, nanos, unavailable};

            impl $store {
                /// Replaces `account`'s recovery codes inside `tx`.
                async fn put_recovery_codes(
                    tx: &mut sqlx::Transaction<'static, $db>,
                    account: &AccountId,
                    codes: &[RecoveryDigest],
                ) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM latchkey_recovery_codes WHERE account = $1")
                        .bind(account.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(unavailable)?;
                    for digest in codes {
                        sqlx::query(
                            "INSERT INTO latchkey_recovery_codes (account, digest) \
                             VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        )
                        .bind(account.as_str())
                        .bind(&digest[..])
                        .execute(&mut **tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    Ok(())
                }
            }

            #[async_trait]
            impl TwoFactorStore for $store {
                async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError> {
                    // One statement, so one consistent view of the five tables.
                    let row = sqlx::query(
                        "SELECT a.id AS a_id, a.mode AS a_mode, a.key_id AS a_key_id, \
                         a.nonce AS a_nonce, a.ciphertext AS a_ciphertext, \
                         a.algorithm AS a_algorithm, a.digits AS a_digits, a.period AS a_period, \
                         a.last_used_step AS a_last_used_step, a.drift AS a_drift, \
                         a.enabled_at AS a_enabled_at, \
                         p.id AS p_id, p.key_id AS p_key_id, p.nonce AS p_nonce, \
                         p.ciphertext AS p_ciphertext, p.algorithm AS p_algorithm, \
                         p.digits AS p_digits, p.period AS p_period, p.expires_at AS p_expires_at, \
                         n.notified_at AS notified_at, w.mode AS w_mode, \
                         (SELECT COUNT(*) FROM latchkey_recovery_codes r \
                          WHERE r.account = k.account) AS codes_left \
                         FROM (SELECT CAST($1 AS TEXT) AS account) k \
                         LEFT JOIN latchkey_authenticators a ON a.account = k.account \
                         LEFT JOIN latchkey_pending_enrolments p ON p.account = k.account \
                         LEFT JOIN latchkey_replay_notices n ON n.account = k.account \
                         LEFT JOIN latchkey_two_factor_without_app w ON w.account = k.account",
                    )
                    .bind(account.as_str())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    two_factor_from_row(&row)
                }

                async fn put_pending(
                    &self,
                    account: &AccountId,
                    pending: PendingEnrolment,
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO latchkey_pending_enrolments (account, id, key_id, nonce, \
                         ciphertext, algorithm, digits, period, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (account) DO UPDATE SET id = excluded.id, \
                         key_id = excluded.key_id, nonce = excluded.nonce, \
                         ciphertext = excluded.ciphertext, algorithm = excluded.algorithm, \
                         digits = excluded.digits, period = excluded.period, \
                         expires_at = excluded.expires_at",
                    )
                    .bind(account.as_str())
                    .bind(&pending.id[..])
                    .bind(pending.sealed.key_id.as_str())
                    .bind(&pending.sealed.nonce[..])
                    .bind(&pending.sealed.ciphertext[..])
                    .bind(pending.algorithm.as_str())
                    .bind(i64::from(pending.digits))
                    .bind(int_of_u64(pending.period, "period")?)
                    .bind(nanos(pending.expires_at)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                async fn activate(
                    &self,
                    account: &AccountId,
                    pending_id: &[u8; 16],
                    now: OffsetDateTime,
                    confirmed_step: u64,
                    recovery_codes: Vec<RecoveryDigest>,
                    mode: Mode,
                ) -> Result<bool, StoreError> {
                    let (at, step) = (nanos(now)?, int_of_u64(confirmed_step, "time step")?);
                    let mut tx = self.begin_write().await?;
                    // One account's ways of turning 2FA on take turns (an
                    // app, a first key): each sees the other's result.
                    Self::lock(&mut tx, "two-factor-on", account.as_str()).await?;
                    // Taking the pending row is the decision; the rest of the
                    // transaction commits with it or not at all.
                    let Some(p) = sqlx::query(
                        "DELETE FROM latchkey_pending_enrolments \
                         WHERE account = $1 AND id = $2 AND expires_at > $3 \
                         AND NOT EXISTS (SELECT 1 FROM latchkey_authenticators WHERE account = $1) \
                         RETURNING key_id, nonce, ciphertext, algorithm, digits, period",
                    )
                    .bind(account.as_str())
                    .bind(&pending_id[..])
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    else {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(false);
                    };
                    let inserted = sqlx::query(
                        "INSERT INTO latchkey_authenticators (account, id, mode, key_id, nonce, \
                         ciphertext, algorithm, digits, period, last_used_step, drift, enabled_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11) \
                         ON CONFLICT (account) DO NOTHING",
                    )
                    .bind(account.as_str())
                    .bind(&pending_id[..])
                    .bind(mode.as_str())
                    .bind(p.text("key_id")?)
                    .bind(p.bytes("nonce")?)
                    .bind(p.bytes("ciphertext")?)
                    .bind(p.text("algorithm")?)
                    .bind(p.int("digits")?)
                    .bind(p.int("period")?)
                    .bind(step)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    if inserted.rows_affected() != 1 {
                        // Another activation won in between (PostgreSQL).
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(false);
                    }
                    Self::put_recovery_codes(&mut tx, account, &recovery_codes).await?;
                    // The mode lives on the app's row from now on.
                    sqlx::query("DELETE FROM latchkey_two_factor_without_app WHERE account = $1")
                        .bind(account.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(true)
                }

                async fn advance_step(
                    &self,
                    account: &AccountId,
                    authenticator_id: &[u8; 16],
                    step: u64,
                    drift: i32,
                ) -> Result<bool, StoreError> {
                    let step = int_of_u64(step, "time step")?;
                    let done = sqlx::query(
                        "UPDATE latchkey_authenticators SET last_used_step = $3, drift = $4 \
                         WHERE account = $1 AND id = $2 AND last_used_step < $3",
                    )
                    .bind(account.as_str())
                    .bind(&authenticator_id[..])
                    .bind(step)
                    .bind(i64::from(drift))
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn use_recovery_code(
                    &self,
                    account: &AccountId,
                    digest: &RecoveryDigest,
                ) -> Result<Option<u32>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let used = sqlx::query(
                        "DELETE FROM latchkey_recovery_codes WHERE account = $1 AND digest = $2",
                    )
                    .bind(account.as_str())
                    .bind(&digest[..])
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    if used.rows_affected() != 1 {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(None);
                    }
                    let row = sqlx::query(
                        "SELECT COUNT(*) AS remaining FROM latchkey_recovery_codes \
                         WHERE account = $1",
                    )
                    .bind(account.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let remaining = row.narrow("remaining")?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(Some(remaining))
                }

                async fn replace_recovery_codes(
                    &self,
                    account: &AccountId,
                    recovery_codes: Vec<RecoveryDigest>,
                ) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    Self::put_recovery_codes(&mut tx, account, &recovery_codes).await?;
                    tx.commit().await.map_err(unavailable)
                }

                async fn set_mode(
                    &self,
                    account: &AccountId,
                    mode: Mode,
                ) -> Result<bool, StoreError> {
                    // The mode lives on the app's row, or without an app in
                    // its own table (a row there beside an app's is ignored
                    // by `load`, and set too).
                    let mut tx = self.begin_write().await?;
                    let mut changed = 0;
                    for sql in [
                        "UPDATE latchkey_authenticators SET mode = $2 WHERE account = $1",
                        "UPDATE latchkey_two_factor_without_app SET mode = $2 WHERE account = $1",
                    ] {
                        changed += sqlx::query(sql)
                            .bind(account.as_str())
                            .bind(mode.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(unavailable)?
                            .rows_affected();
                    }
                    tx.commit().await.map_err(unavailable)?;
                    Ok(changed >= 1)
                }

                async fn enable_without_app(
                    &self,
                    account: &AccountId,
                    recovery_codes: Vec<RecoveryDigest>,
                    mode: Mode,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.begin_write().await?;
                    Self::lock(&mut tx, "two-factor-on", account.as_str()).await?;
                    // Claiming the row is the decision (its primary key
                    // lets one of concurrent callers in); with an app, 2FA
                    // is on already.
                    let claimed = sqlx::query(
                        "INSERT INTO latchkey_two_factor_without_app (account, mode) \
                         SELECT $1, $2 WHERE NOT EXISTS \
                         (SELECT 1 FROM latchkey_authenticators WHERE account = $1) \
                         ON CONFLICT (account) DO NOTHING",
                    )
                    .bind(account.as_str())
                    .bind(mode.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    if claimed.rows_affected() != 1 {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(false);
                    }
                    Self::put_recovery_codes(&mut tx, account, &recovery_codes).await?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(true)
                }

                async fn disable(&self, account: &AccountId) -> Result<(), StoreError> {
                    // Used approvals are not touched: they stay used.
                    let mut tx = self.begin_write().await?;
                    for sql in [
                        "DELETE FROM latchkey_authenticators WHERE account = $1",
                        "DELETE FROM latchkey_pending_enrolments WHERE account = $1",
                        "DELETE FROM latchkey_recovery_codes WHERE account = $1",
                        "DELETE FROM latchkey_two_factor_without_app WHERE account = $1",
                    ] {
                        sqlx::query(sql)
                            .bind(account.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(unavailable)?;
                    }
                    tx.commit().await.map_err(unavailable)
                }

                async fn reseal(
                    &self,
                    account: &AccountId,
                    authenticator_id: &[u8; 16],
                    expected_key_id: &KeyId,
                    new: SealedSecret,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE latchkey_authenticators \
                         SET key_id = $4, nonce = $5, ciphertext = $6 \
                         WHERE account = $1 AND id = $2 AND key_id = $3",
                    )
                    .bind(account.as_str())
                    .bind(&authenticator_id[..])
                    .bind(expected_key_id.as_str())
                    .bind(new.key_id.as_str())
                    .bind(&new.nonce[..])
                    .bind(&new.ciphertext[..])
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn claim_replay_notice(
                    &self,
                    account: &AccountId,
                    now: OffsetDateTime,
                    min_interval: Duration,
                ) -> Result<bool, StoreError> {
                    // One upsert: claimed when there is no earlier claim, or
                    // the last one is at or before now - min_interval.
                    let done = sqlx::query(
                        "INSERT INTO latchkey_replay_notices (account, notified_at) \
                         VALUES ($1, $2) ON CONFLICT (account) DO UPDATE \
                         SET notified_at = excluded.notified_at \
                         WHERE latchkey_replay_notices.notified_at <= $3",
                    )
                    .bind(account.as_str())
                    .bind(nanos(now)?)
                    .bind(cutoff(now, min_interval))
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn consume_approval(
                    &self,
                    account: &AccountId,
                    id: &[u8; 16],
                    expires_at: OffsetDateTime,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.begin_write().await?;
                    // The decision: the insert of the primary key.
                    let fresh = sqlx::query(
                        "INSERT INTO latchkey_used_approvals (account, id, expires_at) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(account.as_str())
                    .bind(&id[..])
                    .bind(nanos(expires_at)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    .rows_affected()
                        == 1;
                    if fresh {
                        // Approvals live at most an hour, so this one was made
                        // after `expires_at - 1h`: entries that expired before
                        // then can no longer be presented.
                        sqlx::query(
                            "DELETE FROM latchkey_used_approvals \
                             WHERE account = $1 AND expires_at < $2",
                        )
                        .bind(account.as_str())
                        .bind(cutoff(expires_at, Duration::HOUR))
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    tx.commit().await.map_err(unavailable)?;
                    Ok(fresh)
                }
            }
        };
    };
}

pub(crate) use impl_two_factor_store;
