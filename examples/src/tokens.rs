//! The site's own command-line tokens: what it mints when a command line
//! collects an approved login (latchkey hands over the account; the token
//! is the host's). Only the SHA-256 of each token is stored, with the
//! account's security stamp it was minted under: every use checks that
//! stamp (`SignIn::stamp_is_current`), so a credential change ends the
//! token whoever made it. The Account page lists and revokes them, and a
//! `StampChanged` event deletes them (tidying, not the guarantee).

use latchkey::core::{AccountId, SecurityStamp, StoreError};
use latchkey_store_sqlx::sqlx;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::backend::Db;

/// What every token starts with, so a leaked one is easy to recognise
/// (secret scanners look for such prefixes).
const PREFIX: &str = "lkx_";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS example_cli_tokens (
    digest TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    label TEXT NOT NULL,
    stamp TEXT NOT NULL,
    created_at BIGINT NOT NULL)";

/// A token as the Account page lists it.
#[derive(Clone, Debug)]
pub struct TokenRow {
    /// The first 8 hex digits of its digest (to name it in a form).
    pub id: String,
    /// What the command line said it is.
    pub label: String,
    /// When it was minted.
    pub created_at: OffsetDateTime,
}

/// The site's tokens.
#[derive(Clone, Debug)]
pub struct Tokens {
    db: Db,
}

fn failed(e: sqlx::Error) -> StoreError {
    StoreError::unavailable(e)
}

fn digest(token: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

impl Tokens {
    /// The tokens on `db`, creating their table if needed.
    pub async fn open(db: Db) -> Result<Self, StoreError> {
        on_pool!(&db, pool => sqlx::query(SCHEMA).execute(pool).await.map_err(failed)?.rows_affected());
        Ok(Self { db })
    }

    /// Mints a token for `account` (256 random bits, base64url, after
    /// [`PREFIX`]); stores its digest.
    pub async fn mint(
        &self,
        account: &AccountId,
        stamp: &SecurityStamp,
        label: &str,
        now: OffsetDateTime,
    ) -> Result<Zeroizing<String>, StoreError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        latchkey::core::random::fill(&mut secret[..])
            .map_err(|e| StoreError::unavailable(e.to_string()))?;
        let token = Zeroizing::new(format!(
            "{PREFIX}{}",
            data_encoding::BASE64URL_NOPAD.encode(&secret[..])
        ));
        let sql = "INSERT INTO example_cli_tokens (digest, account_id, label, stamp, created_at)
                   VALUES ($1, $2, $3, $4, $5)";
        on_pool!(&self.db, pool => sqlx::query(sql)
            .bind(digest(&token))
            .bind(account.as_str())
            .bind(label)
            .bind(data_encoding::HEXLOWER.encode(&stamp.0))
            .bind(now.unix_timestamp())
            .execute(pool)
            .await
            .map_err(failed)?
            .rows_affected());
        Ok(token)
    }

    /// The account a bearer token belongs to and the stamp it was minted
    /// under, if it is one of ours. The lookup is by digest (a token is
    /// 256 random bits, so its digest gives nothing to guess), and the
    /// found digest is compared again in constant time.
    pub async fn account(
        &self,
        token: &str,
    ) -> Result<Option<(AccountId, SecurityStamp)>, StoreError> {
        if !token.starts_with(PREFIX) || token.len() > 100 {
            return Ok(None);
        }
        let wanted = digest(token);
        let sql = "SELECT digest, account_id, stamp FROM example_cli_tokens WHERE digest = $1";
        let row: Option<(String, String, String)> = on_pool!(&self.db, pool => sqlx::query_as(sql)
            .bind(&wanted)
            .fetch_optional(pool)
            .await
            .map_err(failed)?);
        let Some((found, account, stamp)) = row else {
            return Ok(None);
        };
        if !bool::from(found.as_bytes().ct_eq(wanted.as_bytes())) {
            return Ok(None);
        }
        let account = AccountId::new(account).map_err(|_| StoreError::corrupt("an account id"))?;
        let stamp: [u8; 16] = data_encoding::HEXLOWER
            .decode(stamp.as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| StoreError::corrupt("a token's stamp"))?;
        Ok(Some((account, SecurityStamp(stamp))))
    }

    /// Deletes one token (it outlived its stamp).
    pub async fn forget(&self, token: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM example_cli_tokens WHERE digest = $1";
        on_pool!(&self.db, pool => sqlx::query(sql)
            .bind(digest(token))
            .execute(pool)
            .await
            .map_err(failed)?
            .rows_affected());
        Ok(())
    }

    /// The account's tokens, newest first.
    pub async fn list(&self, account: &AccountId) -> Result<Vec<TokenRow>, StoreError> {
        let sql = "SELECT digest, label, created_at FROM example_cli_tokens
                   WHERE account_id = $1 ORDER BY created_at DESC, digest";
        let rows: Vec<(String, String, i64)> = on_pool!(&self.db, pool => sqlx::query_as(sql)
            .bind(account.as_str())
            .fetch_all(pool)
            .await
            .map_err(failed)?);
        rows.into_iter()
            .map(|(digest, label, at)| {
                Ok(TokenRow {
                    id: digest.chars().take(8).collect(),
                    label,
                    created_at: OffsetDateTime::from_unix_timestamp(at)
                        .map_err(|_| StoreError::corrupt("a timestamp"))?,
                })
            })
            .collect()
    }

    /// Revokes the account's token whose digest starts with `id` (8 hex
    /// digits); whether one went.
    pub async fn revoke(&self, account: &AccountId, id: &str) -> Result<bool, StoreError> {
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let sql = "DELETE FROM example_cli_tokens WHERE account_id = $1 AND digest LIKE $2";
        let gone = on_pool!(&self.db, pool => sqlx::query(sql)
            .bind(account.as_str())
            .bind(format!("{}%", id.to_ascii_lowercase()))
            .execute(pool)
            .await
            .map_err(failed)?
            .rows_affected());
        Ok(gone > 0)
    }

    /// Revokes every token of the account; how many.
    pub async fn revoke_all(&self, account: &AccountId) -> Result<u64, StoreError> {
        let sql = "DELETE FROM example_cli_tokens WHERE account_id = $1";
        Ok(on_pool!(&self.db, pool => sqlx::query(sql)
            .bind(account.as_str())
            .execute(pool)
            .await
            .map_err(failed)?
            .rows_affected()))
    }
}
