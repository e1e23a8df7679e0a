//! The storage contracts for devices and stamps.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use time::OffsetDateTime;

use latchkey_core::SecurityStamp;

use crate::{DeviceId, DeviceRecord};

/// Where remembered devices live. Each method is one atomic operation.
#[async_trait]
pub trait DeviceStore: fmt::Debug + Send + Sync + 'static {
    /// Stores a new record; `false`, storing nothing, if the id is taken.
    async fn insert_device(&self, record: DeviceRecord) -> Result<bool, StoreError>;

    /// The record with this id, expired or not (`Ok(None)` when revoked or
    /// never made).
    async fn get_device(&self, id: &DeviceId) -> Result<Option<DeviceRecord>, StoreError>;

    /// Records a use at `now` from `client` (`last_used_at`,
    /// `last_client`); `false` when the record is gone. It never changes
    /// `expires_at`.
    async fn touch_device(
        &self,
        id: &DeviceId,
        now: OffsetDateTime,
        client: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// The account's records, oldest first (expired ones included, until
    /// purged).
    async fn list_devices(&self, account: &AccountId) -> Result<Vec<DeviceRecord>, StoreError>;

    /// Renames the record, only if it is the account's; returns whether it
    /// did.
    async fn rename_device(
        &self,
        account: &AccountId,
        id: &DeviceId,
        label: &str,
    ) -> Result<bool, StoreError>;

    /// Deletes the record, only if it is the account's; returns whether it
    /// did. Of concurrent revocations exactly one gets `true`.
    async fn revoke_device(&self, account: &AccountId, id: &DeviceId) -> Result<bool, StoreError>;

    /// Deletes every record of the account; returns how many.
    async fn revoke_all_devices(&self, account: &AccountId) -> Result<u64, StoreError>;

    /// Deletes every record expired at `now` (`expires_at <= now`);
    /// returns how many.
    async fn purge_expired_devices(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}

/// Where each account's security stamp lives.
#[async_trait]
pub trait StampStore: fmt::Debug + Send + Sync + 'static {
    /// The account's current stamp. An account without one gets `fresh`,
    /// stored atomically: of concurrent callers every one gets the same
    /// stamp (the first stored).
    async fn stamp(
        &self,
        account: &AccountId,
        fresh: SecurityStamp,
    ) -> Result<SecurityStamp, StoreError>;

    /// Replaces the account's stamp with `new` (a credential changed).
    async fn rotate_stamp(&self, account: &AccountId, new: SecurityStamp)
    -> Result<(), StoreError>;
}
