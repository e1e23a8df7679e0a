//! The [`OtpStore`] conformance cases. Each panics on failure. The last
//! two drive the whole [`MailedCodes`] service with 64 concurrent callers.

use std::sync::Arc;

use latchkey_core::{AccountId, EmailAddress, ManualClock, Pepper, RecordingMailer};
use latchkey_otp::{
    CodeRecord, FailureCount, IssueOutcome, MailedCodes, OtpStore, Purpose, SendReservation,
    VerifyOutcome,
};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use crate::{code_in_last_mail, fresh_account};

/// A fixed instant well inside the range every backend stores.
fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

fn record(account: &AccountId, id: u8, max_attempts: u32) -> CodeRecord {
    CodeRecord {
        id: [id; 16],
        account: account.clone(),
        purpose: Purpose::SIGN_IN,
        digest: [id; 32],
        expires_at: t0() + Duration::minutes(10),
        max_attempts,
        failed_attempts: 0,
    }
}

/// An account with no code reads as `Ok(None)`.
pub async fn get_unknown_is_none(store: Arc<dyn OtpStore>) {
    let got = store
        .get(&fresh_account(), &Purpose::SIGN_IN)
        .await
        .expect("get");
    assert!(got.is_none());
}

/// `put` stores a record whole, and a second `put` for the same account
/// and purpose replaces it; other purposes are separate.
pub async fn put_replaces_the_earlier_code(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    store.put(record(&account, 1, 5)).await.expect("put");
    assert_eq!(
        store.get(&account, &Purpose::SIGN_IN).await.expect("get"),
        Some(record(&account, 1, 5))
    );
    store.put(record(&account, 2, 5)).await.expect("put");
    assert_eq!(
        store
            .get(&account, &Purpose::SIGN_IN)
            .await
            .expect("get")
            .map(|r| r.id),
        Some([2; 16])
    );
    let other = store
        .get(&account, &Purpose::VERIFY_ADDRESS)
        .await
        .expect("get");
    assert!(other.is_none(), "purposes are separate");
}

/// Failures count up to the budget, then report exhaustion; a stale id
/// counts nothing.
pub async fn failures_count_until_the_budget_is_spent(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    store.put(record(&account, 1, 2)).await.expect("put");
    let p = Purpose::SIGN_IN;
    assert_eq!(
        store
            .record_failure(&account, &p, &[9; 16])
            .await
            .expect("f"),
        FailureCount::Gone
    );
    assert_eq!(
        store
            .record_failure(&account, &p, &[1; 16])
            .await
            .expect("f"),
        FailureCount::Counted { failed_attempts: 1 }
    );
    assert_eq!(
        store
            .record_failure(&account, &p, &[1; 16])
            .await
            .expect("f"),
        FailureCount::Counted { failed_attempts: 2 }
    );
    assert_eq!(
        store
            .record_failure(&account, &p, &[1; 16])
            .await
            .expect("f"),
        FailureCount::Exhausted
    );
    assert!(
        !store
            .consume(&account, &p, &[1; 16], t0())
            .await
            .expect("consume"),
        "exhausted code"
    );
}

/// `consume` succeeds once, only for the current, unexpired record.
pub async fn consume_succeeds_once_and_only_while_current(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    let p = Purpose::SIGN_IN;
    store.put(record(&account, 1, 5)).await.expect("put");
    store.put(record(&account, 2, 5)).await.expect("put");
    assert!(
        !store
            .consume(&account, &p, &[1; 16], t0())
            .await
            .expect("c"),
        "replaced code"
    );
    let expiry = t0() + Duration::minutes(10);
    assert!(
        !store
            .consume(&account, &p, &[2; 16], expiry)
            .await
            .expect("c"),
        "expired code"
    );
    assert!(
        store
            .consume(&account, &p, &[2; 16], t0())
            .await
            .expect("c")
    );
    assert!(
        !store
            .consume(&account, &p, &[2; 16], t0())
            .await
            .expect("c"),
        "used twice"
    );
    assert!(store.get(&account, &p).await.expect("get").is_none());
}

/// `withdraw` removes only the named record; `void_all` removes every
/// code of one account and no other's.
pub async fn withdraw_and_void_all_remove_the_right_codes(store: Arc<dyn OtpStore>) {
    let (a, b) = (fresh_account(), fresh_account());
    store.put(record(&a, 1, 5)).await.expect("put");
    store
        .withdraw(&a, &Purpose::SIGN_IN, &[7; 16])
        .await
        .expect("withdraw");
    assert!(
        store
            .get(&a, &Purpose::SIGN_IN)
            .await
            .expect("get")
            .is_some(),
        "other id kept"
    );
    store
        .withdraw(&a, &Purpose::SIGN_IN, &[1; 16])
        .await
        .expect("withdraw");
    assert!(
        store
            .get(&a, &Purpose::SIGN_IN)
            .await
            .expect("get")
            .is_none()
    );

    store.put(record(&a, 1, 5)).await.expect("put");
    let mut address_code = record(&a, 2, 5);
    address_code.purpose = Purpose::VERIFY_ADDRESS;
    store.put(address_code).await.expect("put");
    store.put(record(&b, 3, 5)).await.expect("put");
    assert_eq!(store.void_all(&a).await.expect("void"), 2);
    assert!(
        store
            .get(&b, &Purpose::SIGN_IN)
            .await
            .expect("get")
            .is_some(),
        "b untouched"
    );
}

/// Sends honour the cooldown and the hourly cap; a released send (the mail
/// failed) frees the cooldown but still counts toward the cap.
pub async fn sends_honour_cooldown_cap_and_release(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    let (cooldown, cap) = (Duration::seconds(60), 3);
    let at = |s: i64| t0() + Duration::seconds(s);
    let reserve = |s: i64| {
        let (store, account) = (store.clone(), account.clone());
        async move {
            store
                .reserve_send(&account, at(s), cooldown, cap)
                .await
                .expect("reserve")
        }
    };
    assert_eq!(reserve(0).await, SendReservation::Reserved);
    assert_eq!(
        reserve(30).await,
        SendReservation::CoolingDown { until: at(60) }
    );
    store.release_send(&account, at(0)).await.expect("release");
    assert_eq!(
        reserve(30).await,
        SendReservation::Reserved,
        "cooldown released"
    );
    assert_eq!(reserve(90).await, SendReservation::Reserved);
    assert_eq!(
        reserve(150).await,
        SendReservation::CapReached { until: at(3_600) },
        "released send still counts"
    );
    assert_eq!(reserve(3_601).await, SendReservation::Reserved);
}

/// 64 concurrent `consume` calls on one record: exactly one succeeds.
pub async fn concurrent_consumers_have_exactly_one_winner(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    store.put(record(&account, 1, 5)).await.expect("put");
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            store
                .consume(&account, &Purpose::SIGN_IN, &[1; 16], t0())
                .await
                .expect("consume")
        });
    }
    let wins = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|won| *won)
        .count();
    assert_eq!(wins, 1, "exactly one consumer wins");
}

/// 64 concurrent failures against a budget of 5: exactly 5 are counted.
pub async fn concurrent_failures_never_exceed_the_budget(store: Arc<dyn OtpStore>) {
    let account = fresh_account();
    store.put(record(&account, 1, 5)).await.expect("put");
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            store
                .record_failure(&account, &Purpose::SIGN_IN, &[1; 16])
                .await
                .expect("failure")
        });
    }
    let counted = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|f| matches!(f, FailureCount::Counted { .. }))
        .count();
    assert_eq!(counted, 5);
    let stored = store
        .get(&account, &Purpose::SIGN_IN)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(stored.failed_attempts, 5);
}

fn service(store: Arc<dyn OtpStore>) -> (MailedCodes, Arc<RecordingMailer>) {
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(t0()));
    let pepper = Pepper::from_bytes(&[42; 32]).expect("pepper");
    (
        MailedCodes::new(store, mailer.clone(), clock, pepper),
        mailer,
    )
}

/// 64 concurrent verifications of the right mailed code through
/// [`MailedCodes`]: exactly one is `Verified`.
pub async fn sixty_four_verifiers_of_one_mailed_code_have_one_winner(store: Arc<dyn OtpStore>) {
    let (codes, mailer) = service(store);
    let account = fresh_account();
    let address = EmailAddress::parse("race@example.com").expect("address");
    let sent = codes
        .issue(&account, &address, &Purpose::SIGN_IN)
        .await
        .expect("issue");
    assert!(matches!(sent, IssueOutcome::Sent { .. }), "{sent:?}");
    let code = code_in_last_mail(&mailer);
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (codes, account, code) = (codes.clone(), account.clone(), code.clone());
        tasks.spawn(async move {
            codes
                .verify(&account, &Purpose::SIGN_IN, &code)
                .await
                .expect("verify")
        });
    }
    let outcomes = tasks.join_all().await;
    let wins = outcomes
        .iter()
        .filter(|o| **o == VerifyOutcome::Verified)
        .count();
    assert_eq!(wins, 1, "exactly one verification wins: {outcomes:?}");
}

/// 64 concurrent wrong guesses through [`MailedCodes`] against a budget of
/// 5: at most 5 are counted as wrong, and the right code no longer works.
pub async fn concurrent_wrong_guesses_never_exceed_the_budget(store: Arc<dyn OtpStore>) {
    let (codes, mailer) = service(store);
    let account = fresh_account();
    let address = EmailAddress::parse("guess@example.com").expect("address");
    let sent = codes
        .issue(&account, &address, &Purpose::SIGN_IN)
        .await
        .expect("issue");
    assert!(matches!(sent, IssueOutcome::Sent { .. }), "{sent:?}");
    let code = code_in_last_mail(&mailer);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (codes, account) = (codes.clone(), account.clone());
        tasks.spawn(async move {
            codes
                .verify(&account, &Purpose::SIGN_IN, wrong)
                .await
                .expect("verify")
        });
    }
    let outcomes = tasks.join_all().await;
    let counted = outcomes
        .iter()
        .filter(|o| matches!(o, VerifyOutcome::Wrong { .. }))
        .count();
    assert!(
        counted <= 5,
        "{counted} wrong guesses counted against a budget of 5"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, VerifyOutcome::Wrong { .. } | VerifyOutcome::Exhausted))
    );
    let after = codes
        .verify(&account, &Purpose::SIGN_IN, &code)
        .await
        .expect("verify");
    assert_eq!(
        after,
        VerifyOutcome::Exhausted,
        "the budget is spent, even for the right code"
    );
}
