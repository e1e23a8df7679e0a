//! In-process implementations of latchkey's store traits.
//!
//! [`MemoryStore`] keeps everything in one process behind mutexes, one per
//! trait: each trait method is one critical section, so every
//! compare-and-set is atomic across tasks and threads. Nothing survives a
//! restart and nothing is shared between processes: use
//! `latchkey-store-sqlx` for that.
//!
//! One file per trait: [`CredentialStore`](latchkey_credentials::CredentialStore)
//! in `credentials.rs`, [`OtpStore`](latchkey_otp::OtpStore) in `codes.rs`,
//! [`TwoFactorStore`](latchkey_twofactor::TwoFactorStore) in `two_factor.rs`,
//! [`TicketStore`](latchkey_recovery::TicketStore) in `tickets.rs`,
//! [`ChallengeStore`](latchkey_challenge::ChallengeStore) in `challenges.rs`,
//! [`ThrottleStore`](latchkey_throttle::ThrottleStore) in `throttle.rs`,
//! [`DeviceStore`](latchkey_devices::DeviceStore) in `devices.rs`,
//! [`StampStore`](latchkey_devices::StampStore) in `stamps.rs`,
//! [`CliLoginStore`](latchkey_cli_login::CliLoginStore) in `cli_logins.rs` and
//! [`SecurityKeyStore`](latchkey_webauthn::SecurityKeyStore) in `security_keys.rs`.
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_core::AccountId;
//! use latchkey_credentials::CredentialStore;
//! use latchkey_store_memory::MemoryStore;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = Arc::new(MemoryStore::new());
//! let id = AccountId::new("7").unwrap();
//! store.create("jane", &id, "$argon2id$v=19$...").await.unwrap();
//! let found = store.find_by_login("jane").await.unwrap().unwrap();
//! assert_eq!(found.account, id);
//! # });
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod challenges;
mod cli_logins;
mod codes;
mod credentials;
mod devices;
mod security_keys;
mod stamps;
mod throttle;
mod tickets;
mod two_factor;

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Every latchkey store, in memory. `Debug` shows no contents: they
/// include password hashes and code digests.
#[derive(Default)]
pub struct MemoryStore {
    credentials: Mutex<credentials::Credentials>,
    codes: Mutex<codes::Codes>,
    two_factor: Mutex<two_factor::TwoFactor>,
    tickets: Mutex<tickets::Tickets>,
    challenges: Mutex<challenges::Challenges>,
    throttle: Mutex<throttle::Throttle>,
    devices: Mutex<devices::Devices>,
    stamps: Mutex<stamps::Stamps>,
    cli_logins: Mutex<cli_logins::CliLogins>,
    security_keys: Mutex<security_keys::SecurityKeys>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

/// Every mutation is one critical section that cannot panic half-way, so
/// a poisoned lock (a panic elsewhere while holding it) still guards
/// consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many entries `retain` removed, from the lengths before and after.
fn removed(before: usize, after: usize) -> u64 {
    u64::try_from(before - after).unwrap_or(u64::MAX)
}
