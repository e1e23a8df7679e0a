//! [`CredentialStore`]: logins and password hashes.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};

use crate::{MemoryStore, lock};

/// Logins and hashes: one login per account, one account per login.
#[derive(Debug)]
pub(crate) struct Credentials {
    account_by_login: HashMap<String, AccountId>,
    hash_by_account: HashMap<AccountId, String>,
    /// What a miss copies instead: an id no account has, and a hash as
    /// long as a default Argon2id PHC string.
    absent: (AccountId, String),
}

impl Default for Credentials {
    fn default() -> Self {
        let id =
            AccountId::new("\u{fffd}no account").expect("a short id without controls is valid");
        Self {
            account_by_login: HashMap::new(),
            hash_by_account: HashMap::new(),
            absent: (id, "$".repeat(97)),
        }
    }
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        // The same work for a login that exists and one that does not
        // (REQ-38: no enumeration by timing): a look-up in each map and a
        // copy of an id and a hash, whichever it finds.
        let c = lock(&self.credentials);
        let account = c.account_by_login.get(login);
        let probe = account.unwrap_or(&c.absent.0);
        let phc = c.hash_by_account.get(probe);
        let copied = StoredCredential {
            account: probe.clone(),
            phc: phc.unwrap_or(&c.absent.1).clone(),
        };
        Ok(std::hint::black_box(
            (account.is_some() && phc.is_some()).then_some(copied),
        ))
    }

    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        let mut c = lock(&self.credentials);
        if c.account_by_login.contains_key(login) || c.hash_by_account.contains_key(account) {
            return Ok(false);
        }
        c.account_by_login.insert(login.to_owned(), account.clone());
        c.hash_by_account.insert(account.clone(), phc.to_owned());
        Ok(true)
    }

    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        let mut c = lock(&self.credentials);
        Ok(c.hash_by_account
            .get_mut(account)
            .map(|stored| phc.clone_into(stored))
            .is_some())
    }

    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let mut c = lock(&self.credentials);
        match c.hash_by_account.get_mut(account) {
            Some(stored) if stored == expected => {
                new.clone_into(stored);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
