//! The store traits, once for both backends.
//!
//! The SQL is the same text on SQLite and PostgreSQL (`$1` placeholders,
//! `ON CONFLICT`, `RETURNING`); [`impl_stores!`] expands it for each
//! backend's store type. What differs lives in the backend's module:
//! - `begin_write()`: `BEGIN IMMEDIATE` on SQLite (the one writer lock,
//!   taken up front), a plain read-committed `BEGIN` on PostgreSQL;
//! - `begin_read()`: one snapshot for reads of several tables;
//! - `lock(tx, scope, name)`: on PostgreSQL, `SELECT ... FOR UPDATE` on a
//!   row of `latchkey_locks`; nothing on SQLite;
//! - the macro's last argument, appended to the `SELECT`s that read the
//!   row a decision is about: `" FOR UPDATE"` on PostgreSQL.
//!
//! A transaction dropped before `commit` (an early `?`) is rolled back by
//! sqlx when its connection goes back to the pool.

/// Implements every store trait for `$store` (a struct with a `pool`
/// field and the methods above) on database `$db`. `$for_update` is `""`
/// or `" FOR UPDATE"`.
macro_rules! impl_stores {
    ($store:ident, $db:ty, $for_update:literal) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey::{
                AttemptPolicy as BackoffPolicy, ChallengeAttempt, ChallengeKey,
                ChallengeRecord, ChallengeStore, ThrottleKey, ThrottleReservation,
                ThrottleStore, WindowCount,
            };
            use latchkey_core::{AccountId, EmailAddress, KeyId, StoreError};
            use latchkey_credentials::{CredentialStore, StoredCredential};
            use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
            use latchkey_recovery::{
                AuditEntry, Draft, Evidence, EvidenceItem, LinkedIdentity, Ticket,
                TicketChange, TicketId, TicketStore, ValidForm,
            };
            use latchkey_twofactor::{
                AttemptPolicy, AttemptReservation, Authenticator, FactorKind, Mode,
                PendingEnrolment, RecoveryDigest, SealedSecret, TwoFactorState,
                TwoFactorStore,
            };
            use time::{Duration, OffsetDateTime};

            use $crate::{
                account_of, array_of, codec, cutoff, get, int_of_u64, nanos, narrow, time_of,
                unavailable,
            };

            type Tx = sqlx::Transaction<'static, $db>;

            /// Writes a ticket's or draft's rows that live in child tables.
            impl $store {
                async fn put_recovery_codes(
                    tx: &mut Tx,
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
                            "INSERT INTO latchkey_recovery_codes (account, digest) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(account.as_str())
                        .bind(&digest[..])
                        .execute(&mut **tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    Ok(())
                }

                async fn put_approvals(
                    tx: &mut Tx,
                    id: &TicketId,
                    approvals: &[String],
                ) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM latchkey_ticket_approvals WHERE ticket_id = $1")
                        .bind(&id.0[..])
                        .execute(&mut **tx)
                        .await
                        .map_err(unavailable)?;
                    for (position, staff) in (0_i64..).zip(approvals) {
                        sqlx::query(
                            "INSERT INTO latchkey_ticket_approvals (ticket_id, position, staff) \
                             VALUES ($1, $2, $3)",
                        )
                        .bind(&id.0[..])
                        .bind(position)
                        .bind(staff.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    Ok(())
                }

                async fn append_audit(
                    tx: &mut Tx,
                    id: &TicketId,
                    entry: &AuditEntry,
                ) -> Result<(), StoreError> {
                    let (actor, staff) = codec::actor_parts(&entry.actor);
                    let (action, transition) = codec::action_parts(&entry.action);
                    sqlx::query(
                        "INSERT INTO latchkey_ticket_audit \
                         (ticket_id, at, actor, staff, action, transition, note) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&id.0[..])
                    .bind(nanos(entry.at)?)
                    .bind(actor)
                    .bind(staff)
                    .bind(action)
                    .bind(transition)
                    .bind(entry.note.as_deref())
                    .execute(&mut **tx)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                /// Reads a draft (with its identities) inside `tx`; with
                /// `lock`, locks its row for the rest of `tx`.
                async fn read_draft(
                    tx: &mut Tx,
                    id: &[u8; 16],
                    lock: bool,
                ) -> Result<Option<Draft>, StoreError> {
                    let sql = if lock {
                        concat!(
                            "SELECT login, contact, topic, details, expires_at \
                             FROM latchkey_drafts WHERE id = $1",
                            $for_update
                        )
                    } else {
                        "SELECT login, contact, topic, details, expires_at \
                         FROM latchkey_drafts WHERE id = $1"
                    };
                    let Some(row) = sqlx::query(sql)
                        .bind(&id[..])
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(unavailable)?
                    else {
                        return Ok(None);
                    };
                    let rows = sqlx::query(
                        "SELECT provider, user_id, handle, verified_at \
                         FROM latchkey_draft_identities WHERE draft_id = $1 ORDER BY position",
                    )
                    .bind(&id[..])
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(unavailable)?;
                    let identities = rows
                        .iter()
                        .map(|r| {
                            Ok(LinkedIdentity {
                                provider: codec::provider(&get::<_, String>(r, "provider")?)?,
                                user_id: get(r, "user_id")?,
                                handle: get(r, "handle")?,
                                verified_at: time_of(get(r, "verified_at")?, "verified_at")?,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?;
                    let contact: String = get(&row, "contact")?;
                    Ok(Some(Draft {
                        id: *id,
                        form: ValidForm {
                            login: get(&row, "login")?,
                            contact: EmailAddress::parse(&contact)
                                .map_err(|_| StoreError::corrupt("draft contact address"))?,
                            topic: codec::topic(&get::<_, String>(&row, "topic")?, get(&row, "details")?)?,
                            identities,
                        },
                        expires_at: time_of(get(&row, "expires_at")?, "draft expires_at")?,
                    }))
                }
            }

            #[async_trait]
            impl CredentialStore for $store {
                async fn find_by_login(
                    &self,
                    login: &str,
                ) -> Result<Option<StoredCredential>, StoreError> {
                    sqlx::query("SELECT account, phc FROM latchkey_credentials WHERE login = $1")
                        .bind(login)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(unavailable)?
                        .map(|row| {
                            Ok(StoredCredential {
                                account: account_of(get(&row, "account")?)?,
                                phc: get(&row, "phc")?,
                            })
                        })
                        .transpose()
                }

                async fn create(
                    &self,
                    login: &str,
                    account: &AccountId,
                    phc: &str,
                ) -> Result<bool, StoreError> {
                    // Either unique constraint (login, account) refuses it.
                    let done = sqlx::query(
                        "INSERT INTO latchkey_credentials (account, login, phc) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(account.as_str())
                    .bind(login)
                    .bind(phc)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
                    let done = sqlx::query("UPDATE latchkey_credentials SET phc = $2 WHERE account = $1")
                        .bind(account.as_str())
                        .bind(phc)
                        .execute(&self.pool)
                        .await
                        .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn replace_hash_if_unchanged(
                    &self,
                    account: &AccountId,
                    expected: &str,
                    new: &str,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE latchkey_credentials SET phc = $3 WHERE account = $1 AND phc = $2",
                    )
                    .bind(account.as_str())
                    .bind(expected)
                    .bind(new)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }
            }

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
                    sqlx::query("DELETE FROM latchkey_code_sends WHERE account = $1 AND sent_at <= $2")
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
                    let last_holding: Option<i64> = get(&row, "last_holding")?;
                    let sends: i64 = get(&row, "sends")?;
                    let oldest: Option<i64> = get(&row, "oldest")?;
                    if let Some(last) = last_holding {
                        let until = time_of(last, "sent_at")?.saturating_add(cooldown);
                        if now < until {
                            tx.commit().await.map_err(unavailable)?;
                            return Ok(SendReservation::CoolingDown { until });
                        }
                    }
                    if sends >= i64::from(hourly_cap) {
                        let oldest = oldest.map(|o| time_of(o, "sent_at")).transpose()?.unwrap_or(now);
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
                         (SELECT seq FROM latchkey_code_sends \
                          WHERE account = $1 AND sent_at = $2 AND holds_cooldown ORDER BY seq LIMIT 1)",
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
                        "INSERT INTO latchkey_codes \
                         (account, purpose, id, digest, expires_at, max_attempts, failed_attempts) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (account, purpose) DO UPDATE SET id = excluded.id, \
                         digest = excluded.digest, expires_at = excluded.expires_at, \
                         max_attempts = excluded.max_attempts, failed_attempts = excluded.failed_attempts",
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
                    .map(|row| {
                        Ok(CodeRecord {
                            id: array_of(get(&row, "id")?, "code id")?,
                            account: account.clone(),
                            purpose: purpose.clone(),
                            digest: array_of(get(&row, "digest")?, "code digest")?,
                            expires_at: time_of(get(&row, "expires_at")?, "code expires_at")?,
                            max_attempts: narrow(get(&row, "max_attempts")?, "max_attempts")?,
                            failed_attempts: narrow(get(&row, "failed_attempts")?, "failed_attempts")?,
                        })
                    })
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
                            failed_attempts: narrow(get(&row, "failed_attempts")?, "failed_attempts")?,
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
                        "DELETE FROM latchkey_codes WHERE account = $1 AND purpose = $2 AND id = $3 \
                         AND expires_at > $4 AND failed_attempts < max_attempts",
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
                        "DELETE FROM latchkey_codes WHERE account = $1 AND purpose = $2 AND id = $3",
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

            #[async_trait]
            impl TwoFactorStore for $store {
                async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError> {
                    // One statement, so one consistent view of the four tables.
                    let row = sqlx::query(
                        "SELECT a.id AS a_id, a.mode AS a_mode, a.key_id AS a_key_id, \
                         a.nonce AS a_nonce, a.ciphertext AS a_ciphertext, \
                         a.algorithm AS a_algorithm, a.digits AS a_digits, a.period AS a_period, \
                         a.last_used_step AS a_last_used_step, a.drift AS a_drift, \
                         a.enabled_at AS a_enabled_at, \
                         p.id AS p_id, p.key_id AS p_key_id, p.nonce AS p_nonce, \
                         p.ciphertext AS p_ciphertext, p.algorithm AS p_algorithm, \
                         p.digits AS p_digits, p.period AS p_period, p.expires_at AS p_expires_at, \
                         c.failed_attempts AS c_failed_attempts, \
                         c.last_attempt_at AS c_last_attempt_at, \
                         c.last_replay_notice_at AS c_last_replay_notice_at, \
                         (SELECT COUNT(*) FROM latchkey_recovery_codes r WHERE r.account = k.account) \
                         AS codes_left \
                         FROM (SELECT CAST($1 AS TEXT) AS account) k \
                         LEFT JOIN latchkey_authenticators a ON a.account = k.account \
                         LEFT JOIN latchkey_pending_enrolments p ON p.account = k.account \
                         LEFT JOIN latchkey_twofactor_counters c ON c.account = k.account",
                    )
                    .bind(account.as_str())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    let sealed = |prefix: &str| -> Result<SealedSecret, StoreError> {
                        let key_id: String = get(&row, &format!("{prefix}_key_id"))?;
                        Ok(SealedSecret {
                            key_id: KeyId::new(key_id).map_err(|_| StoreError::corrupt("key id"))?,
                            nonce: array_of(get(&row, &format!("{prefix}_nonce"))?, "nonce")?,
                            ciphertext: get(&row, &format!("{prefix}_ciphertext"))?,
                        })
                    };
                    let authenticator = match get::<_, Option<Vec<u8>>>(&row, "a_id")? {
                        None => None,
                        Some(id) => Some(Authenticator {
                            id: array_of(id, "authenticator id")?,
                            kind: FactorKind::AuthenticatorApp,
                            sealed: sealed("a")?,
                            algorithm: codec::algorithm(&get::<_, String>(&row, "a_algorithm")?)?,
                            digits: narrow(get(&row, "a_digits")?, "digits")?,
                            period: narrow(get(&row, "a_period")?, "period")?,
                            last_used_step: narrow(get(&row, "a_last_used_step")?, "last_used_step")?,
                            drift: narrow(get(&row, "a_drift")?, "drift")?,
                            enabled_at: time_of(get(&row, "a_enabled_at")?, "enabled_at")?,
                        }),
                    };
                    let mode = match &authenticator {
                        Some(_) => codec::mode(&get::<_, String>(&row, "a_mode")?)?,
                        None => Mode::Off,
                    };
                    let pending = match get::<_, Option<Vec<u8>>>(&row, "p_id")? {
                        None => None,
                        Some(id) => Some(PendingEnrolment {
                            id: array_of(id, "pending id")?,
                            sealed: sealed("p")?,
                            algorithm: codec::algorithm(&get::<_, String>(&row, "p_algorithm")?)?,
                            digits: narrow(get(&row, "p_digits")?, "digits")?,
                            period: narrow(get(&row, "p_period")?, "period")?,
                            expires_at: time_of(get(&row, "p_expires_at")?, "pending expires_at")?,
                        }),
                    };
                    let optional_time = |column: &str| -> Result<Option<OffsetDateTime>, StoreError> {
                        get::<_, Option<i64>>(&row, column)?
                            .map(|n| time_of(n, column))
                            .transpose()
                    };
                    Ok(TwoFactorState {
                        mode,
                        authenticator,
                        pending,
                        recovery_codes_left: narrow(get(&row, "codes_left")?, "codes_left")?,
                        failed_attempts: narrow(
                            get::<_, Option<i64>>(&row, "c_failed_attempts")?.unwrap_or(0),
                            "failed_attempts",
                        )?,
                        last_attempt_at: optional_time("c_last_attempt_at")?,
                        last_replay_notice_at: optional_time("c_last_replay_notice_at")?,
                    })
                }

                async fn put_pending(
                    &self,
                    account: &AccountId,
                    pending: PendingEnrolment,
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO latchkey_pending_enrolments \
                         (account, id, key_id, nonce, ciphertext, algorithm, digits, period, expires_at) \
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
                    .bind(get::<_, String>(&p, "key_id")?)
                    .bind(get::<_, Vec<u8>>(&p, "nonce")?)
                    .bind(get::<_, Vec<u8>>(&p, "ciphertext")?)
                    .bind(get::<_, String>(&p, "algorithm")?)
                    .bind(get::<_, i64>(&p, "digits")?)
                    .bind(get::<_, i64>(&p, "period")?)
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
                    let Ok(step) = i64::try_from(step) else {
                        return Err(StoreError::unavailable($crate::OutOfRange("time step")));
                    };
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
                        "SELECT COUNT(*) AS remaining FROM latchkey_recovery_codes WHERE account = $1",
                    )
                    .bind(account.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let remaining = narrow(get(&row, "remaining")?, "recovery codes left")?;
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

                async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError> {
                    // The mode lives on the authenticator's row: no row, no mode.
                    let done = sqlx::query("UPDATE latchkey_authenticators SET mode = $2 WHERE account = $1")
                        .bind(account.as_str())
                        .bind(mode.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn disable(&self, account: &AccountId) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    for sql in [
                        "DELETE FROM latchkey_authenticators WHERE account = $1",
                        "DELETE FROM latchkey_pending_enrolments WHERE account = $1",
                        "DELETE FROM latchkey_recovery_codes WHERE account = $1",
                    ] {
                        sqlx::query(sql)
                            .bind(account.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(unavailable)?;
                    }
                    tx.commit().await.map_err(unavailable)
                }

                async fn reserve_attempt(
                    &self,
                    account: &AccountId,
                    now: OffsetDateTime,
                    policy: AttemptPolicy,
                ) -> Result<AttemptReservation, StoreError> {
                    let at = nanos(now)?;
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO latchkey_twofactor_counters (account) VALUES ($1) \
                         ON CONFLICT (account) DO NOTHING",
                    )
                    .bind(account.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let row = sqlx::query(concat!(
                        "SELECT failed_attempts, last_attempt_at FROM latchkey_twofactor_counters \
                         WHERE account = $1",
                        $for_update
                    ))
                    .bind(account.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let failed: u32 = narrow(get(&row, "failed_attempts")?, "failed_attempts")?;
                    let last: Option<i64> = get(&row, "last_attempt_at")?;
                    if failed >= policy.lock_after {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(AttemptReservation::Locked);
                    }
                    if let Some(last) = last {
                        let at = time_of(last, "last_attempt_at")?
                            .saturating_add(policy.wait_after(failed));
                        if now < at {
                            tx.commit().await.map_err(unavailable)?;
                            return Ok(AttemptReservation::RetryAt { at });
                        }
                    }
                    sqlx::query(
                        "UPDATE latchkey_twofactor_counters \
                         SET failed_attempts = failed_attempts + 1, last_attempt_at = $2 \
                         WHERE account = $1",
                    )
                    .bind(account.as_str())
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(AttemptReservation::Allowed)
                }

                async fn reseal(
                    &self,
                    account: &AccountId,
                    authenticator_id: &[u8; 16],
                    expected_key_id: &KeyId,
                    new: SealedSecret,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE latchkey_authenticators SET key_id = $4, nonce = $5, ciphertext = $6 \
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
                    // Claimed when the last notice is at or before now - min_interval.
                    let done = sqlx::query(
                        "INSERT INTO latchkey_twofactor_counters (account, last_replay_notice_at) \
                         VALUES ($1, $2) ON CONFLICT (account) DO UPDATE \
                         SET last_replay_notice_at = excluded.last_replay_notice_at \
                         WHERE latchkey_twofactor_counters.last_replay_notice_at IS NULL \
                         OR latchkey_twofactor_counters.last_replay_notice_at <= $3",
                    )
                    .bind(account.as_str())
                    .bind(nanos(now)?)
                    .bind(cutoff(now, min_interval))
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn clear_attempts(&self, account: &AccountId) -> Result<(), StoreError> {
                    sqlx::query(
                        "UPDATE latchkey_twofactor_counters \
                         SET failed_attempts = 0, last_attempt_at = NULL WHERE account = $1",
                    )
                    .bind(account.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                async fn consume_approval(
                    &self,
                    account: &AccountId,
                    id: &[u8; 16],
                    expires_at: OffsetDateTime,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.begin_write().await?;
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
                            "DELETE FROM latchkey_used_approvals WHERE account = $1 AND expires_at < $2",
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

            #[async_trait]
            impl TicketStore for $store {
                async fn record_submission(
                    &self,
                    key: &str,
                    now: OffsetDateTime,
                    window: Duration,
                    cap: u32,
                ) -> Result<bool, StoreError> {
                    let at = nanos(now)?;
                    let mut tx = self.begin_write().await?;
                    Self::lock(&mut tx, "submission", key).await?;
                    sqlx::query(
                        "DELETE FROM latchkey_ticket_submissions WHERE submission_key = $1 AND at <= $2",
                    )
                    .bind(key)
                    .bind(cutoff(now, window))
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let row = sqlx::query(
                        "SELECT COUNT(*) AS counted FROM latchkey_ticket_submissions WHERE submission_key = $1",
                    )
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    if get::<_, i64>(&row, "counted")? >= i64::from(cap) {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(false);
                    }
                    sqlx::query("INSERT INTO latchkey_ticket_submissions (submission_key, at) VALUES ($1, $2)")
                        .bind(key)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(true)
                }

                async fn put_draft(&self, draft: Draft) -> Result<(), StoreError> {
                    let (topic, details) = codec::topic_parts(&draft.form.topic);
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO latchkey_drafts (id, login, contact, topic, details, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (id) DO UPDATE SET login = excluded.login, \
                         contact = excluded.contact, topic = excluded.topic, \
                         details = excluded.details, expires_at = excluded.expires_at",
                    )
                    .bind(&draft.id[..])
                    .bind(draft.form.login.as_str())
                    .bind(draft.form.contact.as_str())
                    .bind(topic)
                    .bind(details)
                    .bind(nanos(draft.expires_at)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    sqlx::query("DELETE FROM latchkey_draft_identities WHERE draft_id = $1")
                        .bind(&draft.id[..])
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    for (position, identity) in (0_i64..).zip(&draft.form.identities) {
                        sqlx::query(
                            "INSERT INTO latchkey_draft_identities \
                             (draft_id, position, provider, user_id, handle, verified_at) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(&draft.id[..])
                        .bind(position)
                        .bind(codec::provider_name(&identity.provider))
                        .bind(identity.user_id.as_str())
                        .bind(identity.handle.as_str())
                        .bind(nanos(identity.verified_at)?)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    tx.commit().await.map_err(unavailable)
                }

                async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
                    let mut tx = self.begin_read().await?;
                    let draft = Self::read_draft(&mut tx, id, false).await?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(draft)
                }

                async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let Some(draft) = Self::read_draft(&mut tx, id, true).await? else {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(None);
                    };
                    sqlx::query("DELETE FROM latchkey_draft_identities WHERE draft_id = $1")
                        .bind(&id[..])
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    let taken = sqlx::query("DELETE FROM latchkey_drafts WHERE id = $1")
                        .bind(&id[..])
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    if taken.rows_affected() != 1 {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(None);
                    }
                    tx.commit().await.map_err(unavailable)?;
                    Ok(Some(draft))
                }

                async fn insert(&self, ticket: Ticket) -> Result<(), StoreError> {
                    let (topic, details) = codec::topic_parts(&ticket.topic);
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO latchkey_tickets (id, login, account, contact, topic, details, \
                         state, version, submitted_at, approved_at, cancel_digest) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&ticket.id.0[..])
                    .bind(ticket.login.as_str())
                    .bind(ticket.account.as_ref().map(AccountId::as_str))
                    .bind(ticket.contact.as_str())
                    .bind(topic)
                    .bind(details)
                    .bind(codec::state_name(ticket.state))
                    .bind(int_of_u64(ticket.version, "ticket version")?)
                    .bind(nanos(ticket.submitted_at)?)
                    .bind(ticket.approved_at.map(nanos).transpose()?)
                    .bind(ticket.cancel_digest.as_ref().map(|d| &d[..]))
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    Self::put_approvals(&mut tx, &ticket.id, &ticket.approvals).await?;
                    for (position, item) in (0_i64..).zip(&ticket.evidence.items) {
                        let (finding, linked_at) = codec::finding_parts(&item.finding);
                        sqlx::query(
                            "INSERT INTO latchkey_ticket_evidence (ticket_id, position, provider, \
                             user_id, handle, verified_at, finding, linked_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        )
                        .bind(&ticket.id.0[..])
                        .bind(position)
                        .bind(codec::provider_name(&item.offered.provider))
                        .bind(item.offered.user_id.as_str())
                        .bind(item.offered.handle.as_str())
                        .bind(nanos(item.offered.verified_at)?)
                        .bind(finding)
                        .bind(linked_at.map(nanos).transpose()?)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    for entry in &ticket.audit {
                        Self::append_audit(&mut tx, &ticket.id, entry).await?;
                    }
                    tx.commit().await.map_err(unavailable)
                }

                async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
                    let mut tx = self.begin_read().await?;
                    let Some(row) = sqlx::query(
                        "SELECT login, account, contact, topic, details, state, version, \
                         submitted_at, approved_at, cancel_digest FROM latchkey_tickets WHERE id = $1",
                    )
                    .bind(&id.0[..])
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    else {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(None);
                    };
                    let approvals = sqlx::query(
                        "SELECT staff FROM latchkey_ticket_approvals WHERE ticket_id = $1 ORDER BY position",
                    )
                    .bind(&id.0[..])
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let evidence = sqlx::query(
                        "SELECT provider, user_id, handle, verified_at, finding, linked_at \
                         FROM latchkey_ticket_evidence WHERE ticket_id = $1 ORDER BY position",
                    )
                    .bind(&id.0[..])
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let audit = sqlx::query(
                        "SELECT at, actor, staff, action, transition, note \
                         FROM latchkey_ticket_audit WHERE ticket_id = $1 ORDER BY seq",
                    )
                    .bind(&id.0[..])
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;

                    let contact: String = get(&row, "contact")?;
                    let optional_time = |n: Option<i64>, what: &str| n.map(|n| time_of(n, what)).transpose();
                    Ok(Some(Ticket {
                        id: *id,
                        login: get(&row, "login")?,
                        account: get::<_, Option<String>>(&row, "account")?
                            .map(account_of)
                            .transpose()?,
                        contact: EmailAddress::parse(&contact)
                            .map_err(|_| StoreError::corrupt("ticket contact address"))?,
                        topic: codec::topic(&get::<_, String>(&row, "topic")?, get(&row, "details")?)?,
                        evidence: Evidence {
                            items: evidence
                                .iter()
                                .map(|r| {
                                    Ok(EvidenceItem {
                                        offered: LinkedIdentity {
                                            provider: codec::provider(&get::<_, String>(r, "provider")?)?,
                                            user_id: get(r, "user_id")?,
                                            handle: get(r, "handle")?,
                                            verified_at: time_of(get(r, "verified_at")?, "verified_at")?,
                                        },
                                        finding: codec::finding(
                                            &get::<_, String>(r, "finding")?,
                                            optional_time(get(r, "linked_at")?, "linked_at")?,
                                        )?,
                                    })
                                })
                                .collect::<Result<_, StoreError>>()?,
                        },
                        state: codec::state(&get::<_, String>(&row, "state")?)?,
                        version: narrow(get(&row, "version")?, "ticket version")?,
                        submitted_at: time_of(get(&row, "submitted_at")?, "submitted_at")?,
                        approvals: approvals
                            .iter()
                            .map(|r| get(r, "staff"))
                            .collect::<Result<_, StoreError>>()?,
                        approved_at: optional_time(get(&row, "approved_at")?, "approved_at")?,
                        cancel_digest: get::<_, Option<Vec<u8>>>(&row, "cancel_digest")?
                            .map(|d| array_of(d, "cancel digest"))
                            .transpose()?,
                        audit: audit
                            .iter()
                            .map(|r| {
                                Ok(AuditEntry {
                                    at: time_of(get(r, "at")?, "audit at")?,
                                    actor: codec::actor(&get::<_, String>(r, "actor")?, get(r, "staff")?)?,
                                    action: codec::action(
                                        &get::<_, String>(r, "action")?,
                                        get(r, "transition")?,
                                    )?,
                                    note: get(r, "note")?,
                                })
                            })
                            .collect::<Result<_, StoreError>>()?,
                    }))
                }

                async fn transition(
                    &self,
                    id: &TicketId,
                    expected_version: u64,
                    change: TicketChange,
                    entry: AuditEntry,
                ) -> Result<bool, StoreError> {
                    let Ok(expected) = i64::try_from(expected_version) else {
                        return Ok(false); // no stored version is that large
                    };
                    let approved_at = change.approved_at.map(nanos).transpose()?;
                    let mut tx = self.begin_write().await?;
                    // The compare-and-set; on PostgreSQL it also locks the row
                    // until the transaction ends.
                    let moved = sqlx::query(
                        "UPDATE latchkey_tickets SET state = $3, approved_at = $4, version = version + 1 \
                         WHERE id = $1 AND version = $2",
                    )
                    .bind(&id.0[..])
                    .bind(expected)
                    .bind(codec::state_name(change.state))
                    .bind(approved_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    if moved.rows_affected() != 1 {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(false);
                    }
                    Self::put_approvals(&mut tx, id, &change.approvals).await?;
                    Self::append_audit(&mut tx, id, &entry).await?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(true)
                }

                async fn append_note(&self, id: &TicketId, entry: AuditEntry) -> Result<bool, StoreError> {
                    let (actor, staff) = codec::actor_parts(&entry.actor);
                    let (action, transition) = codec::action_parts(&entry.action);
                    // One statement: appended only if the ticket exists.
                    let done = sqlx::query(
                        "INSERT INTO latchkey_ticket_audit \
                         (ticket_id, at, actor, staff, action, transition, note) \
                         SELECT id, $2, $3, $4, $5, $6, $7 FROM latchkey_tickets WHERE id = $1",
                    )
                    .bind(&id.0[..])
                    .bind(nanos(entry.at)?)
                    .bind(actor)
                    .bind(staff)
                    .bind(action)
                    .bind(transition)
                    .bind(entry.note.as_deref())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            #[async_trait]
            impl ChallengeStore for $store {
                async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "INSERT INTO latchkey_challenges (challenge_key, account, kind, operation, \
                         created_at, expires_at, max_attempts, attempts) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    )
                    .bind(&record.key.0[..])
                    .bind(record.account.as_str())
                    .bind(record.kind.name())
                    .bind(record.kind.operation().map(Vec::from))
                    .bind(nanos(record.created_at)?)
                    .bind(nanos(record.expires_at)?)
                    .bind(i64::from(record.max_attempts))
                    .bind(i64::from(record.attempts))
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn get_challenge(
                    &self,
                    key: &ChallengeKey,
                ) -> Result<Option<ChallengeRecord>, StoreError> {
                    sqlx::query(
                        "SELECT account, kind, operation, created_at, expires_at, max_attempts, attempts \
                         FROM latchkey_challenges WHERE challenge_key = $1",
                    )
                    .bind(&key.0[..])
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .map(|row| {
                        Ok(ChallengeRecord {
                            key: *key,
                            account: account_of(get(&row, "account")?)?,
                            kind: codec::challenge_kind(
                                &get::<_, String>(&row, "kind")?,
                                get(&row, "operation")?,
                            )?,
                            created_at: time_of(get(&row, "created_at")?, "created_at")?,
                            expires_at: time_of(get(&row, "expires_at")?, "expires_at")?,
                            max_attempts: narrow(get(&row, "max_attempts")?, "max_attempts")?,
                            attempts: narrow(get(&row, "attempts")?, "attempts")?,
                        })
                    })
                    .transpose()
                }

                async fn reserve_attempt(
                    &self,
                    key: &ChallengeKey,
                    now: OffsetDateTime,
                ) -> Result<ChallengeAttempt, StoreError> {
                    let at = nanos(now)?;
                    // The decision: one conditional UPDATE.
                    let counted = sqlx::query(
                        "UPDATE latchkey_challenges SET attempts = attempts + 1 \
                         WHERE challenge_key = $1 AND expires_at > $2 AND attempts < max_attempts \
                         RETURNING max_attempts - attempts AS attempts_left",
                    )
                    .bind(&key.0[..])
                    .bind(at)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    if let Some(row) = counted {
                        return Ok(ChallengeAttempt::Counted {
                            attempts_left: narrow(get(&row, "attempts_left")?, "attempts_left")?,
                        });
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
                        "DELETE FROM latchkey_challenges WHERE challenge_key = $1 AND expires_at > $2",
                    )
                    .bind(&key.0[..])
                    .bind(nanos(now)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
                    let done = sqlx::query("DELETE FROM latchkey_challenges WHERE expires_at <= $1")
                        .bind(nanos(now)?)
                        .execute(&self.pool)
                        .await
                        .map_err(unavailable)?;
                    Ok(done.rows_affected())
                }
            }

            #[async_trait]
            impl ThrottleStore for $store {
                async fn reserve(
                    &self,
                    key: &ThrottleKey,
                    now: OffsetDateTime,
                    policy: BackoffPolicy,
                ) -> Result<ThrottleReservation, StoreError> {
                    let at = nanos(now)?;
                    let mut tx = self.begin_write().await?;
                    // Make sure the row exists, then lock it. A concurrent
                    // purge may delete it in between (PostgreSQL, read
                    // committed): insert again and retry.
                    let mut tries = 0;
                    let row = loop {
                        sqlx::query(
                            "INSERT INTO latchkey_throttle_backoff (throttle_key, attempts, last_at) \
                             VALUES ($1, 0, $2) ON CONFLICT (throttle_key) DO NOTHING",
                        )
                        .bind(&key.0[..])
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                        let row = sqlx::query(concat!(
                            "SELECT attempts, last_at FROM latchkey_throttle_backoff WHERE throttle_key = $1",
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
                            None => return Err(StoreError::corrupt("throttle row vanished five times")),
                        }
                    };
                    let attempts: u32 = narrow(get(&row, "attempts")?, "attempts")?;
                    if attempts >= policy.lock_after {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(ThrottleReservation::Locked);
                    }
                    if attempts > 0 {
                        let at = time_of(get(&row, "last_at")?, "last_at")?
                            .saturating_add(policy.wait_after(attempts));
                        if now < at {
                            tx.commit().await.map_err(unavailable)?;
                            return Ok(ThrottleReservation::RetryAt { at });
                        }
                    }
                    sqlx::query(
                        "UPDATE latchkey_throttle_backoff SET attempts = attempts + 1, last_at = $2 \
                         WHERE throttle_key = $1",
                    )
                    .bind(&key.0[..])
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(ThrottleReservation::Allowed {
                        attempts: attempts + 1,
                    })
                }

                async fn purge_idle(
                    &self,
                    idle_before: OffsetDateTime,
                    lock_after: u32,
                ) -> Result<u64, StoreError> {
                    let before = nanos(idle_before)?;
                    let counters = sqlx::query(
                        "DELETE FROM latchkey_throttle_backoff WHERE last_at < $1 AND attempts < $2",
                    )
                    .bind(before)
                    .bind(i64::from(lock_after))
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    let windows = sqlx::query(
                        "DELETE FROM latchkey_throttle_windows WHERE resets_at <= $1",
                    )
                    .bind(before)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(counters.rows_affected() + windows.rows_affected())
                }

                async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
                    // Zero the count, never delete the row: `reserve` inserts
                    // the row, then locks it with a SELECT, and a DELETE in
                    // between (a concurrent success) left it nothing to
                    // lock: RowNotFound under concurrent sign-ins.
                    sqlx::query("UPDATE latchkey_throttle_backoff SET attempts = 0 WHERE throttle_key = $1")
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
                    let hits: i64 = get(&row, "hits")?;
                    Ok(WindowCount {
                        count: u32::try_from(hits).unwrap_or(u32::MAX),
                        resets_at: time_of(get(&row, "resets_at")?, "resets_at")?,
                    })
                }
            }
        };
    };
}

pub(crate) use impl_stores;
