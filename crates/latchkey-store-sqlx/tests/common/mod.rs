//! Fresh databases for the tests, and [`Rotating`]: one store made of
//! several stores, each with its own pool on the same database, taking
//! turns call by call. Every conformance case, the 64-way races included,
//! so runs as if on several service instances.
#![allow(dead_code, clippy::print_stdout, missing_docs)]

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use latchkey::{
    AttemptPolicy as BackoffPolicy, ChallengeAttempt, ChallengeKey, ChallengeRecord,
    ChallengeStore, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
use latchkey_core::{AccountId, KeyId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};
use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use latchkey_recovery::{AuditEntry, Draft, Ticket, TicketChange, TicketId, TicketStore};
use latchkey_store_sqlx::{PostgresStore, SqliteStore};
use latchkey_twofactor::{
    AttemptPolicy, AttemptReservation, Mode, PendingEnrolment, RecoveryDigest, SealedSecret,
    TwoFactorState, TwoFactorStore,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Connection, Executor, PgConnection};
use time::{Duration, OffsetDateTime};

/// Separate pools (so separate connections) per test store.
pub const POOLS: usize = 4;

/// The variable that points the PostgreSQL tests at a server.
pub const POSTGRES_URL_VAR: &str = "LATCHKEY_TEST_POSTGRES_URL";

/// Schemas of test runs start with this, so leftovers are easy to find:
/// `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'latchkey_test_%'`.
pub const SCHEMA_PREFIX: &str = "latchkey_test";

/// The PostgreSQL URL, or `None` after printing the SKIPPED line.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            // Straight to the process's stderr, past the test harness's
            // capture, so the skip shows in plain `cargo test` output.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {POSTGRES_URL_VAR} is not set, PostgreSQL test not run"
            );
            None
        }
    }
}

/// What to remove when a test's store goes away.
pub enum Cleanup {
    /// A temporary directory holding SQLite files.
    Dir(PathBuf),
    /// A PostgreSQL schema.
    Schema { url: String, schema: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Self::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Schema { url, schema } => {
                let (url, name) = (url.clone(), schema.clone());
                // Drop runs inside the test's runtime: do the async work on
                // a thread of its own and wait for it.
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(drop_schema(&url, &name))
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("could not drop test schema {schema}");
                }
            }
        }
    }
}

async fn drop_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect(url).await?;
    conn.execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
        .await?;
    conn.close().await
}

/// A fresh name made of letters, digits and `_`.
pub fn fresh_ident(prefix: &str) -> String {
    latchkey_testkit::fresh_name(prefix).replace('-', "_")
}

/// A fresh, migrated SQLite database file in a temporary directory.
/// Returns its URL and the cleanup that removes it.
pub async fn sqlite_database() -> (String, Cleanup) {
    let dir = std::env::temp_dir().join(fresh_ident("latchkey_sqlx_test"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("latchkey.db").display());
    let store = SqliteStore::connect(&url).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    store.pool().close().await;
    (url, Cleanup::Dir(dir))
}

/// A SQLite store on its own pool of `url`, with one connection as
/// `SqliteStore::connect` makes (so a store method that needed a second
/// connection while holding one would hang here); the pools still race
/// each other through SQLite's own locking.
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

/// [`POOLS`] stores on one fresh SQLite file.
pub async fn sqlite() -> Arc<Rotating<SqliteStore>> {
    let (url, cleanup) = sqlite_database().await;
    let mut stores = Vec::new();
    for _ in 0..POOLS {
        stores.push(sqlite_store(&url).await);
    }
    Arc::new(Rotating::new(stores, cleanup))
}

/// A fresh, migrated schema: its name, and the cleanup that drops it.
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

/// A PostgreSQL store on its own pool, in `schema`, its sessions named
/// `application_name`.
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

/// [`POOLS`] stores on one fresh PostgreSQL schema.
pub async fn postgres(url: String) -> Arc<Rotating<PostgresStore>> {
    let (schema, cleanup) = postgres_schema(&url).await;
    let mut stores = Vec::new();
    for i in 0..POOLS {
        stores.push(postgres_store(&url, &schema, &format!("latchkey-test-{i}")).await);
    }
    Arc::new(Rotating::new(stores, cleanup))
}

/// Several stores on one database taking turns, call by call.
pub struct Rotating<S> {
    stores: Vec<S>,
    next: AtomicUsize,
    _cleanup: Cleanup,
}

impl<S> Rotating<S> {
    pub fn new(stores: Vec<S>, cleanup: Cleanup) -> Self {
        Self {
            stores,
            next: AtomicUsize::new(0),
            _cleanup: cleanup,
        }
    }

    /// The store whose turn it is.
    fn pick(&self) -> &S {
        &self.stores[self.next.fetch_add(1, Ordering::Relaxed) % self.stores.len()]
    }
}

impl<S> fmt::Debug for Rotating<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rotating({} stores)", self.stores.len())
    }
}

#[async_trait]
impl<S: CredentialStore> CredentialStore for Rotating<S> {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        self.pick().find_by_login(login).await
    }
    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        self.pick().create(login, account, phc).await
    }
    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        self.pick().set_hash(account, phc).await
    }
    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        self.pick()
            .replace_hash_if_unchanged(account, expected, new)
            .await
    }
}

#[async_trait]
impl<S: OtpStore> OtpStore for Rotating<S> {
    async fn reserve_send(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        cooldown: Duration,
        hourly_cap: u32,
    ) -> Result<SendReservation, StoreError> {
        self.pick()
            .reserve_send(account, now, cooldown, hourly_cap)
            .await
    }
    async fn release_send(
        &self,
        account: &AccountId,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.pick().release_send(account, sent_at).await
    }
    async fn put(&self, record: CodeRecord) -> Result<(), StoreError> {
        self.pick().put(record).await
    }
    async fn get(
        &self,
        account: &AccountId,
        purpose: &Purpose,
    ) -> Result<Option<CodeRecord>, StoreError> {
        self.pick().get(account, purpose).await
    }
    async fn record_failure(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<FailureCount, StoreError> {
        self.pick().record_failure(account, purpose, id).await
    }
    async fn consume(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick().consume(account, purpose, id, now).await
    }
    async fn withdraw(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<(), StoreError> {
        self.pick().withdraw(account, purpose, id).await
    }
    async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError> {
        self.pick().void_all(account).await
    }
}

#[async_trait]
impl<S: TwoFactorStore> TwoFactorStore for Rotating<S> {
    async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError> {
        self.pick().load(account).await
    }
    async fn put_pending(
        &self,
        account: &AccountId,
        pending: PendingEnrolment,
    ) -> Result<(), StoreError> {
        self.pick().put_pending(account, pending).await
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
        self.pick()
            .activate(
                account,
                pending_id,
                now,
                confirmed_step,
                recovery_codes,
                mode,
            )
            .await
    }
    async fn advance_step(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        step: u64,
        drift: i32,
    ) -> Result<bool, StoreError> {
        self.pick()
            .advance_step(account, authenticator_id, step, drift)
            .await
    }
    async fn use_recovery_code(
        &self,
        account: &AccountId,
        digest: &RecoveryDigest,
    ) -> Result<Option<u32>, StoreError> {
        self.pick().use_recovery_code(account, digest).await
    }
    async fn replace_recovery_codes(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
    ) -> Result<(), StoreError> {
        self.pick()
            .replace_recovery_codes(account, recovery_codes)
            .await
    }
    async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError> {
        self.pick().set_mode(account, mode).await
    }
    async fn disable(&self, account: &AccountId) -> Result<(), StoreError> {
        self.pick().disable(account).await
    }
    async fn reserve_attempt(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<AttemptReservation, StoreError> {
        TwoFactorStore::reserve_attempt(self.pick(), account, now, policy).await
    }
    async fn reseal(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        expected_key_id: &KeyId,
        new: SealedSecret,
    ) -> Result<bool, StoreError> {
        self.pick()
            .reseal(account, authenticator_id, expected_key_id, new)
            .await
    }
    async fn claim_replay_notice(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        min_interval: Duration,
    ) -> Result<bool, StoreError> {
        self.pick()
            .claim_replay_notice(account, now, min_interval)
            .await
    }
    async fn clear_attempts(&self, account: &AccountId) -> Result<(), StoreError> {
        self.pick().clear_attempts(account).await
    }
    async fn consume_approval(
        &self,
        account: &AccountId,
        id: &[u8; 16],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick().consume_approval(account, id, expires_at).await
    }
}

#[async_trait]
impl<S: TicketStore> TicketStore for Rotating<S> {
    async fn record_submission(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        cap: u32,
    ) -> Result<bool, StoreError> {
        self.pick().record_submission(key, now, window, cap).await
    }
    async fn put_draft(&self, draft: Draft) -> Result<(), StoreError> {
        self.pick().put_draft(draft).await
    }
    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.pick().get_draft(id).await
    }
    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.pick().take_draft(id).await
    }
    async fn insert(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.pick().insert(ticket).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        TicketStore::get(self.pick(), id).await
    }
    async fn transition(
        &self,
        id: &TicketId,
        expected_version: u64,
        change: TicketChange,
        entry: AuditEntry,
    ) -> Result<bool, StoreError> {
        self.pick()
            .transition(id, expected_version, change, entry)
            .await
    }
    async fn append_note(&self, id: &TicketId, entry: AuditEntry) -> Result<bool, StoreError> {
        self.pick().append_note(id, entry).await
    }
}

#[async_trait]
impl<S: ChallengeStore> ChallengeStore for Rotating<S> {
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError> {
        self.pick().insert_challenge(record).await
    }
    async fn get_challenge(
        &self,
        key: &ChallengeKey,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        self.pick().get_challenge(key).await
    }
    async fn reserve_attempt(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<ChallengeAttempt, StoreError> {
        ChallengeStore::reserve_attempt(self.pick(), key, now).await
    }
    async fn consume_challenge(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick().consume_challenge(key, now).await
    }
    async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.pick().purge_expired_challenges(now).await
    }
}

#[async_trait]
impl<S: ThrottleStore> ThrottleStore for Rotating<S> {
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        policy: BackoffPolicy,
    ) -> Result<ThrottleReservation, StoreError> {
        self.pick().reserve(key, now, policy).await
    }
    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        self.pick().clear(key).await
    }
    async fn purge_idle(
        &self,
        idle_before: OffsetDateTime,
        lock_after: u32,
    ) -> Result<u64, StoreError> {
        self.pick().purge_idle(idle_before, lock_after).await
    }
    async fn hit(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<WindowCount, StoreError> {
        self.pick().hit(key, now, window).await
    }
}
