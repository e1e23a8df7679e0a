//! The host's accounts, as the recovery service looks them up.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, EmailAddress, StoreError};

/// An account as the host knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountOnFile {
    /// The account.
    pub id: AccountId,
    /// Its address of record.
    pub address: EmailAddress,
}

/// The host's accounts, looked up by login.
#[async_trait]
pub trait AccountDirectory: fmt::Debug + Send + Sync + 'static {
    /// The account a login belongs to, if any.
    async fn find(&self, login: &str) -> Result<Option<AccountOnFile>, StoreError>;
}
