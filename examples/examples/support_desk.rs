//! Support staff working through a recovery ticket: a user who lost her
//! mailbox opens a "Reset my email" ticket with a linked GitHub identity,
//! proves the new address, and staff review, approve and complete it;
//! the flow then changes the address, and her next code goes there.
//!
//! `cargo run -p latchkey-examples --example support_desk`
#![allow(clippy::print_stdout, reason = "an example says what it does")]

use std::sync::Arc;

use latchkey::prelude::*;
use latchkey::recovery::{
    CompleteOutcome, ConfirmOutcome, KnownLink, LinkedIdentity, Provider, StartOutcome, TicketForm,
};
use time::Duration;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run().await
}

async fn run() -> Result<(), Error> {
    let mail = Arc::new(RecordingMailer::new());
    let accounts = Arc::new(InMemoryAccounts::new());
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let flow = SignIn::builder("Example", Keys::ephemeral()?)
        .store(Arc::new(MemoryStore::new()))
        .accounts(accounts.clone())
        .mailer(mail.clone())
        .clock(clock.clone())
        .build()?;
    let Registered::Created { account } = flow
        .register("jane", "jane@example.com", "violet umbrella sky")
        .await?
    else {
        return Err(Error::InvalidSettings("registered"));
    };
    // Long ago Jane linked her GitHub account (the host proved it then).
    accounts.link(
        &account,
        KnownLink {
            provider: Provider::GitHub,
            user_id: "583231".to_owned(),
            linked_at: flow.now() - Duration::days(400),
        },
    );

    // She signs in, but cannot read jane@example.com any more: "Try
    // recovering your account" from the login-verification form.
    let client = ClientContext::new();
    let SignInStep::MailedCodeSent { challenge, .. } =
        flow.start("jane", "violet umbrella sky", &client).await?
    else {
        return Err(Error::InvalidSettings("a mailed code"));
    };
    let form = TicketForm {
        login: "jane".to_owned(),
        contact_email: "jane@new.example".to_owned(),
        reset_email: true,
        details: String::new(),
        identities: vec![LinkedIdentity {
            provider: Provider::GitHub,
            user_id: "583231".to_owned(),
            handle: "octocat".to_owned(),
            verified_at: flow.now(),
        }],
    };
    let Recovering::Started(StartOutcome::CodeSent { draft, .. }) =
        flow.recover(&challenge, &form, &client).await?
    else {
        return Err(Error::InvalidSettings("the ticket form is accepted"));
    };
    // The contact address is proven with the code mailed to it.
    let code = mail.last_code().unwrap_or_default();
    let ConfirmOutcome::Submitted { reference } = flow.confirm_recovery(&draft, &code).await?
    else {
        return Err(Error::InvalidSettings("the contact code is right"));
    };
    println!("ticket {reference} queued for support");

    // Support: read the ticket and its evidence, then decide.
    let desk = flow.recovery()?;
    let ticket = desk
        .ticket(&reference)
        .await?
        .ok_or(Error::InvalidSettings("the ticket exists"))?;
    for item in &ticket.evidence.items {
        println!(
            "evidence: {} id {}: {:?}",
            item.offered.provider, item.offered.user_id, item.finding
        );
    }
    println!(
        "review:   {:?}",
        desk.start_review(&reference, "alice", None).await?
    );
    let note = Some("GitHub id matches a link made long before".to_owned());
    println!(
        "approve:  {:?}",
        desk.approve(&reference, "alice", note).await?
    );
    let CompleteOutcome::Completed(instruction) = desk.complete(&reference, "alice").await? else {
        return Err(Error::InvalidSettings("the ticket completes"));
    };
    println!(
        "complete: {instruction:?} (the flow applied it: new address, old codes void, sessions end)"
    );
    for entry in &desk
        .ticket(&reference)
        .await?
        .map(|t| t.audit)
        .unwrap_or_default()
    {
        println!("audit:    {:?} by {:?}", entry.action, entry.actor);
    }

    // Her next sign-in (after the mailed code's resend cooldown) mails the
    // code to the new address.
    clock.advance(Duration::minutes(2));
    let SignInStep::MailedCodeSent { masked_address, .. } =
        flow.start("jane", "violet umbrella sky", &client).await?
    else {
        return Err(Error::InvalidSettings("a mailed code"));
    };
    println!("the next code went to {masked_address}");
    if masked_address == "j***@new.example" {
        Ok(())
    } else {
        Err(Error::InvalidSettings("the code goes to the new address"))
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn staff_approve_a_reset_and_the_next_code_goes_to_the_new_address() {
        super::run().await.expect("the support-desk example runs");
    }
}
