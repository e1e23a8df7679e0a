//! The storage contract for challenges.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::StoreError;
use time::OffsetDateTime;

use crate::{ChallengeKey, ChallengeRecord};

/// The answer to [`ChallengeStore::reserve_attempt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChallengeAttempt {
    /// Counted; the record as it is after counting (its `attempts`
    /// includes this one).
    Counted(ChallengeRecord),
    /// The budget was already spent; nothing counted.
    Exhausted,
    /// No such challenge, or it has expired (`expires_at <= now`).
    Gone,
}

/// Where sign-in challenges live.
///
/// Each method is one atomic operation: two service instances sharing a
/// store can never both consume one challenge, nor together count more
/// answers than its budget.
#[async_trait]
pub trait ChallengeStore: fmt::Debug + Send + Sync + 'static {
    /// Stores a new challenge. Returns `false`, storing nothing, if the key
    /// is taken (with 128-bit random ids this never happens by chance).
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError>;

    /// The challenge with this key, expired or spent or not (`Ok(None)`
    /// when there is none). It decides nothing: answers go through
    /// [`reserve_attempt`](Self::reserve_attempt).
    async fn get_challenge(
        &self,
        key: &ChallengeKey,
    ) -> Result<Option<ChallengeRecord>, StoreError>;

    /// Counts one answer before it is checked, in one step with reading
    /// the record: if the challenge exists, is unexpired at `now`
    /// (`now < expires_at`) and has budget left (`attempts <
    /// max_attempts`), `attempts` goes up by one and the record comes back
    /// as [`ChallengeAttempt::Counted`]. Counting first means parallel
    /// guesses cannot exceed the budget. At its `expires_at` a challenge is
    /// already [`ChallengeAttempt::Gone`]; a spent one is
    /// [`ChallengeAttempt::Exhausted`], counting nothing.
    async fn reserve_attempt(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<ChallengeAttempt, StoreError>;

    /// Deletes the challenge and returns `true` only if it exists and is
    /// unexpired at `now`: of concurrent callers exactly one gets `true`.
    /// The attempt budget does not matter here (the last counted attempt
    /// may be the right answer).
    async fn consume_challenge(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Deletes every challenge expired at `now` (`expires_at <= now`);
    /// returns how many.
    async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}
