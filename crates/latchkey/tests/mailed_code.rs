//! The mailed code ("OTP for logging in to your account"), on the memory
//! store with a manual clock and a recording mailer: every code is read
//! out of the mail it came in.

mod common;

use common::{World, signed_in};
use latchkey::challenge::ChallengeStore;
use latchkey::core::{Clock, MessageKind};
use latchkey::testing::PASSWORD;
use latchkey::{Answer, ClientContext, Method, Resent, SecurityEvent, SignInStep, Submitted};
use latchkey_testkit::code_in_last_mail;
use time::Duration;

#[tokio::test]
async fn a_mailed_code_completes_the_sign_in_and_the_mail_is_npms() {
    let w = World::new().await;
    let SignInStep::MailedCodeSent {
        challenge,
        masked_address,
        ..
    } = w.start().await
    else {
        panic!("an unfamiliar device gets a mailed code");
    };
    assert_eq!(masked_address, "j***@example.com");
    let mail = w.mailer.last().unwrap();
    assert!(
        mail.subject
            .starts_with("OTP for logging in to your account")
    );
    assert_eq!(mail.kind, MessageKind::SignInCode);
    assert_eq!(mail.to.as_str(), "jane@example.com");
    let code = code_in_last_mail(&w.mailer);
    let done = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    assert_eq!(done.account, w.jane);
    assert_eq!(done.method, Method::MailedCode);
    // The challenge is used up.
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
    let events = w.events.events();
    assert!(events.contains(&SecurityEvent::CodeSent {
        account: w.jane.clone(),
        masked_address: "j***@example.com".into()
    }));
    assert!(events.contains(&SecurityEvent::SignedIn {
        account: w.jane.clone(),
        method: Method::MailedCode
    }));
}

/// New behaviour: the right password again while the mailed code's resend
/// cooldown runs (a double submit, or a lost response) used to answer
/// `Throttled`; it now answers `CodeRecentlySent`, pointing at the code
/// already sent, and mails nothing.
#[tokio::test]
async fn a_double_submit_within_the_cooldown_gets_code_recently_sent_and_no_second_mail() {
    let w = World::new().await;
    let SignInStep::MailedCodeSent { challenge, .. } = w.start().await else {
        panic!("a mailed code");
    };
    let code = code_in_last_mail(&w.mailer);
    let mails = w.mailer.messages().len();
    w.clock.advance(Duration::seconds(10));
    let SignInStep::CodeRecentlySent {
        masked_address,
        resend_at,
    } = w.start().await
    else {
        panic!("a double submit within the cooldown is pointed at the code sent");
    };
    assert_eq!(masked_address, "j***@example.com");
    // The cooldown (60 s) counts from the first mail.
    assert_eq!(resend_at, w.clock.now() + Duration::seconds(50));
    assert_eq!(w.mailer.messages().len(), mails, "no second mail");
    let events = w.events.events();
    let sent = events
        .iter()
        .filter(|e| matches!(e, SecurityEvent::CodeSent { .. }))
        .count();
    assert_eq!(sent, 1, "one code sent");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SecurityEvent::Throttled { .. })),
        "a double submit is not throttling: {events:?}"
    );
    // The code already sent still completes the first challenge.
    signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    // From resend_at, the password mails a new code.
    w.clock.set(resend_at);
    assert!(matches!(w.start().await, SignInStep::MailedCodeSent { .. }));
    assert_eq!(w.mailer.messages().len(), mails + 1);
}

#[tokio::test]
async fn challenges_expire() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    w.clock.advance(Duration::minutes(15));
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
    assert!(matches!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::Expired
    ));
    assert_eq!(w.flow.purge_expired().await.unwrap(), 1);
}

#[tokio::test]
async fn a_code_for_one_challenge_fails_on_another() {
    let w = World::new().await;
    let first = w.mailed_challenge().await;
    let first_code = code_in_last_mail(&w.mailer);
    w.clock.advance(Duration::minutes(2)); // past the resend cooldown
    let second = w.mailed_challenge().await;
    let second_code = code_in_last_mail(&w.mailer);
    assert_ne!(first_code, second_code);
    assert!(matches!(
        w.submit(&second, Answer::MailedCode(&first_code)).await,
        Submitted::Wrong { .. }
    ));
    assert!(matches!(
        w.submit(&first, Answer::MailedCode(&second_code)).await,
        Submitted::Wrong { .. }
    ));
    // Each still takes its own code.
    signed_in(w.submit(&first, Answer::MailedCode(&first_code)).await);
    signed_in(w.submit(&second, Answer::MailedCode(&second_code)).await);
}

#[tokio::test]
async fn a_code_for_another_account_fails() {
    let w = World::new().await;
    assert!(matches!(
        w.flow
            .register("joe", "joe@example.com", "orange kettle drum")
            .await
            .unwrap(),
        latchkey::Registered::Created { .. }
    ));
    let jane = w.mailed_challenge().await;
    let SignInStep::MailedCodeSent { .. } = w
        .flow
        .start("joe", "orange kettle drum", &w.client())
        .await
        .unwrap()
    else {
        panic!()
    };
    let joes_code = code_in_last_mail(&w.mailer);
    assert!(matches!(
        w.submit(&jane, Answer::MailedCode(&joes_code)).await,
        Submitted::Wrong { .. }
    ));
}

#[tokio::test]
async fn resend_honours_the_cooldown_and_voids_the_old_code() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let old = code_in_last_mail(&w.mailer);
    assert!(matches!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::TooSoon { retry_after } if retry_after == Duration::seconds(60)
    ));
    w.clock.advance(Duration::seconds(60));
    assert_eq!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::Sent {
            masked_address: "j***@example.com".into()
        }
    );
    let new = code_in_last_mail(&w.mailer);
    if old != new {
        assert!(matches!(
            w.submit(&challenge, Answer::MailedCode(&old)).await,
            Submitted::Wrong { .. }
        ));
    }
    signed_in(w.submit(&challenge, Answer::MailedCode(&new)).await);
}

#[tokio::test]
async fn a_failed_mail_leaves_no_challenge_and_no_code() {
    let w = World::new().await;
    w.mailer.set_failing(true);
    assert!(w.flow.start("jane", PASSWORD, &w.client()).await.is_err());
    let far = w.clock.now() + Duration::days(1);
    assert_eq!(
        ChallengeStore::purge_expired_challenges(&*w.store, far)
            .await
            .unwrap(),
        0,
        "no challenge is left behind"
    );
    // The cooldown was released: the next try mails at once.
    w.mailer.set_failing(false);
    assert!(matches!(w.start().await, SignInStep::MailedCodeSent { .. }));
}

#[tokio::test]
async fn of_sixteen_concurrent_right_answers_one_signs_in() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (flow, challenge, code) = (w.flow.clone(), challenge.clone(), code.clone());
        tasks.spawn(async move {
            flow.submit(&challenge, Answer::MailedCode(&code), &ClientContext::new())
                .await
                .unwrap()
        });
    }
    let wins = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|o| matches!(o, Submitted::SignedIn(_)))
        .count();
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn a_late_duplicate_of_a_right_code_finds_the_challenge_used() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    // The late duplicate finds the challenge used.
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
}
