//! [`ThrottleStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::StoreError;
use latchkey_throttle::{
    AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
use time::{Duration, OffsetDateTime};

use super::CountingStore;

#[async_trait]
impl<S: ThrottleStore> ThrottleStore for CountingStore<S> {
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<ThrottleReservation, StoreError> {
        self.pick("ThrottleStore::reserve")
            .reserve(key, now, policy)
            .await
    }
    async fn purge_idle(&self, idle_before: OffsetDateTime) -> Result<u64, StoreError> {
        self.pick("ThrottleStore::purge_idle")
            .purge_idle(idle_before)
            .await
    }
    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        self.pick("ThrottleStore::clear").clear(key).await
    }
    async fn hit(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<WindowCount, StoreError> {
        self.pick("ThrottleStore::hit").hit(key, now, window).await
    }
}
