//! Signing in with a passkey alone (no login, no password), against
//! 1Password's independent passkey-rs as the browser and its platform
//! authenticator: a discoverable credential names its account; the
//! answer signs in once; refused answers count against the account's
//! password backoff and are reported like wrong passwords; the host must
//! turn it on.

#[path = "../../latchkey-webauthn/tests/support/passkey_rs.rs"]
mod passkey_rs;

use latchkey::prelude::*;
use latchkey::testing::{Fixture, ORIGIN, PASSWORD};
use latchkey::webauthn::{RegistrationBegin, parse_assertion, parse_registration};
use passkey_client::DefaultClientData;
use passkey_rs::{DiscoverableDevice, browser_json, discoverable_device, to_theirs};
use passkey_types::webauthn;
use time::Duration;

fn origin() -> url::Url {
    url::Url::parse(ORIGIN).expect("origin")
}

/// Jane, with a passkey on `device` (2FA on by it), on a flow with
/// passkey sign-in.
async fn jane_with_a_passkey(device: &mut DiscoverableDevice) -> (Fixture, AccountId) {
    let f = Fixture::with(|b| b.passkey_sign_in(true)).expect("fixture");
    let jane = f.register("jane").await.expect("register");
    let ctx = ClientContext::new();
    let SignInStep::MailedCodeSent { challenge, .. } =
        f.flow.start("jane", PASSWORD, &ctx).await.expect("start")
    else {
        panic!("a mailed code");
    };
    let code = f.mailer.last_code().expect("code");
    let Submitted::SignedIn(done) = f
        .flow
        .submit(&challenge, Answer::MailedCode(&code), &ctx)
        .await
        .expect("submit")
    else {
        panic!("signed in");
    };
    let auth = done.authentication;
    let Sensitive::Done {
        outcome: RegistrationBegin::Started(started),
        ..
    } = f
        .flow
        .begin_security_key(&auth, "jane", "Laptop passkey")
        .await
        .expect("begin")
    else {
        panic!("fresh");
    };
    let options = serde_json::to_value(&started.options).expect("json");
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"], "required",
        "with passkey sign-in on, new keys are asked to be discoverable"
    );
    let options: webauthn::CredentialCreationOptions = to_theirs(&options);
    let created = device
        .register(&origin(), options, DefaultClientData)
        .await
        .expect("passkey-rs registers");
    let answer = parse_registration(&browser_json(&created)).expect("parses");
    assert!(matches!(
        f.flow
            .finish_security_key(&auth, &started.ceremony, &answer)
            .await
            .expect("finish"),
        Sensitive::Done {
            outcome: KeyAdded::Added { .. },
            ..
        }
    ));
    (f, jane)
}

/// Starts a passkey sign-in and lets `device` answer it (as a "Sign in
/// with a passkey" button's dialog).
async fn answer(
    f: &Fixture,
    device: &mut DiscoverableDevice,
) -> (CeremonyId, latchkey::webauthn::PublicKeyCredential) {
    let PasskeyBegin::Started(request) = f
        .flow
        .begin_passkey_sign_in(&ClientContext::new())
        .await
        .expect("begin")
    else {
        panic!("not throttled");
    };
    let mut options = serde_json::to_value(&request.options).expect("json");
    options.as_object_mut().expect("object").remove("mediation");
    let options: webauthn::CredentialRequestOptions = to_theirs(&options);
    let signed = device
        .authenticate(&origin(), options, DefaultClientData)
        .await
        .expect("passkey-rs signs");
    let credential = parse_assertion(&browser_json(&signed)).expect("parses");
    (request.ceremony, credential)
}

#[tokio::test]
async fn a_passkey_alone_signs_in_once() {
    let mut device = discoverable_device();
    let (f, jane) = jane_with_a_passkey(&mut device).await;
    let (ceremony, credential) = answer(&f, &mut device).await;
    f.events.take();
    let ctx = ClientContext::new();
    let PasskeySignIn::SignedIn(done) = f
        .flow
        .finish_passkey_sign_in(&ceremony, &credential, &ctx)
        .await
        .expect("finish")
    else {
        panic!("the passkey signs in");
    };
    assert_eq!(done.account, jane);
    assert_eq!(done.method, Method::SecurityKey);
    assert!(f.events.take().contains(&SecurityEvent::SignedIn {
        account: jane.clone(),
        method: Method::SecurityKey
    }));
    // The same answer again: refused, and reported like a wrong password.
    assert!(matches!(
        f.flow
            .finish_passkey_sign_in(&ceremony, &credential, &ctx)
            .await
            .expect("finish"),
        PasskeySignIn::Refused
    ));
    assert!(f.events.take().contains(&SecurityEvent::SignInDenied {
        account: Some(jane.clone())
    }));
}

#[tokio::test]
async fn refused_passkey_answers_meet_the_accounts_password_backoff() {
    let mut device = discoverable_device();
    let (f, _jane) = jane_with_a_passkey(&mut device).await;
    let (_, stale) = answer(&f, &mut device).await;
    let ctx = ClientContext::new();
    let mut throttled = false;
    for _ in 0..20 {
        let PasskeyBegin::Started(fresh) = f.flow.begin_passkey_sign_in(&ctx).await.expect("begin")
        else {
            panic!("no client budget without a client address");
        };
        // An answer to an older challenge: a replay.
        match f
            .flow
            .finish_passkey_sign_in(&fresh.ceremony, &stale, &ctx)
            .await
            .expect("finish")
        {
            PasskeySignIn::Refused => {}
            PasskeySignIn::Throttled { .. } => {
                throttled = true;
                break;
            }
            PasskeySignIn::SignedIn(_) => panic!("a replay never signs in"),
        }
    }
    assert!(throttled, "failures meet the backoff");
    // Waiting it out, the genuine passkey signs in (and clears the count).
    f.clock.advance(Duration::hours(1));
    let (ceremony, credential) = answer(&f, &mut device).await;
    assert!(matches!(
        f.flow
            .finish_passkey_sign_in(&ceremony, &credential, &ctx)
            .await
            .expect("finish"),
        PasskeySignIn::SignedIn(_)
    ));
}

#[tokio::test]
async fn passkey_sign_in_is_off_unless_the_host_turns_it_on() {
    let f = Fixture::new().expect("fixture");
    assert!(matches!(
        f.flow.begin_passkey_sign_in(&ClientContext::new()).await,
        Err(Error::NotConfigured(_))
    ));
}
