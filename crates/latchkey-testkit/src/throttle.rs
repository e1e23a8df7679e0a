//! The [`ThrottleStore`] conformance cases. Each panics on failure.

use std::sync::Arc;

use latchkey::{AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

fn fresh_key() -> ThrottleKey {
    let mut key = [0u8; 32];
    latchkey_core::random::fill(&mut key).expect("random");
    ThrottleKey(key)
}

fn policy() -> AttemptPolicy {
    AttemptPolicy {
        free: 3,
        first_wait: Duration::seconds(30),
        max_wait: Duration::minutes(2),
        lock_after: 8,
    }
}

async fn reserve(
    store: &Arc<dyn ThrottleStore>,
    key: &ThrottleKey,
    at: OffsetDateTime,
) -> ThrottleReservation {
    store.reserve(key, at, policy()).await.expect("reserve")
}

/// The free attempts pass at once; then each attempt waits, the wait
/// doubling up to the cap; a refused attempt is not counted.
pub async fn backoff_grows_after_the_free_attempts(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    for n in 1..=3 {
        assert_eq!(
            reserve(&store, &key, t0()).await,
            ThrottleReservation::Allowed { attempts: n }
        );
    }
    // After 3 attempts: wait 30 s from the last one.
    assert_eq!(
        reserve(&store, &key, t0() + Duration::seconds(29)).await,
        ThrottleReservation::RetryAt {
            at: t0() + Duration::seconds(30)
        }
    );
    let mut now = t0() + Duration::seconds(30);
    assert_eq!(
        reserve(&store, &key, now).await,
        ThrottleReservation::Allowed { attempts: 4 }
    );
    // After 4: 60 s; after 5: 120 s (the cap); after 6: still 120 s.
    for (attempts, wait) in [(5, 60), (6, 120), (7, 120)] {
        assert_eq!(
            reserve(&store, &key, now + Duration::seconds(wait - 1)).await,
            ThrottleReservation::RetryAt {
                at: now + Duration::seconds(wait)
            }
        );
        now += Duration::seconds(wait);
        assert_eq!(
            reserve(&store, &key, now).await,
            ThrottleReservation::Allowed { attempts }
        );
    }
}

/// At the lock bound the key is locked however long one waits, until it
/// is cleared; clearing starts the free attempts again.
pub async fn lock_holds_until_cleared(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let mut now = t0();
    for n in 1..=8 {
        now += Duration::hours(1);
        assert_eq!(
            reserve(&store, &key, now).await,
            ThrottleReservation::Allowed { attempts: n }
        );
    }
    now += Duration::days(30);
    assert_eq!(
        reserve(&store, &key, now).await,
        ThrottleReservation::Locked
    );
    store.clear(&key).await.expect("clear");
    assert_eq!(
        reserve(&store, &key, now).await,
        ThrottleReservation::Allowed { attempts: 1 }
    );
}

/// Keys count separately, and clearing one leaves the other.
pub async fn keys_are_independent(store: Arc<dyn ThrottleStore>) {
    let (a, b) = (fresh_key(), fresh_key());
    for _ in 0..3 {
        reserve(&store, &a, t0()).await;
    }
    assert!(matches!(
        reserve(&store, &a, t0()).await,
        ThrottleReservation::RetryAt { .. }
    ));
    assert_eq!(
        reserve(&store, &b, t0()).await,
        ThrottleReservation::Allowed { attempts: 1 }
    );
    store.clear(&b).await.expect("clear");
    assert!(matches!(
        reserve(&store, &a, t0()).await,
        ThrottleReservation::RetryAt { .. }
    ));
}

/// 64 parallel attempts at one instant: exactly the free ones pass.
pub async fn parallel_reservations_get_only_the_free_budget(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let store = store.clone();
        tasks.spawn(async move { store.reserve(&key, t0(), policy()).await.expect("reserve") });
    }
    let allowed = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|r| matches!(r, ThrottleReservation::Allowed { .. }))
        .count();
    assert_eq!(allowed, 3);
}

/// A window counts hits until it ends, then starts again at one.
pub async fn windows_count_and_reset(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let window = Duration::minutes(10);
    for n in 1..=3 {
        let count = store
            .hit(&key, t0() + Duration::minutes(n.into()), window)
            .await
            .expect("hit");
        assert_eq!(count.count, n);
        assert_eq!(count.resets_at, t0() + window + Duration::minutes(1));
    }
    // At the instant the window ends, a new one starts.
    let at_end = t0() + Duration::minutes(1) + window;
    let count = store.hit(&key, at_end, window).await.expect("hit");
    assert_eq!((count.count, count.resets_at), (1, at_end + window));
    let later = at_end + Duration::minutes(11);
    let count = store.hit(&key, later, window).await.expect("hit");
    assert_eq!(count.count, 1);
    assert_eq!(count.resets_at, later + window);
}

/// 64 concurrent hits are all counted.
pub async fn concurrent_hits_are_all_counted(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let window = Duration::minutes(10);
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let store = store.clone();
        tasks.spawn(async move { store.hit(&key, t0(), window).await.expect("hit") });
    }
    let mut counts: Vec<u32> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|c| c.count)
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=64).collect::<Vec<_>>());
    let next = store.hit(&key, t0(), window).await.expect("hit");
    assert_eq!(next.count, 65);
}

/// Reservations racing clears (concurrent failures and successes on one
/// key) never fail: a store must not let a clear remove what a
/// reservation is about to lock.
pub async fn reservations_racing_clears_never_fail(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let mut tasks = JoinSet::new();
    for n in 0..64 {
        let store = store.clone();
        tasks.spawn(async move {
            if n % 2 == 0 {
                store.reserve(&key, t0(), policy()).await.map(|_| ())
            } else {
                store.clear(&key).await
            }
        });
    }
    for result in tasks.join_all().await {
        result.expect("reserve and clear never fail under concurrency");
    }
}

/// Purging drops idle unlocked counters and ended windows, keeps locked
/// and recently used counters, and a purged key starts afresh.
pub async fn purge_drops_idle_counters_and_keeps_locks(store: Arc<dyn ThrottleStore>) {
    let (idle, locked, recent, window) = (fresh_key(), fresh_key(), fresh_key(), fresh_key());
    for _ in 0..3 {
        reserve(&store, &idle, t0()).await;
    }
    let mut now = t0();
    for _ in 0..8 {
        now += Duration::hours(1);
        reserve(&store, &locked, now).await;
    }
    assert_eq!(
        reserve(&store, &locked, now).await,
        ThrottleReservation::Locked
    );
    store
        .hit(&window, t0(), Duration::minutes(10))
        .await
        .expect("hit");
    let later = now + Duration::days(2);
    reserve(&store, &recent, later).await;
    let purged = store
        .purge_idle(later - Duration::days(1), policy().lock_after)
        .await
        .expect("purge");
    assert!(purged >= 2, "the idle counter and the ended window go");
    assert_eq!(
        reserve(&store, &idle, later).await,
        ThrottleReservation::Allowed { attempts: 1 }
    );
    assert_eq!(
        reserve(&store, &locked, later).await,
        ThrottleReservation::Locked
    );
    assert_eq!(
        reserve(&store, &recent, later).await,
        ThrottleReservation::Allowed { attempts: 2 }
    );
    let count = store
        .hit(&window, later, Duration::minutes(10))
        .await
        .expect("hit");
    assert_eq!(count.count, 1);
}

/// Purges racing reservations never make a reservation fail.
pub async fn purges_racing_reservations_never_fail(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let mut tasks = JoinSet::new();
    for n in 0..64 {
        let store = store.clone();
        tasks.spawn(async move {
            if n % 2 == 0 {
                store.reserve(&key, t0(), policy()).await.map(|_| ())
            } else {
                store
                    .purge_idle(t0() + Duration::days(1), policy().lock_after)
                    .await
                    .map(|_| ())
            }
        });
    }
    for result in tasks.join_all().await {
        result.expect("reserve and purge never fail under concurrency");
    }
}
