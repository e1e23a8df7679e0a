//! [`CredentialStore`](latchkey_credentials::CredentialStore): one row per
//! account in `latchkey_credentials`, the login unique too.

use latchkey_core::StoreError;
use latchkey_credentials::StoredCredential;

use crate::codec::Columns;

/// A credential from a row with `account` and `phc`.
pub(crate) fn credential_from_row(row: &impl Columns) -> Result<StoredCredential, StoreError> {
    Ok(StoredCredential {
        account: row.account("account")?,
        phc: row.text("phc")?,
    })
}

/// Implements `CredentialStore` for `$store` (see `crate::impl_stores!`).
macro_rules! impl_credential_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::{AccountId, StoreError};
            use latchkey_credentials::{CredentialStore, StoredCredential};

            use $crate::credentials::credential_from_row;
            use $crate::unavailable;

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
                        .map(|row| credential_from_row(&row))
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
                        "INSERT INTO latchkey_credentials (account, login, phc) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(account.as_str())
                    .bind(login)
                    .bind(phc)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_hash(
                    &self,
                    account: &AccountId,
                    phc: &str,
                ) -> Result<bool, StoreError> {
                    let done =
                        sqlx::query("UPDATE latchkey_credentials SET phc = $2 WHERE account = $1")
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
                        "UPDATE latchkey_credentials SET phc = $3 \
                         WHERE account = $1 AND phc = $2",
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
        };
    };
}

pub(crate) use impl_credential_store;
