//! "Sign In" and "Login Verification": the password (`flow.start`), then
//! the mailed one-time password or the authenticator's code
//! (`flow.submit`), "Send another code" (`flow.resend`), and signing out.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use latchkey::core::EmailAddress;
use latchkey::{Answer, ChallengeId, Resent, SignInStep, Submitted};
use serde::Deserialize;

use super::App;
use super::page::{
    Page, Reply, render, render_status, see_other, throttled, when, with_retry_after,
};
use super::session::{self, PENDING, Pending};
use super::visitor::Visitor;

#[derive(Template)]
#[template(path = "login.html")]
struct SignInPage {
    page: Page,
    login: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    page: Page,
    second_factor: bool,
    recovery: bool,
    masked: String,
    error: Option<String>,
}

/// "Username or email" and "Password".
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SignInForm {
    login: String,
    password: String,
}

impl std::fmt::Debug for SignInForm {
    /// Leaves out what was typed (a password is among it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm").finish_non_exhaustive()
    }
}

/// The code as typed, and which kind (`recovery` for a recovery code).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    method: String,
}

/// `?use=recovery` switches the 2FA form to a recovery code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyQuery {
    #[serde(rename = "use")]
    with: String,
}

/// `GET /login`.
pub async fn form(visitor: Visitor) -> Reply {
    render(&SignInPage {
        page: visitor.page().await?,
        login: String::new(),
        error: None,
    })
}

/// The login to sign in with: an address names the one account that has
/// it (else it is tried as typed, and denied like any unknown login);
/// usernames are lowercase.
async fn resolve_login(app: &App, typed: &str) -> Result<String, super::page::AppError> {
    if typed.contains('@') {
        if let Ok(address) = EmailAddress::parse(typed)
            && let Some(login) = app.book.login_for_email(&address).await?
        {
            return Ok(login);
        }
        return Ok(typed.to_owned());
    }
    Ok(typed.to_lowercase())
}

/// `POST /login`: the password step.
pub async fn submit(
    State(app): State<Arc<App>>,
    visitor: Visitor,
    Form(form): Form<SignInForm>,
) -> Reply {
    let typed = form.login.trim();
    let login = resolve_login(&app, typed).await?;
    let again = |error: String| SignInPage {
        page: Page::default(),
        login: typed.to_owned(),
        error: Some(error),
    };
    let mut page = match app
        .flow
        .start(&login, &form.password, &visitor.client)
        .await?
    {
        SignInStep::SignedIn(done) => {
            let mut response = see_other("/");
            visitor.sign_in(&app, &done, &mut response).await?;
            return Ok(response);
        }
        SignInStep::MailedCodeSent {
            challenge,
            masked_address,
            ..
        } => {
            let pending = Pending {
                challenge: challenge.to_string(),
                login,
                second_factor: false,
                masked: Some(masked_address),
            };
            session::put(&visitor.session, PENDING, pending).await?;
            return Ok(see_other("/login/verify"));
        }
        SignInStep::SecondFactorRequired { challenge, .. } => {
            let pending = Pending {
                challenge: challenge.to_string(),
                login,
                second_factor: true,
                masked: None,
            };
            session::put(&visitor.session, PENDING, pending).await?;
            return Ok(see_other("/login/verify"));
        }
        SignInStep::CodeRecentlySent {
            masked_address,
            resend_at,
        } => {
            let text = format!(
                "We sent a one-time password to {masked_address} moments ago. Use that code, \
                 or try again at {} for a new one.",
                when(resend_at)
            );
            let waiting = session::get::<Pending>(&visitor.session, PENDING).await?;
            if waiting.is_some_and(|p| p.login == login && !p.second_factor) {
                session::notice(&visitor.session, text).await?;
                return Ok(see_other("/login/verify"));
            }
            again(text)
        }
        // One answer for a wrong password and an unknown login.
        SignInStep::Denied => again("Incorrect username or password.".to_owned()),
        SignInStep::Throttled { retry_at } => {
            return throttled(visitor.page().await?, retry_at, app.flow.now());
        }
    };
    page.page = visitor.page().await?;
    render(&page)
}

/// `GET /login/verify`: "Login Verification".
pub async fn verify_form(visitor: Visitor, Query(query): Query<VerifyQuery>) -> Reply {
    let Some(pending) = session::get::<Pending>(&visitor.session, PENDING).await? else {
        session::notice(&visitor.session, "Sign in first.").await?;
        return Ok(see_other("/login"));
    };
    render(&verify_page(&visitor, &pending, query.with == "recovery", None).await?)
}

async fn verify_page(
    visitor: &Visitor,
    pending: &Pending,
    recovery: bool,
    error: Option<String>,
) -> Result<VerifyPage, super::page::AppError> {
    Ok(VerifyPage {
        page: visitor.page().await?,
        second_factor: pending.second_factor,
        recovery: pending.second_factor && recovery,
        masked: pending.masked.clone().unwrap_or_default(),
        error,
    })
}

/// The pending sign-in and its challenge, or the way back to "Sign In".
async fn pending(
    visitor: &Visitor,
) -> Result<Result<(Pending, ChallengeId), Reply>, super::page::AppError> {
    let found = session::get::<Pending>(&visitor.session, PENDING).await?;
    match found.and_then(|p| p.challenge.parse().ok().map(|c| (p, c))) {
        Some(found) => Ok(Ok(found)),
        None => Ok(Err(start_again(visitor, "Sign in first.").await)),
    }
}

async fn start_again(visitor: &Visitor, why: &str) -> Reply {
    visitor.session.remove_value(PENDING).await?;
    session::notice(&visitor.session, why).await?;
    Ok(see_other("/login"))
}

/// `POST /login/verify`: the code.
pub async fn verify(
    State(app): State<Arc<App>>,
    visitor: Visitor,
    Form(form): Form<CodeForm>,
) -> Reply {
    let (pending, challenge) = match pending(&visitor).await? {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let code = form.code.trim();
    let recovery = form.method == "recovery";
    let answer = match (pending.second_factor, recovery) {
        (false, _) => Answer::MailedCode(code),
        (true, false) => Answer::Totp(code),
        (true, true) => Answer::RecoveryCode(code),
    };
    match app.flow.submit(&challenge, answer, &visitor.client).await? {
        Submitted::SignedIn(done) => {
            let mut response = see_other("/");
            visitor.sign_in(&app, &done, &mut response).await?;
            if let Some(left) = done.recovery_codes_left {
                session::notice(
                    &visitor.session,
                    format!("Signed in with a recovery code: {left} recovery codes left."),
                )
                .await?;
            }
            Ok(response)
        }
        Submitted::Wrong { attempts_left: 0 } => {
            start_again(&visitor, "Too many wrong codes. Sign in again.").await
        }
        Submitted::Wrong { attempts_left } => {
            let error = format!("That code is not right. {attempts_left} attempts left.");
            render(&verify_page(&visitor, &pending, recovery, Some(error)).await?)
        }
        Submitted::Expired => start_again(&visitor, "That sign-in expired. Sign in again.").await,
        Submitted::Throttled { retry_at } => {
            throttled(visitor.page().await?, retry_at, app.flow.now())
        }
    }
}

/// `POST /login/resend`: "Send another code".
pub async fn resend(State(app): State<Arc<App>>, visitor: Visitor) -> Reply {
    let (mut pending, challenge) = match pending(&visitor).await? {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    match app.flow.resend(&challenge, &visitor.client).await? {
        Resent::Sent { masked_address } => {
            session::notice(
                &visitor.session,
                format!(
                    "We sent another code to {masked_address}. The earlier one no longer works."
                ),
            )
            .await?;
            pending.masked = Some(masked_address);
            session::put(&visitor.session, PENDING, pending).await?;
            Ok(see_other("/login/verify"))
        }
        Resent::TooSoon { retry_after } => {
            let now = app.flow.now();
            let at = now + retry_after;
            let error = format!("A code was sent moments ago. Try again at {}.", when(at));
            let page = verify_page(&visitor, &pending, false, Some(error)).await?;
            let mut response = render_status(StatusCode::TOO_MANY_REQUESTS, &page)?;
            with_retry_after(&mut response, at, now);
            Ok(response)
        }
        Resent::Expired => start_again(&visitor, "That sign-in expired. Sign in again.").await,
    }
}

/// `POST /logout`: "Sign Out" ends the session (remembered devices stay).
pub async fn sign_out(visitor: Visitor) -> Reply {
    visitor.session.flush().await?;
    session::notice(&visitor.session, "Signed out.").await?;
    Ok(see_other("/"))
}
