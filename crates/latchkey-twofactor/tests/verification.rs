//! Verifying a TOTP code: accepted at most once (REQ-23), wrong codes
//! rejected, attempts throttled then locked until unlocked (REQ-24),
//! drift learning, and replay notices at most once an hour.

mod common;

use std::sync::Arc;

use common::{Fixture, key};
use latchkey_core::{Clock, ManualClock};
use latchkey_otp::Totp;
use latchkey_store_memory::MemoryStore;
use latchkey_testkit::wrong_totp_code;
use latchkey_twofactor::{FactorOutcome, SecretSealer, TwoFactorSettings};
use time::Duration;

#[tokio::test]
async fn req_23_a_code_is_accepted_once_and_a_replay_mails_a_notice() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    // The confirming code's step is already used.
    let confirming = app.code_at(f.clock.now()).unwrap();
    assert_eq!(f.totp(&confirming).await, FactorOutcome::Replayed);
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&code).await.is_accepted());
    assert_eq!(f.totp(&code).await, FactorOutcome::Replayed);
    assert!(
        f.subjects()
            .contains(&"A used sign-in code was tried again".to_owned())
    );
}

#[tokio::test]
async fn req_23_an_earlier_step_is_refused_after_a_later_one() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    f.clock.advance(Duration::seconds(90));
    let now = app.step_at(f.clock.now()).unwrap();
    let earlier = app.code_for_step(now - 1);
    let later = app.code_for_step(now + 1);
    assert!(f.totp(&later).await.is_accepted());
    assert_eq!(f.totp(&earlier).await, FactorOutcome::Replayed);
}

#[tokio::test]
async fn wrong_codes_are_rejected_and_unenrolled_accounts_say_so() {
    let f = Fixture::new();
    assert_eq!(f.totp("123456").await, FactorOutcome::NotEnrolled);
    let (app, _) = f.enrol().await;
    f.next_step();
    let wrong = wrong_totp_code(&app, f.clock.now());
    assert_eq!(f.totp(&wrong).await, FactorOutcome::Rejected);
    assert_eq!(f.totp("not a code").await, FactorOutcome::Rejected);
}

#[tokio::test]
async fn req_24_wrong_second_factors_are_throttled_then_locked_and_a_success_clears_the_count() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    let wrong = |app: &Totp, clock: &ManualClock| wrong_totp_code(app, clock.now());
    for _ in 0..5 {
        assert_eq!(
            f.totp(&wrong(&app, &f.clock)).await,
            FactorOutcome::Rejected
        );
    }
    let throttled = f.totp(&wrong(&app, &f.clock)).await;
    assert_eq!(
        throttled,
        FactorOutcome::Throttled {
            retry_at: f.clock.now() + Duration::seconds(30)
        }
    );
    // Even the right code is not checked while throttled.
    f.next_step();
    f.clock.advance(Duration::seconds(-29));
    let right = app.code_at(f.clock.now()).unwrap();
    assert!(matches!(
        f.totp(&right).await,
        FactorOutcome::Throttled { .. }
    ));
    f.clock.advance(Duration::seconds(29));
    let right = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&right).await.is_accepted());
    // The count was cleared: five free attempts again.
    for _ in 0..5 {
        assert_eq!(
            f.totp(&wrong(&app, &f.clock)).await,
            FactorOutcome::Rejected
        );
    }
    // Recovery codes count too, and 100 failures lock.
    for _ in 0..200 {
        f.clock.advance(Duration::hours(2));
        if f.recovery("0000-0000-0000-0000").await == FactorOutcome::Locked {
            break;
        }
    }
    assert_eq!(
        f.recovery("0000-0000-0000-0000").await,
        FactorOutcome::Locked
    );
    f.clock.advance(Duration::days(30));
    f.next_step();
    let right = app.code_at(f.clock.now()).unwrap();
    assert_eq!(
        f.totp(&right).await,
        FactorOutcome::Locked,
        "locked until the host clears it"
    );
    f.tf.unlock(&f.account).await.unwrap();
    assert!(f.totp(&right).await.is_accepted());
}

#[tokio::test]
async fn drift_learning_follows_a_device_whose_clock_runs_behind() {
    let f = Fixture::with(
        SecretSealer::new(key("k1", 1)),
        TwoFactorSettings::new("npm").with_drift(true),
        Arc::new(MemoryStore::new()),
    );
    let (app, _) = f.enrol().await;
    f.clock.advance(Duration::seconds(300));
    let now = app.step_at(f.clock.now()).unwrap();
    // One step behind: inside the window; the offset is learnt.
    assert!(f.totp(&app.code_for_step(now - 1)).await.is_accepted());
    // Later the device is two steps behind: the window is centred on it.
    f.clock.advance(Duration::seconds(300));
    let now = app.step_at(f.clock.now()).unwrap();
    assert!(f.totp(&app.code_for_step(now - 2)).await.is_accepted());
    // The phone's clock is corrected: codes around the server's step still
    // work, and the drift follows.
    f.clock.advance(Duration::seconds(300));
    let now = app.step_at(f.clock.now()).unwrap();
    assert!(f.totp(&app.code_for_step(now)).await.is_accepted());

    let strict = Fixture::new();
    let (app, _) = strict.enrol().await;
    strict.clock.advance(Duration::seconds(300));
    let now = app.step_at(strict.clock.now()).unwrap();
    assert!(strict.totp(&app.code_for_step(now - 1)).await.is_accepted());
    strict.clock.advance(Duration::seconds(300));
    let now = app.step_at(strict.clock.now()).unwrap();
    let two_behind = app.code_for_step(now - 2);
    if (now - 1..=now + 1).all(|s| app.code_for_step(s) != two_behind) {
        assert_eq!(
            strict.totp(&two_behind).await,
            FactorOutcome::Rejected,
            "no drift: outside the window"
        );
    }
}

#[tokio::test]
async fn replay_notices_are_mailed_at_most_once_an_hour() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    let replay_notices = |f: &Fixture| {
        f.subjects()
            .iter()
            .filter(|s| s.as_str() == "A used sign-in code was tried again")
            .count()
    };
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&code).await.is_accepted());
    for _ in 0..3 {
        assert_eq!(f.totp(&code).await, FactorOutcome::Replayed);
    }
    assert_eq!(replay_notices(&f), 1, "three replays, one notice");
    f.clock.advance(Duration::hours(1));
    let code = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&code).await.is_accepted());
    assert_eq!(f.totp(&code).await, FactorOutcome::Replayed);
    assert_eq!(replay_notices(&f), 2, "a new hour, a new notice");
}
