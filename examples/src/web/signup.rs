//! "Sign Up": a username, an email and a password, in one step
//! (`flow.register`); the password policy's refusals say why.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use latchkey::Registered;
use serde::Deserialize;

use super::App;
use super::page::{Page, Reply, render, see_other};
use super::session;
use super::visitor::Visitor;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUp {
    page: Page,
    username: String,
    email: String,
    error: Option<String>,
    reasons: Vec<String>,
}

/// The form's fields.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SignUpForm {
    username: String,
    email: String,
    password: String,
}

impl std::fmt::Debug for SignUpForm {
    /// Leaves out what was typed (a password is among it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUpForm").finish_non_exhaustive()
    }
}

/// `GET /signup`.
pub async fn form(visitor: Visitor) -> Reply {
    render(&SignUp {
        page: visitor.page().await?,
        username: String::new(),
        email: String::new(),
        error: None,
        reasons: Vec::new(),
    })
}

/// Usernames as npm has them: lowercase letters, digits, `-`, `_`, `.`;
/// no `@`, so "Username or email" is never ambiguous.
fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

/// `POST /signup`.
pub async fn submit(
    State(app): State<Arc<App>>,
    visitor: Visitor,
    Form(form): Form<SignUpForm>,
) -> Reply {
    let username = form.username.trim().to_lowercase();
    let again = |error: &str, reasons: Vec<String>| SignUp {
        page: Page::default(),
        username: username.clone(),
        email: form.email.clone(),
        error: Some(error.to_owned()),
        reasons,
    };
    let mut answer = if valid_username(&username) {
        match app
            .flow
            .register(&username, form.email.trim(), &form.password)
            .await?
        {
            Registered::Created { account } => {
                app.book.set_login(&account, &username, false).await?;
                session::notice(
                    &visitor.session,
                    format!("Welcome, {username}! Sign in with your new account."),
                )
                .await?;
                return Ok(see_other("/login"));
            }
            Registered::Refused(reasons) => again(
                "Choose another password:",
                reasons.iter().map(ToString::to_string).collect(),
            ),
            Registered::LoginTaken => again("That username is taken.", Vec::new()),
            Registered::InvalidEmail => again("That is not a valid email address.", Vec::new()),
            Registered::InvalidLogin => again("Choose another username.", Vec::new()),
            Registered::Busy => again("The service is busy. Try again in a moment.", Vec::new()),
        }
    } else {
        again(
            "A username has 1 to 64 lowercase letters, digits, '-', '_' or '.'.",
            Vec::new(),
        )
    };
    answer.page = visitor.page().await?;
    render(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain_and_never_addresses() {
        assert!(valid_username("jane"));
        assert!(valid_username("jane.doe-2_x"));
        assert!(!valid_username(""));
        assert!(!valid_username("Jane"));
        assert!(!valid_username("jane@example.com"));
        assert!(!valid_username("jane doe"));
        assert!(!valid_username(&"j".repeat(65)));
    }
}
