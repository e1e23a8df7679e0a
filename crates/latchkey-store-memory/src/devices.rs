//! [`DeviceStore`]: remembered devices, by id, with each account's ids.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_devices::{DeviceId, DeviceRecord, DeviceStore};
use time::OffsetDateTime;

use crate::{MemoryStore, lock, removed};

/// Device records by id, and the ids of each account's records (so that
/// listing and revoking an account's devices never scans the others).
#[derive(Debug, Default)]
pub(crate) struct Devices {
    records: HashMap<DeviceId, DeviceRecord>,
    by_account: HashMap<AccountId, BTreeSet<DeviceId>>,
}

impl Devices {
    /// The record with this id, only if it is the account's.
    fn owned_mut(&mut self, account: &AccountId, id: &DeviceId) -> Option<&mut DeviceRecord> {
        self.records.get_mut(id).filter(|r| r.account == *account)
    }

    /// Forgets `id` in its account's index.
    fn unindex(&mut self, account: &AccountId, id: &DeviceId) {
        if let Some(ids) = self.by_account.get_mut(account) {
            ids.remove(id);
            if ids.is_empty() {
                self.by_account.remove(account);
            }
        }
    }
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn insert_device(&self, record: DeviceRecord) -> Result<bool, StoreError> {
        let mut d = lock(&self.devices);
        if d.records.contains_key(&record.id) {
            return Ok(false);
        }
        d.by_account
            .entry(record.account.clone())
            .or_default()
            .insert(record.id);
        d.records.insert(record.id, record);
        Ok(true)
    }

    async fn get_device(&self, id: &DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        Ok(lock(&self.devices).records.get(id).cloned())
    }

    async fn touch_device(
        &self,
        id: &DeviceId,
        now: OffsetDateTime,
        client: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut d = lock(&self.devices);
        let Some(record) = d.records.get_mut(id) else {
            return Ok(false);
        };
        record.last_used_at = Some(now);
        record.last_client = client.map(str::to_owned);
        Ok(true)
    }

    async fn list_devices(&self, account: &AccountId) -> Result<Vec<DeviceRecord>, StoreError> {
        let d = lock(&self.devices);
        let mut list: Vec<DeviceRecord> = d
            .by_account
            .get(account)
            .into_iter()
            .flatten()
            .filter_map(|id| d.records.get(id).cloned())
            .collect();
        // Oldest first; records made at one instant in id order, as the SQL
        // stores list them.
        list.sort_by_key(|r| (r.created_at, r.id));
        Ok(list)
    }

    async fn rename_device(
        &self,
        account: &AccountId,
        id: &DeviceId,
        label: &str,
    ) -> Result<bool, StoreError> {
        let mut d = lock(&self.devices);
        Ok(d.owned_mut(account, id)
            .map(|r| label.clone_into(&mut r.label))
            .is_some())
    }

    async fn revoke_device(&self, account: &AccountId, id: &DeviceId) -> Result<bool, StoreError> {
        let mut d = lock(&self.devices);
        if d.owned_mut(account, id).is_none() {
            return Ok(false);
        }
        d.records.remove(id);
        d.unindex(account, id);
        Ok(true)
    }

    async fn revoke_all_devices(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut d = lock(&self.devices);
        let ids = d.by_account.remove(account).unwrap_or_default();
        let before = d.records.len();
        for id in &ids {
            d.records.remove(id);
        }
        Ok(removed(before, d.records.len()))
    }

    async fn purge_expired_devices(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut d = lock(&self.devices);
        let expired: Vec<(AccountId, DeviceId)> = d
            .records
            .values()
            .filter(|r| r.expires_at <= now)
            .map(|r| (r.account.clone(), r.id))
            .collect();
        for (account, id) in &expired {
            d.records.remove(id);
            d.unindex(account, id);
        }
        Ok(u64::try_from(expired.len()).unwrap_or(u64::MAX))
    }
}
