//! `Revoke` beside a command-line token on the Account page.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use serde::Deserialize;

use super::App;
use super::page::{Reply, see_other};
use super::session;
use super::visitor::Member;

/// Which token (the first 8 hex digits of its digest).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

/// `POST /account/tokens/revoke`.
pub async fn revoke(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<TokenForm>,
) -> Reply {
    let revoked = app.tokens.revoke(&member.user.account, &form.token).await?;
    session::notice(
        &member.visitor.session,
        if revoked {
            "Token revoked: that command line is signed out."
        } else {
            "That token was already gone."
        },
    )
    .await?;
    Ok(see_other("/account#tokens"))
}
