//! The [`ChallengeStore`] conformance cases. Each panics, saying what
//! broke, on failure.

use std::sync::Arc;

use latchkey_challenge::{
    ChallengeAttempt, ChallengeId, ChallengeKey, ChallengeKind, ChallengeRecord, ChallengeStore,
};
use time::{Duration, OffsetDateTime};

use crate::{count, fresh_account, fresh_stamp, race, t0};

/// A random key, so one database may serve many runs.
fn fresh_key() -> ChallengeKey {
    ChallengeKey::sign_in(&ChallengeId::generate().expect("the OS random generator must work"))
}

fn record(kind: ChallengeKind, max_attempts: u32) -> ChallengeRecord {
    ChallengeRecord {
        key: fresh_key(),
        account: fresh_account(),
        kind,
        created_at: t0(),
        expires_at: t0() + Duration::minutes(10),
        max_attempts,
        attempts: 0,
        stamp: fresh_stamp(),
    }
}

async fn inserted(
    store: &Arc<dyn ChallengeStore>,
    kind: ChallengeKind,
    max_attempts: u32,
) -> ChallengeRecord {
    let rec = record(kind, max_attempts);
    let fresh = store
        .insert_challenge(rec.clone())
        .await
        .expect("ChallengeStore::insert_challenge failed");
    assert!(fresh, "insert_challenge of a fresh key must succeed");
    rec
}

async fn get(store: &Arc<dyn ChallengeStore>, key: &ChallengeKey) -> Option<ChallengeRecord> {
    store
        .get_challenge(key)
        .await
        .expect("ChallengeStore::get_challenge failed")
}

async fn attempt(
    store: &Arc<dyn ChallengeStore>,
    key: &ChallengeKey,
    now: OffsetDateTime,
) -> ChallengeAttempt {
    store
        .reserve_attempt(key, now)
        .await
        .expect("ChallengeStore::reserve_attempt failed")
}

async fn consume(store: &Arc<dyn ChallengeStore>, key: &ChallengeKey, now: OffsetDateTime) -> bool {
    store
        .consume_challenge(key, now)
        .await
        .expect("ChallengeStore::consume_challenge failed")
}

/// An unknown key reads as `None`, cannot be attempted and cannot be
/// consumed.
pub async fn unknown_challenge_is_none_and_gone(store: Arc<dyn ChallengeStore>) {
    let key = fresh_key();
    assert_eq!(
        get(&store, &key).await,
        None,
        "an unknown challenge must be Ok(None)"
    );
    assert_eq!(
        attempt(&store, &key, t0()).await,
        ChallengeAttempt::Gone,
        "an unknown challenge must be Gone"
    );
    assert!(
        !consume(&store, &key, t0()).await,
        "an unknown challenge must not be consumed"
    );
}

/// Every kind round-trips whole (a step-up keeps its operation digest),
/// and a taken key is refused without changing the stored record.
pub async fn challenges_round_trip_and_keys_are_unique(store: Arc<dyn ChallengeStore>) {
    for kind in [
        ChallengeKind::MailedCode,
        ChallengeKind::SecondFactor,
        ChallengeKind::StepUp { operation: [7; 32] },
    ] {
        let rec = inserted(&store, kind, 5).await;
        assert_eq!(
            get(&store, &rec.key).await,
            Some(rec.clone()),
            "get after insert must return the {kind:?} record whole"
        );
        let mut other = record(ChallengeKind::MailedCode, 9);
        other.key = rec.key;
        let taken = store
            .insert_challenge(other)
            .await
            .expect("ChallengeStore::insert_challenge failed");
        assert!(!taken, "insert_challenge of a taken key must report false");
        assert_eq!(
            get(&store, &rec.key).await,
            Some(rec),
            "a refused insert must not change the stored record"
        );
    }
}

/// A counted attempt returns the record as it is after counting, in the
/// same round trip: its `attempts` includes this one.
pub async fn a_counted_attempt_returns_the_record_as_counted(store: Arc<dyn ChallengeStore>) {
    let rec = inserted(&store, ChallengeKind::StepUp { operation: [3; 32] }, 3).await;
    let ChallengeAttempt::Counted(counted) = attempt(&store, &rec.key, t0()).await else {
        panic!("the first attempt on a live challenge must be Counted");
    };
    let expected = ChallengeRecord {
        attempts: 1,
        ..rec.clone()
    };
    assert_eq!(
        counted, expected,
        "reserve_attempt must return the whole record with the attempt counted"
    );
    assert_eq!(
        counted.attempts_left(),
        2,
        "two attempts of three must be left"
    );
    assert_eq!(
        get(&store, &rec.key).await,
        Some(expected),
        "the stored record must match the returned one"
    );
}

/// Attempts are counted up to the budget, then refused without counting.
pub async fn attempts_count_until_the_budget_is_spent(store: Arc<dyn ChallengeStore>) {
    let rec = inserted(&store, ChallengeKind::SecondFactor, 3).await;
    for n in 1..=3 {
        match attempt(&store, &rec.key, t0()).await {
            ChallengeAttempt::Counted(r) => {
                assert_eq!(
                    (r.attempts, r.attempts_left()),
                    (n, 3 - n),
                    "attempt {n} of 3 must be counted"
                );
            }
            other => panic!("attempt {n} of a budget of 3 must be Counted, got {other:?}"),
        }
    }
    assert_eq!(
        attempt(&store, &rec.key, t0()).await,
        ChallengeAttempt::Exhausted,
        "an attempt beyond the budget must be Exhausted"
    );
    let stored = get(&store, &rec.key)
        .await
        .expect("get must still return a challenge whose budget is spent");
    assert_eq!(
        stored.attempts, 3,
        "an Exhausted attempt must not be counted"
    );
}

/// A challenge is dead at its exact expiry instant: it can be neither
/// attempted nor consumed, though `get_challenge` still returns it.
pub async fn a_challenge_is_dead_at_its_expiry_instant(store: Arc<dyn ChallengeStore>) {
    let rec = inserted(&store, ChallengeKind::MailedCode, 5).await;
    assert_eq!(
        attempt(&store, &rec.key, rec.expires_at).await,
        ChallengeAttempt::Gone,
        "an attempt at the exact expiry instant must be Gone"
    );
    assert!(
        !consume(&store, &rec.key, rec.expires_at).await,
        "a challenge must not be consumed at its exact expiry instant"
    );
    assert!(
        !consume(&store, &rec.key, rec.expires_at + Duration::seconds(1)).await,
        "a challenge must not be consumed after its expiry"
    );
    assert_eq!(
        get(&store, &rec.key).await.map(|r| r.attempts),
        Some(0),
        "get must still return an expired challenge, with nothing counted"
    );
    let last_moment = rec.expires_at - Duration::nanoseconds(1_000);
    assert!(
        consume(&store, &rec.key, last_moment).await,
        "a challenge must be consumed just before its expiry"
    );
}

/// The budget limits answers, not the success of a counted one: after the
/// last attempt is counted the challenge can still be consumed.
pub async fn the_last_counted_attempt_can_still_consume(store: Arc<dyn ChallengeStore>) {
    let rec = inserted(&store, ChallengeKind::SecondFactor, 2).await;
    for n in 1..=2 {
        assert!(
            matches!(
                attempt(&store, &rec.key, t0()).await,
                ChallengeAttempt::Counted(_)
            ),
            "attempt {n} of 2 must be counted"
        );
    }
    assert!(
        consume(&store, &rec.key, t0()).await,
        "the last counted attempt, if right, must still consume"
    );
}

/// The account's stamp a challenge was made under comes back from
/// `get_challenge` and from a counted `reserve_attempt`, unchanged by
/// counting; two challenges of one account keep their own stamps.
pub async fn the_stamp_round_trips_through_insert_get_and_reserve_attempt(
    store: Arc<dyn ChallengeStore>,
) {
    let before = inserted(&store, ChallengeKind::MailedCode, 3).await;
    let mut after = record(ChallengeKind::SecondFactor, 3);
    after.account = before.account.clone();
    let fresh = store
        .insert_challenge(after.clone())
        .await
        .expect("ChallengeStore::insert_challenge failed");
    assert!(fresh, "insert_challenge of a fresh key must succeed");
    for rec in [&before, &after] {
        assert_eq!(
            get(&store, &rec.key).await.map(|r| r.stamp),
            Some(rec.stamp),
            "get_challenge must return the stamp the challenge was inserted with"
        );
        let ChallengeAttempt::Counted(counted) = attempt(&store, &rec.key, t0()).await else {
            panic!("the first attempt on a live challenge must be Counted");
        };
        assert_eq!(
            counted.stamp, rec.stamp,
            "reserve_attempt must return the stamp the challenge was inserted with"
        );
        assert_eq!(
            get(&store, &rec.key).await.map(|r| r.stamp),
            Some(rec.stamp),
            "counting an attempt must not change the stored stamp"
        );
    }
}

/// A challenge is consumed once; afterwards it is gone.
pub async fn a_challenge_is_consumed_once(store: Arc<dyn ChallengeStore>) {
    let rec = inserted(&store, ChallengeKind::MailedCode, 5).await;
    assert!(
        consume(&store, &rec.key, t0()).await,
        "a live challenge must be consumed"
    );
    assert!(
        !consume(&store, &rec.key, t0()).await,
        "a challenge must be consumed only once"
    );
    assert_eq!(
        get(&store, &rec.key).await,
        None,
        "a consumed challenge must be deleted"
    );
    assert_eq!(
        attempt(&store, &rec.key, t0()).await,
        ChallengeAttempt::Gone,
        "a consumed challenge must be Gone"
    );
}

/// 64 concurrent consumers of one challenge: exactly one wins.
pub async fn sixty_four_consumers_of_one_challenge_have_one_winner(store: Arc<dyn ChallengeStore>) {
    let rec = inserted(&store, ChallengeKind::SecondFactor, 5).await;
    let wins = race(64, |_| {
        let (store, key) = (store.clone(), rec.key);
        async move { consume(&store, &key, t0()).await }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 consumers must win"
    );
}

/// 64 concurrent attempts on a budget of 5: exactly 5 are counted, each
/// seeing a different count.
pub async fn concurrent_attempts_never_exceed_the_budget(store: Arc<dyn ChallengeStore>) {
    let rec = inserted(&store, ChallengeKind::MailedCode, 5).await;
    let results = race(64, |_| {
        let (store, key) = (store.clone(), rec.key);
        async move { attempt(&store, &key, t0()).await }
    })
    .await;
    let mut seen: Vec<u32> = results
        .iter()
        .filter_map(|r| match r {
            ChallengeAttempt::Counted(r) => Some(r.attempts),
            _ => None,
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        [1, 2, 3, 4, 5],
        "the 5 counted attempts must each see their own count"
    );
    assert!(
        results.iter().all(|r| !matches!(r, ChallengeAttempt::Gone)),
        "a live challenge must never be Gone under concurrency"
    );
    let stored = get(&store, &rec.key)
        .await
        .expect("get must still return a challenge whose budget is spent");
    assert_eq!(stored.attempts, 5, "the stored count must be the budget");
}

/// Purging removes challenges expired at `now` (`expires_at <= now`) and
/// keeps live ones.
pub async fn purge_removes_only_expired_challenges(store: Arc<dyn ChallengeStore>) {
    let live = inserted(&store, ChallengeKind::MailedCode, 5).await;
    let mut dead = record(ChallengeKind::MailedCode, 5);
    dead.expires_at = t0();
    let fresh = store
        .insert_challenge(dead.clone())
        .await
        .expect("ChallengeStore::insert_challenge failed");
    assert!(fresh, "insert_challenge of a fresh key must succeed");
    let purged = store
        .purge_expired_challenges(t0())
        .await
        .expect("ChallengeStore::purge_expired_challenges failed");
    assert!(
        purged >= 1,
        "a challenge expiring exactly at now must be purged and counted"
    );
    assert_eq!(
        get(&store, &dead.key).await,
        None,
        "the expired challenge must be gone"
    );
    assert_eq!(
        get(&store, &live.key).await,
        Some(live),
        "a live challenge must be kept"
    );
}
