//! [`PostgresStore`]: the stores on PostgreSQL.

use std::fmt;

use latchkey_core::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::{MigrationReport, unavailable};

/// Every latchkey store on one PostgreSQL database (the schema is the
/// connection's `search_path`).
///
/// Single-statement decisions rely on PostgreSQL's row locks (a
/// conditional `UPDATE` or `DELETE` re-checks its condition on the latest
/// row version). Decisions that read several rows first lock one row with
/// `SELECT ... FOR UPDATE` in a transaction at the default isolation (READ
/// COMMITTED); the row is inserted first (`ON CONFLICT DO NOTHING`) so
/// that there is one to lock.
///
/// `Debug` shows no contents.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

/// The embedded migrations, oldest first.
static MIGRATIONS: &[crate::Embedded] = &[
    (
        1,
        "latchkey schema",
        include_str!("../migrations/postgres/0001_latchkey_schema.sql"),
    ),
    (
        2,
        "throttled attempts",
        include_str!("../migrations/postgres/0002_throttled_attempts.sql"),
    ),
    (
        3,
        "devices and stamps",
        include_str!("../migrations/postgres/0003_devices_and_stamps.sql"),
    ),
    (
        4,
        "cli logins",
        include_str!("../migrations/postgres/0004_cli_logins.sql"),
    ),
    (
        5,
        "security keys",
        include_str!("../migrations/postgres/0005_security_keys.sql"),
    ),
    (
        6,
        "two factor without app",
        include_str!("../migrations/postgres/0006_two_factor_without_app.sql"),
    ),
];

impl PostgresStore {
    /// Opens a pool on `url` (`postgres://user@host:5432/db`). Run
    /// [`migrate`](Self::migrate) before first use.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL does not parse or the
    /// server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .connect(url)
            .await
            .map_err(unavailable)?;
        Ok(Self { pool })
    }

    /// A store over an existing pool (for a schema of your own, set
    /// `search_path` with
    /// [`PgConnectOptions::options`](sqlx::postgres::PgConnectOptions::options)).
    #[must_use]
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies the crate's migrations that the database does not have yet
    /// (bookkept in sqlx's `_sqlx_migrations` table, under sqlx's advisory
    /// lock so that instances starting together migrate once).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database fails, or when an
    /// applied migration's checksum differs from the crate's.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        crate::run_migrations(&self.pool, MIGRATIONS).await
    }

    /// A read-committed transaction; decisions in it lock rows first.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(unavailable)
    }

    /// A transaction reading one snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(unavailable)
    }

    /// Serializes decisions on `(scope, name)` until `tx` ends: makes sure
    /// the lock row exists, then locks it.
    async fn lock(
        tx: &mut Transaction<'static, Postgres>,
        scope: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO latchkey_locks (scope, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(name)
        .execute(&mut **tx)
        .await
        .map_err(unavailable)?;
        sqlx::query("SELECT scope FROM latchkey_locks WHERE scope = $1 AND name = $2 FOR UPDATE")
            .bind(scope)
            .bind(name)
            .fetch_one(&mut **tx)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

crate::impl_stores!(PostgresStore, Postgres, " FOR UPDATE");
