//! Fresh authentication (REQ-39): sensitive changes refuse an
//! authentication older than the fresh window (10 minutes), or one made
//! up by hand, and change nothing; `reauthenticate` makes it fresh again,
//! counted like a sign-in. And the password change (hole 2): throttled
//! with the sign-in's budget, for the signed-in account only.

mod common;

use common::{World, done, needs_fresh};
use latchkey::core::{AccountId, Clock, EmailAddress, SecretString};
use latchkey::testing::PASSWORD;
use latchkey::twofactor::{ChangeOutcome, ConfirmOutcome, Mode, SecondFactor};
use latchkey::{
    Accounts, Authentication, ClientContext, EmailChanged, Method, PasswordChanged, Reauthenticate,
    Reauthenticated, SecurityEvent, SignInStep,
};
use time::Duration;

/// Just older than the fresh window.
const STALE: Duration = Duration::seconds(10 * 60 + 1);

fn password(password: &str) -> Reauthenticate<'_> {
    Reauthenticate::Password {
        login: "jane",
        password,
    }
}

/// Whether an event that a credential change or revocation raises was
/// recorded.
fn anything_changed(w: &World) -> bool {
    w.events.events().iter().any(|e| {
        matches!(
            e,
            SecurityEvent::StampChanged { .. }
                | SecurityEvent::DevicesRevoked { .. }
                | SecurityEvent::TwoFactorChanged { .. }
        )
    })
}

#[tokio::test]
async fn req39_a_stale_authentication_changes_no_address_devices_or_enrolment_until_reauthenticated()
 {
    let w = World::new().await;
    let auth = w.authentication().await;
    let (enrolment, _) = done(w.flow.begin_two_factor(&auth, "jane").await.unwrap());
    let app = enrolment.uri.totp().unwrap();
    w.clock.advance(STALE);
    let stale = auth;
    let _ = w.events.take();
    let address = w.accounts.address(&w.jane).await.unwrap();
    let mails = w.mailer.messages().len();

    let code = app.code_at(w.clock.now()).unwrap();
    assert!(needs_fresh(
        &w.flow
            .change_email(&stale, "mallory@example.org")
            .await
            .unwrap()
    ));
    assert!(needs_fresh(
        &w.flow.revoke_all_devices(&stale).await.unwrap()
    ));
    assert!(needs_fresh(
        &w.flow.begin_two_factor(&stale, "mallory").await.unwrap()
    ));
    assert!(needs_fresh(
        &w.flow.confirm_two_factor(&stale, &code).await.unwrap()
    ));
    // Nothing changed.
    assert_eq!(w.accounts.address(&w.jane).await.unwrap(), address);
    assert_eq!(w.flow.devices(&w.jane).await.unwrap().len(), 1);
    let two_factor = w.flow.two_factor().unwrap();
    assert_eq!(two_factor.mode(&w.jane).await.unwrap(), Mode::Off);
    assert_eq!(w.mailer.messages().len(), mails, "no notice was mailed");
    assert!(!anything_changed(&w), "{:?}", w.events.events());
    // Stale is not ended: the session goes on, and proves it again.
    assert!(w.flow.is_current(&stale).await.unwrap());
    let Reauthenticated::Fresh(fresh) = w
        .flow
        .reauthenticate(&stale, password(PASSWORD))
        .await
        .unwrap()
    else {
        panic!("the password proves it again");
    };
    assert_eq!(fresh.account(), &w.jane);
    assert_eq!(fresh.method(), Method::Password);
    assert_eq!(fresh.at(), w.clock.now());
    // The fresh one works (the pending enrolment and its code were kept),
    // and so does the one it renews.
    let (outcome, renewed) = done(w.flow.confirm_two_factor(&fresh, &code).await.unwrap());
    assert!(
        matches!(outcome, ConfirmOutcome::Enabled { .. }),
        "{outcome:?}"
    );
    let (outcome, _) = done(
        w.flow
            .change_email(&renewed, "jane.new@example.org")
            .await
            .unwrap(),
    );
    assert!(matches!(outcome, EmailChanged::Changed { .. }));
}

#[tokio::test]
async fn req39_a_stale_authentication_neither_disables_two_factor_nor_replaces_recovery_codes_until_reauthenticated_by_totp()
 {
    let w = World::new().await;
    let (app, _) = w.enable_two_factor().await;
    let stale = w.authentication().await;
    w.clock.advance(STALE);
    let _ = w.events.take();
    let code = app.code_at(w.clock.now()).unwrap();
    assert!(needs_fresh(
        &w.flow
            .disable_two_factor(&stale, SecondFactor::Totp(&code))
            .await
            .unwrap()
    ));
    assert!(needs_fresh(
        &w.flow
            .regenerate_recovery_codes(&stale, SecondFactor::Totp(&code))
            .await
            .unwrap()
    ));
    let two_factor = w.flow.two_factor().unwrap();
    assert_eq!(two_factor.mode(&w.jane).await.unwrap(), Mode::AuthOnly);
    assert_eq!(two_factor.recovery_codes_left(&w.jane).await.unwrap(), 10);
    assert!(!anything_changed(&w), "{:?}", w.events.events());
    // The code was not used up: it proves it again.
    let Reauthenticated::Fresh(fresh) = w
        .flow
        .reauthenticate(
            &stale,
            Reauthenticate::SecondFactor(SecondFactor::Totp(&code)),
        )
        .await
        .unwrap()
    else {
        panic!("a TOTP code proves it again");
    };
    assert_eq!(fresh.method(), Method::Totp);
    assert_eq!(fresh.at(), w.clock.now());
    w.clock.advance(Duration::seconds(30));
    let next = app.code_at(w.clock.now()).unwrap();
    let (outcome, _) = done(
        w.flow
            .regenerate_recovery_codes(&fresh, SecondFactor::Totp(&next))
            .await
            .unwrap(),
    );
    assert!(matches!(outcome, ChangeOutcome::Done(_)), "{outcome:?}");
}

/// The current password is the fresh proof of a password change (REQ-06),
/// so it takes an authentication that is stale but current.
#[tokio::test]
async fn req39_a_password_change_takes_a_stale_but_current_authentication() {
    let w = World::new().await;
    let stale = w.authentication().await;
    w.clock.advance(STALE);
    let (outcome, renewed) = done(
        w.flow
            .change_password(
                &stale,
                "jane",
                &SecretString::from(PASSWORD),
                &SecretString::from("orange kettle drum"),
            )
            .await
            .unwrap(),
    );
    assert_eq!(outcome, PasswordChanged::Changed);
    // The old one is no longer current: it changes nothing more.
    assert!(needs_fresh(
        &w.flow
            .change_password(
                &stale,
                "jane",
                &SecretString::from("orange kettle drum"),
                &SecretString::from("teal lantern moss"),
            )
            .await
            .unwrap()
    ));
    assert!(w.flow.is_current(&renewed).await.unwrap());
}

#[tokio::test]
async fn req39_a_wrong_password_at_reauthenticate_counts_against_the_sign_in_backoff() {
    let w = World::new().await;
    let auth = w.authentication().await;
    let c = ClientContext::new();
    // Five free failures in all: three at sign-in, two at re-authentication.
    for _ in 0..3 {
        assert!(matches!(
            w.flow.start("jane", "wrong password", &c).await.unwrap(),
            SignInStep::Denied
        ));
    }
    for _ in 0..2 {
        assert!(matches!(
            w.flow
                .reauthenticate(&auth, password("wrong password"))
                .await
                .unwrap(),
            Reauthenticated::Denied
        ));
    }
    let denied = w
        .events
        .events()
        .iter()
        .filter(|e| matches!(e, SecurityEvent::SignInDenied { account: Some(a) } if *a == w.jane))
        .count();
    assert_eq!(denied, 5, "each wrong password is reported");
    // The sixth waits, at re-authentication and at sign-in, even right.
    let wait = w.clock.now() + Duration::seconds(30);
    assert!(matches!(
        w.flow.reauthenticate(&auth, password(PASSWORD)).await.unwrap(),
        Reauthenticated::Throttled { retry_at: Some(at) } if at == wait
    ));
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &c).await.unwrap(),
        SignInStep::Throttled { retry_at: Some(at) } if at == wait
    ));
    w.clock.set(wait);
    assert!(matches!(
        w.flow
            .reauthenticate(&auth, password(PASSWORD))
            .await
            .unwrap(),
        Reauthenticated::Fresh(_)
    ));
}

#[tokio::test]
async fn req39_reauthenticate_with_another_accounts_login_and_password_is_denied() {
    let w = World::new().await;
    w.register("joe").await.unwrap();
    let auth = w.authentication().await;
    let joes = Reauthenticate::Password {
        login: "joe",
        password: PASSWORD,
    };
    assert!(matches!(
        w.flow.reauthenticate(&auth, joes).await.unwrap(),
        Reauthenticated::Denied
    ));
}

#[tokio::test]
async fn req39_an_authentication_made_up_by_hand_is_refused() {
    let w = World::new().await;
    let joe = AccountId::new("joe").unwrap();
    assert!(matches!(
        w.flow
            .register_as(&joe, "joe", "joe@example.com", "orange kettle drum")
            .await
            .unwrap(),
        latchkey::Registered::Created { .. }
    ));
    let auth = w.authentication().await;
    let _ = w.events.take();
    // lka1.<account>.<method>.<at>.<stamp>.<tag>
    let text = auth.to_string();
    let parts: Vec<&str> = text.split('.').collect();
    assert_eq!(parts.len(), 6, "{text}");
    let with = |i: usize, value: &str| {
        let mut parts = parts.clone();
        parts[i] = value;
        parts.join(".")
    };
    let later = (auth.at().unix_timestamp_nanos() + 9 * 60 * 1_000_000_000).to_string();
    let other_tag = "A".repeat(43);
    let made_up = [
        // Joe's id ("joe" in base64url) under jane's tag.
        ("another account", with(1, "am9l")),
        ("another method", with(2, "totp")),
        ("another time", with(3, &later)),
        ("another tag", with(5, &other_tag)),
    ];
    for (what, text) in made_up {
        let forged: Authentication = text.parse().expect("well-formed");
        assert!(!w.flow.is_current(&forged).await.unwrap(), "{what}");
        let (login, current) = if forged.account() == &joe {
            ("joe", "orange kettle drum")
        } else {
            ("jane", PASSWORD)
        };
        assert!(
            needs_fresh(
                &w.flow
                    .change_email(&forged, "mallory@example.org")
                    .await
                    .unwrap()
            ),
            "{what}"
        );
        assert!(
            needs_fresh(&w.flow.revoke_all_devices(&forged).await.unwrap()),
            "{what}"
        );
        assert!(
            needs_fresh(
                &w.flow
                    .change_password(
                        &forged,
                        login,
                        &SecretString::from(current),
                        &SecretString::from("teal lantern moss"),
                    )
                    .await
                    .unwrap()
            ),
            "{what}"
        );
        let proof = Reauthenticate::Password {
            login,
            password: current,
        };
        assert!(
            matches!(
                w.flow.reauthenticate(&forged, proof).await.unwrap(),
                Reauthenticated::Ended
            ),
            "{what}"
        );
    }
    // Nothing changed for either account.
    let address = |text: &str| Some(EmailAddress::parse(text).unwrap());
    assert_eq!(
        w.accounts.address(&w.jane).await.unwrap(),
        address("jane@example.com")
    );
    assert_eq!(
        w.accounts.address(&joe).await.unwrap(),
        address("joe@example.com")
    );
    assert!(!anything_changed(&w), "{:?}", w.events.events());
    assert!(w.flow.is_current(&auth).await.unwrap());
    // Text that is not an authentication at all.
    for bad in [
        String::new(),
        "lka1".to_owned(),
        text.replacen("lka1", "lka2", 1),
        format!("{text}.x"),
        with(1, "!!"),
        with(2, "magic"),
        with(4, "00"),
        with(5, "AAAA"),
    ] {
        assert!(bad.parse::<Authentication>().is_err(), "{bad}");
    }
}

#[tokio::test]
async fn req39_authentication_text_round_trips() {
    let w = World::new().await;
    let auth = w.authentication().await;
    let text = auth.to_string();
    assert!(text.starts_with("lka1."), "{text}");
    let back: Authentication = text.parse().unwrap();
    assert_eq!(back, auth);
    assert_eq!(back.to_string(), text);
    assert_eq!(back.account(), &w.jane);
    assert_eq!(back.method(), Method::MailedCode);
    assert_eq!((back.at(), back.stamp()), (auth.at(), auth.stamp()));
    // What comes back from storage works like the original.
    assert!(w.flow.is_current(&back).await.unwrap());
    let (revoked, _) = done(w.flow.revoke_all_devices(&back).await.unwrap());
    assert_eq!(revoked, 1);
    // Debug leaves the tag out.
    let tag = text.rsplit('.').next().unwrap();
    assert!(!format!("{back:?}").contains(tag));
}

/// Hole 2: a stolen session cannot guess the current password at a
/// password change without limit: the change spends the sign-in's budget.
#[tokio::test]
async fn hole2_wrong_current_passwords_at_change_are_throttled_with_the_sign_in_budget() {
    let w = World::new().await;
    let auth = w.authentication().await;
    let (wrong, current) = (SecretString::from("wrong"), SecretString::from(PASSWORD));
    let new = SecretString::from("orange kettle drum");
    for _ in 0..5 {
        let (outcome, _) = done(
            w.flow
                .change_password(&auth, "jane", &wrong, &new)
                .await
                .unwrap(),
        );
        assert_eq!(outcome, PasswordChanged::Denied);
    }
    let wait = w.clock.now() + Duration::seconds(30);
    let (outcome, _) = done(
        w.flow
            .change_password(&auth, "jane", &current, &new)
            .await
            .unwrap(),
    );
    assert_eq!(
        outcome,
        PasswordChanged::Throttled {
            retry_at: Some(wait)
        }
    );
    assert!(matches!(
        w.flow
            .start("jane", PASSWORD, &ClientContext::new())
            .await
            .unwrap(),
        SignInStep::Throttled { retry_at: Some(at) } if at == wait
    ));
    // Nothing changed: after the wait the old password signs in.
    w.clock.set(wait);
    assert!(matches!(
        w.flow
            .start("jane", PASSWORD, &ClientContext::new())
            .await
            .unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
}

/// Hole 2: a session changes its own account's password only.
#[tokio::test]
async fn hole2_a_password_change_for_another_accounts_login_is_refused() {
    let w = World::new().await;
    assert!(matches!(
        w.flow
            .register("joe", "joe@example.com", "orange kettle drum")
            .await
            .unwrap(),
        latchkey::Registered::Created { .. }
    ));
    let auth = w.authentication().await;
    let new = SecretString::from("teal lantern moss");
    for (login, current) in [("joe", "orange kettle drum"), ("nobody", PASSWORD)] {
        let (outcome, _) = done(
            w.flow
                .change_password(&auth, login, &SecretString::from(current), &new)
                .await
                .unwrap(),
        );
        assert_eq!(outcome, PasswordChanged::OtherAccount, "{login}");
    }
    // Joe's password is unchanged, and so is jane's session.
    let c = ClientContext::new();
    assert!(matches!(
        w.flow.start("joe", new.expose(), &c).await.unwrap(),
        SignInStep::Denied
    ));
    assert!(matches!(
        w.flow.start("joe", "orange kettle drum", &c).await.unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
    assert!(w.flow.is_current(&auth).await.unwrap());
}
