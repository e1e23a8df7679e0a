//! The registry's HTTP API for command lines, shaped like npm's:
//!
//! - `POST /-/v1/login` begins a login session: `loginUrl` (for the
//!   browser), `doneUrl` (for the command line only), `userCode`,
//!   `expiresAt` and `interval`.
//! - `GET` the `doneUrl`: 202 with `Retry-After` while waiting, 429 when
//!   polled too fast, 403 when denied, 410 when expired or collected, and
//!   200 with `{"token": …}` exactly once.
//! - `GET /-/whoami` with `Authorization: Bearer TOKEN`.
//! - `PUT /-/v1/packages/{name}/{version}` publishes; in auth-and-writes
//!   mode it needs a fresh code in the `npm-otp` header, bound to this one
//!   write (401 with `WWW-Authenticate: OTP` without one, as npm's
//!   registry answers).
//!
//! These routes take no cookies and no forms, so they sit outside the
//! site's session and CSRF layers: a bearer token is the only credential.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::{AUTHORIZATION, HOST, RETRY_AFTER, USER_AGENT, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey::cli_login::PollToken;
use latchkey::core::AccountId;
use latchkey::twofactor::SecondFactor;
use latchkey::{Answer, CliLoginBegin, CliLoginStatus, ClientContext, StepUp, StepUpAnswer};
use serde_json::json;

use super::App;
use super::page::AppError;
use super::publish::{operation, valid, write};
use super::twofactor::factor;

/// An API answer: a status, some headers and a JSON body.
type ApiReply = Result<Response, AppError>;

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

fn error(status: StatusCode, text: &str) -> Response {
    answer(status, json!({ "error": text }))
}

fn with_header(mut response: Response, name: HeaderName, value: HeaderValue) -> Response {
    response.headers_mut().insert(name, value);
    response
}

fn client(peer: SocketAddr) -> ClientContext {
    ClientContext::new().with_client(peer.ip().to_string())
}

/// This site's origin as the command line reached it.
fn origin(app: &App, headers: &HeaderMap) -> Option<String> {
    let host = headers.get(HOST)?.to_str().ok()?;
    let scheme = if app.secure { "https" } else { "http" };
    Some(format!("{scheme}://{host}"))
}

/// `POST /-/v1/login`.
pub async fn begin(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiReply {
    let Some(origin) = origin(&app, &headers) else {
        return Ok(error(StatusCode::BAD_REQUEST, "no Host header"));
    };
    // The page shows what asked and from where, so a user sent someone
    // else's link can tell it is not their own terminal.
    let agent = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("a command line");
    let label = format!("{agent}, from {}", peer.ip());
    match app
        .flow
        .begin_cli_login(&client(peer), Some(&label))
        .await?
    {
        CliLoginBegin::Started(started) => Ok(answer(
            StatusCode::OK,
            json!({
                "loginUrl": format!("{origin}/login/cli/{}", started.id),
                "doneUrl": format!("{origin}/-/v1/done/{}", started.poll),
                "userCode": started.user_code.to_string(),
                "expiresAt": started.expires_at.unix_timestamp(),
                "interval": started.interval.whole_seconds(),
            }),
        )),
        CliLoginBegin::Throttled { retry_at } => Ok(retry_later(
            StatusCode::TOO_MANY_REQUESTS,
            "too many login requests",
            latchkey::retry_after_seconds(retry_at, app.flow.now()),
        )),
    }
}

fn retry_later(status: StatusCode, text: &str, seconds: u64) -> Response {
    with_header(error(status, text), RETRY_AFTER, HeaderValue::from(seconds))
}

/// `GET /-/v1/done/{poll}`.
pub async fn done(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(poll): Path<String>,
) -> ApiReply {
    let Ok(poll) = poll.parse::<PollToken>() else {
        return Ok(error(StatusCode::GONE, "this login request is over"));
    };
    let seconds = |d: time::Duration| u64::try_from(d.whole_seconds()).unwrap_or(1).max(1);
    Ok(match app.flow.poll_cli_login(&poll, &client(peer)).await? {
        CliLoginStatus::Pending { retry_after } => with_header(
            answer(StatusCode::ACCEPTED, json!({ "status": "pending" })),
            RETRY_AFTER,
            HeaderValue::from(seconds(retry_after)),
        ),
        CliLoginStatus::SlowDown { retry_after } => retry_later(
            StatusCode::TOO_MANY_REQUESTS,
            "slow down",
            seconds(retry_after),
        ),
        CliLoginStatus::Denied => error(StatusCode::FORBIDDEN, "the login was denied"),
        CliLoginStatus::Expired => error(StatusCode::GONE, "this login request is over"),
        CliLoginStatus::Approved { account, stamp } => {
            let login = app.book.profile(&account).await?.map(|(l, _)| l);
            let label = format!("command line, signed in from {}", peer.ip());
            let token = app
                .tokens
                .mint(&account, &stamp, &label, app.flow.now())
                .await?;
            answer(
                StatusCode::OK,
                json!({ "token": token.as_str(), "username": login }),
            )
        }
    })
}

/// The account of the request's bearer token, or the 401 to answer.
async fn bearer(app: &App, headers: &HeaderMap) -> Result<Result<AccountId, Response>, AppError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let mut account = None;
    if let Some(token) = token.map(str::trim)
        && let Some((owner, stamp)) = app.tokens.account(token).await?
    {
        // A token lives only as long as the credentials it came under.
        if app.flow.stamp_is_current(&owner, &stamp).await? {
            account = Some(owner);
        } else {
            app.tokens.forget(token).await?;
        }
    }
    Ok(account.ok_or_else(|| {
        with_header(
            error(
                StatusCode::UNAUTHORIZED,
                "sign in first: registry-cli login",
            ),
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer"),
        )
    }))
}

/// `GET /-/whoami`.
pub async fn whoami(State(app): State<Arc<App>>, headers: HeaderMap) -> ApiReply {
    let account = match bearer(&app, &headers).await? {
        Ok(account) => account,
        Err(refused) => return Ok(refused),
    };
    let login = app.book.profile(&account).await?.map(|(l, _)| l);
    Ok(answer(StatusCode::OK, json!({ "username": login })))
}

/// 401 asking for a one-time password, as npm's registry does.
fn otp_required(text: &str) -> Response {
    with_header(
        error(StatusCode::UNAUTHORIZED, text),
        WWW_AUTHENTICATE,
        HeaderValue::from_static("OTP"),
    )
}

/// `PUT /-/v1/packages/{name}/{version}`.
pub async fn publish(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiReply {
    let account = match bearer(&app, &headers).await? {
        Ok(account) => account,
        Err(refused) => return Ok(refused),
    };
    if !valid(&name, &version) {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "a name has lowercase letters, digits, '-', '.' or '_'; a version is like 1.0.0",
        ));
    }
    let digest = operation(&account, &name, &version);
    if let StepUp::Challenge { challenge, .. } = app.flow.step_up(&account, &digest).await? {
        let Some(code) = headers.get("npm-otp").and_then(|v| v.to_str().ok()) else {
            return Ok(otp_required(
                "this account asks for a one-time password on every publish: pass --otp",
            ));
        };
        let answer = match factor(code) {
            SecondFactor::Totp(code) => Answer::Totp(code),
            SecondFactor::RecoveryCode(code) => Answer::RecoveryCode(code),
        };
        match app
            .flow
            .submit_step_up(&challenge, answer, &client(peer), &account, &digest)
            .await?
        {
            StepUpAnswer::Approved(approval) => {
                // Redeemed right before the write, for this write only.
                if !app
                    .flow
                    .two_factor()?
                    .redeem_approval(&approval, &account, &digest)
                    .await?
                {
                    return Ok(otp_required("the approval lapsed: publish again"));
                }
            }
            StepUpAnswer::Wrong { .. } | StepUpAnswer::Expired => {
                return Ok(otp_required(
                    "that one-time password is not right, or was used already",
                ));
            }
            StepUpAnswer::Throttled { retry_at } => {
                let seconds =
                    retry_at.map_or(3600, |at| latchkey::retry_after_seconds(at, app.flow.now()));
                return Ok(retry_later(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many attempts",
                    seconds,
                ));
            }
        }
    }
    Ok(match write(&app, &account, &name, &version).await? {
        Ok(()) => answer(
            StatusCode::CREATED,
            json!({ "published": format!("{name}@{version}") }),
        ),
        Err(why) => error(StatusCode::CONFLICT, &why),
    })
}
