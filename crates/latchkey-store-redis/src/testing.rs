//! Helpers for tests of hosts and of latchkey itself: a fresh key prefix
//! per test on a shared Redis, and a [`Cleanup`] guard that deletes that
//! prefix's keys (and no other) when dropped. Never flush a shared
//! server: delete your own prefix.
//!
//! Tests find their server in [`REDIS_URL_VAR`]; when it is unset,
//! [`redis_url`] prints a `SKIPPED: ...` line and the test returns early:
//!
//! ```no_run
//! use latchkey_store_redis::{testing, RedisStore};
//! # async fn a_test() {
//! let Some(url) = testing::redis_url() else {
//!     return;
//! };
//! let prefix = testing::fresh_prefix();
//! let _cleanup = testing::Cleanup::new(&url, &prefix);
//! let store = RedisStore::connect(&url, &prefix).await.expect("redis");
//! # let _ = store;
//! # }
//! ```
//!
//! Every helper but [`delete_prefix`] panics when Redis cannot be set up:
//! they are for tests.
#![allow(clippy::missing_panics_doc)]

use std::fmt;

use latchkey_core::StoreError;

use crate::{Keys, RedisStore};

/// The environment variable that points tests at a Redis server
/// (`redis://127.0.0.1:6379`).
pub const REDIS_URL_VAR: &str = "LATCHKEY_TEST_REDIS_URL";

/// Prefixes made by [`fresh_prefix`] start with this, so leftovers are
/// easy to find: `redis-cli --scan --pattern 'latchkey-test:*'`.
pub const PREFIX_START: &str = "latchkey-test";

/// The Redis URL from [`REDIS_URL_VAR`], or `None` after printing
/// `SKIPPED: ...` straight to the process's stderr, past the test
/// harness's capture, so that the skip shows in plain `cargo test` output.
#[must_use]
pub fn redis_url() -> Option<String> {
    match std::env::var(REDIS_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {REDIS_URL_VAR} is not set (a Redis URL, e.g. redis://127.0.0.1:6379)"
            );
            None
        }
    }
}

/// A prefix no other test uses: [`PREFIX_START`], `:` and 16 random hex
/// digits.
///
/// ```
/// let p = latchkey_store_redis::testing::fresh_prefix();
/// assert!(p.starts_with("latchkey-test:"));
/// assert!(latchkey_store_redis::Keys::new(&p).is_ok());
/// assert_ne!(p, latchkey_store_redis::testing::fresh_prefix());
/// ```
#[must_use]
pub fn fresh_prefix() -> String {
    let mut bytes = [0u8; 8];
    latchkey_core::random::fill(&mut bytes).expect("OS random generator");
    format!("{PREFIX_START}:{}", crate::codec::hex(&bytes))
}

/// Deletes every key under `store`'s prefix (`<prefix>:*`, found with
/// `SCAN`); returns how many.
///
/// # Errors
/// When Redis fails or does not answer in time.
///
/// ```no_run
/// # async fn run(store: latchkey_store_redis::RedisStore) -> Result<(), latchkey_core::StoreError> {
/// let deleted = latchkey_store_redis::testing::delete_prefix(&store).await?;
/// # let _ = deleted; Ok(()) }
/// ```
pub async fn delete_prefix(store: &RedisStore) -> Result<u64, StoreError> {
    let pattern = store.keys().all_pattern();
    let mut conn = store.conn();
    let (mut cursor, mut deleted) = (0_u64, 0_u64);
    loop {
        let (next, keys): (u64, Vec<String>) = store
            .run(
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1_000)
                    .query_async(&mut conn),
            )
            .await?;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.cmd("UNLINK").arg(key);
            }
            let counts: Vec<u64> = store.run(pipe.query_async(&mut conn)).await?;
            deleted = deleted.saturating_add(counts.iter().sum());
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}

/// Deletes a prefix's keys when dropped (on a thread and runtime of its
/// own, so it may be dropped inside a test's runtime). A failure is
/// printed, not raised.
pub struct Cleanup {
    url: String,
    prefix: String,
}

impl Cleanup {
    /// Will delete `prefix`'s keys on the server at `url`.
    ///
    /// ```no_run
    /// let _cleanup = latchkey_store_redis::testing::Cleanup::new("redis://127.0.0.1:6379", "latchkey-test:x");
    /// ```
    #[must_use]
    pub fn new(url: &str, prefix: &str) -> Self {
        assert!(Keys::new(prefix).is_ok(), "Cleanup needs a valid prefix");
        Self {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
        }
    }
}

impl fmt::Debug for Cleanup {
    /// Leaves out the URL (it may hold a password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cleanup")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (url, prefix) = (self.url.clone(), self.prefix.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let store = RedisStore::connect(&url, &prefix)
                    .await
                    .map_err(StoreError::unavailable)?;
                delete_prefix(&store).await
            })
        })
        .join();
        if !matches!(done, Ok(Ok(_))) {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "could not delete the test keys under {}",
                self.prefix
            );
        }
    }
}
