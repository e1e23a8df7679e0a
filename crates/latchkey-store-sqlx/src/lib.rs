//! Every latchkey store trait on SQLite and PostgreSQL, through sqlx.
//!
//! [`SqliteStore`] (feature `sqlite`) and [`PostgresStore`] (feature
//! `postgres`) each implement
//! [`CredentialStore`](latchkey_credentials::CredentialStore),
//! [`OtpStore`](latchkey_otp::OtpStore),
//! [`TwoFactorStore`](latchkey_twofactor::TwoFactorStore),
//! [`TicketStore`](latchkey_recovery::TicketStore),
//! [`ChallengeStore`](latchkey_challenge::ChallengeStore),
//! [`ThrottleStore`](latchkey_throttle::ThrottleStore),
//! [`DeviceStore`](latchkey_devices::DeviceStore),
//! [`StampStore`](latchkey_devices::StampStore),
//! [`CliLoginStore`](latchkey_cli_login::CliLoginStore) and
//! [`SecurityKeyStore`](latchkey_webauthn::SecurityKeyStore), so several
//! service instances can share one database. [`testing`] makes throwaway
//! databases for tests.
//!
//! Every security decision is one SQL statement or one transaction:
//! consuming a code is a conditional `DELETE`, counting a failure a
//! conditional `UPDATE ... SET n = n + 1 WHERE n < max`, advancing a TOTP
//! step an `UPDATE ... WHERE last_used_step < $step`, a ticket transition a
//! compare-and-set on its version, revoking a device a `DELETE ... WHERE id
//! AND account`, an account's first security stamp an `INSERT ... ON
//! CONFLICT DO UPDATE ... RETURNING` that hands every concurrent caller the
//! one stored, a command-line login's approval or denial an `UPDATE ...
//! WHERE state = 'pending' AND expires_at > $now`, taking a WebAuthn
//! ceremony a `DELETE ... RETURNING` (its expiry checked on the row it
//! returns), recording a security key's use an `UPDATE ... WHERE counter
//! = $seen`. Where the decision needs Rust (the backoff of throttled
//! attempts, the hourly cap of mailed codes, a command-line login's poll,
//! which answers by the previous poll and claims an approval) it runs
//! inside a transaction that first locks what it decides on: `BEGIN
//! IMMEDIATE` on SQLite (one writer at a time), `SELECT ... FOR UPDATE` on
//! a row on PostgreSQL.
//!
//! Secrets are stored as they come: password hashes as PHC strings, codes
//! as keyed digests, TOTP secrets sealed, command-line logins' ids and poll
//! tokens and WebAuthn ceremonies' ids as their SHA-256 (security keys
//! have only public material). Times are stored as unix nanoseconds
//! (`BIGINT`), so the range is the years 1677 to 2262.
//!
//! The schema comes with the crate as migrations; run them with
//! [`SqliteStore::migrate`] / [`PostgresStore::migrate`] or the
//! `latchkey migrate --database-url URL` command.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use latchkey_core::AccountId;
//! use latchkey_credentials::CredentialStore;
//! use latchkey_store_sqlx::SqliteStore;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = SqliteStore::connect("sqlite::memory:").await?;
//! store.migrate().await?;
//! let id = AccountId::new("7")?;
//! assert!(store.create("jane", &id, "$argon2id$v=19$...").await?);
//! let found = store.find_by_login("jane").await?.expect("created");
//! assert_eq!(found.account, id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Without a backend, nothing uses the shared code.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use std::borrow::Cow;
use std::fmt;

use latchkey_core::StoreError;
use time::OffsetDateTime;

mod challenges;
mod cli_logins;
mod codec;
mod codes;
mod credentials;
mod devices;
mod security_keys;
mod stamps;
mod throttle;
mod tickets;
mod two_factor;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod testing;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use sqlx;

/// Implements every store trait for `$store` (a struct with a `pool`
/// field and the methods `begin_write`, `begin_read` and `lock`) on
/// database `$db`. `$for_update` is `""` or `" FOR UPDATE"`, appended to
/// the `SELECT`s that read the row a decision is about.
///
/// The SQL is the same text on SQLite and PostgreSQL (`$1` placeholders,
/// `ON CONFLICT`, `RETURNING`); what differs lives in the backend's module:
/// - `begin_write()`: `BEGIN IMMEDIATE` on SQLite (the one writer lock,
///   taken up front), a plain read-committed `BEGIN` on PostgreSQL;
/// - `begin_read()`: one snapshot for reads of several tables;
/// - `lock(tx, scope, name)`: on PostgreSQL, `SELECT ... FOR UPDATE` on a
///   row of `latchkey_locks`; nothing on SQLite.
///
/// A transaction dropped before `commit` (an early `?`) is rolled back by
/// sqlx when its connection goes back to the pool.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
macro_rules! impl_stores {
    ($store:ident, $db:ty, $for_update:literal) => {
        $crate::credentials::impl_credential_store!($store);
        $crate::codes::impl_otp_store!($store);
        $crate::two_factor::impl_two_factor_store!($store, $db);
        $crate::tickets::impl_ticket_store!($store, $db, $for_update);
        $crate::challenges::impl_challenge_store!($store);
        $crate::throttle::impl_throttle_store!($store, $for_update);
        $crate::devices::impl_device_store!($store);
        $crate::stamps::impl_stamp_store!($store);
        $crate::cli_logins::impl_cli_login_store!($store, $for_update);
        $crate::security_keys::impl_security_key_store!($store);
    };
}
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use impl_stores;

/// What a [`migrate`](SqliteStore::migrate) run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// The migrations this run applied, as (version, description), oldest
    /// first.
    pub applied: Vec<(i64, String)>,
    /// How many of the crate's migrations were already in the database.
    pub already_applied: usize,
}

impl fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.applied.is_empty() {
            return write!(
                f,
                "up to date ({} migration{} already applied)",
                self.already_applied,
                if self.already_applied == 1 { "" } else { "s" }
            );
        }
        for (i, (version, description)) in self.applied.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "applied {version:04} {description}")?;
        }
        Ok(())
    }
}

/// One embedded migration: version, description, SQL.
type Embedded = (i64, &'static str, &'static str);

/// The crate's migrations for one backend, as an sqlx migration source
/// (so sqlx's `_sqlx_migrations` bookkeeping and checksums apply) without
/// sqlx's proc macros.
#[derive(Debug)]
struct EmbeddedMigrations(&'static [Embedded]);

impl<'s> sqlx::migrate::MigrationSource<'s> for EmbeddedMigrations {
    fn resolve(
        self,
    ) -> BoxFuture<'s, Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                sqlx::migrate::Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    sqlx::migrate::MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

/// The boxed future sqlx's `MigrationSource` returns.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs `migrations` on one connection under the backend's migration lock
/// and reports what was new.
async fn run_migrations<DB>(
    pool: &sqlx::Pool<DB>,
    migrations: &'static [Embedded],
) -> Result<MigrationReport, StoreError>
where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
{
    use sqlx::migrate::{Migrate, Migrator};

    let mut migrator = Migrator::new(EmbeddedMigrations(migrations))
        .await
        .map_err(StoreError::unavailable)?;
    // We hold the lock ourselves, around the listing too.
    migrator.set_locking(false);
    let mut conn = pool.acquire().await.map_err(StoreError::unavailable)?;
    conn.lock().await.map_err(StoreError::unavailable)?;
    let result = async {
        conn.ensure_migrations_table().await?;
        let before = conn.list_applied_migrations().await?;
        migrator.run_direct(&mut *conn).await?;
        Ok::<_, sqlx::migrate::MigrateError>(before)
    }
    .await;
    let unlocked = conn.unlock().await;
    let before = result.map_err(StoreError::unavailable)?;
    unlocked.map_err(StoreError::unavailable)?;
    let mut report = MigrationReport::default();
    for m in migrator.iter() {
        if before.iter().any(|a| a.version == m.version) {
            report.already_applied += 1;
        } else {
            report.applied.push((m.version, m.description.to_string()));
        }
    }
    Ok(report)
}

/// A value latchkey handed over that the schema cannot hold (a time
/// outside 1677–2262, a number above `i64::MAX`).
#[derive(Debug)]
struct OutOfRange(&'static str);

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is outside the range the database stores", self.0)
    }
}

impl std::error::Error for OutOfRange {}

/// A database error, with its source kept.
fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::unavailable(e)
}

/// A time as stored: unix nanoseconds.
fn nanos(t: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| StoreError::unavailable(OutOfRange("a time")))
}

/// `t - d` as stored, or `None` when it lies before anything storable
/// (so "at or before the cutoff" matches nothing).
fn cutoff(t: OffsetDateTime, d: time::Duration) -> Option<i64> {
    t.checked_sub(d)
        .and_then(|c| i64::try_from(c.unix_timestamp_nanos()).ok())
}

/// A `u64` as stored (`BIGINT`).
fn int_of_u64(v: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::unavailable(OutOfRange(what)))
}
