//! "Confirm it's you": a sensitive change answered
//! `Sensitive::NeedsFreshAuthentication`, so the user proves it again
//! (`flow.reauthenticate`, with the password, a 2FA code or the security
//! key) and goes back. With 2FA on, adding or removing a factor takes a
//! factor (latchkey refuses a password-only confirmation for those).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use latchkey::twofactor::Mode;
use latchkey::webauthn::{CeremonyId, parse_assertion};
use latchkey::{Reauthenticate, Reauthenticated};
use serde::Deserialize;

use super::App;
use super::page::{Page, Reply, render, see_other, throttled};
use super::session::{self, KEY_CEREMONY, NEXT};
use super::twofactor::factor;
use super::visitor::Member;

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    page: Page,
    login: String,
    two_factor: bool,
    /// Options for "Use a security key" (JSON), when the account has one.
    key_options: Option<String>,
    error: Option<String>,
}

/// The password, a code, or (`method=security-key`) the browser's
/// assertion in `credential`.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    password: String,
    code: String,
    method: String,
    credential: String,
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
    let key_options = match app
        .flow
        .reauthentication_key_request(&member.user.auth)
        .await?
    {
        Some(request) => {
            session::put(
                &member.visitor.session,
                KEY_CEREMONY,
                request.ceremony.to_string(),
            )
            .await?;
            Some(serde_json::to_string(&request.options)?)
        }
        None => None,
    };
    render(&ConfirmPage {
        page: member.visitor.page().await?,
        login: member.user.login.clone(),
        two_factor: mode != Mode::Off,
        key_options,
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
    // The ceremony answers once, whatever the answer.
    let ceremony = session::take::<String>(&member.visitor.session, KEY_CEREMONY)
        .await?
        .and_then(|c| c.parse::<CeremonyId>().ok());
    let credential = parse_assertion(&form.credential).ok();
    let proof = match (form.method.as_str(), &ceremony, &credential) {
        ("security-key", Some(ceremony), Some(credential)) => Reauthenticate::SecurityKey {
            ceremony,
            credential,
        },
        ("security-key", _, _) => {
            return page(
                &app,
                &member,
                Some("Your security key's answer did not arrive.".into()),
            )
            .await;
        }
        _ if form.code.trim().is_empty() => Reauthenticate::Password {
            login: &member.user.login,
            password: &form.password,
        },
        _ => Reauthenticate::SecondFactor(factor(&form.code)),
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
