//! [`SecurityKeyStore`](latchkey_webauthn::SecurityKeyStore): one row per
//! registered key in `latchkey_security_keys`, by its credential id
//! (unique across accounts) and indexed by account, and one row per
//! ceremony in flight in `latchkey_webauthn_ceremonies`, by the id's
//! digest.

use latchkey_core::StoreError;
use latchkey_webauthn::{CeremonyRecord, SecurityKeyRecord};

use crate::codec::{self, Columns};

/// The columns [`security_key_from_row`] reads, in the order
/// `add_security_key` writes them.
macro_rules! security_key_columns {
    () => {
        "credential_id, account, name, passkey, counter, backup_eligible, backed_up, \
         created_at, last_used_at"
    };
}
pub(crate) use security_key_columns;

/// The columns [`ceremony_from_row`] reads, for `INSERT` and `RETURNING`.
macro_rules! ceremony_columns {
    () => {
        "id_digest, account, purpose, name, operation, state, expires_at"
    };
}
pub(crate) use ceremony_columns;

/// A key from a row with the [`security_key_columns!`].
pub(crate) fn security_key_from_row(row: &impl Columns) -> Result<SecurityKeyRecord, StoreError> {
    Ok(SecurityKeyRecord {
        credential_id: row.bytes("credential_id")?,
        account: row.account("account")?,
        name: row.text("name")?,
        passkey: row.text("passkey")?,
        counter: row.narrow("counter")?,
        backup_eligible: row.flag("backup_eligible")?,
        backed_up: row.flag("backed_up")?,
        created_at: row.time("created_at")?,
        last_used_at: row.time_opt("last_used_at")?,
    })
}

/// A ceremony from a row with the [`ceremony_columns!`].
pub(crate) fn ceremony_from_row(row: &impl Columns) -> Result<CeremonyRecord, StoreError> {
    Ok(CeremonyRecord {
        id_digest: row.array("id_digest")?,
        account: row.account("account")?,
        purpose: codec::ceremony_purpose(
            &row.text("purpose")?,
            row.text_opt("name")?,
            row.bytes_opt("operation")?,
        )?,
        state: row.text("state")?,
        expires_at: row.time("expires_at")?,
    })
}

/// Implements `SecurityKeyStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_security_key_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::{AccountId, StoreError};
            use latchkey_webauthn::{CeremonyRecord, KeyUse, SecurityKeyRecord, SecurityKeyStore};
            use time::OffsetDateTime;

            use $crate::codec::ceremony_purpose_parts;
            use $crate::security_keys::{
                ceremony_columns, ceremony_from_row, security_key_columns, security_key_from_row,
            };
            use $crate::{nanos, unavailable};

            #[async_trait]
            impl SecurityKeyStore for $store {
                async fn insert_ceremony(
                    &self,
                    record: CeremonyRecord,
                ) -> Result<bool, StoreError> {
                    let (purpose, name, operation) = ceremony_purpose_parts(&record.purpose);
                    let done = sqlx::query(concat!(
                        "INSERT INTO latchkey_webauthn_ceremonies (",
                        ceremony_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
                    ))
                    .bind(&record.id_digest[..])
                    .bind(record.account.as_str())
                    .bind(purpose)
                    .bind(name)
                    .bind(operation)
                    .bind(record.state.as_str())
                    .bind(nanos(record.expires_at)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn take_ceremony(
                    &self,
                    id_digest: &[u8; 32],
                    now: OffsetDateTime,
                ) -> Result<Option<CeremonyRecord>, StoreError> {
                    // One DELETE: of concurrent takers only one gets the
                    // row back. An expired ceremony goes too, unanswered.
                    let taken = sqlx::query(concat!(
                        "DELETE FROM latchkey_webauthn_ceremonies WHERE id_digest = $1 \
                         RETURNING ",
                        ceremony_columns!()
                    ))
                    .bind(&id_digest[..])
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .map(|row| ceremony_from_row(&row))
                    .transpose()?;
                    Ok(taken.filter(|c| now < c.expires_at))
                }

                async fn add_security_key(
                    &self,
                    key: SecurityKeyRecord,
                ) -> Result<bool, StoreError> {
                    let last_used_at = key.last_used_at.map(nanos).transpose()?;
                    // A credential id registered to any account already
                    // conflicts and stores nothing.
                    let done = sqlx::query(concat!(
                        "INSERT INTO latchkey_security_keys (",
                        security_key_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
                    ))
                    .bind(key.credential_id.as_slice())
                    .bind(key.account.as_str())
                    .bind(key.name.as_str())
                    .bind(key.passkey.as_str())
                    .bind(i64::from(key.counter))
                    .bind(key.backup_eligible)
                    .bind(key.backed_up)
                    .bind(nanos(key.created_at)?)
                    .bind(last_used_at)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn security_key_by_credential(
                    &self,
                    credential_id: &[u8],
                ) -> Result<Option<SecurityKeyRecord>, StoreError> {
                    sqlx::query(concat!(
                        "SELECT ",
                        security_key_columns!(),
                        " FROM latchkey_security_keys WHERE credential_id = $1"
                    ))
                    .bind(credential_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .as_ref()
                    .map(security_key_from_row)
                    .transpose()
                }

                async fn security_keys(
                    &self,
                    account: &AccountId,
                ) -> Result<Vec<SecurityKeyRecord>, StoreError> {
                    // Keys made at one instant come in credential id order.
                    sqlx::query(concat!(
                        "SELECT ",
                        security_key_columns!(),
                        " FROM latchkey_security_keys WHERE account = $1 \
                         ORDER BY created_at, credential_id"
                    ))
                    .bind(account.as_str())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .iter()
                    .map(security_key_from_row)
                    .collect()
                }

                async fn record_key_use(
                    &self,
                    account: &AccountId,
                    credential_id: &[u8],
                    seen_counter: u32,
                    update: KeyUse,
                ) -> Result<bool, StoreError> {
                    // Compare-and-set on the counter: of two uses checked
                    // against one counter, the second finds it moved on.
                    let done = sqlx::query(
                        "UPDATE latchkey_security_keys SET passkey = $4, counter = $5, \
                         backed_up = $6, backup_eligible = $7, last_used_at = $8 \
                         WHERE account = $1 AND credential_id = $2 AND counter = $3",
                    )
                    .bind(account.as_str())
                    .bind(credential_id)
                    .bind(i64::from(seen_counter))
                    .bind(update.passkey.as_str())
                    .bind(i64::from(update.counter))
                    .bind(update.backed_up)
                    .bind(update.backup_eligible)
                    .bind(nanos(update.at)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn rename_security_key(
                    &self,
                    account: &AccountId,
                    credential_id: &[u8],
                    name: &str,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE latchkey_security_keys SET name = $3 \
                         WHERE account = $1 AND credential_id = $2",
                    )
                    .bind(account.as_str())
                    .bind(credential_id)
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn remove_security_key(
                    &self,
                    account: &AccountId,
                    credential_id: &[u8],
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "DELETE FROM latchkey_security_keys \
                         WHERE account = $1 AND credential_id = $2",
                    )
                    .bind(account.as_str())
                    .bind(credential_id)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn purge_expired_ceremonies(
                    &self,
                    now: OffsetDateTime,
                ) -> Result<u64, StoreError> {
                    let done = sqlx::query(
                        "DELETE FROM latchkey_webauthn_ceremonies WHERE expires_at <= $1",
                    )
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

pub(crate) use impl_security_key_store;
