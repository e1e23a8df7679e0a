//! The security stamp (REQ-48, REQ-49): a password change, 2FA turned on
//! or off, new recovery codes and an email change each give the account a
//! new stamp, which forgets every remembered device, ends every other
//! session (while this one goes on, renewed) and every challenge opened
//! before it (hole 5). On the memory store, SQLite and PostgreSQL.

#[macro_use]
mod common;

use common::{PAST_COOLDOWN, World, done, enable_two_factor};
use latchkey::core::{Clock, EmailAddress, SecretString};
use latchkey::testing::PASSWORD;
use latchkey::twofactor::{ChangeOutcome, FactorChange, SecondFactor};
use latchkey::{
    Answer, Authentication, ClientContext, EmailChanged, PasswordChanged, Reauthenticate,
    Reauthenticated, Resent, SecurityEvent, SignInStep, StampReason, Submitted,
};
use latchkey_testkit::code_in_last_mail;
use time::Duration;

const NEW_PASSWORD: &str = "orange kettle drum";
const NEW_ADDRESS: &str = "jane.new@example.org";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Password,
    TwoFactorOn,
    TwoFactorOff,
    RecoveryCodes,
    Email,
}

impl Change {
    fn reason(self) -> StampReason {
        match self {
            Self::Password => StampReason::PasswordChanged,
            Self::TwoFactorOn => StampReason::FactorChanged(FactorChange::Enabled),
            Self::TwoFactorOff => StampReason::FactorChanged(FactorChange::Disabled),
            Self::RecoveryCodes => StampReason::FactorChanged(FactorChange::RecoveryCodesReplaced),
            Self::Email => StampReason::EmailChanged,
        }
    }

    /// Whether 2FA is on before the change.
    fn needs_two_factor(self) -> bool {
        matches!(self, Self::TwoFactorOff | Self::RecoveryCodes)
    }

    /// Whether 2FA is on after it.
    fn leaves_two_factor(self) -> bool {
        matches!(self, Self::TwoFactorOn | Self::RecoveryCodes)
    }
}

/// Makes `change` through the flow with `auth`; returns the renewed
/// authentication.
async fn make(w: &World, change: Change, auth: &Authentication) -> Authentication {
    let next_code = || {
        w.clock.advance(Duration::seconds(30));
        let app = w.app().expect("2FA is on");
        app.code_at(w.clock.now()).unwrap().to_string()
    };
    match change {
        Change::Password => {
            let (outcome, renewed) = done(
                w.flow
                    .change_password(
                        auth,
                        &w.login,
                        &SecretString::from(PASSWORD),
                        &SecretString::from(NEW_PASSWORD),
                    )
                    .await
                    .unwrap(),
            );
            assert_eq!(outcome, PasswordChanged::Changed);
            renewed
        }
        Change::TwoFactorOn => enable_two_factor(&w.f, auth).await.2,
        Change::TwoFactorOff => {
            let code = next_code();
            let (outcome, renewed) = done(
                w.flow
                    .disable_two_factor(auth, SecondFactor::Totp(&code))
                    .await
                    .unwrap(),
            );
            assert!(matches!(outcome, ChangeOutcome::Done(())), "{outcome:?}");
            w.forget_app();
            renewed
        }
        Change::RecoveryCodes => {
            let code = next_code();
            let (outcome, renewed) = done(
                w.flow
                    .regenerate_recovery_codes(auth, SecondFactor::Totp(&code))
                    .await
                    .unwrap(),
            );
            assert!(matches!(outcome, ChangeOutcome::Done(_)), "{outcome:?}");
            renewed
        }
        Change::Email => {
            let (outcome, renewed) = done(w.flow.change_email(auth, NEW_ADDRESS).await.unwrap());
            assert!(
                matches!(outcome, EmailChanged::Changed { .. }),
                "{outcome:?}"
            );
            renewed
        }
    }
}

/// Two browsers signed in and remembered; `change` made from the laptop:
/// both devices are forgotten, the phone's session ends, the laptop's goes
/// on renewed, and the event says so.
async fn a_change_ends_devices_and_other_sessions(w: World, change: Change) {
    if change.needs_two_factor() {
        w.enable_two_factor().await;
    }
    let laptop = w
        .sign_in_from(&w.client().with_device_label("laptop"))
        .await;
    let phone_ctx = ClientContext::new().with_client("198.51.100.9");
    let phone = w.sign_in_from(&phone_ctx).await;
    let phone_token = phone.device_token.clone().unwrap();
    assert_eq!(w.flow.devices(&w.jane).await.unwrap().len(), 2);
    let _ = w.events.take();

    let renewed = make(&w, change, &laptop.authentication).await;

    // This session goes on, renewed; the other, and the old one, end.
    assert!(w.flow.is_current(&renewed).await.unwrap(), "{change:?}");
    assert_eq!(renewed.account(), &w.jane);
    assert_ne!(renewed.stamp(), laptop.authentication.stamp());
    for ended in [&laptop.authentication, &phone.authentication] {
        assert!(!w.flow.is_current(ended).await.unwrap(), "{change:?}");
    }
    assert!(matches!(
        w.flow
            .reauthenticate(
                &phone.authentication,
                Reauthenticate::Password {
                    login: &w.login,
                    password: if change == Change::Password {
                        NEW_PASSWORD
                    } else {
                        PASSWORD
                    },
                },
            )
            .await
            .unwrap(),
        Reauthenticated::Ended
    ));
    // One stamp change, reported with the devices it forgot.
    let stamps: Vec<SecurityEvent> = w
        .events
        .events()
        .into_iter()
        .filter(|e| matches!(e, SecurityEvent::StampChanged { .. }))
        .collect();
    assert_eq!(
        stamps,
        vec![SecurityEvent::StampChanged {
            account: w.jane.clone(),
            reason: change.reason(),
            devices_revoked: 2,
        }]
    );
    assert!(w.flow.devices(&w.jane).await.unwrap().is_empty());
    // The phone's next sign-in is asked for a code again.
    w.clock.advance(PAST_COOLDOWN);
    let password = if change == Change::Password {
        NEW_PASSWORD
    } else {
        PASSWORD
    };
    let step = w
        .flow
        .start(
            &w.login,
            password,
            &phone_ctx.with_device_token(phone_token),
        )
        .await
        .unwrap();
    if change.leaves_two_factor() {
        assert!(
            matches!(step, SignInStep::SecondFactorRequired { .. }),
            "{change:?}: {step:?}"
        );
    } else {
        assert!(
            matches!(step, SignInStep::MailedCodeSent { .. }),
            "{change:?}: {step:?}"
        );
        let to = if change == Change::Email {
            NEW_ADDRESS.to_owned()
        } else {
            format!("{}@example.com", w.login)
        };
        assert_eq!(w.mailer.last().unwrap().to.as_str(), to);
    }
}

async fn req48_49_a_password_change_ends_devices_and_other_sessions(w: World) {
    a_change_ends_devices_and_other_sessions(w, Change::Password).await;
}

async fn req48_49_enabling_two_factor_ends_devices_and_other_sessions(w: World) {
    a_change_ends_devices_and_other_sessions(w, Change::TwoFactorOn).await;
}

async fn req48_49_disabling_two_factor_ends_devices_and_other_sessions(w: World) {
    a_change_ends_devices_and_other_sessions(w, Change::TwoFactorOff).await;
}

async fn req48_49_new_recovery_codes_end_devices_and_other_sessions(w: World) {
    a_change_ends_devices_and_other_sessions(w, Change::RecoveryCodes).await;
}

async fn req48_49_an_email_change_ends_devices_and_other_sessions(w: World) {
    a_change_ends_devices_and_other_sessions(w, Change::Email).await;
}

/// Hole 5: a sign-in that got as far as the mailed code before 2FA was
/// turned on cannot finish with the mailed code alone.
async fn hole5_a_mailed_code_challenge_opened_before_two_factor_was_enabled_is_expired(w: World) {
    let auth = w.authentication().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    enable_two_factor(&w.f, &auth).await;
    let _ = w.events.take();
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
    w.clock.advance(PAST_COOLDOWN);
    assert_eq!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::Expired
    );
    assert!(
        !w.events
            .events()
            .iter()
            .any(|e| matches!(e, SecurityEvent::SignedIn { .. })),
        "nobody signed in"
    );
    // A new sign-in is asked for the second factor.
    w.second_factor_challenge().await;
}

/// Hole 5: a challenge opened with the old password (by someone who knew
/// it, say) dies with the password change, and cannot mail a new code.
async fn hole5_a_challenge_opened_before_a_password_change_is_expired_and_not_resent(w: World) {
    let auth = w.authentication().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let (outcome, _) = done(
        w.flow
            .change_password(
                &auth,
                &w.login,
                &SecretString::from(PASSWORD),
                &SecretString::from(NEW_PASSWORD),
            )
            .await
            .unwrap(),
    );
    assert_eq!(outcome, PasswordChanged::Changed);
    // Past the cooldown a resend would mail; on this challenge it does not.
    w.clock.advance(PAST_COOLDOWN);
    let mails = w.mailer.messages().len();
    assert_eq!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::Expired
    );
    assert_eq!(w.mailer.messages().len(), mails, "no code is mailed");
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
}

on_every_store!(
    req48_49_a_password_change_ends_devices_and_other_sessions,
    req48_49_enabling_two_factor_ends_devices_and_other_sessions,
    req48_49_disabling_two_factor_ends_devices_and_other_sessions,
    req48_49_new_recovery_codes_end_devices_and_other_sessions,
    req48_49_an_email_change_ends_devices_and_other_sessions,
    hole5_a_mailed_code_challenge_opened_before_two_factor_was_enabled_is_expired,
    hole5_a_challenge_opened_before_a_password_change_is_expired_and_not_resent,
);

/// The stamp turns in the 2FA service itself (its change listener), so a
/// host that calls `flow.two_factor()?` directly ends sessions and devices
/// too.
#[tokio::test]
async fn req49_two_factor_changes_made_directly_on_the_service_change_the_stamp() {
    let w = World::new().await;
    let (app, _) = w.enable_two_factor().await;
    let address = EmailAddress::parse("jane@example.com").unwrap();
    let service = w.flow.two_factor().unwrap();
    for change in [FactorChange::RecoveryCodesReplaced, FactorChange::Disabled] {
        let session = w.sign_in_from(&w.client()).await;
        assert_eq!(w.flow.devices(&w.jane).await.unwrap().len(), 1);
        let _ = w.events.take();
        w.clock.advance(Duration::seconds(30));
        let code = app.code_at(w.clock.now()).unwrap();
        let proof = SecondFactor::Totp(&code);
        let changed = match change {
            FactorChange::RecoveryCodesReplaced => matches!(
                service
                    .regenerate_recovery_codes(&w.jane, &address, proof)
                    .await
                    .unwrap(),
                ChangeOutcome::Done(_)
            ),
            _ => matches!(
                service.disable(&w.jane, &address, proof).await.unwrap(),
                ChangeOutcome::Done(())
            ),
        };
        assert!(changed, "{change:?}");
        assert!(!w.flow.is_current(&session.authentication).await.unwrap());
        assert!(w.flow.devices(&w.jane).await.unwrap().is_empty());
        assert!(w.events.events().contains(&SecurityEvent::StampChanged {
            account: w.jane.clone(),
            reason: StampReason::FactorChanged(change),
            devices_revoked: 1,
        }));
    }
}
