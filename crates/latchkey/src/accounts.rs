//! The host's accounts, as the flow needs them: the address of record of
//! an account, and (for recovery) accounts by login and their linked
//! identities.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use latchkey_core::{AccountId, EmailAddress, StoreError};
use latchkey_recovery::{AccountDirectory, AccountOnFile, KnownLink, LinkedIdentities};

/// Where the flow finds an account's address of record, to mail its
/// login-verification code and 2FA notices.
#[async_trait]
pub trait AccountAddresses: fmt::Debug + Send + Sync + 'static {
    /// The account's address, if the account exists.
    async fn address(&self, account: &AccountId) -> Result<Option<EmailAddress>, StoreError>;
}

#[derive(Default)]
struct Book {
    by_login: HashMap<String, AccountId>,
    addresses: HashMap<AccountId, EmailAddress>,
    links: HashMap<AccountId, Vec<KnownLink>>,
}

/// A small in-process account book for demos and tests: logins,
/// addresses and linked identities. Real hosts implement
/// [`AccountAddresses`], [`AccountDirectory`] and [`LinkedIdentities`] over
/// their own user tables.
///
/// ```
/// use latchkey::{AccountAddresses, InMemoryAccounts};
/// use latchkey_core::{AccountId, EmailAddress};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let accounts = InMemoryAccounts::new();
/// let jane = AccountId::new("1")?;
/// accounts.add("jane", &jane, EmailAddress::parse("jane@example.com")?);
/// assert_eq!(accounts.address(&jane).await?.unwrap().as_str(), "jane@example.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Default)]
pub struct InMemoryAccounts(Mutex<Book>);

impl fmt::Debug for InMemoryAccounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryAccounts").finish_non_exhaustive()
    }
}

impl InMemoryAccounts {
    /// An empty book.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds (or replaces) an account with its login and address.
    pub fn add(&self, login: &str, account: &AccountId, address: EmailAddress) {
        let mut book = self.book();
        book.by_login.insert(login.to_owned(), account.clone());
        book.addresses.insert(account.clone(), address);
    }

    /// Changes an account's address (an approved email reset).
    pub fn set_address(&self, account: &AccountId, address: EmailAddress) {
        self.book().addresses.insert(account.clone(), address);
    }

    /// Records an identity linked to an account.
    pub fn link(&self, account: &AccountId, link: KnownLink) {
        self.book()
            .links
            .entry(account.clone())
            .or_default()
            .push(link);
    }
}

#[async_trait]
impl AccountAddresses for InMemoryAccounts {
    async fn address(&self, account: &AccountId) -> Result<Option<EmailAddress>, StoreError> {
        Ok(self.book().addresses.get(account).cloned())
    }
}

#[async_trait]
impl AccountDirectory for InMemoryAccounts {
    async fn find(&self, login: &str) -> Result<Option<AccountOnFile>, StoreError> {
        let book = self.book();
        Ok(book.by_login.get(login).and_then(|id| {
            book.addresses.get(id).map(|address| AccountOnFile {
                id: id.clone(),
                address: address.clone(),
            })
        }))
    }
}

#[async_trait]
impl LinkedIdentities for InMemoryAccounts {
    async fn linked(&self, account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        Ok(self.book().links.get(account).cloned().unwrap_or_default())
    }
}
