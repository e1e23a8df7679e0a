//! Security keys and passkeys on the Account page: "Add a security key"
//! (a name, then the browser's `navigator.credentials.create` through
//! the site's script; the first key turns 2FA on and shows the recovery
//! codes) and "Remove". Both need a fresh sign-in ("Confirm it's you").

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use data_encoding::BASE64URL_NOPAD;
use latchkey::webauthn::{CeremonyId, Refusal, RegistrationBegin, parse_registration};
use latchkey::{KeyAdded, KeyRemoved};
use serde::Deserialize;

use super::App;
use super::page::{Page, Reply, render, see_other};
use super::session::{self, KEY_CEREMONY};
use super::twofactor::show_recovery_codes;
use super::visitor::Member;

#[derive(Template)]
#[template(path = "security_key_add.html")]
struct AddPage {
    page: Page,
    name: String,
    /// `navigator.credentials.create`'s options, JSON.
    options: String,
    /// This key turns 2FA on.
    first: bool,
}

/// "Name" of the new key.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    name: String,
}

/// The browser's answer (JSON), from the site's script.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FinishForm {
    credential: String,
}

/// Which key (its credential id, base64url).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    key: String,
}

/// `POST /account/keys/add`: the options for the browser.
pub async fn add(State(app): State<Arc<App>>, member: Member, Form(form): Form<AddForm>) -> Reply {
    let name = form.name.trim();
    let begun = app
        .flow
        .begin_security_key(&member.user.auth, &member.user.login, name)
        .await?;
    let started = match member.settle(begun, "/account").await? {
        Ok(RegistrationBegin::Started(started)) => started,
        Ok(RegistrationBegin::NameRefused) => {
            return notice_back(
                &member,
                "Name the key with 1 to 64 characters, with no spaces at either end.",
            )
            .await;
        }
        Ok(RegistrationBegin::TooManyKeys) => {
            return notice_back(&member, "This account has as many security keys as it may.").await;
        }
        Err(confirm_first) => return Ok(confirm_first),
    };
    session::put(
        &member.visitor.session,
        KEY_CEREMONY,
        started.ceremony.to_string(),
    )
    .await?;
    let first =
        app.flow.two_factor()?.mode(&member.user.account).await? == latchkey::twofactor::Mode::Off;
    render(&AddPage {
        page: member.visitor.page().await?,
        name: name.to_owned(),
        options: serde_json::to_string(&started.options)?,
        first,
    })
}

/// `POST /account/keys/finish`: the browser's answer adds the key.
pub async fn finish(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<FinishForm>,
) -> Reply {
    // The ceremony answers once, whatever the answer.
    let ceremony = session::take::<String>(&member.visitor.session, KEY_CEREMONY)
        .await?
        .and_then(|c| c.parse::<CeremonyId>().ok());
    let (Some(ceremony), Ok(answer)) = (ceremony, parse_registration(&form.credential)) else {
        return notice_back(
            &member,
            "The security key's answer did not arrive. Try \"Add a security key\" again.",
        )
        .await;
    };
    let finished = app
        .flow
        .finish_security_key(&member.user.auth, &ceremony, &answer)
        .await?;
    let text = match member.settle(finished, "/account").await? {
        Ok(KeyAdded::Added {
            recovery_codes: Some(codes),
            ..
        }) => {
            return show_recovery_codes(&member, codes.iter().map(str::to_owned).collect(), true)
                .await;
        }
        Ok(KeyAdded::Added { key, .. }) => format!("Security key \"{}\" added.", key.name),
        Ok(KeyAdded::Expired) => "That took too long. Try \"Add a security key\" again.".to_owned(),
        Ok(KeyAdded::Refused(Refusal::Excluded) | KeyAdded::NotAdded) => {
            "That key is registered already.".to_owned()
        }
        Ok(KeyAdded::Refused(_)) => "The security key's answer was not accepted.".to_owned(),
        Err(confirm_first) => return Ok(confirm_first),
    };
    notice_back(&member, text).await
}

/// `POST /account/keys/remove`.
pub async fn remove(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<KeyForm>,
) -> Reply {
    let Ok(id) = BASE64URL_NOPAD.decode(form.key.as_bytes()) else {
        return notice_back(&member, "There is no such key.").await;
    };
    let removed = app.flow.remove_security_key(&member.user.auth, &id).await?;
    let text = match member.settle(removed, "/account").await? {
        Ok(KeyRemoved::Removed) => "The security key was removed.",
        Ok(KeyRemoved::NotFound) => "There is no such key.",
        Ok(KeyRemoved::LastFactor) => {
            "It is your only second factor: to remove it, turn off two-factor authentication \
             (with a recovery code)."
        }
        Err(confirm_first) => return Ok(confirm_first),
    };
    notice_back(&member, text).await
}

async fn notice_back(member: &Member, text: impl Into<String>) -> Reply {
    session::notice(&member.visitor.session, text).await?;
    Ok(see_other("/account#security-keys"))
}
