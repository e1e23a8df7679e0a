//! "Sign In" and "Login Verification": the password (`flow.start`), then
//! the mailed one-time password, the authenticator's code, a recovery
//! code or "Use a security key" (`flow.submit`), "Send another code"
//! (`flow.resend`), and signing out.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use latchkey::core::EmailAddress;
use latchkey::webauthn::{CeremonyId, parse_assertion};
use latchkey::{Answer, ChallengeId, PasskeyBegin, PasskeySignIn, Resent, SignInStep, Submitted};
use serde::Deserialize;

use super::App;
use super::page::{
    Page, Reply, busy, render, render_status, see_other, throttled, when, with_retry_after,
};
use super::session::{self, KEY_CEREMONY, PASSKEY_CEREMONY, PENDING, Pending};
use super::visitor::Visitor;

#[derive(Template)]
#[template(path = "login.html")]
struct SignInPage {
    page: Page,
    login: String,
    error: Option<String>,
    /// Options for a passkey sign-in (JSON), conditional UI included.
    passkey: Option<String>,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    page: Page,
    second_factor: bool,
    recovery: bool,
    /// The key's options (JSON) when the form asks for the security key.
    key_options: Option<String>,
    /// The account has a key (offer "Use a security key").
    has_key: bool,
    /// The account has an authenticator app.
    has_app: bool,
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

/// The code as typed, and which kind (`recovery` for a recovery code,
/// `security-key` for the browser's assertion in `credential`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    method: String,
    credential: String,
}

/// Which factor the Login Verification form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asking {
    /// The mailed code, or the authenticator app's.
    Code,
    /// A recovery code.
    Recovery,
    /// The security key.
    Key,
}

/// `?use=recovery` switches the 2FA form to a recovery code, `?use=key`
/// to the security key.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyQuery {
    #[serde(rename = "use")]
    with: String,
}

/// `GET /login`.
pub async fn form(State(app): State<Arc<App>>, visitor: Visitor) -> Reply {
    render(&SignInPage {
        page: visitor.page().await?,
        login: String::new(),
        error: None,
        passkey: passkey_options(&app, &visitor).await?,
    })
}

/// A passkey sign-in's options for the Sign In page (its ceremony kept
/// in the session); none while the client's budget is spent.
async fn passkey_options(
    app: &App,
    visitor: &Visitor,
) -> Result<Option<String>, super::page::AppError> {
    match app.flow.begin_passkey_sign_in(&visitor.client).await? {
        PasskeyBegin::Started(request) => {
            session::put(
                &visitor.session,
                PASSKEY_CEREMONY,
                request.ceremony.to_string(),
            )
            .await?;
            Ok(Some(serde_json::to_string(&request.options)?))
        }
        PasskeyBegin::Throttled { .. } => Ok(None),
    }
}

/// The browser's passkey answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasskeyForm {
    credential: String,
}

/// `POST /login/passkey`: "Sign in with a passkey" (or the passkey the
/// browser offered in the username field).
pub async fn passkey(
    State(app): State<Arc<App>>,
    visitor: Visitor,
    Form(form): Form<PasskeyForm>,
) -> Reply {
    // The ceremony answers once, whatever the answer.
    let ceremony = session::take::<String>(&visitor.session, PASSKEY_CEREMONY)
        .await?
        .and_then(|c| c.parse::<CeremonyId>().ok());
    let outcome = match (ceremony, parse_assertion(&form.credential)) {
        (Some(ceremony), Ok(credential)) => {
            app.flow
                .finish_passkey_sign_in(&ceremony, &credential, &visitor.client)
                .await?
        }
        _ => PasskeySignIn::Refused,
    };
    match outcome {
        PasskeySignIn::SignedIn(done) => {
            let mut response = see_other("/");
            visitor.sign_in(&app, &done, &mut response).await?;
            Ok(response)
        }
        PasskeySignIn::Refused => render(&SignInPage {
            page: visitor.page().await?,
            login: String::new(),
            error: Some(
                "That passkey did not sign you in. Try again, or use your password.".into(),
            ),
            passkey: passkey_options(&app, &visitor).await?,
        }),
        PasskeySignIn::Throttled { retry_at } => {
            throttled(visitor.page().await?, retry_at, app.flow.now())
        }
    }
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
        passkey: None,
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
                security_key: false,
                authenticator_app: false,
            };
            session::put(&visitor.session, PENDING, pending).await?;
            return Ok(see_other("/login/verify"));
        }
        SignInStep::SecondFactorRequired {
            challenge, factors, ..
        } => {
            // The key's options are made afresh for each Login
            // Verification page (a ceremony answers once), so the ones
            // started here are left to expire.
            let pending = Pending {
                challenge: challenge.to_string(),
                login,
                second_factor: true,
                masked: None,
                security_key: factors.security_key.is_some(),
                authenticator_app: factors.authenticator_app,
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
        SignInStep::Busy { retry_at } => {
            return busy(visitor.page().await?, retry_at, app.flow.now());
        }
    };
    page.page = visitor.page().await?;
    page.passkey = passkey_options(&app, &visitor).await?;
    render(&page)
}

/// `GET /login/verify`: "Login Verification".
pub async fn verify_form(
    State(app): State<Arc<App>>,
    visitor: Visitor,
    Query(query): Query<VerifyQuery>,
) -> Reply {
    let Some(pending) = session::get::<Pending>(&visitor.session, PENDING).await? else {
        session::notice(&visitor.session, "Sign in first.").await?;
        return Ok(see_other("/login"));
    };
    let asking = match query.with.as_str() {
        "recovery" => Asking::Recovery,
        "key" => Asking::Key,
        _ => Asking::Code,
    };
    render(&verify_page(&app, &visitor, &pending, asking, None).await?)
}

async fn verify_page(
    app: &App,
    visitor: &Visitor,
    pending: &Pending,
    asking: Asking,
    error: Option<String>,
) -> Result<VerifyPage, super::page::AppError> {
    // An account with keys and no app is asked for the key first.
    let asking = match asking {
        _ if !pending.second_factor => Asking::Code,
        Asking::Code if pending.security_key && !pending.authenticator_app => Asking::Key,
        Asking::Key if !pending.security_key => Asking::Code,
        other => other,
    };
    let key_options = match asking {
        Asking::Key => key_request(app, visitor, pending).await?,
        Asking::Code | Asking::Recovery => None,
    };
    Ok(VerifyPage {
        page: visitor.page().await?,
        second_factor: pending.second_factor,
        recovery: asking == Asking::Recovery,
        key_options,
        has_key: pending.security_key,
        has_app: pending.authenticator_app,
        masked: pending.masked.clone().unwrap_or_default(),
        error,
    })
}

/// New security-key options for the pending sign-in (each ceremony
/// answers once), its ceremony kept in the session; `None` when the
/// challenge is no longer live.
async fn key_request(
    app: &App,
    visitor: &Visitor,
    pending: &Pending,
) -> Result<Option<String>, super::page::AppError> {
    let Ok(challenge) = pending.challenge.parse::<ChallengeId>() else {
        return Ok(None);
    };
    let Some(request) = app.flow.security_key_request(&challenge).await? else {
        return Ok(None);
    };
    session::put(&visitor.session, KEY_CEREMONY, request.ceremony.to_string()).await?;
    Ok(Some(serde_json::to_string(&request.options)?))
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
    let asking = match form.method.as_str() {
        "recovery" => Asking::Recovery,
        "security-key" => Asking::Key,
        _ => Asking::Code,
    };
    // The ceremony answers once, whatever the answer.
    let ceremony = match asking {
        Asking::Key => session::take::<String>(&visitor.session, KEY_CEREMONY)
            .await?
            .and_then(|c| c.parse::<CeremonyId>().ok()),
        Asking::Code | Asking::Recovery => None,
    };
    let credential = match (asking, &ceremony) {
        (Asking::Key, Some(_)) => parse_assertion(&form.credential).ok(),
        _ => None,
    };
    let answer = match (pending.second_factor, asking, &ceremony, &credential) {
        (false, _, _, _) => Answer::MailedCode(code),
        (true, Asking::Code, _, _) => Answer::Totp(code),
        (true, Asking::Recovery, _, _) => Answer::RecoveryCode(code),
        (true, Asking::Key, Some(ceremony), Some(credential)) => Answer::SecurityKey {
            ceremony,
            credential,
        },
        (true, Asking::Key, _, _) => {
            let error = "Your security key's answer did not arrive. Try again.".to_owned();
            return render(&verify_page(&app, &visitor, &pending, asking, Some(error)).await?);
        }
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
            let error = match asking {
                Asking::Key => {
                    format!("Your security key was not accepted. {attempts_left} attempts left.")
                }
                Asking::Code | Asking::Recovery => {
                    format!("That code is not right. {attempts_left} attempts left.")
                }
            };
            render(&verify_page(&app, &visitor, &pending, asking, Some(error)).await?)
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
            let page = verify_page(&app, &visitor, &pending, Asking::Code, Some(error)).await?;
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
