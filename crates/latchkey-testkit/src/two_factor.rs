//! The [`TwoFactorStore`] conformance cases. Each panics, saying what
//! broke, on failure.

use std::sync::Arc;

use latchkey_core::{AccountId, KeyId};
use latchkey_otp::Algorithm;
use latchkey_twofactor::{
    Mode, PendingEnrolment, RecoveryDigest, SealedSecret, TwoFactorState, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};

use crate::{count, fresh_account, race, t0};

fn key_id(name: &str) -> KeyId {
    KeyId::new(name).expect("a short name must be a valid key id")
}

fn pending(id: u8) -> PendingEnrolment {
    PendingEnrolment {
        id: [id; 16],
        sealed: SealedSecret {
            key_id: key_id("k1"),
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

async fn load(store: &Arc<dyn TwoFactorStore>, account: &AccountId) -> TwoFactorState {
    store
        .load(account)
        .await
        .expect("TwoFactorStore::load failed")
}

async fn put_pending(store: &Arc<dyn TwoFactorStore>, account: &AccountId, id: u8) {
    store
        .put_pending(account, pending(id))
        .await
        .expect("TwoFactorStore::put_pending failed");
}

async fn activate(
    store: &Arc<dyn TwoFactorStore>,
    account: &AccountId,
    id: u8,
    now: OffsetDateTime,
) -> bool {
    store
        .activate(account, &[id; 16], now, 100, digests(10), Mode::AuthOnly)
        .await
        .expect("TwoFactorStore::activate failed")
}

/// Enrols authenticator `id` on `account`: pending `id`, activated at step 100.
async fn enrol(store: &Arc<dyn TwoFactorStore>, account: &AccountId, id: u8) {
    put_pending(store, account, id).await;
    assert!(
        activate(store, account, id, t0()).await,
        "activating the current, unexpired pending enrolment must succeed"
    );
}

/// A fresh account with authenticator `1` enrolled.
async fn enrolled(store: &Arc<dyn TwoFactorStore>) -> AccountId {
    let account = fresh_account();
    enrol(store, &account, 1).await;
    account
}

async fn use_code(store: &Arc<dyn TwoFactorStore>, account: &AccountId, digest: u8) -> Option<u32> {
    store
        .use_recovery_code(account, &[digest; 32])
        .await
        .expect("TwoFactorStore::use_recovery_code failed")
}

async fn approve(store: &Arc<dyn TwoFactorStore>, account: &AccountId, id: u8) -> bool {
    store
        .consume_approval(account, &[id; 16], t0() + Duration::minutes(5))
        .await
        .expect("TwoFactorStore::consume_approval failed")
}

/// An unknown account reads as the default state: off, nothing stored.
pub async fn unknown_account_is_off_and_empty(store: Arc<dyn TwoFactorStore>) {
    let state = load(&store, &fresh_account()).await;
    assert_eq!(
        state,
        TwoFactorState::default(),
        "an unknown account must load as the default state"
    );
    assert_eq!(state.mode, Mode::Off, "the default state must be Off");
}

/// Activation needs the current pending id, unexpired (at its exact
/// expiry it is dead), happens once, and stores the authenticator, the
/// used step, the codes and the mode.
pub async fn activation_is_once_and_only_for_the_current_pending(store: Arc<dyn TwoFactorStore>) {
    let account = fresh_account();
    put_pending(&store, &account, 1).await;
    put_pending(&store, &account, 2).await;
    assert!(
        !activate(&store, &account, 1, t0()).await,
        "a replaced pending enrolment must not activate"
    );
    assert!(
        !activate(&store, &account, 2, pending(2).expires_at).await,
        "a pending enrolment must be dead at its exact expiry instant"
    );
    let state = load(&store, &account).await;
    assert_eq!(
        state.pending,
        Some(pending(2)),
        "refused activations must leave the pending enrolment"
    );
    assert!(
        activate(&store, &account, 2, t0()).await,
        "the current pending enrolment must activate"
    );
    let state = load(&store, &account).await;
    let authenticator = state
        .authenticator
        .expect("load after activate must show the authenticator");
    assert_eq!(
        (authenticator.id, authenticator.last_used_step),
        ([2; 16], 100),
        "activate must keep the pending id and record the confirmed step as used"
    );
    assert_eq!(
        authenticator.sealed,
        pending(2).sealed,
        "activate must keep the sealed secret"
    );
    assert_eq!(
        (state.mode, state.recovery_codes_left),
        (Mode::AuthOnly, 10),
        "activate must set the mode and the recovery codes"
    );
    assert!(
        state.pending.is_none(),
        "activate must consume the pending enrolment"
    );
    put_pending(&store, &account, 3).await;
    assert!(
        !activate(&store, &account, 3, t0()).await,
        "an account with an active authenticator must not activate another"
    );
}

/// Steps only move forward: the same or an earlier step is refused.
pub async fn steps_only_advance(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let advance = |id: u8, step: u64, drift: i32| {
        let (store, account) = (store.clone(), account.clone());
        async move {
            store
                .advance_step(&account, &[id; 16], step, drift)
                .await
                .expect("TwoFactorStore::advance_step failed")
        }
    };
    assert!(
        !advance(1, 100, 0).await,
        "the step confirmed at activation must be refused (replay)"
    );
    assert!(!advance(1, 99, 0).await, "an earlier step must be refused");
    assert!(
        !advance(9, 101, 0).await,
        "another authenticator's id must be refused"
    );
    assert!(advance(1, 101, -1).await, "a later step must be accepted");
    let a = load(&store, &account)
        .await
        .authenticator
        .expect("an enrolled account must keep its authenticator");
    assert_eq!(
        (a.last_used_step, a.drift),
        (101, -1),
        "advance_step must store the step and the drift"
    );
}

/// 64 concurrent submitters of one TOTP step: exactly one wins.
pub async fn sixty_four_submitters_of_one_step_have_one_winner(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let wins = race(64, |_| {
        let (store, account) = (store.clone(), account.clone());
        async move {
            store
                .advance_step(&account, &[1; 16], 101, 0)
                .await
                .expect("TwoFactorStore::advance_step failed under concurrency")
        }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 submitters of one step must win"
    );
}

/// Recovery codes work once each and the count goes down; a new set voids
/// the old one.
pub async fn recovery_codes_work_once_and_regeneration_voids_the_old_set(
    store: Arc<dyn TwoFactorStore>,
) {
    let account = enrolled(&store).await;
    assert_eq!(
        use_code(&store, &account, 3).await,
        Some(9),
        "a fresh code must work, leaving 9"
    );
    assert_eq!(
        use_code(&store, &account, 3).await,
        None,
        "a used code must not work again"
    );
    assert_eq!(
        use_code(&store, &account, 99).await,
        None,
        "an unknown code must not work"
    );
    store
        .replace_recovery_codes(&account, vec![[50; 32], [51; 32]])
        .await
        .expect("TwoFactorStore::replace_recovery_codes failed");
    assert_eq!(
        use_code(&store, &account, 4).await,
        None,
        "a new set must void the old one"
    );
    assert_eq!(
        load(&store, &account).await.recovery_codes_left,
        2,
        "load must count the new set"
    );
    assert_eq!(
        use_code(&store, &account, 50).await,
        Some(1),
        "a code of the new set must work"
    );
}

/// 64 concurrent uses of one recovery code: exactly one wins.
pub async fn sixty_four_users_of_one_recovery_code_have_one_winner(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let uses = race(64, |_| {
        let (store, account) = (store.clone(), account.clone());
        async move { use_code(&store, &account, 5).await }
    })
    .await;
    let wins: Vec<u32> = uses.into_iter().flatten().collect();
    assert_eq!(
        wins,
        vec![9],
        "exactly one of 64 uses of one code must win, leaving 9"
    );
}

async fn enable_without_app(
    store: &Arc<dyn TwoFactorStore>,
    account: &AccountId,
    mode: Mode,
) -> bool {
    store
        .enable_without_app(account, digests(10), mode)
        .await
        .expect("TwoFactorStore::enable_without_app failed")
}

/// A first security key turns 2FA on without an app: once (a second call
/// changes nothing), with recovery codes that work; the mode can then be
/// changed; `disable` turns it off and a later first key turns it on
/// again.
pub async fn two_factor_without_an_app_turns_on_once_and_off_with_disable(
    store: Arc<dyn TwoFactorStore>,
) {
    let account = fresh_account();
    assert!(
        enable_without_app(&store, &account, Mode::AuthOnly).await,
        "enable_without_app on an account with 2FA off must turn it on"
    );
    let state = load(&store, &account).await;
    assert_eq!(
        state.mode,
        Mode::AuthOnly,
        "enable_without_app must store the mode"
    );
    assert!(state.authenticator.is_none(), "no app was added");
    assert_eq!(
        state.recovery_codes_left, 10,
        "its recovery codes must be stored"
    );
    assert!(
        !enable_without_app(&store, &account, Mode::AuthAndWrites).await,
        "enable_without_app with 2FA already on must be refused"
    );
    assert_eq!(
        load(&store, &account).await.mode,
        Mode::AuthOnly,
        "a refused enable_without_app must change nothing"
    );
    assert_eq!(
        use_code(&store, &account, 3).await,
        Some(9),
        "its recovery codes must work"
    );
    assert!(
        store
            .set_mode(&account, Mode::AuthAndWrites)
            .await
            .expect("TwoFactorStore::set_mode failed"),
        "set_mode must work on 2FA without an app"
    );
    assert_eq!(load(&store, &account).await.mode, Mode::AuthAndWrites);
    store
        .disable(&account)
        .await
        .expect("TwoFactorStore::disable failed");
    let state = load(&store, &account).await;
    assert_eq!(
        state.mode,
        Mode::Off,
        "disable must turn 2FA without an app off"
    );
    assert_eq!(
        state.recovery_codes_left, 0,
        "disable must remove its recovery codes"
    );
    assert!(
        enable_without_app(&store, &account, Mode::AuthOnly).await,
        "after disable, a first key must turn 2FA on again"
    );
}

/// Of 64 concurrent first keys on one account, exactly one turns 2FA on.
pub async fn sixty_four_first_security_keys_turn_two_factor_on_once(
    store: Arc<dyn TwoFactorStore>,
) {
    let account = fresh_account();
    let wins = race(64, |_| {
        let (store, account) = (store.clone(), account.clone());
        async move { enable_without_app(&store, &account, Mode::AuthOnly).await }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 first keys must turn 2FA on"
    );
}

/// An account with an app has 2FA on: a first key changes nothing. An app
/// activated on an account whose 2FA is on without one takes the mode it
/// is given, and `load` and `set_mode` see one mode.
pub async fn an_app_added_beside_security_keys_takes_over_the_mode(store: Arc<dyn TwoFactorStore>) {
    let with_app = enrolled(&store).await;
    assert!(
        !enable_without_app(&store, &with_app, Mode::AuthAndWrites).await,
        "with an app, 2FA is on: enable_without_app must be refused"
    );
    assert_eq!(load(&store, &with_app).await.mode, Mode::AuthOnly);

    let account = fresh_account();
    assert!(enable_without_app(&store, &account, Mode::AuthAndWrites).await);
    put_pending(&store, &account, 4).await;
    assert!(
        store
            .activate(
                &account,
                &[4; 16],
                t0(),
                100,
                digests(10),
                Mode::AuthAndWrites
            )
            .await
            .expect("TwoFactorStore::activate failed"),
        "an app must be activated beside 2FA without one"
    );
    let state = load(&store, &account).await;
    assert!(state.authenticator.is_some(), "the app must be active");
    assert_eq!(
        state.mode,
        Mode::AuthAndWrites,
        "the mode must survive the app's activation"
    );
    assert!(
        store
            .set_mode(&account, Mode::AuthOnly)
            .await
            .expect("TwoFactorStore::set_mode failed")
    );
    assert_eq!(
        load(&store, &account).await.mode,
        Mode::AuthOnly,
        "one mode, changed once"
    );
    store
        .disable(&account)
        .await
        .expect("TwoFactorStore::disable failed");
    assert_eq!(
        load(&store, &account).await.mode,
        Mode::Off,
        "disable turns both off"
    );
}

/// The mode changes only with an authenticator; disabling clears the
/// authenticator, the pending enrolment, the codes and the mode.
pub async fn mode_needs_an_authenticator_and_disable_clears_everything(
    store: Arc<dyn TwoFactorStore>,
) {
    let set_mode = |account: AccountId| {
        let store = store.clone();
        async move {
            store
                .set_mode(&account, Mode::AuthAndWrites)
                .await
                .expect("TwoFactorStore::set_mode failed")
        }
    };
    assert!(
        !set_mode(fresh_account()).await,
        "set_mode without an authenticator must be refused"
    );
    let account = enrolled(&store).await;
    assert!(
        set_mode(account.clone()).await,
        "set_mode with an authenticator must succeed"
    );
    assert_eq!(
        load(&store, &account).await.mode,
        Mode::AuthAndWrites,
        "set_mode must store the mode"
    );
    put_pending(&store, &account, 2).await;
    store
        .disable(&account)
        .await
        .expect("TwoFactorStore::disable failed");
    let state = load(&store, &account).await;
    assert_eq!(state.mode, Mode::Off, "disable must set the mode to Off");
    assert!(
        state.authenticator.is_none(),
        "disable must remove the authenticator"
    );
    assert!(
        state.pending.is_none(),
        "disable must remove the pending enrolment"
    );
    assert_eq!(
        state.recovery_codes_left, 0,
        "disable must remove the recovery codes"
    );
    assert_eq!(
        use_code(&store, &account, 1).await,
        None,
        "a recovery code must not work after disable"
    );
    store
        .disable(&fresh_account())
        .await
        .expect("disable of an unknown account must be fine");
}

/// An approval is consumed once, even by 64 concurrent redeemers; another
/// id is separate.
pub async fn an_approval_is_consumed_once(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let wins = race(64, |_| {
        let (store, account) = (store.clone(), account.clone());
        async move { approve(&store, &account, 7).await }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 redeemers of one approval must win"
    );
    assert!(
        approve(&store, &account, 8).await,
        "another approval id must be fresh"
    );
    assert!(
        !approve(&store, &account, 7).await,
        "a used approval must stay used"
    );
}

/// Hole 8: used approvals live apart from the 2FA state. An approval
/// redeemed before 2FA is disabled and another authenticator activated is
/// still used afterwards.
pub async fn a_used_approval_stays_used_across_disable_and_reactivation(
    store: Arc<dyn TwoFactorStore>,
) {
    let account = enrolled(&store).await;
    assert!(
        approve(&store, &account, 7).await,
        "a fresh approval must be consumed"
    );
    store
        .disable(&account)
        .await
        .expect("TwoFactorStore::disable failed");
    assert!(
        !approve(&store, &account, 7).await,
        "a used approval must stay used after disable"
    );
    enrol(&store, &account, 2).await;
    assert!(
        !approve(&store, &account, 7).await,
        "a used approval must stay used after disable and a new activation"
    );
    assert!(
        approve(&store, &account, 8).await,
        "a fresh approval must still be consumed"
    );
}

/// Re-sealing (key rotation) is a compare-and-set on the key id.
pub async fn reseal_is_compare_and_set_on_the_key_id(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let mut fresh = pending(1).sealed;
    fresh.key_id = key_id("k2");
    fresh.ciphertext = vec![42; 36];
    let reseal = |id: u8, expected: &'static str| {
        let (store, account, fresh) = (store.clone(), account.clone(), fresh.clone());
        async move {
            store
                .reseal(&account, &[id; 16], &key_id(expected), fresh)
                .await
                .expect("TwoFactorStore::reseal failed")
        }
    };
    assert!(
        !reseal(1, "k0").await,
        "reseal must refuse a key id other than the stored one"
    );
    assert!(
        !reseal(9, "k1").await,
        "reseal must refuse another authenticator's id"
    );
    assert!(
        reseal(1, "k1").await,
        "reseal under the stored key id must succeed"
    );
    let sealed = load(&store, &account)
        .await
        .authenticator
        .expect("an enrolled account must keep its authenticator")
        .sealed;
    assert_eq!(sealed, fresh, "reseal must store the new sealed secret");
    assert!(
        !reseal(1, "k1").await,
        "the old key id is stale after a reseal"
    );
}

/// Replay notices are claimed at most once per interval, even by 64
/// concurrent claimers; a claim exactly one interval later is allowed.
pub async fn replay_notices_are_claimed_once_per_interval(store: Arc<dyn TwoFactorStore>) {
    let account = enrolled(&store).await;
    let claim = |at: OffsetDateTime| {
        let (store, account) = (store.clone(), account.clone());
        async move {
            store
                .claim_replay_notice(&account, at, Duration::HOUR)
                .await
                .expect("TwoFactorStore::claim_replay_notice failed")
        }
    };
    let claims = race(64, |_| claim(t0())).await;
    assert_eq!(
        count(&claims, |c| *c),
        1,
        "exactly one of 64 claimers must win"
    );
    assert!(
        !claim(t0() + Duration::minutes(59)).await,
        "a claim within the interval must be refused"
    );
    assert!(
        claim(t0() + Duration::HOUR).await,
        "a claim exactly one interval after the last must be allowed"
    );
}
