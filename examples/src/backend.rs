//! The one database the site keeps everything in: latchkey's stores, the
//! sessions (tower-sessions' SQLx store on the same pool) and the host's
//! own tables ([`crate::book`]).

use std::sync::Arc;
use std::time::Duration;

use latchkey::SignInBuilder;
use latchkey_store_sqlx::sqlx::postgres::PgPool;
use latchkey_store_sqlx::sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use latchkey_store_sqlx::{PostgresStore, SqliteStore};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

/// A pool on the site's database.
#[derive(Clone, Debug)]
pub enum Db {
    /// A SQLite file.
    Sqlite(SqlitePool),
    /// A PostgreSQL database.
    Postgres(PgPool),
}

/// latchkey's stores, on the site's database.
#[derive(Clone, Debug)]
pub enum Stores {
    /// On SQLite.
    Sqlite(Arc<SqliteStore>),
    /// On PostgreSQL.
    Postgres(Arc<PostgresStore>),
}

impl Stores {
    /// Hands every store to the flow's builder.
    pub fn apply(&self, builder: SignInBuilder) -> SignInBuilder {
        match self {
            Self::Sqlite(s) => builder.store(s.clone()).cli_login_store(s.clone()),
            Self::Postgres(s) => builder.store(s.clone()).cli_login_store(s.clone()),
        }
    }
}

impl Stores {
    /// Where security keys and their ceremonies live.
    pub fn security_keys(&self) -> Arc<dyn latchkey::webauthn::SecurityKeyStore> {
        match self {
            Self::Sqlite(s) => s.clone(),
            Self::Postgres(s) => s.clone(),
        }
    }
}

/// Opens (and migrates) the database named by `url`; says where it is.
pub async fn open(url: &str) -> Result<(Db, Stores, String), String> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let file = path.split('?').next().unwrap_or_default();
        if file.is_empty() || file == ":memory:" {
            return Err("a sqlite URL for the site names a file: sqlite://FILE".into());
        }
        let existed = std::path::Path::new(file).exists();
        if !existed {
            // The database holds live session ids: only this user reads it
            // (SQLite's -wal and -shm files take the same mode).
            create_private(file).map_err(|e| format!("cannot create {file}: {e}"))?;
        }
        let options = SqliteStore::connect_options(url)
            .map_err(|e| format!("{url}: {e}"))?
            .create_if_missing(true);
        // One connection, as latchkey-store-sqlx recommends for one
        // process: requests queue for it instead of SQLite's busy handler.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot open {file}: {e}"))?;
        let store = SqliteStore::from_pool(pool.clone());
        store
            .migrate()
            .await
            .map_err(|e| format!("cannot migrate {file}: {e}"))?;
        let shown = std::fs::canonicalize(file)
            .map_or_else(|_| file.to_owned(), |p| p.display().to_string());
        let state = if existed {
            "kept from earlier runs"
        } else {
            "created now"
        };
        return Ok((
            Db::Sqlite(pool),
            Stores::Sqlite(Arc::new(store)),
            format!("SQLite file {shown} ({state})"),
        ));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(url)
            .await
            .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
        store
            .migrate()
            .await
            .map_err(|e| format!("cannot migrate the PostgreSQL database: {e}"))?;
        let pool = store.pool().clone();
        return Ok((
            Db::Postgres(pool),
            Stores::Postgres(Arc::new(store)),
            "PostgreSQL".to_owned(),
        ));
    }
    Err("--database-url takes sqlite://FILE or postgres://...".into())
}

/// The sessions' store: tower-sessions' SQLx store on the site's pool.
#[derive(Clone, Debug)]
pub enum Sessions {
    /// In the SQLite file.
    Sqlite(tower_sessions_sqlx_store::SqliteStore),
    /// In PostgreSQL.
    Postgres(tower_sessions_sqlx_store::PostgresStore),
}

impl Sessions {
    /// Creates the sessions' table if needed and starts the task that
    /// deletes expired sessions every `period`.
    pub async fn open(db: &Db, period: Duration) -> Result<Self, String> {
        let failed = |e| format!("cannot create the sessions table: {e}");
        Ok(match db {
            Db::Sqlite(pool) => {
                let store = tower_sessions_sqlx_store::SqliteStore::new(pool.clone());
                store.migrate().await.map_err(failed)?;
                tokio::spawn(store.clone().continuously_delete_expired(period));
                Self::Sqlite(store)
            }
            Db::Postgres(pool) => {
                let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
                store.migrate().await.map_err(failed)?;
                tokio::spawn(store.clone().continuously_delete_expired(period));
                Self::Postgres(store)
            }
        })
    }
}

#[latchkey::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

/// Creates an empty file that only its owner can read and write.
fn create_private(file: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file).map(drop)
}
