//! The storage contract for password hashes.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};

/// A login's account and its stored PHC string. `Debug` leaves the hash
/// out: it is what an offline attack would start from.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The account the login belongs to.
    pub account: AccountId,
    /// The Argon2 PHC string.
    pub phc: String,
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("account", &self.account)
            .field("phc", &"<redacted>")
            .finish()
    }
}

/// Where password hashes live. Hosts implement it over their user table;
/// latchkey ships in-memory and SQL implementations, and
/// `latchkey-testkit` has the conformance suite every implementation
/// should pass.
///
/// Logins are matched exactly as given: a host that wants
/// case-insensitive logins normalizes them before calling.
///
/// "Not found" is `Ok(None)` or `Ok(false)`; `Err` means the backend
/// failed. Each method is one atomic operation.
///
/// ```
/// use latchkey_core::AccountId;
/// use latchkey_credentials::CredentialStore;
/// use latchkey_store_memory::MemoryStore;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let id = AccountId::new("1").unwrap();
/// assert!(store.create("jane", &id, "$argon2id$...").await.unwrap());
/// assert!(store.replace_hash_if_unchanged(&id, "$argon2id$...", "$argon2id$new").await.unwrap());
/// assert!(!store.replace_hash_if_unchanged(&id, "$argon2id$...", "$argon2id$x").await.unwrap());
/// assert_eq!(store.find_by_login("jane").await.unwrap().unwrap().phc, "$argon2id$new");
/// # });
/// ```
#[async_trait]
pub trait CredentialStore: fmt::Debug + Send + Sync + 'static {
    /// The account and hash for a login, or `None` when the login is
    /// unknown; the login matches exactly, case and spaces included.
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError>;

    /// Records a new login for an account with its first hash. Returns
    /// `false`, changing nothing, when the login or the account already
    /// has a credential (one login per account, one account per login).
    async fn create(&self, login: &str, account: &AccountId, phc: &str)
    -> Result<bool, StoreError>;

    /// Sets the account's hash unconditionally (an administrative reset).
    /// Returns `false` when the account has no credential.
    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError>;

    /// Replaces the account's hash with `new` only if it is still
    /// `expected`, atomically (compare-and-set): of concurrent calls from
    /// one expected hash exactly one wins. Returns whether it did.
    /// A rehash uses this so that it never overwrites a password change
    /// that landed in between.
    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
impl<S: CredentialStore + ?Sized> CredentialStore for std::sync::Arc<S> {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        (**self).find_by_login(login).await
    }
    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        (**self).create(login, account, phc).await
    }
    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        (**self).set_hash(account, phc).await
    }
    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        (**self)
            .replace_hash_if_unchanged(account, expected, new)
            .await
    }
}
