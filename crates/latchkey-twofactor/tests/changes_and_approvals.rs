//! Changes that need a fresh second factor and mail a notice (REQ-28),
//! a code that approves one write operation once, and settings out of
//! range.

mod common;

use common::Fixture;
use latchkey_core::{AccountId, Clock};
use latchkey_throttle::AttemptPolicy;
use latchkey_twofactor::{
    Action, ChangeOutcome, FactorOutcome, Mode, SecondFactor, TwoFactorSettings,
};
use time::Duration;

#[tokio::test]
async fn req_28_disabling_and_mode_changes_need_a_fresh_factor_and_mail() {
    let f = Fixture::new();
    let (app, codes) = f.enrol().await;
    assert!(
        f.tf.requires_code(&f.account, Action::SignIn)
            .await
            .unwrap()
    );
    assert!(!f.tf.requires_code(&f.account, Action::Write).await.unwrap());
    let stale = app.code_at(f.clock.now()).unwrap();
    let refused =
        f.tf.set_mode(
            &f.account,
            &f.address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&stale),
        )
        .await
        .unwrap();
    assert!(matches!(
        refused,
        ChangeOutcome::Refused(FactorOutcome::Replayed)
    ));
    assert_eq!(
        f.tf.mode(&f.account).await.unwrap(),
        Mode::AuthOnly,
        "nothing changed"
    );
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    let done =
        f.tf.set_mode(
            &f.account,
            &f.address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&code),
        )
        .await
        .unwrap();
    assert!(matches!(done, ChangeOutcome::Done(())));
    assert!(f.tf.requires_code(&f.account, Action::Write).await.unwrap());
    assert_eq!(
        f.mailer.last().unwrap().subject,
        "Your two-factor settings changed"
    );

    let code = codes.iter().next().unwrap().to_owned();
    let off =
        f.tf.disable(&f.account, &f.address, SecondFactor::RecoveryCode(&code))
            .await
            .unwrap();
    assert!(matches!(off, ChangeOutcome::Done(())));
    assert_eq!(f.tf.mode(&f.account).await.unwrap(), Mode::Off);
    assert!(
        !f.tf
            .requires_code(&f.account, Action::SignIn)
            .await
            .unwrap()
    );
    assert_eq!(
        f.mailer.last().unwrap().subject,
        "Two-factor authentication is off"
    );
}

#[tokio::test]
async fn a_code_approves_one_operation_once() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    let (tarball_a, tarball_b) = ([0xaa; 32], [0xbb; 32]);
    let approve = |code: latchkey_otp::OtpCode, op: [u8; 32]| {
        let tf = f.tf.clone();
        let (account, address) = (f.account.clone(), f.address.clone());
        async move {
            tf.approve_operation(&account, &address, SecondFactor::Totp(&code), &op)
                .await
                .unwrap()
        }
    };
    let ChangeOutcome::Done(approval) = approve(code.clone(), tarball_a).await else {
        panic!("refused")
    };
    let john = AccountId::new("john").unwrap();
    assert!(
        !f.tf
            .redeem_approval(&approval, &f.account, &tarball_b)
            .await
            .unwrap(),
        "another operation"
    );
    assert!(
        !f.tf
            .redeem_approval(&approval, &john, &tarball_a)
            .await
            .unwrap(),
        "another account"
    );
    assert!(
        f.tf.redeem_approval(&approval, &f.account, &tarball_a)
            .await
            .unwrap()
    );
    assert!(
        !f.tf
            .redeem_approval(&approval, &f.account, &tarball_a)
            .await
            .unwrap(),
        "once only"
    );
    let again = approve(code, tarball_b).await;
    assert!(
        matches!(again, ChangeOutcome::Refused(FactorOutcome::Replayed)),
        "the code cannot approve another write"
    );
    f.next_step();
    let ChangeOutcome::Done(late) = approve(app.code_at(f.clock.now()).unwrap(), tarball_b).await
    else {
        panic!("refused")
    };
    f.clock.advance(Duration::minutes(5));
    assert!(
        !f.tf
            .redeem_approval(&late, &f.account, &tarball_b)
            .await
            .unwrap(),
        "expired"
    );
}

#[tokio::test]
async fn settings_outside_their_ranges_are_refused() {
    let s = TwoFactorSettings::new("npm");
    assert!(s.clone().with_pending_ttl(Duration::ZERO).is_err());
    assert!(s.clone().with_pending_ttl(Duration::days(2)).is_err());
    assert!(s.clone().with_approval_ttl(Duration::seconds(-5)).is_err());
    assert!(s.clone().with_approval_ttl(Duration::hours(2)).is_err());
    let policy = AttemptPolicy {
        lock_after: 101,
        ..Default::default()
    };
    assert!(s.clone().with_attempt_policy(policy).is_err());
    assert!(s.with_pending_ttl(Duration::minutes(5)).is_ok());
}
