//! [`CountingStore`]: every store trait, forwarded and counted (one file
//! per trait beside this one).

mod challenges;
mod cli_logins;
mod codes;
mod credentials;
mod devices;
mod security_keys;
mod stamps;
mod throttle;
mod tickets;
mod two_factor;

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A store that forwards every call of the ten store traits (the eight of `all_store_tests!`, `CliLoginStore` and `SecurityKeyStore`) to one store,
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

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_credentials::CredentialStore;
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
