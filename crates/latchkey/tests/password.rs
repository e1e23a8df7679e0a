//! The password step: one answer for unknown logins and wrong passwords,
//! and when the right password alone is enough (the mailed-code policy,
//! device tokens, the host's risk signals).

mod common;

use std::sync::Arc;

use common::{CountingExecutor, PAST_COOLDOWN, World, signed_in};
use latchkey::core::AccountId;
use latchkey::testing::PASSWORD;
use latchkey::{
    Answer, ClientContext, Familiarity, MailedCodePolicy, Method, RiskSignals, SignInStep,
};
use latchkey_testkit::code_in_last_mail;
use time::Duration;

#[tokio::test]
async fn unknown_login_and_wrong_password_get_one_answer_at_one_hash_each() {
    let executor = Arc::new(CountingExecutor::default());
    let w = World::with(|b| b.executor(executor.clone())).await;
    let jobs = executor.jobs();
    let runs = w.flow.hasher().runs();
    let unknown = w.flow.start("nobody", PASSWORD, &w.client()).await.unwrap();
    let after_unknown = w.flow.hasher().runs();
    let wrong = w
        .flow
        .start("jane", "wrong password", &w.client())
        .await
        .unwrap();
    let after_wrong = w.flow.hasher().runs();
    assert!(matches!(unknown, SignInStep::Denied));
    assert!(matches!(wrong, SignInStep::Denied));
    assert_eq!(format!("{unknown:?}"), format!("{wrong:?}"));
    assert_eq!(after_unknown - runs, 1, "an unknown login costs one hash");
    assert_eq!(
        after_wrong - after_unknown,
        1,
        "a wrong password costs one hash"
    );
    assert!(w.mailer.messages().is_empty(), "a denial mails nothing");
    // Both hashes ran on the blocking executor (jane's registration ran
    // one before them).
    assert_eq!(executor.jobs() - jobs, 2);
}

#[tokio::test]
async fn mailed_code_policy_and_device_tokens() {
    // WhenUnfamiliar (the default): a recognized device skips the code.
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let token = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await)
        .device_token
        .expect("a verified sign-in gets a device token");
    let with_token = w.client().with_device_token(token.clone());
    let sent = w.mailer.messages().len();
    let SignInStep::SignedIn(done) = w.flow.start("jane", PASSWORD, &with_token).await.unwrap()
    else {
        panic!("a familiar device signs in with the password");
    };
    assert_eq!(done.method, Method::Password);
    assert_eq!(
        done.device_token, None,
        "the password alone renews no token"
    );
    assert_eq!(w.mailer.messages().len(), sent, "no mail");
    // A forged or foreign token is not recognized: one with another
    // secret, one naming no device, and joe's (another account's).
    w.clock.advance(PAST_COOLDOWN);
    let (id_part, secret) = token.rsplit_once('.').unwrap();
    let other_secret = if secret.starts_with('A') { "B" } else { "A" };
    let forged = format!("{id_part}.{other_secret}{}", &secret[1..]);
    let nowhere = "lkd1.00112233445566778899aabbccddeeff.AAAAAAAAAAAAAAAAAAAAAA";
    assert!(matches!(
        w.flow
            .register("joe", "joe@example.com", "orange kettle drum")
            .await
            .unwrap(),
        latchkey::Registered::Created { .. }
    ));
    let SignInStep::MailedCodeSent { challenge, .. } = w
        .flow
        .start("joe", "orange kettle drum", &w.client())
        .await
        .unwrap()
    else {
        panic!("joe gets a mailed code");
    };
    let joes = signed_in(
        w.submit(
            &challenge,
            Answer::MailedCode(&code_in_last_mail(&w.mailer)),
        )
        .await,
    )
    .device_token
    .unwrap();
    for (what, bad) in [
        ("forged", forged.as_str()),
        ("unknown", nowhere),
        ("joe's", &joes),
    ] {
        w.clock.advance(PAST_COOLDOWN);
        let step = w
            .flow
            .start(
                "jane",
                PASSWORD,
                &ClientContext::new().with_device_token(bad),
            )
            .await
            .unwrap();
        assert!(
            matches!(step, SignInStep::MailedCodeSent { .. }),
            "a {what} token: {step:?}"
        );
    }
    // Expired after its lifetime: no longer listed, and not recognized.
    w.clock.advance(Duration::days(91));
    assert!(w.flow.devices(&w.jane).await.unwrap().is_empty());
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &with_token).await.unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));

    // Always: even a recognized device gets a code.
    let w = World::with(|b| b.mailed_code_policy(MailedCodePolicy::Always)).await;
    let token = w.sign_in_from(&w.client()).await.device_token.unwrap();
    w.clock.advance(PAST_COOLDOWN);
    assert!(matches!(
        w.flow
            .start(
                "jane",
                PASSWORD,
                &ClientContext::new().with_device_token(token)
            )
            .await
            .unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));

    // Never: the password alone, and no device token for it.
    let w = World::with(|b| b.mailed_code_policy(MailedCodePolicy::Never)).await;
    let SignInStep::SignedIn(done) = w.start().await else {
        panic!()
    };
    assert_eq!(done.method, Method::Password);
    assert_eq!(done.device_token, None);
}

#[derive(Debug)]
struct AlwaysRisky;

#[latchkey::async_trait]
impl RiskSignals for AlwaysRisky {
    async fn assess(&self, _: &AccountId, _: &ClientContext, _: bool) -> Familiarity {
        Familiarity::Unfamiliar
    }
}

#[tokio::test]
async fn the_hosts_risk_signals_can_ask_for_a_code_despite_a_device_token() {
    let w = World::with(|b| b.risk_signals(Arc::new(AlwaysRisky))).await;
    // A real token, from a sign-in with the mailed code.
    let token = w.sign_in_from(&w.client()).await.device_token.unwrap();
    w.clock.advance(PAST_COOLDOWN);
    assert!(matches!(
        w.flow
            .start(
                "jane",
                PASSWORD,
                &ClientContext::new().with_device_token(token)
            )
            .await
            .unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
}
