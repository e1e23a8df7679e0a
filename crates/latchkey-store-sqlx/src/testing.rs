//! Helpers for tests of hosts and of latchkey itself: throwaway, migrated
//! databases (a SQLite file in a temporary directory, a PostgreSQL schema
//! of its own) with a [`Cleanup`] guard that removes them, and stores on
//! them with pools of their own.
//!
//! PostgreSQL tests find their server in [`POSTGRES_URL_VAR`]; when it is
//! unset, [`postgres_url`] prints a `SKIPPED: ...` line and the test
//! returns early:
//!
//! ```no_run
//! use latchkey_store_sqlx::testing;
//! # async fn a_test() {
//! let Some(url) = testing::postgres_url() else {
//!     return;
//! };
//! let (schema, _cleanup) = testing::postgres_schema(&url).await;
//! let store = testing::postgres_store(&url, &schema, "my-test").await;
//! # let _ = store;
//! # }
//! ```
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use latchkey_credentials::CredentialStore;
//! use latchkey_store_sqlx::testing;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let (url, _cleanup) = testing::sqlite_database().await;
//! let store = testing::sqlite_store(&url).await;
//! assert!(store.find_by_login("jane").await?.is_none());
//! # Ok::<(), latchkey_core::StoreError>(())
//! # }).unwrap();
//! # }
//! ```
//!
//! Every helper panics when the database cannot be set up: they are for
//! tests.
#![allow(clippy::missing_panics_doc)]

use std::fmt;
use std::path::PathBuf;

/// The environment variable that points PostgreSQL tests at a server
/// (`postgres://user@host:5432/db`).
pub const POSTGRES_URL_VAR: &str = "LATCHKEY_TEST_POSTGRES_URL";

/// Schemas made by [`postgres_schema`] start with this, so leftovers are
/// easy to find:
/// `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'latchkey_test_%'`.
pub const SCHEMA_PREFIX: &str = "latchkey_test";

/// The PostgreSQL URL from [`POSTGRES_URL_VAR`], or `None` after printing
/// `SKIPPED: ...` straight to the process's stderr, past the test
/// harness's capture, so that the skip shows in plain `cargo test` output.
#[must_use]
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {POSTGRES_URL_VAR} is not set, PostgreSQL test not run"
            );
            None
        }
    }
}

/// A fresh name made of `prefix`, `_` and 16 random hex digits: fit for a
/// schema, a file or a session name.
#[must_use]
pub fn fresh_ident(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    latchkey_core::random::fill(&mut bytes).expect("OS random generator");
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{suffix}").replace('-', "_")
}

/// What removes a throwaway database when dropped.
pub enum Cleanup {
    /// A temporary directory holding SQLite files.
    Dir(PathBuf),
    /// A PostgreSQL schema.
    Schema {
        /// The server.
        url: String,
        /// The schema.
        schema: String,
    },
}

impl fmt::Debug for Cleanup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(dir) => f.debug_tuple("Dir").field(dir).finish(),
            // The URL may hold a password.
            Self::Schema { schema, .. } => f
                .debug_struct("Schema")
                .field("schema", schema)
                .finish_non_exhaustive(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Self::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            #[cfg(feature = "postgres")]
            Self::Schema { url, schema } => {
                let (url, name) = (url.clone(), schema.clone());
                // Drop may run inside the test's runtime: do the async work
                // on a thread of its own, with a runtime of its own.
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(postgres::drop_schema(&url, &name))
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    use std::io::Write as _;
                    let _ = writeln!(std::io::stderr(), "could not drop test schema {schema}");
                }
            }
            #[cfg(not(feature = "postgres"))]
            Self::Schema { .. } => {}
        }
    }
}

#[cfg(feature = "sqlite")]
pub use sqlite::{sqlite_database, sqlite_store};

#[cfg(feature = "sqlite")]
mod sqlite {
    use sqlx::sqlite::SqlitePoolOptions;

    use super::{Cleanup, fresh_ident};
    use crate::SqliteStore;

    /// A fresh, migrated SQLite database file in a temporary directory:
    /// its URL, and the cleanup that removes the directory.
    pub async fn sqlite_database() -> (String, Cleanup) {
        let dir = std::env::temp_dir().join(fresh_ident("latchkey_sqlx_test"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cleanup = Cleanup::Dir(dir.clone());
        let url = format!("sqlite://{}?mode=rwc", dir.join("latchkey.db").display());
        let store = SqliteStore::connect(&url).await.expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        store.pool().close().await;
        (url, cleanup)
    }

    /// A SQLite store on a pool of its own on `url`, with the options
    /// [`SqliteStore::connect_options`] recommends and ONE connection, as
    /// [`SqliteStore::connect`] makes (so a store method that needed a
    /// second connection while holding one would hang here), waiting up to
    /// 20 s for it. Several such stores on one file race each other through
    /// SQLite's own locking, like several processes.
    pub async fn sqlite_store(url: &str) -> SqliteStore {
        let options = SqliteStore::connect_options(url).expect("sqlite options");
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(20))
            .connect_with(options)
            .await
            .expect("sqlite pool");
        SqliteStore::from_pool(pool)
    }
}

#[cfg(feature = "postgres")]
pub use postgres::{postgres_schema, postgres_store};

#[cfg(feature = "postgres")]
mod postgres {
    use std::str::FromStr;

    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sqlx::{Connection, Executor, PgConnection};

    use super::{Cleanup, SCHEMA_PREFIX, fresh_ident};
    use crate::PostgresStore;

    pub(super) async fn drop_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
        let mut conn = PgConnection::connect(url).await?;
        conn.execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
            .await?;
        conn.close().await
    }

    /// A fresh, migrated schema on the server at `url` (named
    /// [`SCHEMA_PREFIX`]`_...`): its name, and the cleanup that drops it.
    pub async fn postgres_schema(url: &str) -> (String, Cleanup) {
        let schema = fresh_ident(SCHEMA_PREFIX);
        let mut conn = PgConnection::connect(url).await.expect("connect postgres");
        conn.execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .expect("create schema");
        conn.close().await.expect("close");
        let cleanup = Cleanup::Schema {
            url: url.to_owned(),
            schema: schema.clone(),
        };
        let store = postgres_store(url, &schema, "latchkey-test-migrate").await;
        store.migrate().await.expect("migrate postgres");
        store.pool().close().await;
        (schema, cleanup)
    }

    /// A PostgreSQL store on a pool of its own (up to 5 connections) on
    /// `url`, working in `schema` (its `search_path`), its sessions named
    /// `application_name` (so a test can find them in `pg_stat_activity`).
    pub async fn postgres_store(url: &str, schema: &str, application_name: &str) -> PostgresStore {
        let options = PgConnectOptions::from_str(url)
            .expect("postgres url")
            .options([("search_path", schema)])
            .application_name(application_name);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect_with(options)
            .await
            .expect("postgres pool");
        PostgresStore::from_pool(pool)
    }
}
