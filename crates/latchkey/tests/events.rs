//! Security events: what they say, and that no secret reaches them (or
//! any `Debug` output of the flow's values).

mod common;

use common::{World, signed_in};
use latchkey::core::Clock;
use latchkey::recovery::{ConfirmOutcome, LinkedIdentity, Provider, StartOutcome, TicketForm};
use latchkey::testing::PASSWORD;
use latchkey::{Answer, Recovering, SecurityEvent};
use latchkey_testkit::code_in_last_mail;

#[tokio::test]
async fn no_secret_reaches_events_or_debug() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let done = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    let _ = w
        .flow
        .start("jane", "hunter2 wrong", &w.client())
        .await
        .unwrap();
    let token = done.device_token.clone().unwrap();
    let dumped = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        w.events.events(),
        done,
        challenge,
        w.flow,
        w.client().with_device_token(token.clone())
    );
    // The authentication's tag (its text is for server-side sessions).
    let authentication = done.authentication.to_string();
    let tag = authentication.rsplit('.').next().unwrap();
    for secret in [
        PASSWORD,
        "hunter2",
        &code,
        &challenge.to_string(),
        &token,
        tag,
    ] {
        assert!(!dumped.contains(secret), "{secret:?} leaked into {dumped}");
    }
}

/// Hole 9: the ticket-opened event names the ticket by the first 4
/// characters of its reference only (enough to correlate log lines, not to
/// find or act on the ticket).
#[tokio::test]
async fn hole9_ticket_opened_carries_only_four_characters_of_the_reference() {
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
    let Recovering::Started(StartOutcome::CodeSent { draft, .. }) = w
        .flow
        .recover(&challenge, &form, &w.client())
        .await
        .unwrap()
    else {
        panic!("a code goes to the contact address");
    };
    let code = code_in_last_mail(&w.mailer);
    let ConfirmOutcome::Submitted { reference } =
        w.flow.confirm_recovery(&draft, &code).await.unwrap()
    else {
        panic!("the ticket is queued");
    };
    let full = reference.to_string();
    let opened: Vec<String> = w
        .events
        .events()
        .into_iter()
        .filter_map(|e| match e {
            SecurityEvent::TicketOpened { ticket } => Some(ticket),
            _ => None,
        })
        .collect();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0].chars().count(), 4);
    assert!(full.len() > 4 && full.starts_with(&opened[0]), "{full}");
    let dumped = format!("{:?}", w.events.events());
    assert!(
        !dumped.contains(&full),
        "the reference leaked into {dumped}"
    );
}
