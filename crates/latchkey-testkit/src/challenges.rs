//! The [`ChallengeStore`] conformance cases. Each panics on failure.

use std::sync::Arc;

use latchkey::{ChallengeAttempt, ChallengeKey, ChallengeKind, ChallengeRecord, ChallengeStore};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use crate::fresh_account;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

/// A random key, so one database may serve many runs.
fn fresh_key() -> ChallengeKey {
    let mut id = [0u8; 16];
    latchkey_core::random::fill(&mut id).expect("random");
    ChallengeKey::of(&id)
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
    }
}

/// An unknown key reads as `None`, cannot be attempted and cannot be
/// consumed.
pub async fn unknown_challenge_is_none_and_gone(store: Arc<dyn ChallengeStore>) {
    let key = fresh_key();
    assert_eq!(store.get_challenge(&key).await.expect("get"), None);
    assert_eq!(
        store.reserve_attempt(&key, t0()).await.expect("reserve"),
        ChallengeAttempt::Gone
    );
    assert!(!store.consume_challenge(&key, t0()).await.expect("consume"));
}

/// Every kind round-trips whole (a step-up keeps its operation digest),
/// and a taken key is refused without changing the stored record.
pub async fn challenges_round_trip_and_keys_are_unique(store: Arc<dyn ChallengeStore>) {
    for kind in [
        ChallengeKind::MailedCode,
        ChallengeKind::SecondFactor,
        ChallengeKind::StepUp { operation: [7; 32] },
    ] {
        let rec = record(kind, 5);
        assert!(store.insert_challenge(rec.clone()).await.expect("insert"));
        assert_eq!(
            store.get_challenge(&rec.key).await.expect("get"),
            Some(rec.clone())
        );
        let mut other = record(ChallengeKind::MailedCode, 9);
        other.key = rec.key;
        assert!(!store.insert_challenge(other).await.expect("insert"));
        assert_eq!(store.get_challenge(&rec.key).await.expect("get"), Some(rec));
    }
}

/// Attempts are counted down to zero, then refused without counting.
pub async fn attempts_count_until_the_budget_is_spent(store: Arc<dyn ChallengeStore>) {
    let rec = record(ChallengeKind::SecondFactor, 3);
    store.insert_challenge(rec.clone()).await.expect("insert");
    for left in [2, 1, 0] {
        assert_eq!(
            store
                .reserve_attempt(&rec.key, t0())
                .await
                .expect("reserve"),
            ChallengeAttempt::Counted {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        store
            .reserve_attempt(&rec.key, t0())
            .await
            .expect("reserve"),
        ChallengeAttempt::Exhausted
    );
    let stored = store
        .get_challenge(&rec.key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(stored.attempts, 3);
}

/// At and after its expiry a challenge can be neither attempted nor
/// consumed.
pub async fn expired_challenges_are_gone(store: Arc<dyn ChallengeStore>) {
    let rec = record(ChallengeKind::MailedCode, 5);
    store.insert_challenge(rec.clone()).await.expect("insert");
    assert_eq!(
        store
            .reserve_attempt(&rec.key, rec.expires_at)
            .await
            .expect("reserve"),
        ChallengeAttempt::Gone
    );
    assert!(
        !store
            .consume_challenge(&rec.key, rec.expires_at)
            .await
            .expect("consume"),
        "expired at its expiry instant"
    );
    assert!(
        !store
            .consume_challenge(&rec.key, rec.expires_at + Duration::seconds(1))
            .await
            .expect("consume")
    );
    assert!(
        store
            .consume_challenge(&rec.key, rec.expires_at - Duration::seconds(1))
            .await
            .expect("consume")
    );
}

/// A challenge is consumed once; afterwards it is gone.
pub async fn a_challenge_is_consumed_once(store: Arc<dyn ChallengeStore>) {
    let rec = record(ChallengeKind::MailedCode, 5);
    store.insert_challenge(rec.clone()).await.expect("insert");
    assert!(
        store
            .consume_challenge(&rec.key, t0())
            .await
            .expect("consume")
    );
    assert!(
        !store
            .consume_challenge(&rec.key, t0())
            .await
            .expect("consume")
    );
    assert_eq!(store.get_challenge(&rec.key).await.expect("get"), None);
}

/// 64 concurrent consumers of one challenge: exactly one wins.
pub async fn sixty_four_consumers_of_one_challenge_have_one_winner(store: Arc<dyn ChallengeStore>) {
    let rec = record(ChallengeKind::SecondFactor, 5);
    store.insert_challenge(rec.clone()).await.expect("insert");
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, key) = (store.clone(), rec.key);
        tasks.spawn(async move { store.consume_challenge(&key, t0()).await.expect("consume") });
    }
    let wins = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|won| *won)
        .count();
    assert_eq!(wins, 1);
}

/// 64 concurrent attempts on a budget of 5: exactly 5 are counted.
pub async fn concurrent_attempts_never_exceed_the_budget(store: Arc<dyn ChallengeStore>) {
    let rec = record(ChallengeKind::MailedCode, 5);
    store.insert_challenge(rec.clone()).await.expect("insert");
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, key) = (store.clone(), rec.key);
        tasks.spawn(async move { store.reserve_attempt(&key, t0()).await.expect("reserve") });
    }
    let results = tasks.join_all().await;
    let counted = results
        .iter()
        .filter(|r| matches!(r, ChallengeAttempt::Counted { .. }))
        .count();
    assert_eq!(counted, 5);
    assert!(results.iter().all(|r| !matches!(r, ChallengeAttempt::Gone)));
    let stored = store
        .get_challenge(&rec.key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(stored.attempts, 5);
}

/// Purging removes challenges expired at `now` and keeps live ones.
pub async fn purge_removes_only_expired_challenges(store: Arc<dyn ChallengeStore>) {
    let live = record(ChallengeKind::MailedCode, 5);
    let mut dead = record(ChallengeKind::MailedCode, 5);
    dead.expires_at = t0(); // expired at `now` counts as expired
    store.insert_challenge(live.clone()).await.expect("insert");
    store.insert_challenge(dead.clone()).await.expect("insert");
    let purged = store.purge_expired_challenges(t0()).await.expect("purge");
    assert!(purged >= 1, "the expired challenge is purged");
    assert_eq!(store.get_challenge(&dead.key).await.expect("get"), None);
    assert_eq!(
        store.get_challenge(&live.key).await.expect("get"),
        Some(live)
    );
}
