//! Two-factor authentication on the Account page: enabling it (QR code,
//! the `otpauth://` URI as text, the first code, then the recovery codes
//! shown once), its mode, new recovery codes, and turning it off.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use latchkey::Accounts;
use latchkey::twofactor::{ChangeOutcome, ConfirmOutcome, FactorOutcome, Mode, SecondFactor};
use serde::Deserialize;

use super::App;
use super::page::{AppError, Page, Reply, render, see_other, throttled, when};
use super::session;
use super::visitor::Member;

#[derive(Template)]
#[template(path = "twofactor_setup.html")]
struct SetupPage {
    page: Page,
    qr_svg: Option<String>,
    uri: Option<String>,
    expires: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct CodesPage {
    page: Page,
    codes: Vec<String>,
    enabled_now: bool,
}

/// A code from the app, or a recovery code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    mode: String,
}

/// The factor a user typed: six to eight digits are the app's code,
/// anything else is tried as a recovery code.
pub fn factor(typed: &str) -> SecondFactor<'_> {
    let typed = typed.trim();
    if (6..=8).contains(&typed.len()) && typed.bytes().all(|b| b.is_ascii_digit()) {
        SecondFactor::Totp(typed)
    } else {
        SecondFactor::RecoveryCode(typed)
    }
}

/// What a refused factor means to the user.
pub fn refusal(outcome: FactorOutcome) -> String {
    match outcome {
        FactorOutcome::Accepted { .. } => "Accepted.".to_owned(),
        FactorOutcome::Rejected => "That code is not right.".to_owned(),
        FactorOutcome::Replayed => {
            "That code was used already: wait for your app to show the next one.".to_owned()
        }
        FactorOutcome::NotEnrolled => "Two-factor authentication is not on.".to_owned(),
        FactorOutcome::Throttled { retry_at } => {
            format!("Too many attempts. Try again at {}.", when(retry_at))
        }
        FactorOutcome::Locked => "Too many attempts: codes are locked. Contact support.".to_owned(),
    }
}

/// The recovery codes, shown once (`enabled_now`: 2FA just turned on).
pub async fn show_recovery_codes(member: &Member, codes: Vec<String>, enabled_now: bool) -> Reply {
    render(&CodesPage {
        page: member.visitor.page().await?,
        codes,
        enabled_now,
    })
}

/// The SVG element alone (the XML declaration does not belong in HTML).
fn inline_svg(svg: &str) -> String {
    svg.find("<svg")
        .map_or_else(|| svg.to_owned(), |at| svg[at..].to_owned())
}

/// `POST /account/2fa/enable`: "Enable two-factor authentication".
pub async fn enable(State(app): State<Arc<App>>, member: Member) -> Reply {
    let enrolment = match member
        .settle(
            app.flow
                .begin_two_factor(&member.user.auth, &member.user.login)
                .await?,
            "/account",
        )
        .await?
    {
        Ok(outcome) => outcome,
        Err(confirm_first) => return Ok(confirm_first),
    };
    render(&SetupPage {
        page: member.visitor.page().await?,
        qr_svg: Some(inline_svg(&enrolment.uri.qr_svg())),
        uri: Some(enrolment.uri.to_string()),
        expires: when(enrolment.expires_at),
        error: None,
    })
}

/// `POST /account/2fa/confirm`: the app's first code turns 2FA on.
pub async fn confirm(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<CodeForm>,
) -> Reply {
    // Turning 2FA on changed the account's stamp: this session goes on
    // with the renewed authentication, every other one ends.
    let outcome = match member
        .settle(
            app.flow
                .confirm_two_factor(&member.user.auth, form.code.trim())
                .await?,
            "/account",
        )
        .await?
    {
        Ok(outcome) => outcome,
        Err(confirm_first) => return Ok(confirm_first),
    };
    let again = |error: &str| SetupPage {
        page: Page::default(),
        qr_svg: None,
        uri: None,
        expires: String::new(),
        error: Some(error.to_owned()),
    };
    let mut page = match outcome {
        ConfirmOutcome::Enabled { recovery_codes } => {
            return render(&CodesPage {
                page: member.visitor.page().await?,
                codes: recovery_codes.iter().map(str::to_owned).collect(),
                enabled_now: true,
            });
        }
        ConfirmOutcome::WrongCode => {
            again("That code is not right. Type the code your app shows now.")
        }
        ConfirmOutcome::Expired | ConfirmOutcome::NoPending => {
            session::notice(
                &member.visitor.session,
                "That setup lapsed. Start again with \"Enable two-factor authentication\".",
            )
            .await?;
            return Ok(see_other("/account"));
        }
        ConfirmOutcome::AlreadyEnabled => {
            session::notice(
                &member.visitor.session,
                "Two-factor authentication is on already.",
            )
            .await?;
            return Ok(see_other("/account"));
        }
        ConfirmOutcome::Throttled { retry_at } => {
            return throttled(member.visitor.page().await?, Some(retry_at), app.flow.now());
        }
        ConfirmOutcome::Locked => {
            return throttled(member.visitor.page().await?, None, app.flow.now());
        }
    };
    page.page = member.visitor.page().await?;
    render(&page)
}

async fn address(app: &App, member: &Member) -> Result<latchkey::core::EmailAddress, AppError> {
    app.book
        .address(&member.user.account)
        .await?
        .ok_or_else(|| AppError("the account has no address of record".into()))
}

/// `POST /account/2fa/mode`: auth-only or auth-and-writes, proven by a
/// fresh factor.
pub async fn mode(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<CodeForm>,
) -> Reply {
    let mode = match form.mode.as_str() {
        "auth-and-writes" => Mode::AuthAndWrites,
        _ => Mode::AuthOnly,
    };
    let address = address(&app, &member).await?;
    let outcome = app
        .flow
        .two_factor()?
        .set_mode(&member.user.account, &address, mode, factor(&form.code))
        .await?;
    let text = match outcome {
        ChangeOutcome::Done(()) => match mode {
            Mode::AuthAndWrites => {
                "Two-factor authentication now guards sign-ins and publishing.".to_owned()
            }
            _ => "Two-factor authentication now guards sign-ins.".to_owned(),
        },
        ChangeOutcome::Refused(why) => refusal(why),
    };
    session::notice(&member.visitor.session, text).await?;
    Ok(see_other("/account"))
}

/// `POST /account/2fa/recovery-codes`: a new set (the old one stops
/// working), shown once.
pub async fn regenerate(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<CodeForm>,
) -> Reply {
    let outcome = match member
        .settle(
            app.flow
                .regenerate_recovery_codes(&member.user.auth, factor(&form.code))
                .await?,
            "/account",
        )
        .await?
    {
        Ok(outcome) => outcome,
        Err(confirm_first) => return Ok(confirm_first),
    };
    match outcome {
        ChangeOutcome::Done(codes) => render(&CodesPage {
            page: member.visitor.page().await?,
            codes: codes.iter().map(str::to_owned).collect(),
            enabled_now: false,
        }),
        ChangeOutcome::Refused(why) => {
            session::notice(&member.visitor.session, refusal(why)).await?;
            Ok(see_other("/account"))
        }
    }
}

/// `POST /account/2fa/disable`: turn 2FA off, proven by a fresh factor.
pub async fn disable(
    State(app): State<Arc<App>>,
    member: Member,
    Form(form): Form<CodeForm>,
) -> Reply {
    let outcome = match member
        .settle(
            app.flow
                .disable_two_factor(&member.user.auth, factor(&form.code))
                .await?,
            "/account",
        )
        .await?
    {
        Ok(outcome) => outcome,
        Err(confirm_first) => return Ok(confirm_first),
    };
    let text = match outcome {
        ChangeOutcome::Done(()) => "Two-factor authentication is off. Sign-ins from new devices \
                                    get a mailed one-time password again."
            .to_owned(),
        ChangeOutcome::Refused(why) => refusal(why),
    };
    session::notice(&member.visitor.session, text).await?;
    Ok(see_other("/account"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_the_apps_code_and_the_rest_a_recovery_code() {
        assert!(matches!(factor(" 123456 "), SecondFactor::Totp("123456")));
        assert!(matches!(factor("12345678"), SecondFactor::Totp(_)));
        assert!(matches!(
            factor("ABCD-EFGH-JKMN-PQRS"),
            SecondFactor::RecoveryCode(_)
        ));
        assert!(matches!(factor("12345"), SecondFactor::RecoveryCode(_)));
    }

    #[test]
    fn the_qr_code_is_inlined_without_its_xml_declaration() {
        let svg = r#"<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg"></svg>"#;
        assert!(inline_svg(svg).starts_with("<svg"));
    }
}
