//! The staff area: the queue of support tickets, each with its evidence
//! and audit trail, and the moves staff make (`flow.recovery()?`:
//! start_review, approve, reject, complete). Completing an approved
//! "Reset my email" ticket changes the address (latchkey's completion
//! hook does it, and ends the account's sessions).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use latchkey::recovery::{
    ActionOutcome, Actor, AuditAction, CompleteOutcome, Finding, Instruction, Ticket, TicketId,
    TicketState, Topic,
};
use serde::Deserialize;

use super::App;
use super::page::{Page, Reply, message, render, see_other, when};
use super::session;
use super::visitor::Member;

#[derive(Template)]
#[template(path = "staff.html")]
struct QueuePage {
    page: Page,
    rows: Vec<Row>,
}

struct Row {
    number: i64,
    reference: String,
    state: &'static str,
    login: String,
    topic: &'static str,
    submitted: String,
}

#[derive(Template)]
#[template(path = "staff_ticket.html")]
struct TicketPage {
    page: Page,
    number: i64,
    reference: String,
    state: &'static str,
    login: String,
    account: String,
    contact: String,
    topic: &'static str,
    details: String,
    submitted: String,
    evidence: Vec<(String, String, String, String)>,
    audit: Vec<(String, String, String, String)>,
    can_review: bool,
    can_decide: bool,
    can_complete: bool,
}

/// A staff move, with an optional note.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActForm {
    action: String,
    note: String,
}

fn state_name(state: TicketState) -> &'static str {
    match state {
        TicketState::Submitted => "submitted",
        TicketState::InReview => "in review",
        TicketState::Approved => "approved",
        TicketState::Completed => "completed",
        TicketState::Rejected => "rejected",
        TicketState::Withdrawn => "withdrawn",
        TicketState::Expired => "expired",
    }
}

fn topic_name(topic: &Topic) -> &'static str {
    match topic {
        Topic::ResetEmail => "Reset my email",
        Topic::Other { .. } => "Other",
    }
}

/// What everyone but staff sees of the staff area: nothing at all.
async fn not_found(member: &Member) -> Reply {
    message(
        StatusCode::NOT_FOUND,
        member.visitor.page().await?,
        "Not found",
        "There is no page here.",
        Some(("/", "Home")),
    )
}

/// `GET /staff`: the ticket queue.
pub async fn queue(State(app): State<Arc<App>>, member: Member) -> Reply {
    if !member.user.staff {
        return not_found(&member).await;
    }
    let recovery = app.flow.recovery()?;
    let mut rows = Vec::new();
    for queued in app.book.queue().await? {
        let Ok(id) = queued.reference.parse::<TicketId>() else {
            continue;
        };
        if let Some(t) = recovery.ticket(&id).await? {
            rows.push(Row {
                number: queued.number,
                reference: id.short(),
                state: state_name(t.state),
                login: t.login.clone(),
                topic: topic_name(&t.topic),
                submitted: when(t.submitted_at),
            });
        }
    }
    render(&QueuePage {
        page: member.visitor.page().await?,
        rows,
    })
}

async fn load(app: &App, number: i64) -> Result<Option<(TicketId, Ticket)>, super::page::AppError> {
    let Some(queued) = app.book.queued(number).await? else {
        return Ok(None);
    };
    let Ok(id) = queued.reference.parse::<TicketId>() else {
        return Ok(None);
    };
    Ok(app.flow.recovery()?.ticket(&id).await?.map(|t| (id, t)))
}

fn finding(f: &Finding) -> String {
    match f {
        Finding::Matches { linked_at } => format!(
            "matches an identity linked to the account on {}",
            when(*linked_at)
        ),
        Finding::LinkedAfterTicket => "linked only after the ticket: proves nothing".to_owned(),
        Finding::NoMatch => "not linked to the account".to_owned(),
    }
}

fn actor(a: &Actor) -> String {
    match a {
        Actor::Requester => "the requester".to_owned(),
        Actor::AccountOwner => "the account's owner".to_owned(),
        Actor::Staff(name) => format!("staff {name}"),
        Actor::System => "latchkey".to_owned(),
    }
}

fn action(a: &AuditAction) -> String {
    match a {
        AuditAction::Opened => "opened".to_owned(),
        AuditAction::Transition(t) => format!("{t:?}"),
        AuditAction::FirstApproval => "first approval".to_owned(),
        AuditAction::Note => "note".to_owned(),
    }
}

/// `GET /staff/tickets/{number}`: one ticket, its evidence and audit.
pub async fn ticket(State(app): State<Arc<App>>, Path(number): Path<i64>, member: Member) -> Reply {
    if !member.user.staff {
        return not_found(&member).await;
    }
    let Some((id, t)) = load(&app, number).await? else {
        return Ok(see_other("/staff"));
    };
    let evidence = t
        .evidence
        .items
        .iter()
        .map(|item| {
            (
                item.offered.provider.to_string(),
                item.offered.user_id.clone(),
                item.offered.handle.clone(),
                finding(&item.finding),
            )
        })
        .collect();
    let audit = t
        .audit
        .iter()
        .map(|e| {
            (
                when(e.at),
                actor(&e.actor),
                action(&e.action),
                e.note.clone().unwrap_or_default(),
            )
        })
        .collect();
    let details = match &t.topic {
        Topic::Other { details } => details.clone(),
        Topic::ResetEmail => String::new(),
    };
    render(&TicketPage {
        page: member.visitor.page().await?,
        number,
        reference: id.short(),
        state: state_name(t.state),
        login: t.login.clone(),
        account: t
            .account
            .as_ref()
            .map_or_else(|| "none (no such login)".to_owned(), |a| a.to_string()),
        contact: t.contact.to_string(),
        topic: topic_name(&t.topic),
        details,
        submitted: when(t.submitted_at),
        evidence,
        audit,
        can_review: t.state == TicketState::Submitted,
        can_decide: t.state == TicketState::InReview,
        can_complete: t.state == TicketState::Approved,
    })
}

fn outcome(o: &ActionOutcome) -> String {
    match o {
        ActionOutcome::Done(state) => format!("Done: the ticket is {}.", state_name(*state)),
        ActionOutcome::AwaitingSecondApproval => {
            "Approval recorded: a second reviewer must approve too.".to_owned()
        }
        ActionOutcome::SameReviewer => "A second approval must come from someone else.".to_owned(),
        ActionOutcome::NotAllowed(state) => {
            format!("Not allowed while the ticket is {}.", state_name(*state))
        }
        ActionOutcome::Conflict => "Someone changed the ticket meanwhile: look again.".to_owned(),
        ActionOutcome::NotFound => "No such ticket.".to_owned(),
        ActionOutcome::NoAccount => {
            "That login belongs to no account: its email cannot be reset.".to_owned()
        }
        ActionOutcome::WrongToken => "Wrong token.".to_owned(),
    }
}

/// `POST /staff/tickets/{number}`: "Start review", "Approve", "Reject",
/// "Complete".
pub async fn act(
    State(app): State<Arc<App>>,
    Path(number): Path<i64>,
    member: Member,
    Form(form): Form<ActForm>,
) -> Reply {
    if !member.user.staff {
        return not_found(&member).await;
    }
    let Some((id, _)) = load(&app, number).await? else {
        return Ok(see_other("/staff"));
    };
    let recovery = app.flow.recovery()?;
    let staff = member.user.login.as_str();
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let text = match form.action.as_str() {
        "review" => outcome(&recovery.start_review(&id, staff, note).await?),
        "approve" => outcome(&recovery.approve(&id, staff, note).await?),
        "reject" => outcome(&recovery.reject(&id, staff, note).await?),
        "complete" => match recovery.complete(&id, staff).await? {
            CompleteOutcome::Completed(Instruction::ResetEmail { new_address, .. }) => format!(
                "Completed: the account's address is now {new_address}, and its sessions ended."
            ),
            CompleteOutcome::Completed(Instruction::Resolved) => "Completed.".to_owned(),
            CompleteOutcome::TooEarly { not_before } => {
                format!(
                    "It may complete at {} (the waiting period).",
                    when(not_before)
                )
            }
            CompleteOutcome::Refused(o) => outcome(&o),
        },
        _ => "Choose an action.".to_owned(),
    };
    session::notice(&member.visitor.session, text).await?;
    Ok(see_other(&format!("/staff/tickets/{number}")))
}
