//! [`ChallengeStore`]: sign-in challenges, by the digest of their id.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_challenge::{ChallengeAttempt, ChallengeKey, ChallengeRecord, ChallengeStore};
use latchkey_core::StoreError;
use time::OffsetDateTime;

use crate::{MemoryStore, lock, removed};

/// Challenges by key.
pub(crate) type Challenges = HashMap<ChallengeKey, ChallengeRecord>;

#[async_trait]
impl ChallengeStore for MemoryStore {
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError> {
        let mut all = lock(&self.challenges);
        if all.contains_key(&record.key) {
            return Ok(false);
        }
        all.insert(record.key, record);
        Ok(true)
    }

    async fn get_challenge(
        &self,
        key: &ChallengeKey,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        Ok(lock(&self.challenges).get(key).cloned())
    }

    async fn reserve_attempt(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<ChallengeAttempt, StoreError> {
        let mut all = lock(&self.challenges);
        let Some(record) = all.get_mut(key).filter(|r| now < r.expires_at) else {
            return Ok(ChallengeAttempt::Gone);
        };
        if record.attempts >= record.max_attempts {
            return Ok(ChallengeAttempt::Exhausted);
        }
        record.attempts += 1;
        Ok(ChallengeAttempt::Counted(record.clone()))
    }

    async fn consume_challenge(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut all = lock(&self.challenges);
        if all.get(key).is_some_and(|r| now < r.expires_at) {
            all.remove(key);
            return Ok(true);
        }
        Ok(false)
    }

    async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut all = lock(&self.challenges);
        let before = all.len();
        all.retain(|_, r| now < r.expires_at);
        Ok(removed(before, all.len()))
    }
}
