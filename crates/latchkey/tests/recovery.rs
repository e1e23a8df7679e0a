//! "Try recovering your account" from the login-verification form.

mod common;

use common::World;
use latchkey::core::Clock;
use latchkey::recovery::{ConfirmOutcome, LinkedIdentity, Provider, StartOutcome, TicketForm};
use latchkey::{Recovering, SecurityEvent};
use latchkey_testkit::code_in_last_mail;
use time::Duration;

#[tokio::test]
async fn try_recovering_your_account_opens_a_ticket() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let form = TicketForm {
        login: "jane".into(),
        contact_email: "jane.new@example.org".into(),
        reset_email: true,
        details: String::new(),
        identities: vec![LinkedIdentity {
            provider: Provider::GitHub,
            user_id: "583231".into(),
            handle: "jane".into(),
            verified_at: w.clock.now(),
        }],
    };
    // The form must be for this sign-in's account.
    let other = TicketForm {
        login: "somebody-else".into(),
        ..form.clone()
    };
    assert_eq!(
        w.flow
            .recover(&challenge, &other, &w.client())
            .await
            .unwrap(),
        Recovering::OtherAccount
    );
    let Recovering::Started(StartOutcome::CodeSent { draft, .. }) = w
        .flow
        .recover(&challenge, &form, &w.client())
        .await
        .unwrap()
    else {
        panic!("a code goes to the contact address");
    };
    assert_eq!(w.mailer.last().unwrap().to.as_str(), "jane.new@example.org");
    let code = code_in_last_mail(&w.mailer);
    let ConfirmOutcome::Submitted { reference } =
        w.flow.confirm_recovery(&draft, &code).await.unwrap()
    else {
        panic!("the ticket is queued");
    };
    let events = w.events.events();
    assert!(events.contains(&SecurityEvent::RecoveryStarted {
        account: w.jane.clone()
    }));
    assert!(events.contains(&SecurityEvent::TicketOpened {
        ticket: reference.short()
    }));
    // From a dead challenge, no.
    w.clock.advance(Duration::minutes(16));
    assert_eq!(
        w.flow
            .recover(&challenge, &form, &w.client())
            .await
            .unwrap(),
        Recovering::Expired
    );
}
