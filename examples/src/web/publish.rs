//! "Publish a package": a write that, in 2FA's auth-and-writes mode,
//! asks for a fresh code bound to that one write (`flow.step_up`,
//! `flow.submit_step_up`), redeemed right before the write
//! (`two_factor().redeem_approval`). The command line's publish
//! ([`super::api`]) shares the digest, the checks and the write.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use latchkey::core::{AccountId, OperationDigest};
use latchkey::{Answer, ChallengeId, StepUp, StepUpAnswer};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::App;
use super::page::{AppError, Page, Reply, day, render, see_other, throttled};
use super::session::{self, PUBLISH, PendingPublish};
use super::twofactor::factor;
use super::visitor::Member;

#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage {
    page: Page,
    name: String,
    version: String,
    error: Option<String>,
    packages: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "publish_stepup.html")]
struct StepUpPage {
    page: Page,
    name: String,
    version: String,
    error: Option<String>,
}

/// "Package name" and "Version".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PublishForm {
    name: String,
    version: String,
}

/// The step-up code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

/// What the write is, as latchkey binds an approval to it.
pub(super) fn operation(account: &AccountId, name: &str, version: &str) -> OperationDigest {
    let mut hash = Sha256::new();
    for part in ["latchkey-web publish", account.as_str(), name, version] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

/// npm-like names (lowercase, digits, `-`, `.`, `_`) and dotted numeric
/// versions.
pub(super) fn valid(name: &str, version: &str) -> bool {
    let name_ok = (1..=214).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c));
    let parts: Vec<&str> = version.split('.').collect();
    let version_ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| (1..=9).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    name_ok && version_ok
}

async fn publish_page(
    app: &App,
    member: &Member,
    form: PublishForm,
    error: Option<String>,
) -> Reply {
    let packages = app
        .book
        .packages(&member.user.account)
        .await?
        .into_iter()
        .map(|p| (p.name, p.version, day(p.published_at)))
        .collect();
    render(&PublishPage {
        page: member.visitor.page().await?,
        name: form.name,
        version: form.version,
        error,
        packages,
    })
}

/// `GET /publish`.
pub async fn form(State(app): State<Arc<App>>, member: Member) -> Reply {
    publish_page(&app, &member, PublishForm::default(), None).await
}

/// The write itself; `Err(text)` when it cannot be made.
pub(super) async fn write(
    app: &App,
    account: &AccountId,
    name: &str,
    version: &str,
) -> Result<Result<(), String>, AppError> {
    if let Some(owner) = app.book.package_owner(name).await?
        && owner != account.as_str()
    {
        return Ok(Err(format!("The name {name} belongs to another account.")));
    }
    if !app
        .book
        .publish(account, name, version, app.flow.now())
        .await?
    {
        return Ok(Err(format!("{name}@{version} is published already.")));
    }
    Ok(Ok(()))
}

async fn done(member: &Member, name: &str, version: &str) -> Reply {
    session::notice(
        &member.visitor.session,
        format!("Published {name}@{version}."),
    )
    .await?;
    Ok(see_other("/publish"))
}

/// `POST /publish`.
pub async fn submit(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<PublishForm>,
) -> Reply {
    let name = form.name.trim().to_owned();
    let version = form.version.trim().to_owned();
    if !valid(&name, &version) {
        let error =
            "A name has lowercase letters, digits, '-', '.' or '_'; a version is like 1.0.0.";
        return publish_page(&app, &member, form, Some(error.into())).await;
    }
    let account = &member.user.account;
    let digest = operation(account, &name, &version);
    match app.flow.step_up(account, &digest).await? {
        StepUp::NotRequired => match write(&app, &member.user.account, &name, &version).await? {
            Ok(()) => done(&member, &name, &version).await,
            Err(why) => publish_page(&app, &member, form, Some(why)).await,
        },
        StepUp::Challenge { challenge, .. } => {
            let pending = PendingPublish {
                challenge: challenge.to_string(),
                name: name.clone(),
                version: version.clone(),
            };
            session::put(&member.visitor.session, PUBLISH, pending).await?;
            render(&StepUpPage {
                page: member.visitor.page().await?,
                name,
                version,
                error: None,
            })
        }
    }
}

/// `POST /publish/confirm`: the code for this one write.
pub async fn confirm(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<CodeForm>,
) -> Reply {
    let Some(pending) = session::get::<PendingPublish>(&member.visitor.session, PUBLISH).await?
    else {
        return Ok(see_other("/publish"));
    };
    let Ok(challenge) = pending.challenge.parse::<ChallengeId>() else {
        member.visitor.session.remove_value(PUBLISH).await?;
        return Ok(see_other("/publish"));
    };
    let account = &member.user.account;
    let digest = operation(account, &pending.name, &pending.version);
    let answer = match factor(&form.code) {
        latchkey::twofactor::SecondFactor::Totp(code) => Answer::Totp(code),
        latchkey::twofactor::SecondFactor::RecoveryCode(code) => Answer::RecoveryCode(code),
    };
    let again = |error: String| StepUpPage {
        page: Page::default(),
        name: pending.name.clone(),
        version: pending.version.clone(),
        error: Some(error),
    };
    let mut page = match app
        .flow
        .submit_step_up(&challenge, answer, &member.visitor.client, account, &digest)
        .await?
    {
        StepUpAnswer::Approved(approval) => {
            member.visitor.session.remove_value(PUBLISH).await?;
            // The approval works once, for this write: redeem it right before.
            if !app
                .flow
                .two_factor()?
                .redeem_approval(&approval, account, &digest)
                .await?
            {
                let why = "The approval lapsed. Publish again.".to_owned();
                return publish_page(&app, &member, PublishForm::default(), Some(why)).await;
            }
            return match write(&app, &member.user.account, &pending.name, &pending.version).await? {
                Ok(()) => done(&member, &pending.name, &pending.version).await,
                Err(why) => publish_page(&app, &member, PublishForm::default(), Some(why)).await,
            };
        }
        StepUpAnswer::Wrong { attempts_left } if attempts_left > 0 => again(format!(
            "That code is not right. {attempts_left} attempts left."
        )),
        StepUpAnswer::Wrong { .. } | StepUpAnswer::Expired => {
            member.visitor.session.remove_value(PUBLISH).await?;
            let why = "That confirmation expired. Publish again.".to_owned();
            return publish_page(&app, &member, PublishForm::default(), Some(why)).await;
        }
        StepUpAnswer::Throttled { retry_at } => {
            return throttled(member.visitor.page().await?, retry_at, app.flow.now());
        }
    };
    page.page = member.visitor.page().await?;
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_are_plain() {
        assert!(valid("left-pad", "1.0.0"));
        assert!(valid("a.b_c", "10.20.30"));
        assert!(!valid("Left", "1.0.0"));
        assert!(!valid("left-pad", "1.0"));
        assert!(!valid("left-pad", "1.0.x"));
        assert!(!valid("", "1.0.0"));
    }

    #[test]
    fn each_write_has_its_own_digest() {
        let jane = AccountId::new("jane").expect("id");
        let joe = AccountId::new("joe").expect("id");
        let one = operation(&jane, "left-pad", "1.0.0");
        assert_ne!(one, operation(&jane, "left-pad", "1.0.1"));
        assert_ne!(one, operation(&joe, "left-pad", "1.0.0"));
        assert_ne!(
            operation(&jane, "ab", "1.0.0"),
            operation(&jane, "a", "b1.0.0"),
            "parts are length-prefixed"
        );
    }
}
