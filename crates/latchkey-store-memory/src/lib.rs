//! In-process implementations of latchkey's store traits.
//!
//! [`MemoryStore`] keeps everything in one process behind a mutex: each
//! trait method is one critical section, so every compare-and-set is
//! atomic across tasks and threads. Nothing survives a restart and nothing
//! is shared between processes: use `latchkey-store-sqlx` for that.
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

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};

/// Every latchkey store, in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    credentials: Mutex<Credentials>,
}

#[derive(Debug, Default)]
struct Credentials {
    account_by_login: HashMap<String, AccountId>,
    hash_by_account: HashMap<AccountId, String>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn credentials(&self) -> MutexGuard<'_, Credentials> {
        // A panic while holding the lock cannot leave a half-written
        // record: every mutation below is a single map operation.
        self.credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        let c = self.credentials();
        Ok(c.account_by_login.get(login).and_then(|account| {
            c.hash_by_account.get(account).map(|phc| StoredCredential {
                account: account.clone(),
                phc: phc.clone(),
            })
        }))
    }

    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        let mut c = self.credentials();
        if c.account_by_login.contains_key(login) || c.hash_by_account.contains_key(account) {
            return Ok(false);
        }
        c.account_by_login.insert(login.to_owned(), account.clone());
        c.hash_by_account.insert(account.clone(), phc.to_owned());
        Ok(true)
    }

    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        let mut c = self.credentials();
        Ok(c.hash_by_account
            .get_mut(account)
            .map(|stored| *stored = phc.to_owned())
            .is_some())
    }

    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let mut c = self.credentials();
        match c.hash_by_account.get_mut(account) {
            Some(stored) if stored == expected => {
                new.clone_into(stored);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
