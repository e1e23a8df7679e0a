//! [`SqliteStore`]: the stores on SQLite.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use latchkey_core::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};

use crate::{MigrationReport, unavailable};

/// Every latchkey store on one SQLite database.
///
/// Writes that decide something over several rows run in `BEGIN
/// IMMEDIATE` transactions, so they take SQLite's single write lock
/// up front and never fail half-way on a lock upgrade. Pools made by
/// [`connect`](Self::connect) or [`connect_options`](Self::connect_options)
/// use WAL journaling (readers do not block the writer), a 10 s busy
/// timeout and foreign keys.
///
/// `Debug` shows no contents.
///
/// ```
/// use latchkey_otp::{OtpStore, Purpose};
/// use latchkey_store_sqlx::SqliteStore;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = SqliteStore::connect("sqlite::memory:").await?;
/// store.migrate().await?;
/// let jane = latchkey_core::AccountId::new("jane")?;
/// assert!(store.get(&jane, &Purpose::SIGN_IN).await?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

/// The busy timeout of pools this crate makes.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The embedded migrations, oldest first.
static MIGRATIONS: &[crate::Embedded] = &[
    (
        1,
        "latchkey schema",
        include_str!("../migrations/sqlite/0001_latchkey_schema.sql"),
    ),
    (
        2,
        "throttled attempts",
        include_str!("../migrations/sqlite/0002_throttled_attempts.sql"),
    ),
    (
        3,
        "devices and stamps",
        include_str!("../migrations/sqlite/0003_devices_and_stamps.sql"),
    ),
    (
        4,
        "cli logins",
        include_str!("../migrations/sqlite/0004_cli_logins.sql"),
    ),
    (
        5,
        "security keys",
        include_str!("../migrations/sqlite/0005_security_keys.sql"),
    ),
    (
        6,
        "two factor without app",
        include_str!("../migrations/sqlite/0006_two_factor_without_app.sql"),
    ),
];

impl SqliteStore {
    /// The connect options this crate recommends for `url`
    /// (`sqlite://path/to/file?mode=rwc`, `sqlite::memory:`): WAL, a 10 s
    /// busy timeout, foreign keys on. Build your own pool from them and
    /// hand it to [`from_pool`](Self::from_pool).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL does not parse.
    pub fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
        Ok(SqliteConnectOptions::from_str(url)
            .map_err(unavailable)?
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true))
    }

    /// Opens a pool on `url` with [`connect_options`](Self::connect_options)
    /// and ONE connection. Run [`migrate`](Self::migrate) before first use.
    ///
    /// SQLite has one writer at a time. With several connections in one
    /// process, concurrent writers wait in SQLite's busy handler, which
    /// sleeps in steps of up to 100 ms: measured here (the `store_sqlx`
    /// bench), 16 concurrent mailed-code flows ran at about 100/s on ten
    /// connections and about 730/s on one, where tasks queue for the
    /// connection instead. Other processes on the same file still wait in
    /// the busy handler (10 s at most).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL does not parse or the
    /// database cannot be opened.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(Self::connect_options(url)?)
            .await
            .map_err(unavailable)?;
        Ok(Self { pool })
    }

    /// A store over an existing pool. Give it a busy timeout (see
    /// [`connect_options`](Self::connect_options)); otherwise concurrent
    /// writers fail with "database is locked" instead of waiting. One
    /// connection is fastest under concurrency (see [`connect`](Self::connect)).
    #[must_use]
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Applies the crate's migrations that the database does not have yet
    /// (bookkept in sqlx's `_sqlx_migrations` table).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database fails, or when an
    /// applied migration's checksum differs from the crate's.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        crate::run_migrations(&self.pool, MIGRATIONS).await
    }

    /// A transaction holding SQLite's write lock from its first statement.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(unavailable)
    }

    /// A transaction reading one snapshot (WAL).
    async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin().await.map_err(unavailable)
    }

    /// Serializes decisions on `(scope, name)`: nothing to do, `BEGIN
    /// IMMEDIATE` already serializes every writer.
    #[allow(clippy::unused_async)]
    async fn lock(
        _tx: &mut Transaction<'static, Sqlite>,
        _scope: &str,
        _name: &str,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

crate::impl_stores!(SqliteStore, Sqlite, "");
