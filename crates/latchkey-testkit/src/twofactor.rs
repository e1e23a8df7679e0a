//! The [`TwoFactorStore`] conformance cases. Each panics on failure.

use std::sync::Arc;

use latchkey_core::{AccountId, KeyId};
use latchkey_otp::Algorithm;
use latchkey_twofactor::{
    AttemptPolicy, AttemptReservation, Mode, PendingEnrolment, RecoveryDigest, SealedSecret,
    TwoFactorStore,
};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use crate::fresh_account;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

fn pending(id: u8) -> PendingEnrolment {
    PendingEnrolment {
        id: [id; 16],
        sealed: SealedSecret {
            key_id: KeyId::new("k1").expect("key id"),
            nonce: [id; 24],
            ciphertext: vec![id; 36],
        },
        algorithm: Algorithm::Sha1,
        digits: 6,
        period: 30,
        expires_at: t0() + Duration::minutes(15),
    }
}

fn digests(n: u8) -> Vec<RecoveryDigest> {
    (0..n).map(|i| [i; 32]).collect()
}

/// An enrolled account: pending `1`, activated at step 100.
async fn enrolled(store: &Arc<dyn TwoFactorStore>) -> AccountId {
    let account = fresh_account();
    store
        .put_pending(&account, pending(1))
        .await
        .expect("put pending");
    let activated = store
        .activate(&account, &[1; 16], t0(), 100, digests(10), Mode::AuthOnly)
        .await
        .expect("activate");
    assert!(activated);
    account
}

/// An unknown account reads as the default state: off, nothing stored.
pub async fn unknown_account_is_off_and_empty(store: Arc<dyn TwoFactorStore>) {
    let state = store.load(&fresh_account()).await.expect("load");
    assert_eq!(state.mode, Mode::Off);
    assert!(state.authenticator.is_none() && state.pending.is_none());
    assert_eq!(state.recovery_codes_left, 0);
}

/// Activation needs the current, unexpired pending id, happens once, and
/// stores the authenticator, the used step, the codes and the mode.
pub async fn activation_is_once_and_only_for_the_current_pending(store: Arc<dyn TwoFactorStore>) {
    let account = fresh_account();
    store.put_pending(&account, pending(1)).await.expect("put");
    store.put_pending(&account, pending(2)).await.expect("put");
    let stale = store
        .activate(&account, &[1; 16], t0(), 7, digests(10), Mode::AuthOnly)
        .await;
    assert!(!stale.expect("activate"), "replaced pending id");
    let late = t0() + Duration::minutes(15);
    assert!(
        !store
            .activate(&account, &[2; 16], late, 7, digests(10), Mode::AuthOnly)
            .await
            .expect("a"),
        "expired"
    );
    assert!(
        store
            .activate(&account, &[2; 16], t0(), 7, digests(10), Mode::AuthOnly)
            .await
            .expect("a")
    );
    let state = store.load(&account).await.expect("load");
    let authenticator = state.authenticator.expect("active");
    assert_eq!(
        (authenticator.id, authenticator.last_used_step),
        ([2; 16], 7)
    );
    assert_eq!(authenticator.sealed, pending(2).sealed);
    assert_eq!(
        (state.mode, state.recovery_codes_left),
        (Mode::AuthOnly, 10)
    );
    assert!(state.pending.is_none());
    store.put_pending(&account, pending(3)).await.expect("put");
    let second = store
        .activate(&account, &[3; 16], t0(), 9, digests(10), Mode::AuthOnly)
        .await;
    assert!(!second.expect("activate"), "one authenticator per account");
}

/// Steps only move forward: the same or an earlier step is refused.
pub async fn steps_only_advance(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    assert!(
        !store
            .advance_step(&account, &[1; 16], 100, 0)
            .await
            .expect("s"),
        "same step"
    );
    assert!(
        !store
            .advance_step(&account, &[1; 16], 99, 0)
            .await
            .expect("s"),
        "earlier step"
    );
    assert!(
        !store
            .advance_step(&account, &[9; 16], 101, 0)
            .await
            .expect("s"),
        "other authenticator"
    );
    assert!(
        store
            .advance_step(&account, &[1; 16], 101, -1)
            .await
            .expect("s")
    );
    let a = store
        .load(&account)
        .await
        .expect("load")
        .authenticator
        .expect("active");
    assert_eq!((a.last_used_step, a.drift), (101, -1));
}

/// 64 concurrent submitters of one TOTP step: exactly one wins.
pub async fn sixty_four_submitters_of_one_step_have_one_winner(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            store
                .advance_step(&account, &[1; 16], 101, 0)
                .await
                .expect("advance")
        });
    }
    let wins = tasks.join_all().await.into_iter().filter(|w| *w).count();
    assert_eq!(wins, 1);
}

/// Recovery codes work once each and the count goes down; a new set voids
/// the old one.
pub async fn recovery_codes_work_once_and_regeneration_voids_the_old_set(
    store: Arc<dyn TwoFactorStore>,
) {
    let account = enrolled(&store).await;
    assert_eq!(
        store
            .use_recovery_code(&account, &[3; 32])
            .await
            .expect("use"),
        Some(9)
    );
    assert_eq!(
        store
            .use_recovery_code(&account, &[3; 32])
            .await
            .expect("use"),
        None,
        "used twice"
    );
    assert_eq!(
        store
            .use_recovery_code(&account, &[99; 32])
            .await
            .expect("use"),
        None,
        "unknown"
    );
    store
        .replace_recovery_codes(&account, vec![[50; 32], [51; 32]])
        .await
        .expect("replace");
    assert_eq!(
        store
            .use_recovery_code(&account, &[4; 32])
            .await
            .expect("use"),
        None,
        "old set void"
    );
    assert_eq!(
        store
            .load(&account)
            .await
            .expect("load")
            .recovery_codes_left,
        2
    );
    assert_eq!(
        store
            .use_recovery_code(&account, &[50; 32])
            .await
            .expect("use"),
        Some(1)
    );
}

/// 64 concurrent uses of one recovery code: exactly one wins.
pub async fn sixty_four_users_of_one_recovery_code_have_one_winner(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            store
                .use_recovery_code(&account, &[5; 32])
                .await
                .expect("use")
        });
    }
    let wins: Vec<u32> = tasks.join_all().await.into_iter().flatten().collect();
    assert_eq!(wins, vec![9], "exactly one use, leaving 9");
}

/// The mode changes only with an authenticator; disabling clears
/// everything.
pub async fn mode_needs_an_authenticator_and_disable_clears_everything(
    store: Arc<dyn TwoFactorStore>,
) {
    assert!(
        !store
            .set_mode(&fresh_account(), Mode::AuthAndWrites)
            .await
            .expect("mode")
    );
    let account = enrolled(&store).await;
    assert!(
        store
            .set_mode(&account, Mode::AuthAndWrites)
            .await
            .expect("mode")
    );
    assert_eq!(
        store.load(&account).await.expect("load").mode,
        Mode::AuthAndWrites
    );
    store.disable(&account).await.expect("disable");
    let state = store.load(&account).await.expect("load");
    assert_eq!(state.mode, Mode::Off);
    assert!(state.authenticator.is_none() && state.pending.is_none());
    assert_eq!(state.recovery_codes_left, 0);
    assert_eq!(
        store
            .use_recovery_code(&account, &[1; 32])
            .await
            .expect("use"),
        None
    );
}

/// Attempts are counted before checking: the free budget holds for 64
/// parallel attempts, then a wait applies; clearing restores the budget.
pub async fn parallel_attempts_get_only_the_free_budget(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let policy = AttemptPolicy::default();
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            store
                .reserve_attempt(&account, t0(), policy)
                .await
                .expect("reserve")
        });
    }
    let results = tasks.join_all().await;
    let allowed = results
        .iter()
        .filter(|r| **r == AttemptReservation::Allowed)
        .count();
    assert_eq!(allowed, policy.free as usize, "{results:?}");
    assert!(results.contains(&AttemptReservation::RetryAt {
        at: t0() + policy.first_wait
    }));
    store.clear_attempts(&account).await.expect("clear");
    assert_eq!(
        store
            .reserve_attempt(&account, t0(), policy)
            .await
            .expect("r"),
        AttemptReservation::Allowed
    );
    assert_eq!(store.load(&account).await.expect("load").failed_attempts, 1);
}

/// After `lock_after` attempts the account is locked, however long one
/// waits, until cleared.
pub async fn attempts_lock_after_the_policy_limit(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let policy = AttemptPolicy {
        free: 2,
        first_wait: Duration::seconds(1),
        max_wait: Duration::seconds(1),
        lock_after: 4,
    };
    let mut now = t0();
    for _ in 0..4 {
        now += Duration::seconds(2);
        assert_eq!(
            store
                .reserve_attempt(&account, now, policy)
                .await
                .expect("r"),
            AttemptReservation::Allowed
        );
    }
    now += Duration::days(365);
    assert_eq!(
        store
            .reserve_attempt(&account, now, policy)
            .await
            .expect("r"),
        AttemptReservation::Locked
    );
    store.clear_attempts(&account).await.expect("clear");
    assert_eq!(
        store
            .reserve_attempt(&account, now, policy)
            .await
            .expect("r"),
        AttemptReservation::Allowed
    );
}

/// An approval is consumed once, even by 64 concurrent redeemers.
pub async fn an_approval_is_consumed_once(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            store
                .consume_approval(&account, &[7; 16], t0() + Duration::minutes(5))
                .await
                .expect("consume")
        });
    }
    assert_eq!(tasks.join_all().await.into_iter().filter(|w| *w).count(), 1);
    assert!(
        store
            .consume_approval(&account, &[8; 16], t0())
            .await
            .expect("consume"),
        "another id"
    );
}

/// Re-sealing (key rotation) is a compare-and-set on the key id.
pub async fn reseal_is_compare_and_set_on_the_key_id(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let mut fresh = pending(1).sealed;
    fresh.key_id = KeyId::new("k2").expect("key id");
    fresh.ciphertext = vec![42; 36];
    let stale = KeyId::new("k0").expect("key id");
    assert!(
        !store
            .reseal(&account, &[1; 16], &stale, fresh.clone())
            .await
            .expect("r"),
        "other key"
    );
    assert!(
        !store
            .reseal(
                &account,
                &[9; 16],
                &KeyId::new("k1").expect("id"),
                fresh.clone()
            )
            .await
            .expect("r")
    );
    assert!(
        store
            .reseal(
                &account,
                &[1; 16],
                &KeyId::new("k1").expect("id"),
                fresh.clone()
            )
            .await
            .expect("r")
    );
    let sealed = store
        .load(&account)
        .await
        .expect("load")
        .authenticator
        .expect("active")
        .sealed;
    assert_eq!(sealed, fresh);
    assert!(
        !store
            .reseal(&account, &[1; 16], &KeyId::new("k1").expect("id"), fresh)
            .await
            .expect("r"),
        "once"
    );
}

/// Replay notices are claimed at most once per interval, even by 64
/// concurrent claimers.
pub async fn replay_notices_are_claimed_once_per_interval(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            store
                .claim_replay_notice(&account, t0(), Duration::HOUR)
                .await
                .expect("claim")
        });
    }
    assert_eq!(tasks.join_all().await.into_iter().filter(|c| *c).count(), 1);
    let later = t0() + Duration::minutes(59);
    assert!(
        !store
            .claim_replay_notice(&account, later, Duration::HOUR)
            .await
            .expect("claim")
    );
    let next = t0() + Duration::HOUR;
    assert!(
        store
            .claim_replay_notice(&account, next, Duration::HOUR)
            .await
            .expect("claim")
    );
}
