//! Recovery codes: each works once and says how many remain (REQ-29,
//! REQ-30), they are stored as keyed digests only, and a new set, after a
//! fresh factor, voids the old one (REQ-28).

mod common;

use common::{Fixture, key};
use latchkey_core::{Clock, Pepper};
use latchkey_testkit::wrong_totp_code;
use latchkey_twofactor::{
    ChangeOutcome, FactorOutcome, SecondFactor, SecretSealer, TwoFactor, TwoFactorSettings,
    TwoFactorStore,
};

#[tokio::test]
async fn req_29_30_recovery_codes_work_once_show_what_remains_and_mail_a_notice() {
    let f = Fixture::new();
    let (_, codes) = f.enrol().await;
    let first = codes.iter().next().unwrap().to_owned();
    let typed = first.to_lowercase().replace('-', " ");
    assert_eq!(
        f.recovery(&typed).await,
        FactorOutcome::Accepted {
            recovery_codes_left: Some(9)
        }
    );
    assert_eq!(
        f.recovery(&first).await,
        FactorOutcome::Rejected,
        "used once"
    );
    assert_eq!(
        f.recovery("0000-0000-0000-0000").await,
        FactorOutcome::Rejected
    );
    let notice = f.mailer.last().unwrap();
    assert_eq!(notice.subject, "A recovery code was used");
    assert!(notice.text.contains("9 unused codes"));
}

#[tokio::test]
async fn req_29_recovery_codes_are_stored_as_keyed_digests_only() {
    let f = Fixture::new();
    let (_, codes) = f.enrol().await;
    let shown = format!(
        "{:?} {:?}",
        f.store,
        f.store.load(&f.account).await.unwrap()
    );
    for code in codes.iter() {
        assert!(!shown.contains(code) && !shown.contains(&code.replace('-', "")));
    }
    // Another pepper cannot use them.
    let other = TwoFactor::new(
        f.store.clone(),
        f.store.clone(),
        f.mailer.clone(),
        f.clock.clone(),
        SecretSealer::new(key("k1", 1)),
        &Pepper::from_bytes(&[8; 32]).unwrap(),
        TwoFactorSettings::new("npm"),
    );
    let code = codes.iter().next().unwrap().to_owned();
    let outcome = other
        .verify(&f.account, &f.address, SecondFactor::RecoveryCode(&code))
        .await
        .unwrap();
    assert_eq!(outcome, FactorOutcome::Rejected);
}

#[tokio::test]
async fn req_28_30_regenerating_needs_a_fresh_factor_voids_the_old_set_and_mails() {
    let f = Fixture::new();
    let (app, old) = f.enrol().await;
    let refused =
        f.tf.regenerate_recovery_codes(
            &f.account,
            &f.address,
            SecondFactor::Totp(&wrong_totp_code(&app, f.clock.now())),
        )
        .await
        .unwrap();
    assert!(matches!(refused, ChangeOutcome::Refused(_)));
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    let ChangeOutcome::Done(new) =
        f.tf.regenerate_recovery_codes(&f.account, &f.address, SecondFactor::Totp(&code))
            .await
            .unwrap()
    else {
        panic!("refused")
    };
    assert_eq!(new.len(), 10);
    assert_eq!(
        f.recovery(old.iter().next().unwrap()).await,
        FactorOutcome::Rejected,
        "old set void"
    );
    assert_eq!(f.mailer.last().unwrap().subject, "New recovery codes");
    assert!(f.recovery(new.iter().next().unwrap()).await.is_accepted());
}
