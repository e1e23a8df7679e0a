//! [`OtpStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use time::{Duration, OffsetDateTime};

use super::CountingStore;

#[async_trait]
impl<S: OtpStore> OtpStore for CountingStore<S> {
    async fn reserve_send(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        cooldown: Duration,
        hourly_cap: u32,
    ) -> Result<SendReservation, StoreError> {
        self.pick("OtpStore::reserve_send")
            .reserve_send(account, now, cooldown, hourly_cap)
            .await
    }
    async fn release_send(
        &self,
        account: &AccountId,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.pick("OtpStore::release_send")
            .release_send(account, sent_at)
            .await
    }
    async fn put(&self, record: CodeRecord) -> Result<(), StoreError> {
        self.pick("OtpStore::put").put(record).await
    }
    async fn get(
        &self,
        account: &AccountId,
        purpose: &Purpose,
    ) -> Result<Option<CodeRecord>, StoreError> {
        OtpStore::get(self.pick("OtpStore::get"), account, purpose).await
    }
    async fn record_failure(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<FailureCount, StoreError> {
        self.pick("OtpStore::record_failure")
            .record_failure(account, purpose, id)
            .await
    }
    async fn consume(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick("OtpStore::consume")
            .consume(account, purpose, id, now)
            .await
    }
    async fn withdraw(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<(), StoreError> {
        self.pick("OtpStore::withdraw")
            .withdraw(account, purpose, id)
            .await
    }
    async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError> {
        self.pick("OtpStore::void_all").void_all(account).await
    }
}
