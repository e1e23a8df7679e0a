//! `SmtpMailer` against a real SMTP server (aiosmtpd) on 127.0.0.1: what
//! arrives, plain text or text and HTML, and a mailed sign-in code that
//! travels over SMTP and then verifies. See `common/` for the server.

mod common;

use common::server::SmtpServer;
use common::{address, mailed_codes};
use latchkey_core::{AccountId, Mailer, Message, MessageKind};
use latchkey_mail_smtp::SmtpMailer;
use latchkey_otp::{IssueOutcome, Purpose, VerifyOutcome};

#[tokio::test]
async fn a_plain_text_mail_arrives_with_its_envelope_headers_and_body() {
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let mailer = SmtpMailer::new(server.settings()).expect("valid settings");
    mailer
        .send(Message::new(
            address("jane@example.org"),
            "OTP for logging in to your account",
            "Your one-time password is: 482913\n\nIt expires in 10 minutes.\n",
            MessageKind::SignInCode,
        ))
        .await
        .expect("the server accepts the mail");

    let mail = server.only_mail();
    assert_eq!(mail.mail_from, "no-reply@example.com");
    assert_eq!(mail.rcpt_tos, ["jane@example.org"]);
    assert_eq!(mail.to, "jane@example.org");
    assert_eq!(mail.from, "Example Service <no-reply@example.com>");
    assert_eq!(mail.subject, "OTP for logging in to your account");
    assert_eq!(mail.content_type, "text/plain");
    assert!(mail.body("text/plain").contains("482913"), "{mail:?}");
}

#[tokio::test]
async fn a_mail_with_html_arrives_as_multipart_alternative_with_both_parts() {
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let mailer = SmtpMailer::new(server.settings()).expect("valid settings");
    mailer
        .send(
            Message::new(
                address("jane@example.org"),
                "Two-factor authentication was turned on",
                "Two-factor authentication is now on for your account.",
                MessageKind::SecurityNotice,
            )
            .with_html("<p>Two-factor authentication is now <b>on</b> for your account.</p>"),
        )
        .await
        .expect("the server accepts the mail");

    let mail = server.only_mail();
    assert_eq!(mail.content_type, "multipart/alternative");
    assert_eq!(mail.parts.len(), 2, "{mail:?}");
    assert_eq!(mail.parts[0].0, "text/plain", "plain text first (RFC 2046)");
    assert_eq!(mail.parts[1].0, "text/html");
    assert!(
        mail.body("text/plain")
            .contains("is now on for your account")
    );
    assert!(mail.body("text/html").contains("is now <b>on</b>"));
}

#[tokio::test]
async fn a_mailed_sign_in_code_travels_over_smtp_and_verifies() {
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let (codes, _) = mailed_codes(SmtpMailer::new(server.settings()).expect("valid settings"));
    let jane = AccountId::new("jane").expect("account id");
    let outcome = codes
        .issue(&jane, &address("jane@example.org"), &Purpose::SIGN_IN)
        .await
        .expect("issued and mailed");
    assert!(matches!(outcome, IssueOutcome::Sent { .. }), "{outcome:?}");

    let mail = server.only_mail();
    assert_eq!(mail.rcpt_tos, ["jane@example.org"]);
    assert!(
        mail.subject
            .starts_with("OTP for logging in to your account"),
        "{}",
        mail.subject
    );
    let first_line = mail.body("text/plain").lines().next().unwrap_or_default();
    let code: String = first_line.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{first_line}");
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::Verified
    );
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::NoCode,
        "single use"
    );
}
