//! Hardening of a ticket's life: withdrawal by reference only while it is
//! queued, the owner's cancel code after that, short references in every
//! `Debug`, evidence weighed as of the start (REQ-35), and the completion
//! hook (REQ-36).

mod support;

use latchkey_core::{AccountId, EmailAddress};
use latchkey_recovery::{
    ActionOutcome, Actor, CompleteOutcome, ConfirmOutcome, Error, Finding, Instruction,
    RecoverySettings, TicketId, TicketState,
};
use support::{ACCOUNT, Fixture, GITHUB_ID, OWNER};
use time::Duration;

async fn approved(f: &Fixture) -> TicketId {
    let id = f.submit("jane", "jane@new.example").await;
    assert_eq!(
        f.recovery.start_review(&id, "alice", None).await.unwrap(),
        ActionOutcome::Done(TicketState::InReview)
    );
    assert_eq!(
        f.recovery.approve(&id, "alice", None).await.unwrap(),
        ActionOutcome::Done(TicketState::Approved)
    );
    id
}

fn reset_for_jane() -> Instruction {
    Instruction::ResetEmail {
        account: AccountId::new(ACCOUNT).unwrap(),
        new_address: EmailAddress::parse("jane@new.example").unwrap(),
        void_codes: true,
        end_sessions: true,
    }
}

#[tokio::test]
async fn the_reference_alone_withdraws_a_queued_ticket() {
    let f = Fixture::new(RecoverySettings::default());
    let id = f.submit("jane", "jane@new.example").await;
    assert_eq!(
        f.recovery.withdraw(&id).await.unwrap(),
        ActionOutcome::Done(TicketState::Withdrawn)
    );
    let ticket = f.recovery.ticket(&id).await.unwrap().unwrap();
    assert_eq!(ticket.audit.last().unwrap().actor, Actor::Requester);
    assert_eq!(
        f.recovery.withdraw(&TicketId([0; 16])).await.unwrap(),
        ActionOutcome::NotFound
    );
}

#[tokio::test]
async fn the_reference_alone_cannot_withdraw_a_reviewed_or_approved_ticket() {
    let f = Fixture::new(RecoverySettings::default());
    let id = f.submit("jane", "jane@new.example").await;
    let _ = f.recovery.start_review(&id, "alice", None).await.unwrap();
    assert_eq!(
        f.recovery.withdraw(&id).await.unwrap(),
        ActionOutcome::NotAllowed(TicketState::InReview)
    );
    let _ = f.recovery.approve(&id, "alice", None).await.unwrap();
    assert_eq!(
        f.recovery.withdraw(&id).await.unwrap(),
        ActionOutcome::NotAllowed(TicketState::Approved)
    );
    let ticket = f.recovery.ticket(&id).await.unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Approved);
    assert_eq!(ticket.audit.len(), 3, "opened, review, approve: no more");
    assert!(matches!(
        f.recovery.complete(&id, "alice").await.unwrap(),
        CompleteOutcome::Completed(_)
    ));
}

#[tokio::test]
async fn after_review_only_the_cancel_code_sent_to_the_address_of_record_stops_it() {
    let f = Fixture::new(RecoverySettings::default());
    let id = approved(&f).await;
    let token = f.cancel_token();
    assert_eq!(
        f.recovery.cancel(&id, "AAAAAAAAAAAAAAAA").await.unwrap(),
        ActionOutcome::WrongToken
    );
    let other = f.submit("jane", "someone@new.example").await;
    assert_eq!(
        f.recovery.cancel(&id, &f.cancel_token()).await.unwrap(),
        ActionOutcome::WrongToken,
        "another ticket's code cancels only that ticket"
    );
    assert_eq!(
        f.recovery
            .cancel(&id, &format!(" {} ", token.to_lowercase()))
            .await
            .unwrap(),
        ActionOutcome::Done(TicketState::Withdrawn)
    );
    let ticket = f.recovery.ticket(&id).await.unwrap().unwrap();
    assert_eq!(ticket.audit.last().unwrap().actor, Actor::AccountOwner);
    assert_eq!(
        f.recovery.ticket(&other).await.unwrap().unwrap().state,
        TicketState::Submitted
    );
}

#[tokio::test]
async fn debug_output_never_holds_a_whole_reference() {
    let f = Fixture::new(RecoverySettings::default());
    let (draft, code) = f.started("jane", "jane@new.example").await;
    let outcome = f.recovery.confirm(&draft, &code).await.unwrap();
    let ConfirmOutcome::Submitted { reference } = &outcome else {
        panic!("{outcome:?}")
    };
    let full = reference.to_string();
    let ticket = f.recovery.ticket(reference).await.unwrap().unwrap();
    let mut shown = vec![
        format!("{reference:?}"),
        format!("{outcome:?}"),
        format!("{ticket:?}"),
        format!("{:?}", f.recovery),
    ];
    shown.extend(f.mailer.inner.messages().iter().map(|m| format!("{m:?}")));
    for text in &shown {
        assert!(!text.contains(&full), "{text}");
    }
    assert!(shown[0].contains(&reference.short()));
    assert!(
        f.mails_to("jane@new.example")
            .iter()
            .any(|m| m.text.contains(&full)),
        "the requester still gets the whole reference, in the body"
    );
}

#[tokio::test]
async fn req_35_an_identity_linked_after_the_start_is_not_evidence() {
    let f = Fixture::new(RecoverySettings::default());
    let (draft, code) = f.started("jane", "jane@new.example").await;
    f.clock.advance(Duration::minutes(1));
    f.links.link(GITHUB_ID, f.now());
    f.clock.advance(Duration::minutes(1));
    let ConfirmOutcome::Submitted { reference } = f.recovery.confirm(&draft, &code).await.unwrap()
    else {
        panic!("not submitted")
    };
    let ticket = f.recovery.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(ticket.evidence.items[0].finding, Finding::LinkedAfterTicket);
    assert_eq!(ticket.evidence.matches(), 0);
}

#[tokio::test]
async fn req_35_an_identity_linked_before_the_start_is_evidence() {
    let f = Fixture::new(RecoverySettings::default());
    let linked_at = f.now() - Duration::days(400);
    f.links.link(GITHUB_ID, linked_at);
    let (draft, code) = f.started("jane", "jane@new.example").await;
    f.clock.advance(Duration::minutes(5));
    let ConfirmOutcome::Submitted { reference } = f.recovery.confirm(&draft, &code).await.unwrap()
    else {
        panic!("not submitted")
    };
    let ticket = f.recovery.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(
        ticket.evidence.items[0].finding,
        Finding::Matches { linked_at }
    );
}

#[tokio::test]
async fn req_36_the_completion_hook_sees_the_instruction_once_before_the_mails() {
    let (f, hook) = Fixture::new(RecoverySettings::default()).with_hook(false);
    let id = approved(&f).await;
    let CompleteOutcome::Completed(instruction) = f.recovery.complete(&id, "alice").await.unwrap()
    else {
        panic!("not completed")
    };
    assert_eq!(instruction, reset_for_jane());
    assert_eq!(
        hook.calls(),
        vec![(Some(AccountId::new(ACCOUNT).unwrap()), reset_for_jane())]
    );
    assert!(matches!(
        f.recovery.complete(&id, "alice").await.unwrap(),
        CompleteOutcome::Refused(ActionOutcome::NotAllowed(TicketState::Completed))
    ));
    assert_eq!(hook.calls().len(), 1, "once");

    let before = hook.mails_before.lock().unwrap()[0];
    let after: Vec<String> = f.mailer.inner.messages()[before..]
        .iter()
        .map(|m| format!("{} {}", m.to, m.subject))
        .collect();
    assert_eq!(
        after,
        [
            format!("{OWNER} Your account's email address changed"),
            "jane@new.example Your account's email address changed".to_owned(),
        ],
        "both addresses told after the hook, the old one as it was before"
    );
}

#[tokio::test]
async fn req_36_a_failing_hook_is_an_error_of_complete_and_the_ticket_stays_completed() {
    let (f, hook) = Fixture::new(RecoverySettings::default()).with_hook(true);
    let id = approved(&f).await;
    let mails = f.mailer.inner.messages().len();
    let err = f.recovery.complete(&id, "alice").await.unwrap_err();
    let Error::Completion { instruction, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(**instruction, reset_for_jane());
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(
        f.recovery.ticket(&id).await.unwrap().unwrap().state,
        TicketState::Completed
    );
    assert_eq!(f.mailer.inner.messages().len(), mails, "no 'changed' mail");
    assert!(matches!(
        f.recovery.complete(&id, "alice").await.unwrap(),
        CompleteOutcome::Refused(ActionOutcome::NotAllowed(TicketState::Completed))
    ));
    assert_eq!(hook.calls().len(), 1);
}

#[tokio::test]
async fn the_completion_hook_sees_an_other_ticket_as_resolved() {
    let (f, hook) = Fixture::new(RecoverySettings::default()).with_hook(false);
    let mut form = f.form("nobody", "x@new.example");
    form.reset_email = false;
    form.details = "please help".into();
    let latchkey_recovery::StartOutcome::CodeSent { draft, .. } =
        f.recovery.start(&form).await.unwrap()
    else {
        panic!("no code")
    };
    let code = f.mailer.inner.last_code().unwrap();
    let ConfirmOutcome::Submitted { reference: id } =
        f.recovery.confirm(&draft, &code).await.unwrap()
    else {
        panic!("not submitted")
    };
    let _ = f.recovery.start_review(&id, "alice", None).await.unwrap();
    let _ = f.recovery.approve(&id, "alice", None).await.unwrap();
    assert_eq!(
        f.recovery.complete(&id, "alice").await.unwrap(),
        CompleteOutcome::Completed(Instruction::Resolved)
    );
    assert_eq!(hook.calls(), vec![(None, Instruction::Resolved)]);
}
