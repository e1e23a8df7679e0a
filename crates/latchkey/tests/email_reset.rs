//! REQ-36, REQ-48, REQ-49 at the flow: an approved email reset, completed
//! by staff through the recovery service, changes the address, voids the
//! account's codes, and ends its sessions and remembered devices (the
//! flow's completion hook), whoever calls `complete`.

mod common;

use common::{PAST_COOLDOWN, World, signed_in};
use latchkey::recovery::{CompleteOutcome, ConfirmOutcome, StartOutcome, TicketForm};
use latchkey::testing::PASSWORD;
use latchkey::{
    Accounts, Answer, ClientContext, Recovering, SecurityEvent, SignInStep, StampReason,
};
use latchkey_testkit::code_in_last_mail;

#[tokio::test]
async fn req36_a_completed_email_reset_ends_sessions_and_devices_and_moves_the_codes() {
    let w = World::new().await;
    let laptop_ctx = w.client().with_device_label("laptop");
    let laptop = w.sign_in_from(&laptop_ctx).await;
    let laptop_token = laptop.device_token.clone().expect("remembered");

    // A lost mailbox: "Try recovering your account" from a new device.
    w.clock.advance(PAST_COOLDOWN);
    let library = ClientContext::new().with_client("192.0.2.55");
    let SignInStep::MailedCodeSent { challenge, .. } = w.start_from(&library).await else {
        panic!("a mailed code");
    };
    let form = TicketForm {
        login: w.login.clone(),
        contact_email: "jane@new.example".to_owned(),
        reset_email: true,
        details: String::new(),
        identities: Vec::new(),
    };
    let Recovering::Started(StartOutcome::CodeSent { draft, .. }) =
        w.flow.recover(&challenge, &form, &library).await.unwrap()
    else {
        panic!("the ticket form is accepted");
    };
    let ConfirmOutcome::Submitted { reference } = w
        .flow
        .confirm_recovery(&draft, &code_in_last_mail(&w.mailer))
        .await
        .unwrap()
    else {
        panic!("the contact code confirms the ticket");
    };
    let desk = w.flow.recovery().unwrap();
    let _ = desk.start_review(&reference, "alice", None).await.unwrap();
    let _ = desk.approve(&reference, "alice", None).await.unwrap();
    let _ = w.events.take();
    let CompleteOutcome::Completed(_) = desk.complete(&reference, "alice").await.unwrap() else {
        panic!("completed");
    };

    // The hook applied it: new address, the session and device ended.
    let now_on_file = w.accounts.address(&w.jane).await.unwrap().unwrap();
    assert_eq!(now_on_file.as_str(), "jane@new.example");
    assert!(!w.flow.is_current(&laptop.authentication).await.unwrap());
    assert!(w.flow.devices(&w.jane).await.unwrap().is_empty());
    assert!(w.events.events().iter().any(|e| matches!(
        e,
        SecurityEvent::StampChanged {
            reason: StampReason::EmailReset,
            devices_revoked: 1,
            ..
        }
    )));
    // The challenge opened before the reset is dead.
    assert!(matches!(
        w.flow
            .submit(&challenge, Answer::MailedCode("123456"), &library)
            .await
            .unwrap(),
        latchkey::Submitted::Expired
    ));

    // The laptop's old token no longer skips the code, which now goes to
    // the new address; the sign-in reports the dead token for clearing.
    w.clock.advance(PAST_COOLDOWN);
    let with_old_token = laptop_ctx.clone().with_device_token(laptop_token.clone());
    let SignInStep::MailedCodeSent {
        challenge,
        masked_address,
        ..
    } = w
        .flow
        .start(&w.login, PASSWORD, &with_old_token)
        .await
        .unwrap()
    else {
        panic!("a mailed code again");
    };
    assert_eq!(masked_address, "j***@new.example");
    let done = signed_in(
        w.flow
            .submit(
                &challenge,
                Answer::MailedCode(&code_in_last_mail(&w.mailer)),
                &with_old_token,
            )
            .await
            .unwrap(),
    );
    assert_eq!(done.stale_device_tokens, vec![laptop_token.clone()]);
    assert_ne!(done.device_token.as_deref(), Some(laptop_token.as_str()));
}

#[tokio::test]
async fn a_browser_with_a_live_device_keeps_it_when_it_verifies_a_code_again() {
    // With a mailed code on every sign-in, a remembered browser verifies a
    // code each time: it keeps its one device record and token.
    let w = World::with(|b| b.mailed_code_policy(latchkey::MailedCodePolicy::Always)).await;
    let first = w.sign_in_from(&w.client()).await;
    let token = first.device_token.clone().expect("remembered");
    let again = w
        .sign_in_from(&w.client().with_device_token(token.clone()))
        .await;
    assert_eq!(again.device_token.as_deref(), Some(token.as_str()));
    assert!(again.stale_device_tokens.is_empty());
    assert_eq!(w.flow.devices(&w.jane).await.unwrap().len(), 1);
}
