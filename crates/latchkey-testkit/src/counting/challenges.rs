//! [`ChallengeStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_challenge::{ChallengeAttempt, ChallengeKey, ChallengeRecord, ChallengeStore};
use latchkey_core::StoreError;
use time::OffsetDateTime;

use super::CountingStore;

#[async_trait]
impl<S: ChallengeStore> ChallengeStore for CountingStore<S> {
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError> {
        self.pick("ChallengeStore::insert_challenge")
            .insert_challenge(record)
            .await
    }
    async fn get_challenge(
        &self,
        key: &ChallengeKey,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        self.pick("ChallengeStore::get_challenge")
            .get_challenge(key)
            .await
    }
    async fn reserve_attempt(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<ChallengeAttempt, StoreError> {
        ChallengeStore::reserve_attempt(self.pick("ChallengeStore::reserve_attempt"), key, now)
            .await
    }
    async fn consume_challenge(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick("ChallengeStore::consume_challenge")
            .consume_challenge(key, now)
            .await
    }
    async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.pick("ChallengeStore::purge_expired_challenges")
            .purge_expired_challenges(now)
            .await
    }
}
