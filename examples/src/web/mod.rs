//! The site: its state, its routes and the layers around them.

mod account;
mod api;
mod cli_login;
mod cli_tokens;
mod confirm;
mod connect;
mod guard;
mod home;
mod page;
mod publish;
mod recover;
mod security_keys;
mod session;
mod signin;
mod signup;
mod staff;
mod twofactor;
mod visitor;

use std::sync::Arc;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use latchkey::SignIn;
use time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::backend::Sessions;
use crate::book::Book;
use crate::standin::StandIn;

/// What every request reaches.
#[derive(Debug)]
pub struct App {
    /// latchkey's sign-in flow.
    pub flow: SignIn,
    /// The host's own records.
    pub book: Book,
    /// The site's command-line tokens.
    pub tokens: crate::tokens::Tokens,
    /// The stand-in identity provider.
    pub standin: StandIn,
    /// Whether cookies are `Secure` (not on plain loopback).
    pub secure: bool,
    /// The flow's fresh window, for the site's own sensitive steps.
    pub fresh_window: Duration,
}

/// How long an idle session lives.
const SESSION_IDLE: Duration = Duration::hours(8);

/// The site's routes, behind its sessions and defences.
pub fn router(app: Arc<App>, sessions: Sessions) -> Router {
    // `__Host-` pins the cookie to this host, but needs `Secure`.
    let name = if app.secure {
        "__Host-latchkey-session"
    } else {
        "latchkey-session"
    };
    let sessions = SessionManagerLayer::new(sessions)
        .with_name(name)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(app.secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));
    // The command line's API takes bearer tokens, never cookies or forms:
    // it is outside the session and CSRF layers.
    let api = Router::new()
        .route("/-/v1/login", post(api::begin))
        .route("/-/v1/done/{poll}", get(api::done))
        .route("/-/whoami", get(api::whoami))
        .route("/-/v1/packages/{name}/{version}", put(api::publish));
    Router::new()
        .route("/", get(home::home))
        .route("/static/site.css", get(stylesheet))
        .route("/static/site.js", get(script))
        .route("/signup", get(signup::form).post(signup::submit))
        .route("/login", get(signin::form).post(signin::submit))
        .route(
            "/login/verify",
            get(signin::verify_form).post(signin::verify),
        )
        .route("/login/resend", post(signin::resend))
        .route("/login/passkey", post(signin::passkey))
        .route("/logout", post(signin::sign_out))
        .route(
            "/login/cli/{id}",
            get(cli_login::page).post(cli_login::decide),
        )
        .route("/recover", get(recover::start))
        .route(
            "/recover/ticket",
            get(recover::ticket).post(recover::submit),
        )
        .route(
            "/recover/confirm",
            get(recover::confirm_form).post(recover::confirm),
        )
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/devices/revoke", post(account::revoke))
        .route("/account/devices/revoke-all", post(account::revoke_all))
        .route("/account/link", post(account::link))
        .route("/account/tokens/revoke", post(cli_tokens::revoke))
        .route("/account/2fa/enable", post(twofactor::enable))
        .route("/account/2fa/confirm", post(twofactor::confirm))
        .route("/account/2fa/mode", post(twofactor::mode))
        .route("/account/2fa/recovery-codes", post(twofactor::regenerate))
        .route("/account/2fa/disable", post(twofactor::disable))
        .route("/account/keys/add", post(security_keys::add))
        .route("/account/keys/finish", post(security_keys::finish))
        .route("/account/keys/remove", post(security_keys::remove))
        .route("/confirm", get(confirm::form).post(confirm::submit))
        .route("/publish", get(publish::form).post(publish::submit))
        .route("/publish/confirm", post(publish::confirm))
        .route("/staff", get(staff::queue))
        .route(
            "/staff/tickets/{number}",
            get(staff::ticket).post(staff::act),
        )
        .route(
            "/standin/{provider}/authorize",
            get(connect::authorize_form).post(connect::authorize),
        )
        .route("/connect/{provider}/callback", get(connect::callback))
        .fallback(not_found)
        .layer(middleware::from_fn(guard::same_origin_forms))
        .layer(sessions)
        .merge(api)
        .layer(middleware::from_fn(guard::security_headers))
        .with_state(app)
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/site.css"),
    )
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/site.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn not_found() -> Response {
    page::message(
        StatusCode::NOT_FOUND,
        page::Page::default(),
        "Not found",
        "There is no page here.",
        Some(("/", "Home")),
    )
    .into_response()
}
