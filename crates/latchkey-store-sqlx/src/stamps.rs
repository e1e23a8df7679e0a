//! [`StampStore`](latchkey_devices::StampStore): one row per account in
//! `latchkey_stamps`.

use latchkey_core::{SecurityStamp, StoreError};

use crate::codec::Columns;

/// A stamp from a row with `stamp`.
pub(crate) fn stamp_from_row(row: &impl Columns) -> Result<SecurityStamp, StoreError> {
    Ok(SecurityStamp(row.array("stamp")?))
}

/// Implements `StampStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_stamp_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::{AccountId, SecurityStamp, StoreError};
            use latchkey_devices::StampStore;

            use $crate::stamps::stamp_from_row;
            use $crate::unavailable;

            #[async_trait]
            impl StampStore for $store {
                async fn stamp(
                    &self,
                    account: &AccountId,
                    fresh: SecurityStamp,
                ) -> Result<SecurityStamp, StoreError> {
                    // A stored stamp only ever changes by rotation: reading
                    // it is enough, and takes no write lock.
                    let stored =
                        sqlx::query("SELECT stamp FROM latchkey_stamps WHERE account = $1")
                            .bind(account.as_str())
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(unavailable)?;
                    if let Some(row) = stored {
                        return stamp_from_row(&row);
                    }
                    // The decision: one upsert. The first to insert stores
                    // `fresh`; every concurrent caller's no-op update
                    // returns the stamp it stored.
                    let row = sqlx::query(
                        "INSERT INTO latchkey_stamps (account, stamp) VALUES ($1, $2) \
                         ON CONFLICT (account) DO UPDATE SET account = excluded.account \
                         RETURNING stamp",
                    )
                    .bind(account.as_str())
                    .bind(&fresh.0[..])
                    .fetch_one(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    stamp_from_row(&row)
                }

                async fn rotate_stamp(
                    &self,
                    account: &AccountId,
                    new: SecurityStamp,
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO latchkey_stamps (account, stamp) VALUES ($1, $2) \
                         ON CONFLICT (account) DO UPDATE SET stamp = excluded.stamp",
                    )
                    .bind(account.as_str())
                    .bind(&new.0[..])
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use impl_stamp_store;
