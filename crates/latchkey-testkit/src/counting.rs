//! [`CountingStore`]: every store trait, forwarded and counted.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use latchkey_challenge::{ChallengeAttempt, ChallengeKey, ChallengeRecord, ChallengeStore};
use latchkey_core::{AccountId, KeyId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};
use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use latchkey_recovery::{AuditEntry, Draft, Ticket, TicketChange, TicketId, TicketStore};
use latchkey_throttle::{
    AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
use latchkey_twofactor::{
    Mode, PendingEnrolment, RecoveryDigest, SealedSecret, TwoFactorState, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};

/// A store that forwards every call of the six store traits to one store,
/// or round-robin to several, and counts calls per method: the number of
/// store round trips a flow takes, or a conformance run "on several
/// service instances" (stores with their own pools on one database).
///
/// Methods are named `Trait::method` (`"OtpStore::get"`,
/// `"ChallengeStore::reserve_attempt"`); it implements a trait whenever
/// the stores do.
///
/// ```
/// use std::sync::Arc;
/// use latchkey_credentials::CredentialStore;
/// use latchkey_store_memory::MemoryStore;
/// use latchkey_testkit::CountingStore;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = CountingStore::new(Arc::new(MemoryStore::new()));
/// let account = latchkey_testkit::fresh_account();
/// store.create("jane", &account, "$argon2id$...").await.unwrap();
/// store.find_by_login("jane").await.unwrap();
/// assert_eq!(store.count("CredentialStore::find_by_login"), 1);
/// assert_eq!(store.total(), 2);
/// store.reset();
/// assert!(store.counts().is_empty());
/// # });
/// ```
pub struct CountingStore<S> {
    stores: Vec<Arc<S>>,
    next: AtomicUsize,
    counts: Mutex<BTreeMap<&'static str, u64>>,
    guard: Option<Box<dyn Any + Send + Sync>>,
}

impl<S> CountingStore<S> {
    /// Forwards every call to `store`.
    #[must_use]
    pub fn new(store: Arc<S>) -> Self {
        Self::spread(vec![store])
    }

    /// Forwards each call to the next of `stores` in turn.
    ///
    /// # Panics
    /// When `stores` is empty.
    #[must_use]
    pub fn spread(stores: Vec<Arc<S>>) -> Self {
        assert!(
            !stores.is_empty(),
            "CountingStore::spread needs at least one store"
        );
        Self {
            stores,
            next: AtomicUsize::new(0),
            counts: Mutex::new(BTreeMap::new()),
            guard: None,
        }
    }

    /// Keeps `guard` alive as long as this store (say, what deletes a test
    /// database when dropped).
    #[must_use]
    pub fn holding(mut self, guard: impl Any + Send + Sync) -> Self {
        self.guard = Some(Box::new(guard));
        self
    }

    /// The stores calls go to.
    #[must_use]
    pub fn stores(&self) -> &[Arc<S>] {
        &self.stores
    }

    /// Calls so far, per method called at least once.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        self.lock().clone()
    }

    /// Calls so far of one method (`"OtpStore::get"`).
    #[must_use]
    pub fn count(&self, method: &str) -> u64 {
        self.lock().get(method).copied().unwrap_or(0)
    }

    /// Calls so far, all methods together.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.lock().values().sum()
    }

    /// Forgets every count.
    pub fn reset(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, u64>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a call of `method` and picks the store whose turn it is.
    fn pick(&self, method: &'static str) -> &S {
        *self.lock().entry(method).or_insert(0) += 1;
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.stores.len();
        &self.stores[turn]
    }
}

impl<S> fmt::Debug for CountingStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingStore")
            .field("stores", &self.stores.len())
            .field("total", &self.total())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<S: CredentialStore> CredentialStore for CountingStore<S> {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        self.pick("CredentialStore::find_by_login")
            .find_by_login(login)
            .await
    }
    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        self.pick("CredentialStore::create")
            .create(login, account, phc)
            .await
    }
    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        self.pick("CredentialStore::set_hash")
            .set_hash(account, phc)
            .await
    }
    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        self.pick("CredentialStore::replace_hash_if_unchanged")
            .replace_hash_if_unchanged(account, expected, new)
            .await
    }
}

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

#[async_trait]
impl<S: TwoFactorStore> TwoFactorStore for CountingStore<S> {
    async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError> {
        self.pick("TwoFactorStore::load").load(account).await
    }
    async fn put_pending(
        &self,
        account: &AccountId,
        pending: PendingEnrolment,
    ) -> Result<(), StoreError> {
        self.pick("TwoFactorStore::put_pending")
            .put_pending(account, pending)
            .await
    }
    async fn activate(
        &self,
        account: &AccountId,
        pending_id: &[u8; 16],
        now: OffsetDateTime,
        confirmed_step: u64,
        recovery_codes: Vec<RecoveryDigest>,
        mode: Mode,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::activate")
            .activate(
                account,
                pending_id,
                now,
                confirmed_step,
                recovery_codes,
                mode,
            )
            .await
    }
    async fn advance_step(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        step: u64,
        drift: i32,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::advance_step")
            .advance_step(account, authenticator_id, step, drift)
            .await
    }
    async fn use_recovery_code(
        &self,
        account: &AccountId,
        digest: &RecoveryDigest,
    ) -> Result<Option<u32>, StoreError> {
        self.pick("TwoFactorStore::use_recovery_code")
            .use_recovery_code(account, digest)
            .await
    }
    async fn replace_recovery_codes(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
    ) -> Result<(), StoreError> {
        self.pick("TwoFactorStore::replace_recovery_codes")
            .replace_recovery_codes(account, recovery_codes)
            .await
    }
    async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::set_mode")
            .set_mode(account, mode)
            .await
    }
    async fn disable(&self, account: &AccountId) -> Result<(), StoreError> {
        self.pick("TwoFactorStore::disable").disable(account).await
    }
    async fn reseal(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        expected_key_id: &KeyId,
        new: SealedSecret,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::reseal")
            .reseal(account, authenticator_id, expected_key_id, new)
            .await
    }
    async fn claim_replay_notice(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        min_interval: Duration,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::claim_replay_notice")
            .claim_replay_notice(account, now, min_interval)
            .await
    }
    async fn consume_approval(
        &self,
        account: &AccountId,
        id: &[u8; 16],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::consume_approval")
            .consume_approval(account, id, expires_at)
            .await
    }
}

#[async_trait]
impl<S: TicketStore> TicketStore for CountingStore<S> {
    async fn record_submission(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        cap: u32,
    ) -> Result<bool, StoreError> {
        self.pick("TicketStore::record_submission")
            .record_submission(key, now, window, cap)
            .await
    }
    async fn put_draft(&self, draft: Draft) -> Result<(), StoreError> {
        self.pick("TicketStore::put_draft").put_draft(draft).await
    }
    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.pick("TicketStore::get_draft").get_draft(id).await
    }
    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.pick("TicketStore::take_draft").take_draft(id).await
    }
    async fn insert(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.pick("TicketStore::insert").insert(ticket).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        TicketStore::get(self.pick("TicketStore::get"), id).await
    }
    async fn transition(
        &self,
        id: &TicketId,
        expected_version: u64,
        change: TicketChange,
        entry: AuditEntry,
    ) -> Result<bool, StoreError> {
        self.pick("TicketStore::transition")
            .transition(id, expected_version, change, entry)
            .await
    }
    async fn append_note(&self, id: &TicketId, entry: AuditEntry) -> Result<bool, StoreError> {
        self.pick("TicketStore::append_note")
            .append_note(id, entry)
            .await
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_store_memory::MemoryStore;

    #[tokio::test]
    async fn spread_takes_turns_and_counts_each_method() {
        let (a, b) = (Arc::new(MemoryStore::new()), Arc::new(MemoryStore::new()));
        let store = CountingStore::spread(vec![a.clone(), b.clone()]).holding("a guard");
        let account = crate::fresh_account();
        // The first call goes to `a`, the second to `b`.
        assert!(
            store
                .create("jane", &account, "$h")
                .await
                .expect("CredentialStore::create failed"),
            "create of a fresh login must succeed"
        );
        assert!(
            store
                .find_by_login("jane")
                .await
                .expect("CredentialStore::find_by_login failed")
                .is_none(),
            "the second call must go to the second store"
        );
        assert!(
            a.find_by_login("jane")
                .await
                .expect("CredentialStore::find_by_login failed")
                .is_some(),
            "the first call must have gone to the first store"
        );
        assert_eq!(
            store.count("CredentialStore::create"),
            1,
            "one create was made"
        );
        assert_eq!(
            store.count("CredentialStore::find_by_login"),
            1,
            "one find was made"
        );
        assert_eq!(
            store.count("OtpStore::get"),
            0,
            "an uncalled method counts zero"
        );
        assert_eq!(store.total(), 2, "two calls in all");
        assert_eq!(store.stores().len(), 2, "both stores are kept");
        assert!(
            format!("{store:?}").contains("total: 2"),
            "Debug must show the total"
        );
    }

    #[test]
    #[should_panic(expected = "at least one store")]
    fn spread_refuses_no_stores() {
        let _ = CountingStore::<MemoryStore>::spread(Vec::new());
    }
}
