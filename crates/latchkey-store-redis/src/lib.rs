//! latchkey's short-lived stores on Redis, so several service instances
//! share them: [`RedisStore`] implements
//! [`OtpStore`](latchkey_otp::OtpStore) (mailed codes, and the sends under
//! the cooldown and hourly cap),
//! [`ChallengeStore`](latchkey_challenge::ChallengeStore) (sign-in
//! challenges), [`ThrottleStore`](latchkey_throttle::ThrottleStore)
//! (backoff counters and client windows),
//! [`DeviceStore`](latchkey_devices::DeviceStore) (remembered devices) and
//! [`CliLoginStore`](latchkey_cli_login::CliLoginStore) (command-line
//! login sessions).
//! Pass one value to each builder method: `.otp_store(redis.clone())`,
//! `.challenge_store(..)`, `.throttle_store(..)`, `.device_store(..)`,
//! `.cli_login_store(..)`, and the rest (credentials, 2FA, tickets,
//! stamps) from `latchkey-store-sqlx`.
//! It needs Redis 7.0 or later (the scripts use `PEXPIRETIME`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use latchkey_otp::{OtpStore, Purpose};
//! use latchkey_store_redis::RedisStore;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = Arc::new(RedisStore::connect("redis://127.0.0.1:6379", "myapp").await?);
//! let codes: Arc<dyn OtpStore> = redis.clone(); // what SignIn::builder takes
//! let jane = latchkey_core::AccountId::new("7")?;
//! assert!(codes.get(&jane, &Purpose::SIGN_IN).await?.is_none());
//! # Ok(()) }
//! ```
//!
//! # Which records live here, and why
//! | record | lives | if Redis loses it |
//! | --- | --- | --- |
//! | mailed codes, sends | minutes | the user asks for a new code; the cooldown and cap start again |
//! | challenges | minutes | the user signs in again |
//! | throttle counters | until cleared (failures), a window | backoff and windows start again (see persistence below) |
//! | remembered devices | 90 days | the device gets a mailed code again |
//! | command-line logins | minutes | the command line starts its login again |
//!
//! **Not here, on purpose:** credentials, 2FA state (secrets, the last
//! TOTP step, recovery codes, approvals) and recovery tickets are durable
//! records whose loss or rollback is itself a security failure (a used
//! recovery code or TOTP step would work again, a ticket lose its audit
//! trail): they stay in SQL (`latchkey-store-sqlx`). **Security stamps**
//! ([`StampStore`](latchkey_devices::StampStore)) stay there too: a stamp
//! lost outright is harmless (a fresh random one is stored, and every
//! session, device and challenge made under the old one dies), but a stamp
//! *rolled back* brings the old one back silently: Redis acknowledges a
//! write before it is on disk (`appendfsync everysec` loses up to a
//! second on a crash) and before a replica has it (a failover loses what
//! it had not received). A rotation undone that way revives every device,
//! challenge and session the password change or 2FA change was meant to
//! end. Stamps belong in the same database, and transaction, as the
//! credential change that rotates them.
//!
//! Devices are here because losing them fails safe (a mailed code again).
//! Their one weakness is the same rollback: a single device's revocation
//! (`revoke_device`) can be undone by a crash or failover in the window
//! above. Revocations that come with a credential change are safe anyway
//! (the stamp, in SQL, has changed, so the device is dead). Where that
//! window matters, use `appendfsync always` or keep devices in SQL.
//!
//! # One atomic step per decision
//! Every decision is one Lua script ([`lua`] holds them all, sent with
//! `EVALSHA` and loaded again when the server forgot it): consuming a code
//! (id, expiry and budget checked, then deleted), counting a failed
//! attempt against the budget, reserving a send under the cooldown and the
//! hourly cap, counting and returning a challenge answer, consuming a
//! challenge, reserving a throttle attempt (the backoff computed in the
//! script), a window hit, inserting a device, revoking one or all,
//! deciding a command-line login, polling one (the gap since the previous
//! poll, the state, and the one claim of an approval). Redis runs a
//! script to its end before any other command, so two instances can never
//! both accept one code, count past a budget together, nor both collect
//! one approval (the conformance suites check it with 64 racing callers
//! over four connections). The only two-step operations are a device's
//! and a command-line login's: a device's id is claimed (`SET NX`) before
//! the record is stored, and a lookup by id reads the claim then the
//! record; a login's poll digest is claimed (its index key) before the
//! session is stored, and given back if the id digest is taken, and a
//! poll reads the index, then decides in one script on the session, which
//! checks that it has that poll digest. Neither step decides anything the
//! other could undo.
//!
//! # Time
//! Every decision compares the caller's `now` (an argument of every
//! method that decides) with stored times; Redis's clock never decides.
//! Scripts compare whole microseconds (rounded down; Lua numbers are
//! doubles, exact to 2^53 µs, so times are clamped to the years 1685 to
//! 2255), and records read back keep nanoseconds.
//!
//! # Keys, expiry and purging
//! [`Keys`] documents the layout: `<prefix>:<kind>:{<tag>}...`, no login,
//! address or secret in any key name, and one hash tag per script so the
//! scripts run unchanged on Redis Cluster slots (this crate connects to
//! one server; a cluster client is not wired up yet). Values hold what the
//! records hold: account ids (in challenges, devices and approved
//! command-line logins), device labels, the last client address and the
//! client label a command line gave; codes, device secrets and
//! command-line logins' ids and poll tokens only as digests.
//!
//! Every key has a time to live: a record's key lives until its expiry
//! plus the *linger* ([`RedisStore::with_linger`], 1 hour by default), so
//! an expired code still reads as expired (not "no code") for a while,
//! and clocks a little apart do not drop live records. Where the call
//! carries a `now` or the record its creation time, the TTL is set
//! relative to that (`PEXPIRE`), so clock skew between the service and
//! Redis does not matter; a mailed code's is absolute (`PEXPIREAT` of its
//! expiry plus the linger). Backoff counters with uncleared failures have
//! none (a lock holds until cleared, REQ-37); a cleared counter expires
//! after the linger. So nothing needs purging: the `purge_*` methods
//! delete, and count, what is still there past the caller's `now` (found
//! with `SCAN` over the prefix), and may delete nothing.
//!
//! Configure Redis with `maxmemory-policy noeviction` (or a `volatile-*`
//! policy): an `allkeys-*` policy may evict a counter with failures on
//! it, which resets that account's backoff.
//!
//! # When Redis restarts, and persistence
//! Without persistence (`save ""`, `appendonly no`) a restart empties
//! Redis: outstanding codes, challenges and command-line logins are gone
//! (users ask for a new code, sign in again or start the command line's
//! login again: safe), devices are forgotten (a mailed code
//! again), and every throttle counter and window starts again: an
//! attacker's backoff and an account's lock are reset, so a restart is a
//! fresh budget of free attempts per account. To keep counters across
//! restarts, turn on the append-only file: `appendonly yes` with
//! `appendfsync everysec` costs little and loses at most about a second
//! of writes on a crash (a few counted failures, or a consumption: a code
//! consumed in that second could be accepted once more before it
//! expires, an approval collected in that second collected once more);
//! `appendfsync always` loses nothing acknowledged, at a write to disk
//! per command. RDB snapshots (`save`) alone lose everything since
//! the last snapshot, and restore codes that were used after it: prefer
//! none to snapshots alone. A replica promoted after a failover may lack
//! the last writes the primary acknowledged, with the same effects as a
//! lost second of AOF (this crate does not `WAIT` for replicas).
//!
//! # Timeouts and errors
//! Every call runs under a timeout ([`RedisStore::with_timeout`], 2 s by
//! default) and answers [`StoreError::Unavailable`](latchkey_core::StoreError)
//! with the cause kept as its source ([`TimedOut`], or the `redis`
//! error); a stored record that does not read back is
//! `StoreError::Corrupt` naming the field, never its value. The
//! [`ConnectionManager`] reconnects by itself after a dropped connection.
//! A call that timed out may still have run (a consumed code stays
//! consumed, a counted failure stays counted): treat an error as "not
//! verified", never retry it as if it had not happened.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod challenges;
mod cli_logins;
mod codec;
mod codes;
mod devices;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod keys;
pub mod lua;
mod scan;
pub mod testing;
mod throttle;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use latchkey_core::StoreError;
use redis::RedisResult;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use keys::{Keys, MAX_PREFIX_LEN};
pub use redis;

/// How long a call waits for Redis unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a record's key outlives the record's expiry unless told
/// otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(3_600);

/// A Redis call did not answer in time. The source of the
/// [`StoreError::Unavailable`] a timed-out call returns.
///
/// ```
/// use latchkey_store_redis::TimedOut;
/// let e = TimedOut(std::time::Duration::from_millis(2_000));
/// assert_eq!(e.to_string(), "Redis did not answer within 2s");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Redis did not answer within {0:?}")]
pub struct TimedOut(pub Duration);

/// Why a [`RedisStore`] could not be made.
///
/// ```
/// use latchkey_store_redis::{Error, Keys};
/// let e = Keys::new("a b").unwrap_err();
/// assert!(matches!(e, Error::InvalidPrefix(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key prefix is not acceptable (see [`Keys::new`]).
    #[error("invalid Redis key prefix: {0}")]
    InvalidPrefix(&'static str),
    /// The URL does not parse (the message never repeats it: it may hold
    /// a password).
    #[error("invalid Redis URL")]
    InvalidUrl(#[source] redis::RedisError),
    /// The server did not answer the first connection.
    #[error("Redis is unreachable")]
    Unreachable(#[source] StoreError),
}

/// The short-lived store traits on one Redis server, under one key
/// prefix. Cheap to clone (one multiplexed, reconnecting connection is
/// shared); instances sharing a server and a prefix share every record.
///
/// ```no_run
/// use latchkey_store_redis::RedisStore;
/// use std::time::Duration;
/// # async fn run() -> Result<(), latchkey_store_redis::Error> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379", "myapp")
///     .await?
///     .with_timeout(Duration::from_millis(500));
/// assert_eq!(store.keys().prefix(), "myapp");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    manager: ConnectionManager,
    keys: Keys,
    timeout: Duration,
    linger: Duration,
}

impl fmt::Debug for RedisStore {
    /// Leaves out the connection (its settings may hold a password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.keys.prefix())
            .field("timeout", &self.timeout)
            .field("linger", &self.linger)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the server at `url` (`redis://[user:password@]host:port[/db]`,
    /// or `rediss://` with the `redis` crate's TLS features) and keeps
    /// every key under `prefix`. The first connection must answer within
    /// [`DEFAULT_TIMEOUT`]; later ones are made again as needed, waiting up
    /// to a second between attempts.
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`], [`Error::InvalidUrl`], or
    /// [`Error::Unreachable`] when the server does not answer.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), latchkey_store_redis::Error> {
    /// let store = latchkey_store_redis::RedisStore::connect("redis://127.0.0.1:6379/0", "myapp").await?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, Error> {
        let keys = Keys::new(prefix)?;
        let client = redis::Client::open(url).map_err(Error::InvalidUrl)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEFAULT_TIMEOUT))
            .set_response_timeout(None)
            .set_max_delay(Duration::from_secs(1));
        let manager = tokio::time::timeout(
            DEFAULT_TIMEOUT,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| Error::Unreachable(StoreError::unavailable(TimedOut(DEFAULT_TIMEOUT))))?
        .map_err(|e| Error::Unreachable(StoreError::unavailable(e)))?;
        Ok(Self::with_keys(manager, keys))
    }

    /// A store on a connection manager the host set up (its own retry
    /// and timeout settings, TLS, a lazy connection), keeping every key
    /// under `prefix`.
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`].
    ///
    /// ```no_run
    /// use latchkey_store_redis::{redis, RedisStore};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?;
    /// let store = RedisStore::from_manager(manager, "myapp")?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn from_manager(manager: ConnectionManager, prefix: &str) -> Result<Self, Error> {
        Ok(Self::with_keys(manager, Keys::new(prefix)?))
    }

    fn with_keys(manager: ConnectionManager, keys: Keys) -> Self {
        Self {
            manager,
            keys,
            timeout: DEFAULT_TIMEOUT,
            linger: DEFAULT_LINGER,
        }
    }

    /// The same store with every call limited to `timeout` (a call that
    /// takes longer answers `StoreError::Unavailable` with [`TimedOut`]).
    ///
    /// ```no_run
    /// # async fn run(store: latchkey_store_redis::RedisStore) {
    /// let store = store.with_timeout(std::time::Duration::from_millis(300));
    /// assert_eq!(store.timeout().as_millis(), 300);
    /// # }
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same store with records' keys outliving their expiry by
    /// `linger` (see the crate docs); also how long a cleared counter is
    /// kept.
    ///
    /// ```no_run
    /// # async fn run(store: latchkey_store_redis::RedisStore) {
    /// let store = store.with_linger(std::time::Duration::from_secs(600));
    /// assert_eq!(store.linger().as_secs(), 600);
    /// # }
    /// ```
    #[must_use]
    pub fn with_linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// The timeout of every call.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How long records' keys outlive their expiry.
    #[must_use]
    pub fn linger(&self) -> Duration {
        self.linger
    }

    /// The key layout (to find, inspect or erase an account's keys).
    #[must_use]
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The connection manager (shared by clones of this store).
    #[must_use]
    pub fn manager(&self) -> &ConnectionManager {
        &self.manager
    }

    /// A handle on the shared connection, for one call.
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// The linger as a time to add to records' expiry.
    pub(crate) fn linger_span(&self) -> time::Duration {
        time::Duration::try_from(self.linger).unwrap_or(time::Duration::MAX)
    }

    /// The linger in milliseconds, as scripts take it.
    pub(crate) fn linger_millis(&self) -> i64 {
        i64::try_from(self.linger.as_millis())
            .unwrap_or(codec::MAX_EXACT)
            .min(codec::MAX_EXACT)
    }

    /// Runs one call under the timeout.
    pub(crate) async fn run<T>(
        &self,
        call: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StoreError::unavailable(e)),
            Err(_) => Err(StoreError::unavailable(TimedOut(self.timeout))),
        }
    }
}
