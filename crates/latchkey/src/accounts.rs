//! The host's accounts, as the flow needs them: one trait, and a small
//! in-process book for demos and tests.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use latchkey_core::{AccountId, EmailAddress, StoreError};
use latchkey_credentials::CredentialChecker;
use latchkey_recovery::{AccountDirectory, AccountOnFile, KnownLink, LinkedIdentities};

/// What the flow asks of the host's own account records: the address of
/// record (for mailed codes and notices), setting it (at sign-up, and
/// when an approved email reset changes it), and, for recovery tickets,
/// the GitHub or Twitter identities linked to the account (none by
/// default).
///
/// Logins and passwords are not here: they live in the
/// [`CredentialStore`](latchkey_credentials::CredentialStore).
///
/// ```
/// use latchkey::prelude::*;
/// use latchkey::recovery::KnownLink;
///
/// #[derive(Debug)]
/// struct MyUsers; // the host's own users table
///
/// #[async_trait]
/// impl Accounts for MyUsers {
///     async fn address(&self, _account: &AccountId) -> Result<Option<EmailAddress>, StoreError> {
///         Ok(Some(EmailAddress::parse("jane@example.com").expect("valid")))
///     }
///     async fn set_address(&self, _account: &AccountId, _to: &EmailAddress) -> Result<(), StoreError> {
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Accounts: fmt::Debug + Send + Sync + 'static {
    /// The account's address of record (`Ok(None)` when the account has
    /// none).
    async fn address(&self, account: &AccountId) -> Result<Option<EmailAddress>, StoreError>;

    /// Sets the account's address of record (sign-up, or an approved
    /// email reset).
    async fn set_address(
        &self,
        account: &AccountId,
        address: &EmailAddress,
    ) -> Result<(), StoreError>;

    /// Identities the owner linked and proved earlier (evidence for a
    /// recovery ticket, REQ-35). None by default.
    async fn linked(&self, account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        let _ = account;
        Ok(Vec::new())
    }
}

#[derive(Default)]
struct Book {
    addresses: HashMap<AccountId, EmailAddress>,
    links: HashMap<AccountId, Vec<KnownLink>>,
}

/// A small in-process account book for demos and tests: addresses and
/// linked identities by account. Real hosts implement [`Accounts`] over
/// their own user tables.
///
/// ```
/// use latchkey::prelude::*;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let accounts = InMemoryAccounts::new();
/// let jane = AccountId::new("1")?;
/// accounts.set_address(&jane, &EmailAddress::parse("jane@example.com")?).await?;
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
impl Accounts for InMemoryAccounts {
    async fn address(&self, account: &AccountId) -> Result<Option<EmailAddress>, StoreError> {
        Ok(self.book().addresses.get(account).cloned())
    }

    async fn set_address(
        &self,
        account: &AccountId,
        address: &EmailAddress,
    ) -> Result<(), StoreError> {
        self.book()
            .addresses
            .insert(account.clone(), address.clone());
        Ok(())
    }

    async fn linked(&self, account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        Ok(self.book().links.get(account).cloned().unwrap_or_default())
    }
}

/// The recovery service's view of accounts, made from the credential
/// store (login to account) and the host's [`Accounts`] (address, links),
/// so the host implements one trait instead of three.
#[derive(Clone, Debug)]
pub(crate) struct Directory {
    pub(crate) checker: CredentialChecker,
    pub(crate) accounts: std::sync::Arc<dyn Accounts>,
}

#[async_trait]
impl AccountDirectory for Directory {
    async fn find(&self, login: &str) -> Result<Option<AccountOnFile>, StoreError> {
        let found = self.checker.find(login).await.map_err(|e| match e {
            latchkey_credentials::Error::Store(e) => e,
            other => StoreError::unavailable(other),
        })?;
        let Some(credential) = found else {
            return Ok(None);
        };
        Ok(self
            .accounts
            .address(&credential.account)
            .await?
            .map(|address| AccountOnFile {
                id: credential.account,
                address,
            }))
    }
}

#[async_trait]
impl LinkedIdentities for Directory {
    async fn linked(&self, account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        self.accounts.linked(account).await
    }
}
