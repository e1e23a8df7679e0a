//! [`CredentialStore`]: logins and password hashes.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};

use crate::{MemoryStore, lock};

/// Logins and hashes: one login per account, one account per login.
#[derive(Debug, Default)]
pub(crate) struct Credentials {
    account_by_login: HashMap<String, AccountId>,
    hash_by_account: HashMap<AccountId, String>,
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        let c = lock(&self.credentials);
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
