//! The browser half of `registry-cli login` (npm's `loginUrl`): the page
//! that shows the command line's user code, and "Allow this command line
//! to sign in" or "Deny". A visitor who is not signed in signs in first
//! and comes back here; an approval needs a fresh sign-in ("Confirm it's
//! you" when the last one is older than the fresh window).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use latchkey::cli_login::CliLoginId;
use latchkey::{CliLoginDecided, Sensitive};
use serde::Deserialize;

use super::App;
use super::page::{Page, Reply, message, render, see_other, when};
use super::session::{self, AFTER_SIGN_IN};
use super::visitor::{Member, Visitor};

#[derive(Template)]
#[template(path = "cli_login.html")]
struct CliLoginPage {
    page: Page,
    id: String,
    login: String,
    user_code: String,
    client: Option<String>,
    expires: String,
}

/// "Allow" or "Deny".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
}

fn gone(page: Page) -> Reply {
    message(
        StatusCode::NOT_FOUND,
        page,
        "This sign-in request is over",
        "It expired, was already answered, or never existed. Run the login command again.",
        Some(("/", "Home")),
    )
}

/// `GET /login/cli/{id}`.
pub async fn page(State(app): State<Arc<App>>, visitor: Visitor, Path(id): Path<String>) -> Reply {
    let Ok(parsed) = id.parse::<CliLoginId>() else {
        return gone(visitor.page().await?);
    };
    let Some(request) = app.flow.cli_login_request(&parsed).await? else {
        return gone(visitor.page().await?);
    };
    let Some(user) = &visitor.user else {
        // Back here once signed in (the sign-in keeps only this path).
        session::put(&visitor.session, AFTER_SIGN_IN, format!("/login/cli/{id}")).await?;
        session::notice(
            &visitor.session,
            "Sign in to allow the command line to sign in as you.",
        )
        .await?;
        return Ok(see_other("/login"));
    };
    render(&CliLoginPage {
        page: visitor.page().await?,
        login: user.login.clone(),
        id,
        user_code: request.user_code.to_string(),
        client: request.client,
        expires: when(request.expires_at),
    })
}

/// `POST /login/cli/{id}`.
pub async fn decide(
    State(app): State<Arc<App>>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Reply {
    let Ok(parsed) = id.parse::<CliLoginId>() else {
        return gone(member.visitor.page().await?);
    };
    let auth = &member.user.auth;
    let allow = form.decision == "allow";
    let answer = if allow {
        app.flow.approve_cli_login(auth, &parsed).await?
    } else {
        app.flow.deny_cli_login(auth, &parsed).await?
    };
    match answer {
        Sensitive::NeedsFreshAuthentication => {
            member.confirm_first(&format!("/login/cli/{id}")).await
        }
        Sensitive::Done {
            outcome: CliLoginDecided::Gone,
            ..
        } => gone(member.visitor.page().await?),
        Sensitive::Done { .. } => {
            let (title, text) = if allow {
                (
                    "The command line is signed in",
                    "Go back to your terminal: it has its token. You can close this tab.",
                )
            } else {
                (
                    "Denied",
                    "The command line was refused. If you did not start it, change your password.",
                )
            };
            message(
                StatusCode::OK,
                member.visitor.page().await?,
                title,
                text,
                Some(("/account", "Account")),
            )
        }
    }
}
