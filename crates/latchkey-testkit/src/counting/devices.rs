//! [`DeviceStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_devices::{DeviceId, DeviceRecord, DeviceStore};
use time::OffsetDateTime;

use super::CountingStore;

#[async_trait]
impl<S: DeviceStore> DeviceStore for CountingStore<S> {
    async fn insert_device(&self, record: DeviceRecord) -> Result<bool, StoreError> {
        self.pick("DeviceStore::insert_device")
            .insert_device(record)
            .await
    }
    async fn get_device(&self, id: &DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        self.pick("DeviceStore::get_device").get_device(id).await
    }
    async fn touch_device(
        &self,
        id: &DeviceId,
        now: OffsetDateTime,
        client: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.pick("DeviceStore::touch_device")
            .touch_device(id, now, client)
            .await
    }
    async fn list_devices(&self, account: &AccountId) -> Result<Vec<DeviceRecord>, StoreError> {
        self.pick("DeviceStore::list_devices")
            .list_devices(account)
            .await
    }
    async fn rename_device(
        &self,
        account: &AccountId,
        id: &DeviceId,
        label: &str,
    ) -> Result<bool, StoreError> {
        self.pick("DeviceStore::rename_device")
            .rename_device(account, id, label)
            .await
    }
    async fn revoke_device(&self, account: &AccountId, id: &DeviceId) -> Result<bool, StoreError> {
        self.pick("DeviceStore::revoke_device")
            .revoke_device(account, id)
            .await
    }
    async fn revoke_all_devices(&self, account: &AccountId) -> Result<u64, StoreError> {
        self.pick("DeviceStore::revoke_all_devices")
            .revoke_all_devices(account)
            .await
    }
    async fn purge_expired_devices(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.pick("DeviceStore::purge_expired_devices")
            .purge_expired_devices(now)
            .await
    }
}
