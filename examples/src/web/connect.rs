//! "Connect to GitHub" / "Connect to Twitter": an OAuth-style round trip
//! with the stand-in provider. The site sends the browser to the
//! provider's authorize page with a `state` kept in the session; the
//! provider sends it back with a one-time code; the site checks the state
//! and exchanges the code server side for the provider's immutable user
//! id. Used to link an identity (Account page) and as evidence on a
//! support ticket (`LinkedIdentity`, verified now).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::App;
use super::page::{AppError, Page, Reply, message, render, see_other};
use super::session::{self, Connected, OAUTH, OauthPurpose, OauthState, PENDING, TICKET};
use super::visitor::Visitor;
use crate::book::Link;
use crate::standin::{ProviderIdentity, StandInProvider, fresh_user_id, valid_handle};

/// The client id the site presents to the stand-in.
const CLIENT_ID: &str = "latchkey-web-example";

#[derive(Template)]
#[template(path = "standin.html")]
struct AuthorizePage {
    page: Page,
    provider: &'static str,
    slug: &'static str,
    state: String,
    client_id: &'static str,
    handle: String,
    error: Option<String>,
}

/// The authorize request's parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthorizeQuery {
    state: String,
    client_id: String,
    redirect_uri: String,
}

/// The user's answer on the stand-in's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthorizeForm {
    handle: String,
    state: String,
    decision: String,
}

/// What the provider sends back.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CallbackQuery {
    code: String,
    state: String,
    error: String,
}

/// Text that needs no escaping in a URL (base64url, as our states are).
fn plain_token(text: &str) -> bool {
    (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn callback_path(provider: StandInProvider) -> String {
    format!("/connect/{}/callback", provider.slug())
}

/// Sends the browser to the provider, remembering why.
pub async fn start(visitor: &Visitor, provider: StandInProvider, purpose: OauthPurpose) -> Reply {
    let mut bytes = [0u8; 16];
    latchkey::core::random::fill(&mut bytes)?;
    let state = data_encoding::BASE64URL_NOPAD.encode(&bytes);
    let oauth = OauthState {
        state: state.clone(),
        provider: provider.slug().to_owned(),
        purpose,
    };
    session::put(&visitor.session, OAUTH, oauth).await?;
    Ok(see_other(&format!(
        "/standin/{}/authorize?client_id={CLIENT_ID}&redirect_uri={}&state={state}",
        provider.slug(),
        callback_path(provider)
    )))
}

async fn no_such_provider(visitor: &Visitor) -> Reply {
    message(
        StatusCode::NOT_FOUND,
        visitor.page().await?,
        "Not found",
        "There is no such provider here.",
        Some(("/", "Home")),
    )
}

/// `GET /standin/{provider}/authorize`: the stand-in's consent page.
pub async fn authorize_form(
    Path(slug): Path<String>,
    visitor: Visitor,
    Query(query): Query<AuthorizeQuery>,
) -> Reply {
    let Some(provider) = StandInProvider::from_slug(&slug) else {
        return no_such_provider(&visitor).await;
    };
    // Only this site is a registered client, with this one callback.
    if query.client_id != CLIENT_ID || query.redirect_uri != callback_path(provider) {
        return message(
            StatusCode::BAD_REQUEST,
            visitor.page().await?,
            "Unknown application",
            "The stand-in provider does not know this application or its callback.",
            Some(("/", "Home")),
        );
    }
    render(&AuthorizePage {
        page: visitor.page().await?,
        provider: provider.name(),
        slug: provider.slug(),
        state: query.state,
        client_id: CLIENT_ID,
        handle: String::new(),
        error: None,
    })
}

/// `POST /standin/{provider}/authorize`: approve (or deny), and go back
/// to the site with a one-time code.
pub async fn authorize(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    visitor: Visitor,
    Form(form): Form<AuthorizeForm>,
) -> Reply {
    let Some(provider) = StandInProvider::from_slug(&slug) else {
        return no_such_provider(&visitor).await;
    };
    let back = callback_path(provider);
    // The state goes back as it came, so it must be plain URL text.
    if !plain_token(&form.state) {
        return message(
            StatusCode::BAD_REQUEST,
            visitor.page().await?,
            "Bad request",
            "The authorize request is malformed.",
            Some(("/", "Home")),
        );
    }
    if form.decision != "approve" {
        return Ok(see_other(&format!(
            "{back}?error=access_denied&state={}",
            form.state
        )));
    }
    let handle = form.handle.trim().trim_start_matches('@');
    if !valid_handle(handle) {
        return render(&AuthorizePage {
            page: visitor.page().await?,
            provider: provider.name(),
            slug: provider.slug(),
            state: form.state,
            client_id: CLIENT_ID,
            handle: handle.to_owned(),
            error: Some("A handle has 1 to 39 letters, digits, '-' or '_'.".into()),
        });
    }
    let user_id = app
        .book
        .standin_user_id(provider.name(), handle, &fresh_user_id().map_err(AppError)?)
        .await?;
    let identity = ProviderIdentity {
        provider,
        user_id,
        handle: handle.to_owned(),
    };
    let code = app
        .standin
        .issue(identity, app.flow.now())
        .map_err(AppError)?;
    Ok(see_other(&format!(
        "{back}?code={code}&state={}",
        form.state
    )))
}

/// `GET /connect/{provider}/callback`: back from the provider.
pub async fn callback(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    visitor: Visitor,
    Query(query): Query<CallbackQuery>,
) -> Reply {
    let Some(provider) = StandInProvider::from_slug(&slug) else {
        return no_such_provider(&visitor).await;
    };
    let Some(oauth) = session::take::<OauthState>(&visitor.session, OAUTH).await? else {
        return refused(&visitor, "That connection was not started here.").await;
    };
    let state_matches = bool::from(oauth.state.as_bytes().ct_eq(query.state.as_bytes()));
    if !state_matches || oauth.provider != provider.slug() {
        return refused(&visitor, "That connection was not started here.").await;
    }
    let back = match oauth.purpose {
        OauthPurpose::Link => "/account",
        OauthPurpose::Ticket => "/recover/ticket",
    };
    if !query.error.is_empty() {
        session::notice(
            &visitor.session,
            format!("You did not connect your {} account.", provider.name()),
        )
        .await?;
        return Ok(see_other(back));
    }
    let now = app.flow.now();
    let Some(identity) = app.standin.exchange(provider, &query.code, now) else {
        return refused(&visitor, "The provider did not confirm that account.").await;
    };
    let done = format!(
        "Connected your {} account @{}.",
        provider.name(),
        identity.handle
    );
    match oauth.purpose {
        OauthPurpose::Link => {
            let Some(user) = &visitor.user else {
                session::notice(&visitor.session, "Sign in first.").await?;
                return Ok(see_other("/login"));
            };
            let link = Link {
                provider: provider.name().to_owned(),
                user_id: identity.user_id,
                handle: identity.handle,
                linked_at: now,
            };
            app.book.add_link(&user.account, &link).await?;
        }
        OauthPurpose::Ticket => {
            if session::get::<session::Pending>(&visitor.session, PENDING)
                .await?
                .is_none()
            {
                session::notice(&visitor.session, "Sign in first.").await?;
                return Ok(see_other("/login"));
            }
            let mut draft = session::get::<session::TicketDraft>(&visitor.session, TICKET)
                .await?
                .unwrap_or_default();
            draft.connected.retain(|c| c.provider != provider.name());
            draft.connected.push(Connected {
                provider: provider.name().to_owned(),
                user_id: identity.user_id,
                handle: identity.handle,
                verified_at: now.unix_timestamp(),
            });
            session::put(&visitor.session, TICKET, draft).await?;
        }
    }
    session::notice(&visitor.session, done).await?;
    Ok(see_other(back))
}

async fn refused(visitor: &Visitor, why: &str) -> Reply {
    message(
        StatusCode::BAD_REQUEST,
        visitor.page().await?,
        "Not connected",
        why,
        Some(("/", "Home")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_states_go_back_into_a_url() {
        assert!(plain_token("AbC-_09"));
        assert!(!plain_token(""));
        assert!(!plain_token("a\r\nSet-Cookie: x"));
        assert!(!plain_token("a&code=stolen"));
    }
}
