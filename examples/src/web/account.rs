//! The Account page: two-factor authentication (its forms post to
//! [`super::twofactor`]), security keys ([`super::security_keys`]), the
//! password, linked GitHub and Twitter
//! accounts, remembered devices with `Revoke` and `Revoke all`, and
//! command-line tokens (revoked in [`super::cli_tokens`]).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use latchkey::core::SecretString;
use latchkey::devices::{DeviceId, DeviceToken};
use latchkey::twofactor::Mode;
use latchkey::{Accounts, DeviceCookie, PasswordChanged};
use serde::Deserialize;

use super::App;
use super::connect;
use super::page::{AppError, Page, Reply, day, render, see_other, throttled, when};
use super::session::{self, OauthPurpose};
use super::visitor::Member;
use crate::standin::StandInProvider;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    page: Page,
    login: String,
    email: String,
    mode: &'static str,
    codes_left: u32,
    links: Vec<LinkRow>,
    devices: Vec<DeviceRow>,
    tokens: Vec<TokenRow>,
    keys: Vec<KeyRow>,
}

struct KeyRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
    backed_up: bool,
}

struct TokenRow {
    id: String,
    label: String,
    created: String,
}

struct LinkRow {
    provider: String,
    handle: String,
    user_id: String,
    linked: String,
}

struct DeviceRow {
    id: String,
    label: String,
    created: String,
    last_used: String,
    last_client: String,
    this_device: bool,
}

/// `GET /account`.
pub async fn page(State(app): State<Arc<App>>, member: Member) -> Reply {
    let account = &member.user.account;
    let email = app
        .book
        .address(account)
        .await?
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let two_factor = app.flow.two_factor()?;
    let mode = two_factor.mode(account).await?;
    let codes_left = if mode == Mode::Off {
        0
    } else {
        two_factor.recovery_codes_left(account).await?
    };
    let links = app
        .book
        .links(account)
        .await?
        .into_iter()
        .map(|l| LinkRow {
            provider: l.provider,
            handle: l.handle,
            user_id: l.user_id,
            linked: day(l.linked_at),
        })
        .collect();
    let mine = this_browsers_devices(&member.visitor.device_tokens);
    let devices = app
        .flow
        .devices(account)
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            id: d.id.to_string(),
            this_device: mine.contains(&d.id),
            label: d.label,
            created: day(d.created_at),
            last_used: d.last_used_at.map_or_else(|| "never".to_owned(), when),
            last_client: d.last_client.unwrap_or_else(|| "-".to_owned()),
        })
        .collect();
    let tokens = app
        .tokens
        .list(account)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            label: t.label,
            created: when(t.created_at),
        })
        .collect();
    let keys = app
        .flow
        .security_keys(account)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.credential_id_text(),
            name: k.name,
            created: day(k.created_at),
            last_used: k.last_used_at.map_or_else(|| "never".to_owned(), when),
            backed_up: k.backed_up,
        })
        .collect();
    render(&AccountPage {
        page: member.visitor.page().await?,
        login: member.user.login.clone(),
        email,
        mode: mode.as_str(),
        codes_left,
        links,
        devices,
        tokens,
        keys,
    })
}

/// The device records this browser holds tokens for.
fn this_browsers_devices(tokens: &[String]) -> Vec<DeviceId> {
    tokens
        .iter()
        .filter_map(|t| t.parse::<DeviceToken>().ok())
        .map(|t| t.id())
        .collect()
}

/// "Change password".
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
}

impl std::fmt::Debug for PasswordForm {
    /// Leaves out what was typed (a password is among it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordForm").finish_non_exhaustive()
    }
}

/// `POST /account/password`: `flow.change_password`, which ends every
/// other session and remembered device.
pub async fn change_password(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<PasswordForm>,
) -> Reply {
    let answer = app
        .flow
        .change_password(
            &member.user.auth,
            &member.user.login,
            &SecretString::new(form.current),
            &SecretString::new(form.new),
        )
        .await?;
    let outcome = match member.settle(answer, "/account").await? {
        Ok(outcome) => outcome,
        Err(confirm_first) => return Ok(confirm_first),
    };
    let text = match outcome {
        PasswordChanged::Changed => {
            "Password changed. Every other session and remembered device is signed out.".to_owned()
        }
        PasswordChanged::Denied => "The current password is not right.".to_owned(),
        PasswordChanged::Refused(reasons) => {
            let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            format!("Choose another password: {}.", reasons.join("; "))
        }
        PasswordChanged::Conflict => "The password changed meanwhile. Try again.".to_owned(),
        PasswordChanged::OtherAccount => "That is not your account.".to_owned(),
        PasswordChanged::Busy => "The service is busy. Try again in a moment.".to_owned(),
        PasswordChanged::Throttled { retry_at } => {
            return throttled(member.visitor.page().await?, retry_at, app.flow.now());
        }
    };
    session::notice(&member.visitor.session, text).await?;
    Ok(see_other("/account"))
}

/// One device's id.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeviceForm {
    device: String,
}

/// `POST /account/devices/revoke`: "Revoke" one device.
pub async fn revoke(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<DeviceForm>,
) -> Reply {
    let Ok(device) = form.device.parse::<DeviceId>() else {
        return Ok(see_other("/account"));
    };
    let revoked = app
        .flow
        .revoke_device(&member.user.account, &device)
        .await?;
    session::notice(
        &member.visitor.session,
        if revoked {
            "Device revoked: it will be asked for a mailed code again."
        } else {
            "That device was already gone."
        },
    )
    .await?;
    let mut response = see_other("/account");
    let tokens: Vec<&String> = member
        .visitor
        .device_tokens
        .iter()
        .filter(|t| t.parse::<DeviceToken>().is_ok_and(|t| t.id() == device))
        .collect();
    clear_cookies(&app, tokens, &mut response)?;
    Ok(response)
}

/// `POST /account/devices/revoke-all`: "Revoke all" (a sensitive change).
pub async fn revoke_all(State(app): State<Arc<App>>, member: Member) -> Reply {
    let outcome = match member
        .settle(
            app.flow.revoke_all_devices(&member.user.auth).await?,
            "/account",
        )
        .await?
    {
        Ok(outcome) => outcome,
        Err(confirm_first) => return Ok(confirm_first),
    };
    session::notice(
        &member.visitor.session,
        match outcome {
            1 => "Revoked the one remembered device.".to_owned(),
            n => format!("Revoked every remembered device ({n})."),
        },
    )
    .await?;
    let mut response = see_other("/account");
    clear_cookies(&app, member.visitor.device_tokens.iter(), &mut response)?;
    Ok(response)
}

fn clear_cookies<'a>(
    app: &App,
    tokens: impl IntoIterator<Item = &'a String>,
    response: &mut Response,
) -> Result<(), AppError> {
    for token in tokens {
        if let Some(cookie) = DeviceCookie::clear(token, app.secure) {
            response
                .headers_mut()
                .append(SET_COOKIE, HeaderValue::try_from(cookie)?);
        }
    }
    Ok(())
}

/// Which provider to link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    provider: String,
}

/// `POST /account/link`: link a GitHub or Twitter account through the
/// stand-in provider. A link is evidence for account recovery, so it
/// needs a recent sign-in, like latchkey's own sensitive changes.
pub async fn link(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<LinkForm>,
) -> Reply {
    let Some(provider) = StandInProvider::from_slug(&form.provider) else {
        return Ok(see_other("/account"));
    };
    if !member.is_fresh(&app) {
        return member.confirm_first("/account").await;
    }
    connect::start(&member.visitor, provider, OauthPurpose::Link).await
}
