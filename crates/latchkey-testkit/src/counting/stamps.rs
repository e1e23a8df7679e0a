//! [`StampStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::{AccountId, SecurityStamp, StoreError};
use latchkey_devices::StampStore;

use super::CountingStore;

#[async_trait]
impl<S: StampStore> StampStore for CountingStore<S> {
    async fn stamp(
        &self,
        account: &AccountId,
        fresh: SecurityStamp,
    ) -> Result<SecurityStamp, StoreError> {
        self.pick("StampStore::stamp").stamp(account, fresh).await
    }
    async fn rotate_stamp(
        &self,
        account: &AccountId,
        new: SecurityStamp,
    ) -> Result<(), StoreError> {
        self.pick("StampStore::rotate_stamp")
            .rotate_stamp(account, new)
            .await
    }
}
