//! The [`ThrottleStore`] conformance cases. Each panics, saying what
//! broke, on failure.

use std::sync::Arc;

use latchkey_throttle::{
    AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
use time::{Duration, OffsetDateTime};

use crate::{count, race, t0};

fn fresh_key() -> ThrottleKey {
    let mut key = [0u8; 32];
    latchkey_core::random::fill(&mut key).expect("the OS random generator must work");
    ThrottleKey(key)
}

/// 3 free attempts, then 30 s doubling to 2 min, locked after 8.
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
    store
        .reserve(key, at, policy())
        .await
        .expect("ThrottleStore::reserve failed")
}

async fn clear(store: &Arc<dyn ThrottleStore>, key: &ThrottleKey) {
    store.clear(key).await.expect("ThrottleStore::clear failed");
}

async fn purge(store: &Arc<dyn ThrottleStore>, idle_before: OffsetDateTime) -> u64 {
    store
        .purge_idle(idle_before)
        .await
        .expect("ThrottleStore::purge_idle failed")
}

async fn hit(store: &Arc<dyn ThrottleStore>, key: &ThrottleKey, at: OffsetDateTime) -> WindowCount {
    store
        .hit(key, at, Duration::minutes(10))
        .await
        .expect("ThrottleStore::hit failed")
}

fn allowed(attempts: u32) -> ThrottleReservation {
    ThrottleReservation::Allowed { attempts }
}

/// The free attempts pass at once; then each attempt waits, the wait
/// doubling up to the cap; a refused attempt is not counted.
pub async fn backoff_grows_after_the_free_attempts(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    for n in 1..=3 {
        assert_eq!(
            reserve(&store, &key, t0()).await,
            allowed(n),
            "free attempt {n} must be allowed at once"
        );
    }
    let mut now = t0();
    // After 3 attempts: 30 s; after 4: 60 s; after 5, 6, 7: 120 s (the cap).
    for (attempts, wait) in [(4, 30), (5, 60), (6, 120), (7, 120)] {
        assert_eq!(
            reserve(&store, &key, now + Duration::seconds(wait - 1)).await,
            ThrottleReservation::RetryAt {
                at: now + Duration::seconds(wait)
            },
            "attempt {attempts} must wait {wait} s after the last counted one"
        );
        now += Duration::seconds(wait);
        assert_eq!(
            reserve(&store, &key, now).await,
            allowed(attempts),
            "a refused attempt must not be counted, and attempt {attempts} is allowed after the wait"
        );
    }
}

/// A reservation exactly at the end of the wait is allowed; one a
/// microsecond earlier is refused, and counts nothing.
pub async fn a_reservation_exactly_at_the_end_of_the_wait_is_allowed(
    store: Arc<dyn ThrottleStore>,
) {
    let key = fresh_key();
    for _ in 0..3 {
        reserve(&store, &key, t0()).await;
    }
    let end = t0() + policy().wait_after(3);
    assert_eq!(
        reserve(&store, &key, end - Duration::nanoseconds(1_000)).await,
        ThrottleReservation::RetryAt { at: end },
        "a reservation just before the end of the wait must be refused"
    );
    assert_eq!(
        reserve(&store, &key, end).await,
        allowed(4),
        "a reservation exactly at the end of the wait must be allowed"
    );
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
            allowed(n),
            "attempt {n} of 8 an hour apart must be allowed"
        );
    }
    now += Duration::days(30);
    assert_eq!(
        reserve(&store, &key, now).await,
        ThrottleReservation::Locked,
        "the lock must hold however long one waits"
    );
    clear(&store, &key).await;
    assert_eq!(
        reserve(&store, &key, now).await,
        allowed(1),
        "a cleared key must start again at one"
    );
}

/// Clearing a key that was never counted is fine, and counts nothing.
pub async fn clearing_a_missing_key_is_fine(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    clear(&store, &key).await;
    assert_eq!(
        reserve(&store, &key, t0()).await,
        allowed(1),
        "a cleared missing key must start at one"
    );
}

/// Keys count separately, and clearing one leaves the other.
pub async fn keys_are_independent(store: Arc<dyn ThrottleStore>) {
    let (a, b) = (fresh_key(), fresh_key());
    for _ in 0..3 {
        reserve(&store, &a, t0()).await;
    }
    assert!(
        matches!(
            reserve(&store, &a, t0()).await,
            ThrottleReservation::RetryAt { .. }
        ),
        "key a must be waiting after its free attempts"
    );
    assert_eq!(
        reserve(&store, &b, t0()).await,
        allowed(1),
        "key b must count separately from key a"
    );
    clear(&store, &b).await;
    assert!(
        matches!(
            reserve(&store, &a, t0()).await,
            ThrottleReservation::RetryAt { .. }
        ),
        "clearing key b must not clear key a"
    );
}

/// 64 parallel attempts at one instant: exactly the free ones pass.
pub async fn parallel_reservations_get_only_the_free_budget(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let results = race(64, |_| {
        let store = store.clone();
        async move { reserve(&store, &key, t0()).await }
    })
    .await;
    let allowed = count(&results, |r| {
        matches!(r, ThrottleReservation::Allowed { .. })
    });
    assert_eq!(
        allowed, 3,
        "exactly the 3 free attempts of 64 must be allowed: {results:?}"
    );
}

/// A window counts hits until it ends; a hit at or after its end starts a
/// new one at one.
pub async fn windows_count_and_reset(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let start = t0() + Duration::minutes(1);
    let end = start + Duration::minutes(10);
    for n in 1..=3 {
        let count = hit(&store, &key, start + Duration::minutes(n - 1)).await;
        assert_eq!(
            (count.count, count.resets_at),
            (u32::try_from(n).unwrap_or(0), end),
            "hit {n} must count in the window that started at the first hit"
        );
    }
    let last = hit(&store, &key, end - Duration::nanoseconds(1_000)).await;
    assert_eq!(
        last.count, 4,
        "a hit just before the window's end must count in it"
    );
    let count = hit(&store, &key, end).await;
    assert_eq!(
        (count.count, count.resets_at),
        (1, end + Duration::minutes(10)),
        "a hit exactly at the window's end must start a new window"
    );
    let later = end + Duration::minutes(25);
    let count = hit(&store, &key, later).await;
    assert_eq!(
        (count.count, count.resets_at),
        (1, later + Duration::minutes(10)),
        "a hit long after the window's end must start a new window at itself"
    );
}

/// 64 concurrent hits are all counted.
pub async fn concurrent_hits_are_all_counted(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let counts = race(64, |_| {
        let store = store.clone();
        async move { hit(&store, &key, t0()).await.count }
    })
    .await;
    let mut counts = counts;
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=64).collect::<Vec<_>>(),
        "64 concurrent hits must each see their own count"
    );
    assert_eq!(
        hit(&store, &key, t0()).await.count,
        65,
        "the next hit must see all 64"
    );
}

/// Reservations racing clears (concurrent failures and successes on one
/// key) never fail: a store must not let a clear remove what a
/// reservation is about to lock.
pub async fn reservations_racing_clears_never_fail(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let results = race(64, |n| {
        let store = store.clone();
        async move {
            if n.is_multiple_of(2) {
                store.reserve(&key, t0(), policy()).await.map(|_| ())
            } else {
                store.clear(&key).await
            }
        }
    })
    .await;
    for result in results {
        result.expect("reserve and clear must never fail under concurrency");
    }
}

/// Purging never deletes nor lowers a count of uncleared failures, however
/// old: failures on their way to the lock, and a lock, survive a purge.
pub async fn purge_never_lowers_an_uncleared_count(store: Arc<dyn ThrottleStore>) {
    let (failing, locked) = (fresh_key(), fresh_key());
    reserve(&store, &failing, t0()).await;
    reserve(&store, &failing, t0()).await;
    let mut now = t0();
    for _ in 0..8 {
        now += Duration::hours(1);
        reserve(&store, &locked, now).await;
    }
    let much_later = now + Duration::days(365);
    purge(&store, much_later).await;
    assert_eq!(
        reserve(&store, &failing, much_later).await,
        allowed(3),
        "a purge must keep a year-old count of 2 uncleared failures"
    );
    assert_eq!(
        reserve(&store, &locked, much_later).await,
        ThrottleReservation::Locked,
        "a purge must keep a year-old lock"
    );
}

/// Purging deletes cleared counters idle since before `idle_before` and
/// windows that ended at or before it, and keeps a window still open; a
/// purged key starts afresh.
pub async fn purge_deletes_cleared_counters_and_ended_windows(store: Arc<dyn ThrottleStore>) {
    let (cleared, ended, ends_at_cutoff, open) =
        (fresh_key(), fresh_key(), fresh_key(), fresh_key());
    let idle_before = t0() + Duration::days(1);
    // Whatever earlier runs left that this purge would delete goes first,
    // so the count below is this case's own.
    purge(&store, idle_before).await;
    reserve(&store, &cleared, t0()).await;
    reserve(&store, &cleared, t0()).await;
    clear(&store, &cleared).await;
    hit(&store, &ended, t0()).await;
    hit(&store, &ends_at_cutoff, idle_before - Duration::minutes(10)).await;
    hit(&store, &open, idle_before - Duration::minutes(5)).await;
    let purged = purge(&store, idle_before).await;
    assert!(
        purged >= 3,
        "the cleared counter, the ended window and the window ending exactly at idle_before must go: {purged} purged"
    );
    assert_eq!(
        reserve(&store, &cleared, idle_before).await,
        allowed(1),
        "a purged key must start afresh"
    );
    let still_open = hit(&store, &open, idle_before).await;
    assert_eq!(
        still_open.count, 2,
        "a window still open at idle_before must be kept"
    );
}

/// Purges racing reservations never make a reservation fail.
pub async fn purges_racing_reservations_never_fail(store: Arc<dyn ThrottleStore>) {
    let key = fresh_key();
    let results = race(64, |n| {
        let store = store.clone();
        async move {
            if n.is_multiple_of(2) {
                store.reserve(&key, t0(), policy()).await.map(|_| ())
            } else {
                store.purge_idle(t0() + Duration::days(1)).await.map(|_| ())
            }
        }
    })
    .await;
    for result in results {
        result.expect("reserve and purge must never fail under concurrency");
    }
}
