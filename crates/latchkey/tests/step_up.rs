//! Step-up: in auth-and-writes mode, one write approved by a fresh second
//! factor, on a challenge bound to its account and write.

mod common;

use common::{World, done, enable_two_factor};
use latchkey::core::{AccountId, Clock, EmailAddress};
use latchkey::twofactor::{ChangeOutcome, Mode, SecondFactor};
use latchkey::{Answer, StepUp, StepUpAnswer, Submitted};
use latchkey_testkit::wrong_totp_code;
use time::Duration;

#[tokio::test]
async fn step_up_approves_one_write_in_auth_and_writes_mode() {
    let w = World::new().await;
    let operation = [42u8; 32];
    assert!(matches!(
        w.flow.step_up(&w.jane, &operation).await.unwrap(),
        StepUp::NotRequired
    ));
    let (app, _) = w.enable_two_factor().await;
    // Auth-only (the default after enrolment) needs no code for writes.
    assert!(matches!(
        w.flow.step_up(&w.jane, &operation).await.unwrap(),
        StepUp::NotRequired
    ));
    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).unwrap();
    let address = EmailAddress::parse("jane@example.com").unwrap();
    let _ = w
        .flow
        .two_factor()
        .unwrap()
        .set_mode(
            &w.jane,
            &address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&code),
        )
        .await
        .unwrap();
    let StepUp::Challenge { challenge, .. } = w.flow.step_up(&w.jane, &operation).await.unwrap()
    else {
        panic!("writes need a code");
    };
    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).unwrap();
    // Only submit_step_up, for this account and operation, answers it.
    assert!(matches!(
        w.submit(&challenge, Answer::Totp(&code)).await,
        Submitted::Expired
    ));
    let joe = AccountId::new("2").unwrap();
    for (who, op) in [(&joe, &operation), (&w.jane, &[0u8; 32])] {
        assert!(matches!(
            w.flow
                .submit_step_up(&challenge, Answer::Totp(&code), &w.client(), who, op)
                .await
                .unwrap(),
            StepUpAnswer::Expired
        ));
    }
    // A sign-in challenge cannot approve a write.
    let sign_in = w.second_factor_challenge().await;
    assert!(matches!(
        w.flow
            .submit_step_up(
                &sign_in,
                Answer::Totp(&code),
                &w.client(),
                &w.jane,
                &operation
            )
            .await
            .unwrap(),
        StepUpAnswer::Expired
    ));
    // None of the misdirected answers counted on the challenge: its first
    // wrong answer leaves 4 of its 5 attempts.
    let wrong = wrong_totp_code(&app, w.clock.now());
    assert!(matches!(
        w.flow
            .submit_step_up(
                &challenge,
                Answer::Totp(&wrong),
                &w.client(),
                &w.jane,
                &operation
            )
            .await
            .unwrap(),
        StepUpAnswer::Wrong { attempts_left: 4 }
    ));
    let StepUpAnswer::Approved(approval) = w
        .flow
        .submit_step_up(
            &challenge,
            Answer::Totp(&code),
            &w.client(),
            &w.jane,
            &operation,
        )
        .await
        .unwrap()
    else {
        panic!("the code approves the write");
    };
    let tf = w.flow.two_factor().unwrap();
    assert!(
        !tf.redeem_approval(&approval, &w.jane, &[0; 32])
            .await
            .unwrap()
    );
    assert!(
        tf.redeem_approval(&approval, &w.jane, &operation)
            .await
            .unwrap()
    );
    assert!(
        !tf.redeem_approval(&approval, &w.jane, &operation)
            .await
            .unwrap()
    );
}

/// Hole 8: turning 2FA off and on again (a new authenticator) does not
/// forget which approvals were used, so a used one is not redeemed again.
#[tokio::test]
async fn hole8_a_used_write_approval_is_not_redeemed_again_after_two_factor_is_turned_off_and_on() {
    let w = World::new().await;
    let operation = [7u8; 32];
    let (app, _) = w.enable_two_factor().await;
    let auth = w.authentication().await;
    let address = EmailAddress::parse("jane@example.com").unwrap();
    let tf = w.flow.two_factor().unwrap();
    let next_code = || {
        w.clock.advance(Duration::seconds(30));
        app.code_at(w.clock.now()).unwrap()
    };
    let code = next_code();
    assert!(matches!(
        tf.set_mode(
            &w.jane,
            &address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&code)
        )
        .await
        .unwrap(),
        ChangeOutcome::Done(())
    ));
    let StepUp::Challenge { challenge, .. } = w.flow.step_up(&w.jane, &operation).await.unwrap()
    else {
        panic!("writes need a code");
    };
    let code = next_code();
    let StepUpAnswer::Approved(approval) = w
        .flow
        .submit_step_up(
            &challenge,
            Answer::Totp(&code),
            &w.client(),
            &w.jane,
            &operation,
        )
        .await
        .unwrap()
    else {
        panic!("the code approves the write");
    };
    assert!(
        tf.redeem_approval(&approval, &w.jane, &operation)
            .await
            .unwrap()
    );
    // Off, then on with a new authenticator, while the approval lives.
    let code = next_code();
    let (outcome, auth) = done(
        w.flow
            .disable_two_factor(&auth, SecondFactor::Totp(&code))
            .await
            .unwrap(),
    );
    assert!(matches!(outcome, ChangeOutcome::Done(())), "{outcome:?}");
    enable_two_factor(&w.f, &auth).await;
    assert!(w.clock.now() < approval.expires_at());
    assert!(
        !tf.redeem_approval(&approval, &w.jane, &operation)
            .await
            .unwrap(),
        "a used approval stays used"
    );
}
