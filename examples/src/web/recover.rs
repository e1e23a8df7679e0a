//! "Try recovering your account": "Request an Account Recovery", the
//! "Open a Support Ticket" form (`flow.recover`), and the code mailed to
//! the contact address that queues the ticket (`flow.confirm_recovery`).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use latchkey::recovery::{
    ConfirmOutcome, DraftId, Field, LinkedIdentity, StartOutcome, TicketForm,
};
use latchkey::{ChallengeId, Recovering};
use serde::Deserialize;
use time::OffsetDateTime;

use super::App;
use super::connect;
use super::page::{AppError, Page, Reply, message, render, render_status, see_other, throttled};
use super::session::{
    self, OauthPurpose, PENDING, Pending, RECOVERY_DRAFT, RecoveryDraft, TICKET, TicketDraft,
};
use super::visitor::Visitor;
use crate::book::provider;
use crate::standin::StandInProvider;

#[derive(Template)]
#[template(path = "recover.html")]
struct RecoverPage {
    page: Page,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    page: Page,
    draft: TicketDraft,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "ticket_confirm.html")]
struct ConfirmPage {
    page: Page,
    masked: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "ticket_done.html")]
struct DonePage {
    page: Page,
    reference: String,
}

/// The ticket form's fields, and which button was pressed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TicketFields {
    contact: String,
    help: String,
    details: String,
    action: String,
}

/// The contact address's code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeField {
    code: String,
}

/// The sign-in being recovered, or a page saying how to get here.
async fn pending(visitor: &Visitor) -> Result<Result<(Pending, ChallengeId), Reply>, AppError> {
    let found = session::get::<Pending>(&visitor.session, PENDING).await?;
    if let Some(found) = found.and_then(|p| p.challenge.parse().ok().map(|c| (p, c))) {
        return Ok(Ok(found));
    }
    Ok(Err(message(
        StatusCode::BAD_REQUEST,
        visitor.page().await?,
        "Sign in first",
        "Account recovery starts from the Login Verification form: sign in, then choose \
         \"Try recovering your account\".",
        Some(("/login", "Sign In")),
    )))
}

/// `GET /recover`: "Request an Account Recovery".
pub async fn start(visitor: Visitor) -> Reply {
    if let Err(reply) = pending(&visitor).await? {
        return reply;
    }
    render(&RecoverPage {
        page: visitor.page().await?,
    })
}

/// `GET /recover/ticket`: "Open a Support Ticket".
pub async fn ticket(visitor: Visitor) -> Reply {
    if let Err(reply) = pending(&visitor).await? {
        return reply;
    }
    let draft = session::get::<TicketDraft>(&visitor.session, TICKET)
        .await?
        .unwrap_or_else(|| TicketDraft {
            reset_email: true,
            ..TicketDraft::default()
        });
    render(&TicketPage {
        page: visitor.page().await?,
        draft,
        problems: Vec::new(),
    })
}

/// The label of a field with a problem.
fn label(field: Field, draft: &TicketDraft) -> String {
    match field {
        Field::Login => "Username".to_owned(),
        Field::ContactEmail => "Email".to_owned(),
        Field::Details => "Additional Details".to_owned(),
        Field::Identity(i) => draft
            .connected
            .get(i)
            .map_or_else(|| "A connected account".to_owned(), |c| c.provider.clone()),
    }
}

/// `POST /recover/ticket`: "Connect to GitHub", "Connect to Twitter" or
/// "Submit Support Ticket".
pub async fn submit(
    State(app): State<Arc<App>>,
    visitor: Visitor,
    Form(fields): Form<TicketFields>,
) -> Reply {
    let (pending, challenge) = match pending(&visitor).await? {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let mut draft = session::get::<TicketDraft>(&visitor.session, TICKET)
        .await?
        .unwrap_or_default();
    draft.contact = fields.contact.trim().to_owned();
    draft.reset_email = fields.help != "other";
    draft.details = fields.details;
    session::put(&visitor.session, TICKET, &draft).await?;
    if let Some(provider) = StandInProvider::from_slug(&fields.action) {
        return connect::start(&visitor, provider, OauthPurpose::Ticket).await;
    }
    let identities = draft
        .connected
        .iter()
        .map(|c| {
            Ok(LinkedIdentity {
                provider: provider(&c.provider),
                user_id: c.user_id.clone(),
                handle: c.handle.clone(),
                verified_at: OffsetDateTime::from_unix_timestamp(c.verified_at)
                    .map_err(|e| AppError(e.to_string()))?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let form = TicketForm {
        login: pending.login.clone(),
        contact_email: draft.contact.clone(),
        reset_email: draft.reset_email,
        details: if draft.reset_email {
            String::new()
        } else {
            draft.details.clone()
        },
        identities,
    };
    let problems = match app.flow.recover(&challenge, &form, &visitor.client).await? {
        Recovering::Started(StartOutcome::CodeSent {
            draft: id,
            masked_contact,
        }) => {
            let waiting = RecoveryDraft {
                draft: data_encoding::HEXLOWER.encode(&id.0),
                masked: masked_contact,
            };
            session::put(&visitor.session, RECOVERY_DRAFT, waiting).await?;
            return Ok(see_other("/recover/confirm"));
        }
        Recovering::Started(StartOutcome::Invalid(errors)) => errors
            .iter()
            .map(|e| format!("{}: {}", label(e.field, &draft), e.problem))
            .collect(),
        Recovering::Started(StartOutcome::Throttled) => vec![
            "Too many support tickets for this address or account today. Try again tomorrow."
                .to_owned(),
        ],
        Recovering::Expired | Recovering::OtherAccount => {
            visitor.session.remove_value(PENDING).await?;
            session::notice(
                &visitor.session,
                "That sign-in expired. Sign in again, then choose \"Try recovering your account\".",
            )
            .await?;
            return Ok(see_other("/login"));
        }
        Recovering::Throttled { retry_at } => {
            return throttled(visitor.page().await?, Some(retry_at), app.flow.now());
        }
    };
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &TicketPage {
            page: visitor.page().await?,
            draft,
            problems,
        },
    )
}

/// `GET /recover/confirm`: the contact address's code.
pub async fn confirm_form(visitor: Visitor) -> Reply {
    let Some(waiting) = session::get::<RecoveryDraft>(&visitor.session, RECOVERY_DRAFT).await?
    else {
        return Ok(see_other("/recover/ticket"));
    };
    render(&ConfirmPage {
        page: visitor.page().await?,
        masked: waiting.masked,
        error: None,
    })
}

/// `POST /recover/confirm`: the code queues the ticket.
pub async fn confirm(
    State(app): State<Arc<App>>,
    visitor: Visitor,
    Form(field): Form<CodeField>,
) -> Reply {
    let Some(waiting) = session::get::<RecoveryDraft>(&visitor.session, RECOVERY_DRAFT).await?
    else {
        return Ok(see_other("/recover/ticket"));
    };
    let id: Option<[u8; 16]> = data_encoding::HEXLOWER
        .decode(waiting.draft.as_bytes())
        .ok()
        .and_then(|bytes| bytes.try_into().ok());
    let Some(id) = id else {
        visitor.session.remove_value(RECOVERY_DRAFT).await?;
        return Ok(see_other("/recover/ticket"));
    };
    match app
        .flow
        .confirm_recovery(&DraftId(id), field.code.trim())
        .await?
    {
        ConfirmOutcome::Submitted { reference } => {
            app.book
                .queue_ticket(&reference.to_string(), app.flow.now())
                .await?;
            visitor.session.remove_value(RECOVERY_DRAFT).await?;
            visitor.session.remove_value(TICKET).await?;
            render(&DonePage {
                page: visitor.page().await?,
                reference: reference.short(),
            })
        }
        ConfirmOutcome::WrongCode { attempts_left } => render(&ConfirmPage {
            page: visitor.page().await?,
            masked: waiting.masked,
            error: Some(format!(
                "That code is not right. {attempts_left} attempts left."
            )),
        }),
        ConfirmOutcome::Lapsed => {
            visitor.session.remove_value(RECOVERY_DRAFT).await?;
            message(
                StatusCode::OK,
                visitor.page().await?,
                "That code lapsed",
                "Submit the support ticket again for a new code.",
                Some(("/recover/ticket", "Open a Support Ticket")),
            )
        }
    }
}
