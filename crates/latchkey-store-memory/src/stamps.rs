//! [`StampStore`]: each account's security stamp.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::{AccountId, SecurityStamp, StoreError};
use latchkey_devices::StampStore;

use crate::{MemoryStore, lock};

/// The current stamp of every account that has one.
pub(crate) type Stamps = HashMap<AccountId, SecurityStamp>;

#[async_trait]
impl StampStore for MemoryStore {
    async fn stamp(
        &self,
        account: &AccountId,
        fresh: SecurityStamp,
    ) -> Result<SecurityStamp, StoreError> {
        // One critical section: the first caller stores `fresh`, every
        // later (or concurrent) caller reads it.
        Ok(*lock(&self.stamps).entry(account.clone()).or_insert(fresh))
    }

    async fn rotate_stamp(
        &self,
        account: &AccountId,
        new: SecurityStamp,
    ) -> Result<(), StoreError> {
        lock(&self.stamps).insert(account.clone(), new);
        Ok(())
    }
}
