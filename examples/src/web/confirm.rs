//! "Confirm it's you": a sensitive change answered
//! `Sensitive::NeedsFreshAuthentication`, so the user proves it again
//! (`flow.reauthenticate`, with the password or a 2FA code) and goes back.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use latchkey::twofactor::Mode;
use latchkey::{Reauthenticate, Reauthenticated};
use serde::Deserialize;

use super::App;
use super::page::{Page, Reply, render, see_other, throttled};
use super::session::{self, NEXT};
use super::twofactor::factor;
use super::visitor::Member;

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    page: Page,
    login: String,
    two_factor: bool,
    error: Option<String>,
}

/// The password, or a code.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    password: String,
    code: String,
}

impl std::fmt::Debug for ConfirmForm {
    /// Leaves out what was typed (a password is among it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmForm").finish_non_exhaustive()
    }
}

/// Where "Confirm it's you" may send the user back to.
const BACK_TO: &[&str] = &["/account", "/publish"];

/// Whether `next` is one of [`BACK_TO`] or a command-line login's page
/// (`/login/cli/` and a well-formed id), never anywhere else.
fn may_go_back_to(next: &str) -> bool {
    BACK_TO.contains(&next)
        || next
            .strip_prefix("/login/cli/")
            .is_some_and(|id| id.parse::<latchkey::cli_login::CliLoginId>().is_ok())
}

async fn page(app: &App, member: &Member, error: Option<String>) -> Reply {
    let mode = app.flow.two_factor()?.mode(&member.user.account).await?;
    render(&ConfirmPage {
        page: member.visitor.page().await?,
        login: member.user.login.clone(),
        two_factor: mode != Mode::Off,
        error,
    })
}

/// `GET /confirm`.
pub async fn form(State(app): State<Arc<App>>, member: Member) -> Reply {
    page(&app, &member, None).await
}

/// `POST /confirm`.
pub async fn submit(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<ConfirmForm>,
) -> Reply {
    let proof = if form.code.trim().is_empty() {
        Reauthenticate::Password {
            login: &member.user.login,
            password: &form.password,
        }
    } else {
        Reauthenticate::SecondFactor(factor(&form.code))
    };
    match app.flow.reauthenticate(&member.user.auth, proof).await? {
        Reauthenticated::Fresh(auth) => {
            member.visitor.renew(&auth).await?;
            let next = session::take::<String>(&member.visitor.session, NEXT)
                .await?
                .filter(|n| may_go_back_to(n))
                .unwrap_or_else(|| "/account".to_owned());
            session::notice(&member.visitor.session, "Confirmed. Go ahead.").await?;
            Ok(see_other(&next))
        }
        Reauthenticated::Denied => {
            page(&app, &member, Some("That is not right. Try again.".into())).await
        }
        Reauthenticated::Ended => {
            member.visitor.session.flush().await?;
            session::notice(
                &member.visitor.session,
                "Your session ended. Sign in again.",
            )
            .await?;
            Ok(see_other("/login"))
        }
        Reauthenticated::Throttled { retry_at } => {
            throttled(member.visitor.page().await?, retry_at, app.flow.now())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::may_go_back_to;

    #[test]
    fn only_our_pages_are_places_to_go_back_to() {
        assert!(may_go_back_to("/account"));
        assert!(may_go_back_to(&format!("/login/cli/{}", "A".repeat(43))));
        for elsewhere in [
            "https://evil.example/",
            "//evil.example",
            "/login/cli/",
            "/login/cli/../../account",
            "/staff",
        ] {
            assert!(!may_go_back_to(elsewhere), "{elsewhere}");
        }
    }
}
