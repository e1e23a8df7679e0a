//! Enrolling an authenticator app: a URI to scan, then a first code turns
//! 2FA on with ten recovery codes; a pending enrolment lapses.

mod common;

use common::Fixture;
use latchkey_core::{Clock, MessageKind};
use latchkey_testkit::wrong_totp_code;
use latchkey_twofactor::{ConfirmOutcome, Mode};
use time::Duration;

#[tokio::test]
async fn enrolment_gives_a_uri_then_a_first_code_turns_2fa_on_with_ten_recovery_codes() {
    let f = Fixture::new();
    let enrolment =
        f.tf.begin_enrolment(&f.account, "jane@example.com")
            .await
            .unwrap();
    assert!(
        enrolment
            .uri
            .to_string()
            .starts_with("otpauth://totp/npm:jane%40example.com?secret=")
    );
    assert_eq!(
        f.tf.mode(&f.account).await.unwrap(),
        Mode::Off,
        "pending is not active"
    );
    let app = enrolment.uri.totp().unwrap();
    let wrong =
        f.tf.confirm_enrolment(
            &f.account,
            &f.address,
            &wrong_totp_code(&app, f.clock.now()),
        )
        .await
        .unwrap();
    assert!(matches!(wrong, ConfirmOutcome::WrongCode));
    let code = app.code_at(f.clock.now()).unwrap();
    let ConfirmOutcome::Enabled { recovery_codes } =
        f.tf.confirm_enrolment(&f.account, &f.address, &code)
            .await
            .unwrap()
    else {
        panic!("not enabled")
    };
    assert_eq!(recovery_codes.len(), 10);
    assert_eq!(f.tf.mode(&f.account).await.unwrap(), Mode::AuthOnly);
    assert_eq!(f.tf.recovery_codes_left(&f.account).await.unwrap(), 10);
    assert_eq!(f.subjects(), vec!["Two-factor authentication is on"]);
    assert_eq!(f.mailer.last().unwrap().kind, MessageKind::SecurityNotice);
    assert!(matches!(
        f.tf.confirm_enrolment(&f.account, &f.address, &code)
            .await
            .unwrap(),
        ConfirmOutcome::AlreadyEnabled
    ));
}

#[tokio::test]
async fn pending_enrolments_expire_after_fifteen_minutes() {
    let f = Fixture::new();
    let enrolment = f.tf.begin_enrolment(&f.account, "jane").await.unwrap();
    f.clock.advance(Duration::minutes(15));
    let code = enrolment
        .uri
        .totp()
        .unwrap()
        .code_at(f.clock.now())
        .unwrap();
    assert!(matches!(
        f.tf.confirm_enrolment(&f.account, &f.address, &code)
            .await
            .unwrap(),
        ConfirmOutcome::Expired
    ));
    assert!(matches!(
        Fixture::new()
            .tf
            .confirm_enrolment(&f.account, &f.address, "123456")
            .await
            .unwrap(),
        ConfirmOutcome::NoPending
    ));
}
