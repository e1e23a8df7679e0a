//! [`DeviceStore`](latchkey_devices::DeviceStore): one row per remembered
//! device in `latchkey_devices`, by its id, indexed by account.

use latchkey_core::{SecurityStamp, StoreError};
use latchkey_devices::{DeviceId, DeviceRecord};

use crate::codec::Columns;

/// The columns [`device_from_row`] reads, in the order `insert_device`
/// writes them.
macro_rules! device_columns {
    () => {
        "id, account, secret_digest, stamp, label, created_at, last_used_at, last_client, \
         expires_at"
    };
}
pub(crate) use device_columns;

/// A device record from a row with the [`device_columns!`].
pub(crate) fn device_from_row(row: &impl Columns) -> Result<DeviceRecord, StoreError> {
    Ok(DeviceRecord {
        id: DeviceId(row.array("id")?),
        account: row.account("account")?,
        secret_digest: row.array("secret_digest")?,
        stamp: SecurityStamp(row.array("stamp")?),
        label: row.text("label")?,
        created_at: row.time("created_at")?,
        last_used_at: row.time_opt("last_used_at")?,
        last_client: row.text_opt("last_client")?,
        expires_at: row.time("expires_at")?,
    })
}

/// Implements `DeviceStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_device_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::{AccountId, StoreError};
            use latchkey_devices::{DeviceId, DeviceRecord, DeviceStore};
            use time::OffsetDateTime;

            use $crate::devices::{device_columns, device_from_row};
            use $crate::{nanos, unavailable};

            #[async_trait]
            impl DeviceStore for $store {
                async fn insert_device(&self, record: DeviceRecord) -> Result<bool, StoreError> {
                    let last_used_at = record.last_used_at.map(nanos).transpose()?;
                    let done = sqlx::query(concat!(
                        "INSERT INTO latchkey_devices (",
                        device_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
                    ))
                    .bind(&record.id.0[..])
                    .bind(record.account.as_str())
                    .bind(&record.secret_digest[..])
                    .bind(&record.stamp.0[..])
                    .bind(record.label.as_str())
                    .bind(nanos(record.created_at)?)
                    .bind(last_used_at)
                    .bind(record.last_client.as_deref())
                    .bind(nanos(record.expires_at)?)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn get_device(
                    &self,
                    id: &DeviceId,
                ) -> Result<Option<DeviceRecord>, StoreError> {
                    sqlx::query(concat!(
                        "SELECT ",
                        device_columns!(),
                        " FROM latchkey_devices WHERE id = $1"
                    ))
                    .bind(&id.0[..])
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .map(|row| device_from_row(&row))
                    .transpose()
                }

                async fn touch_device(
                    &self,
                    id: &DeviceId,
                    now: OffsetDateTime,
                    client: Option<&str>,
                ) -> Result<bool, StoreError> {
                    // expires_at is not in the SET list: use never extends it.
                    let done = sqlx::query(
                        "UPDATE latchkey_devices SET last_used_at = $2, last_client = $3 \
                         WHERE id = $1",
                    )
                    .bind(&id.0[..])
                    .bind(nanos(now)?)
                    .bind(client)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn list_devices(
                    &self,
                    account: &AccountId,
                ) -> Result<Vec<DeviceRecord>, StoreError> {
                    // Records made at one instant come in id order, as in
                    // the memory store.
                    sqlx::query(concat!(
                        "SELECT ",
                        device_columns!(),
                        " FROM latchkey_devices WHERE account = $1 ORDER BY created_at, id"
                    ))
                    .bind(account.as_str())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .iter()
                    .map(device_from_row)
                    .collect()
                }

                async fn rename_device(
                    &self,
                    account: &AccountId,
                    id: &DeviceId,
                    label: &str,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE latchkey_devices SET label = $3 WHERE id = $2 AND account = $1",
                    )
                    .bind(account.as_str())
                    .bind(&id.0[..])
                    .bind(label)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn revoke_device(
                    &self,
                    account: &AccountId,
                    id: &DeviceId,
                ) -> Result<bool, StoreError> {
                    // The decision: one DELETE; of concurrent ones only the
                    // first finds the row.
                    let done =
                        sqlx::query("DELETE FROM latchkey_devices WHERE id = $2 AND account = $1")
                            .bind(account.as_str())
                            .bind(&id.0[..])
                            .execute(&self.pool)
                            .await
                            .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn revoke_all_devices(&self, account: &AccountId) -> Result<u64, StoreError> {
                    let done = sqlx::query("DELETE FROM latchkey_devices WHERE account = $1")
                        .bind(account.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(unavailable)?;
                    Ok(done.rows_affected())
                }

                async fn purge_expired_devices(
                    &self,
                    now: OffsetDateTime,
                ) -> Result<u64, StoreError> {
                    let done = sqlx::query("DELETE FROM latchkey_devices WHERE expires_at <= $1")
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

pub(crate) use impl_device_store;
