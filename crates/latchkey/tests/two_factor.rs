//! 2FA at sign-in: a code from the authenticator app, or a recovery code,
//! replaces the mailed code.

mod common;

use common::{World, signed_in};
use latchkey::core::{Clock, Pepper};
use latchkey::credentials::HashSettings;
use latchkey::testing::PASSWORD;
use latchkey::{
    Answer, ClientContext, Error, Keys, MailedCodePolicy, Method, SecurityEvent, SignIn,
    SignInStep, Submitted, TwoFactorChange,
};
use latchkey_testkit::wrong_totp_code;
use time::Duration;

#[tokio::test]
async fn two_factor_replaces_the_mailed_code() {
    let w = World::new().await;
    let (app, codes) = w.enable_two_factor().await;
    assert!(
        w.events
            .events()
            .contains(&SecurityEvent::TwoFactorChanged {
                account: w.jane.clone(),
                change: TwoFactorChange::Enabled
            })
    );
    let sent = w.mailer.messages().len();
    let challenge = w.second_factor_challenge().await;
    assert_eq!(w.mailer.messages().len(), sent, "no code is mailed");
    // A mailed-code answer does not fit a second-factor challenge.
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode("123456")).await,
        Submitted::Wrong { .. }
    ));
    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).unwrap();
    let done = signed_in(w.submit(&challenge, Answer::Totp(&code)).await);
    assert_eq!(done.method, Method::Totp);

    // The same code again, on a new challenge, is a replay: refused, and
    // reported as one.
    let challenge = w.second_factor_challenge().await;
    assert!(matches!(
        w.submit(&challenge, Answer::Totp(&code)).await,
        Submitted::Wrong { .. }
    ));
    assert!(w.events.events().contains(&SecurityEvent::CodeReplayed {
        account: w.jane.clone()
    }));

    // A recovery code works once, and says how many are left.
    let recovery = codes.iter().next().unwrap().to_owned();
    let done = signed_in(w.submit(&challenge, Answer::RecoveryCode(&recovery)).await);
    assert_eq!(done.method, Method::RecoveryCode);
    assert_eq!(done.recovery_codes_left, Some(9));
    assert!(
        w.events
            .events()
            .contains(&SecurityEvent::RecoveryCodeUsed {
                account: w.jane.clone(),
                remaining: 9
            })
    );
    let challenge = w.second_factor_challenge().await;
    assert!(matches!(
        w.submit(&challenge, Answer::RecoveryCode(&recovery)).await,
        Submitted::Wrong { .. }
    ));
}

#[tokio::test]
async fn unlock_clears_the_code_backoff_and_two_factors_own_count() {
    let w = World::new().await;
    let (app, _) = w.enable_two_factor().await;
    let challenge = w.second_factor_challenge().await;
    let wrong = wrong_totp_code(&app, w.clock.now());
    for _ in 0..5 {
        assert!(matches!(
            w.submit(&challenge, Answer::Totp(&wrong)).await,
            Submitted::Wrong { .. }
        ));
    }
    let challenge = w.second_factor_challenge().await;
    // The next step's code (the ±1 window takes it; the current step was
    // used to confirm the enrolment).
    let code = app.code_at(w.clock.now() + Duration::seconds(30)).unwrap();
    assert!(matches!(
        w.submit(&challenge, Answer::Totp(&code)).await,
        Submitted::Throttled { retry_at: Some(_) }
    ));
    w.flow.unlock(&w.jane).await.unwrap();
    signed_in(w.submit(&challenge, Answer::Totp(&code)).await);
}

/// A flow built without an encryption key, on the store where another
/// flow enrolled jane's authenticator: it still asks for the second
/// factor (never skips it, even where the password alone would do), and
/// checking the answer fails with `NotConfigured` rather than signing in.
#[tokio::test]
async fn a_flow_without_an_encryption_key_still_asks_for_the_second_factor() {
    let w = World::new().await;
    let (app, codes) = w.enable_two_factor().await;
    // A device remembered under 2FA (by a TOTP sign-in on the flow with
    // the key): a token the keyless flow recognizes.
    let token = w
        .sign_in_from(&w.client())
        .await
        .device_token
        .expect("a verified sign-in remembers the device");
    // Only what follows counts ("nobody signed in" below).
    let _ = w.events.take();
    let keyless = SignIn::builder("npm", Keys::new(Pepper::from_bytes(&[9; 32]).unwrap()))
        .store(w.store.clone())
        .accounts(w.accounts.clone())
        .mailer(w.mailer.clone())
        .clock(w.clock.clone())
        .events(w.events.clone())
        // Where the password alone would sign in.
        .mailed_code_policy(MailedCodePolicy::Never)
        .hash_settings(HashSettings::below_floor(256, 1, 1).unwrap())
        .build()
        .expect("a flow without 2FA keys builds");
    assert!(matches!(keyless.two_factor(), Err(Error::NotConfigured(_))));

    let sent = w.mailer.messages().len();
    let client = ClientContext::new();
    let SignInStep::SecondFactorRequired { challenge, .. } =
        keyless.start("jane", PASSWORD, &client).await.unwrap()
    else {
        panic!("an account with 2FA is asked for it by every flow");
    };
    // A recognized device does not skip it either.
    assert!(matches!(
        keyless
            .start("jane", PASSWORD, &client.clone().with_device_token(token))
            .await
            .unwrap(),
        SignInStep::SecondFactorRequired { .. }
    ));
    assert_eq!(w.mailer.messages().len(), sent, "no code is mailed");

    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).unwrap();
    let recovery = codes.iter().next().unwrap().to_owned();
    for answer in [Answer::Totp(&code), Answer::RecoveryCode(&recovery)] {
        let outcome = keyless.submit(&challenge, answer, &client).await;
        assert!(
            matches!(outcome, Err(Error::NotConfigured(_))),
            "{outcome:?}"
        );
    }
    assert!(
        !w.events
            .events()
            .iter()
            .any(|e| matches!(e, SecurityEvent::SignedIn { .. })),
        "nobody signed in"
    );
    // Neither answer was used up: the flow with the key takes them.
    let done = signed_in(w.submit(&challenge, Answer::Totp(&code)).await);
    assert_eq!(done.method, Method::Totp);
    assert_eq!(
        w.flow
            .two_factor()
            .unwrap()
            .recovery_codes_left(&w.jane)
            .await
            .unwrap(),
        10
    );
}
