//! The [`OtpStore`] conformance cases (mailed codes). Each panics, saying
//! what broke, on failure. The last two drive the whole [`MailedCodes`]
//! service with 64 concurrent callers.

use std::sync::Arc;

use latchkey_core::{AccountId, EmailAddress, ManualClock, Pepper, RecordingMailer};
use latchkey_otp::{
    CodeRecord, FailureCount, IssueOutcome, MailedCodes, OtpStore, Purpose, SendReservation,
    VerifyOutcome,
};
use time::{Duration, OffsetDateTime};

use crate::{code_in_last_mail, count, fresh_account, race, t0, wrong_mailed_code};

/// When every record of these cases expires.
fn expiry() -> OffsetDateTime {
    t0() + Duration::minutes(10)
}

fn record(account: &AccountId, id: u8, max_attempts: u32) -> CodeRecord {
    CodeRecord {
        id: [id; 16],
        account: account.clone(),
        purpose: Purpose::SIGN_IN,
        digest: [id; 32],
        expires_at: expiry(),
        max_attempts,
        failed_attempts: 0,
    }
}

async fn put(store: &Arc<dyn OtpStore>, record: CodeRecord) {
    store.put(record).await.expect("OtpStore::put failed");
}

async fn get(
    store: &Arc<dyn OtpStore>,
    account: &AccountId,
    purpose: &Purpose,
) -> Option<CodeRecord> {
    store
        .get(account, purpose)
        .await
        .expect("OtpStore::get failed")
}

async fn fail(store: &Arc<dyn OtpStore>, account: &AccountId, id: u8) -> FailureCount {
    store
        .record_failure(account, &Purpose::SIGN_IN, &[id; 16])
        .await
        .expect("OtpStore::record_failure failed")
}

async fn consume(
    store: &Arc<dyn OtpStore>,
    account: &AccountId,
    id: u8,
    now: OffsetDateTime,
) -> bool {
    store
        .consume(account, &Purpose::SIGN_IN, &[id; 16], now)
        .await
        .expect("OtpStore::consume failed")
}

/// An account with no code reads as `Ok(None)`.
pub async fn get_unknown_is_none(store: Arc<dyn OtpStore>) {
    let got = get(&store, &fresh_account(), &Purpose::SIGN_IN).await;
    assert!(
        got.is_none(),
        "get of an account with no code must be Ok(None), got {got:?}"
    );
}

/// `put` stores a record whole, and a second `put` for the same account
/// and purpose replaces it; other purposes are separate.
pub async fn put_replaces_the_earlier_code(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    put(&store, record(&account, 1, 5)).await;
    assert_eq!(
        get(&store, &account, &Purpose::SIGN_IN).await,
        Some(record(&account, 1, 5)),
        "get after put must return the record whole"
    );
    put(&store, record(&account, 2, 5)).await;
    assert_eq!(
        get(&store, &account, &Purpose::SIGN_IN).await.map(|r| r.id),
        Some([2; 16]),
        "a second put for the same account and purpose must replace the first"
    );
    let other = get(&store, &account, &Purpose::VERIFY_ADDRESS).await;
    assert!(
        other.is_none(),
        "a put for one purpose must not create a record for another"
    );
}

/// `get` decides nothing: it still returns a record whose attempts are
/// spent (the service tells the user the code is used up).
pub async fn get_returns_a_spent_record(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    put(&store, record(&account, 1, 1)).await;
    assert_eq!(
        fail(&store, &account, 1).await,
        FailureCount::Counted { failed_attempts: 1 },
        "the one failure of a budget of 1 must be counted"
    );
    let spent = get(&store, &account, &Purpose::SIGN_IN)
        .await
        .expect("get must still return a record whose attempts are spent");
    assert_eq!(
        (spent.failed_attempts, spent.max_attempts),
        (1, 1),
        "get must return the spent record with its failures"
    );
    assert!(
        !consume(&store, &account, 1, t0()).await,
        "a spent record must not be consumed"
    );
    assert!(
        get(&store, &account, &Purpose::SIGN_IN).await.is_some(),
        "a refused consume must not delete the record"
    );
}

/// Failures count up to the budget, then report exhaustion; a stale id
/// counts nothing.
pub async fn failures_count_until_the_budget_is_spent(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    put(&store, record(&account, 1, 2)).await;
    assert_eq!(
        fail(&store, &account, 9).await,
        FailureCount::Gone,
        "a failure against another id must be Gone"
    );
    for n in 1..=2 {
        assert_eq!(
            fail(&store, &account, 1).await,
            FailureCount::Counted { failed_attempts: n },
            "failure {n} of a budget of 2 must be counted"
        );
    }
    assert_eq!(
        fail(&store, &account, 1).await,
        FailureCount::Exhausted,
        "a failure beyond the budget must be Exhausted, not counted"
    );
    assert_eq!(
        get(&store, &account, &Purpose::SIGN_IN)
            .await
            .map(|r| r.failed_attempts),
        Some(2),
        "an Exhausted failure must not raise the count"
    );
    assert!(
        !consume(&store, &account, 1, t0()).await,
        "an exhausted code must not be consumed"
    );
}

/// `consume` succeeds once, only for the current record, and only before
/// its expiry instant: at `expires_at` the code is dead.
pub async fn consume_succeeds_once_and_only_while_current(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    put(&store, record(&account, 1, 5)).await;
    put(&store, record(&account, 2, 5)).await;
    assert!(
        !consume(&store, &account, 1, t0()).await,
        "a replaced code must not be consumed"
    );
    assert!(
        !consume(&store, &account, 2, expiry()).await,
        "a code must be dead at its exact expiry instant"
    );
    let last_moment = expiry() - Duration::nanoseconds(1_000);
    assert!(
        consume(&store, &account, 2, last_moment).await,
        "a current code must be consumed just before its expiry"
    );
    assert!(
        !consume(&store, &account, 2, t0()).await,
        "a code must be consumed only once"
    );
    assert!(
        get(&store, &account, &Purpose::SIGN_IN).await.is_none(),
        "a consumed code must be deleted"
    );
}

/// `withdraw` removes only the named record; `void_all` removes every
/// code of one account and no other's.
pub async fn withdraw_and_void_all_remove_the_right_codes(store: Arc<dyn OtpStore>) {
    let (a, b) = (fresh_account(), fresh_account());
    let withdraw = |id: u8| {
        let (store, a) = (store.clone(), a.clone());
        async move {
            store
                .withdraw(&a, &Purpose::SIGN_IN, &[id; 16])
                .await
                .expect("OtpStore::withdraw failed");
        }
    };
    put(&store, record(&a, 1, 5)).await;
    withdraw(7).await;
    assert!(
        get(&store, &a, &Purpose::SIGN_IN).await.is_some(),
        "withdraw of another id must keep the current record"
    );
    withdraw(1).await;
    assert!(
        get(&store, &a, &Purpose::SIGN_IN).await.is_none(),
        "withdraw of the current id must delete it"
    );
    withdraw(1).await; // a missing record is fine

    put(&store, record(&a, 1, 5)).await;
    let mut address_code = record(&a, 2, 5);
    address_code.purpose = Purpose::VERIFY_ADDRESS;
    put(&store, address_code).await;
    put(&store, record(&b, 3, 5)).await;
    let voided = store.void_all(&a).await.expect("OtpStore::void_all failed");
    assert_eq!(
        voided, 2,
        "void_all must delete and count both of the account's codes"
    );
    assert!(
        get(&store, &a, &Purpose::VERIFY_ADDRESS).await.is_none(),
        "void_all must delete every purpose"
    );
    assert!(
        get(&store, &b, &Purpose::SIGN_IN).await.is_some(),
        "void_all must not touch another account's code"
    );
}

async fn reserve(
    store: &Arc<dyn OtpStore>,
    account: &AccountId,
    at: OffsetDateTime,
) -> SendReservation {
    store
        .reserve_send(account, at, Duration::seconds(60), 3)
        .await
        .expect("OtpStore::reserve_send failed")
}

/// Sends honour the cooldown (a send exactly at its end is allowed) and
/// the hourly cap; a released send (the mail failed) frees the cooldown
/// but still counts toward the cap.
pub async fn sends_honour_cooldown_cap_and_release(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    let at = |s: i64| t0() + Duration::seconds(s);
    assert_eq!(
        reserve(&store, &account, at(0)).await,
        SendReservation::Reserved,
        "first send"
    );
    assert_eq!(
        reserve(&store, &account, at(30)).await,
        SendReservation::CoolingDown { until: at(60) },
        "a send within the cooldown must be refused until its end"
    );
    store
        .release_send(&account, at(0))
        .await
        .expect("OtpStore::release_send failed");
    store
        .release_send(&account, at(1))
        .await
        .expect("OtpStore::release_send of an unknown send must be fine");
    assert_eq!(
        reserve(&store, &account, at(30)).await,
        SendReservation::Reserved,
        "a released send must not hold the cooldown"
    );
    assert_eq!(
        reserve(&store, &account, at(90)).await,
        SendReservation::Reserved,
        "a send exactly at the end of the cooldown must be allowed"
    );
    assert_eq!(
        reserve(&store, &account, at(150)).await,
        SendReservation::CapReached { until: at(3_600) },
        "a released send must still count toward the hourly cap"
    );
}

/// The hour of the cap is `(now - 1 h, now]`: a send exactly one hour old
/// no longer counts, so the cap's `until` is the instant a send is allowed.
pub async fn a_send_exactly_an_hour_old_no_longer_counts(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    let at = |s: i64| t0() + Duration::seconds(s);
    for s in [0, 60, 120] {
        assert_eq!(
            reserve(&store, &account, at(s)).await,
            SendReservation::Reserved,
            "send at {s} s"
        );
    }
    let just_before = at(3_600) - Duration::nanoseconds(1_000);
    assert_eq!(
        reserve(&store, &account, just_before).await,
        SendReservation::CapReached { until: at(3_600) },
        "a send just under an hour old must still count toward the cap"
    );
    assert_eq!(
        reserve(&store, &account, at(3_600)).await,
        SendReservation::Reserved,
        "a send exactly one hour old must no longer count toward the cap"
    );
    assert_eq!(
        reserve(&store, &account, at(3_660)).await,
        SendReservation::Reserved,
        "at 3660 s the send at 60 s is exactly an hour old and the cooldown of the one at 3600 s has just ended"
    );
}

/// 64 concurrent `consume` calls on one record: exactly one succeeds.
pub async fn concurrent_consumers_have_exactly_one_winner(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    put(&store, record(&account, 1, 5)).await;
    let wins = race(64, |_| {
        let (store, account) = (store.clone(), account.clone());
        async move { consume(&store, &account, 1, t0()).await }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 consumers must win"
    );
}

/// 64 concurrent failures against a budget of 5: exactly 5 are counted.
pub async fn concurrent_failures_never_exceed_the_budget(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    put(&store, record(&account, 1, 5)).await;
    let failures = race(64, |_| {
        let (store, account) = (store.clone(), account.clone());
        async move { fail(&store, &account, 1).await }
    })
    .await;
    let counted = count(&failures, |f| matches!(f, FailureCount::Counted { .. }));
    assert_eq!(
        counted, 5,
        "exactly the budget of 5 failures must be counted: {failures:?}"
    );
    let stored = get(&store, &account, &Purpose::SIGN_IN)
        .await
        .expect("get after failures must find the record");
    assert_eq!(
        stored.failed_attempts, 5,
        "the stored count must be the budget"
    );
}

fn service(store: Arc<dyn OtpStore>) -> (MailedCodes, Arc<RecordingMailer>) {
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(t0()));
    let pepper = Pepper::from_bytes(&[42; 32]).expect("32 bytes must make a pepper");
    (
        MailedCodes::new(store, mailer.clone(), clock, pepper),
        mailer,
    )
}

async fn issued(codes: &MailedCodes, mailer: &RecordingMailer, account: &AccountId) -> String {
    let address = EmailAddress::parse("race@example.com").expect("a valid test address");
    let sent = codes
        .issue(account, &address, &Purpose::SIGN_IN)
        .await
        .expect("MailedCodes::issue failed");
    assert!(
        matches!(sent, IssueOutcome::Sent { .. }),
        "a first issue must send: {sent:?}"
    );
    code_in_last_mail(mailer)
}

/// 64 concurrent verifications of the right mailed code through
/// [`MailedCodes`]: exactly one is `Verified`.
pub async fn sixty_four_verifiers_of_one_mailed_code_have_one_winner(store: Arc<dyn OtpStore>) {
    let (codes, mailer) = service(store);
    let account = fresh_account();
    let code = issued(&codes, &mailer, &account).await;
    let outcomes = race(64, |_| {
        let (codes, account, code) = (codes.clone(), account.clone(), code.clone());
        async move {
            codes
                .verify(&account, &Purpose::SIGN_IN, &code)
                .await
                .expect("MailedCodes::verify failed under concurrency")
        }
    })
    .await;
    let wins = count(&outcomes, |o| *o == VerifyOutcome::Verified);
    assert_eq!(
        wins, 1,
        "exactly one of 64 verifications must win: {outcomes:?}"
    );
}

/// 64 concurrent wrong guesses through [`MailedCodes`] against a budget of
/// 5: at most 5 are counted as wrong, and the right code no longer works.
pub async fn concurrent_wrong_guesses_never_exceed_the_budget(store: Arc<dyn OtpStore>) {
    let (codes, mailer) = service(store);
    let account = fresh_account();
    let code = issued(&codes, &mailer, &account).await;
    let wrong = wrong_mailed_code(&code);
    let outcomes = race(64, |_| {
        let (codes, account) = (codes.clone(), account.clone());
        async move {
            codes
                .verify(&account, &Purpose::SIGN_IN, wrong)
                .await
                .expect("MailedCodes::verify failed under concurrency")
        }
    })
    .await;
    let counted = count(&outcomes, |o| matches!(o, VerifyOutcome::Wrong { .. }));
    assert!(
        counted <= 5,
        "{counted} wrong guesses counted against a budget of 5"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, VerifyOutcome::Wrong { .. } | VerifyOutcome::Exhausted)),
        "a wrong guess must be Wrong or Exhausted: {outcomes:?}"
    );
    let after = codes
        .verify(&account, &Purpose::SIGN_IN, &code)
        .await
        .expect("MailedCodes::verify failed");
    assert_eq!(
        after,
        VerifyOutcome::Exhausted,
        "the budget is spent, even for the right code"
    );
}
