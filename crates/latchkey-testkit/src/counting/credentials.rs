//! [`CredentialStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};

use super::CountingStore;

#[async_trait]
impl<S: CredentialStore> CredentialStore for CountingStore<S> {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        self.pick("CredentialStore::find_by_login")
            .find_by_login(login)
            .await
    }
    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        self.pick("CredentialStore::create")
            .create(login, account, phc)
            .await
    }
    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        self.pick("CredentialStore::set_hash")
            .set_hash(account, phc)
            .await
    }
    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        self.pick("CredentialStore::replace_hash_if_unchanged")
            .replace_hash_if_unchanged(account, expected, new)
            .await
    }
}
