//! `SmtpMailer` over real TLS: aiosmtpd with `STARTTLS` required, and
//! with implicit TLS, under a certificate from a CA made for the test run
//! (`common/certs.rs`). A mail arrives when the mailer trusts that CA; a
//! certificate for another host name, or a CA the mailer does not trust,
//! is refused with an error that says so, and nothing is sent. See
//! `common/` for the server.

mod common;

use common::certs::TestCa;
use common::server::{Listen, SmtpServer};
use common::{address, chain, mailed_codes};
use latchkey_core::{AccountId, Mailer, Message, MessageKind};
use latchkey_mail_smtp::{SmtpMailer, SmtpSettings};
use latchkey_otp::{IssueOutcome, Purpose, VerifyOutcome};

/// Issues a sign-in code through `settings` and checks that the server
/// got it over TLS, to the right recipient, and that it then verifies.
async fn a_code_arrives(server: &SmtpServer, settings: SmtpSettings) {
    let (codes, template) = mailed_codes(SmtpMailer::new(settings).expect("valid settings"));
    let jane = AccountId::new("jane").expect("account id");
    let outcome = codes
        .issue(&jane, &address("jane@example.org"), &Purpose::SIGN_IN)
        .await
        .expect("issued and mailed over TLS");
    assert!(matches!(outcome, IssueOutcome::Sent { .. }), "{outcome:?}");

    let mail = server.only_mail();
    assert!(mail.tls.starts_with("TLSv1."), "came over {}", mail.tls);
    assert_eq!(mail.rcpt_tos, ["jane@example.org"]);
    assert_eq!(mail.to, "jane@example.org");
    assert!(
        mail.subject
            .starts_with("OTP for logging in to your account"),
        "{}",
        mail.subject
    );
    let code = template.code();
    assert!(mail.body("text/plain").contains(&code), "{mail:?}");
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::Verified
    );
}

#[tokio::test]
async fn a_mailed_code_arrives_over_starttls_when_the_test_root_is_trusted() {
    let ca = TestCa::new();
    let cert = ca.server_cert("localhost");
    let Some(server) = SmtpServer::start_with("accept", Listen::StartTls(&cert)) else {
        return;
    };
    let settings = server
        .settings()
        .with_root_certificate(ca.root_pem())
        .expect("the test root");
    assert!(settings.trusts_mozilla_roots());
    a_code_arrives(&server, settings).await;
}

#[tokio::test]
async fn a_mailed_code_arrives_over_implicit_tls_trusting_only_the_test_root() {
    let ca = TestCa::new();
    let cert = ca.server_cert("localhost");
    let Some(server) = SmtpServer::start_with("accept", Listen::ImplicitTls(&cert)) else {
        return;
    };
    let settings = server
        .settings()
        .with_root_certificate(ca.root_pem())
        .expect("the test root")
        .with_only_own_roots();
    a_code_arrives(&server, settings).await;
}

/// Sends a mail with a code and credentials in it through `settings`,
/// expecting TLS to refuse the server; the error, as Display and Debug,
/// must name neither.
async fn refused(server: &SmtpServer, settings: SmtpSettings) -> String {
    let password = "s3cret-smtp-pass-71c9";
    let mailer = SmtpMailer::new(settings.with_credentials("smtp-user-4d2e", password))
        .expect("valid settings");
    let err = mailer
        .send(Message::new(
            address("jane@example.org"),
            "OTP for logging in to your account",
            "Your one-time password is: 640213",
            MessageKind::SignInCode,
        ))
        .await
        .expect_err("the certificate must not verify");
    let everything = format!("{} {err:?}", chain(&err));
    for secret in ["640213", password, "smtp-user-4d2e"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
    assert!(server.mails().is_empty(), "a mail was sent: {everything}");
    err.to_string()
}

#[tokio::test]
async fn a_certificate_for_another_host_name_is_refused_and_nothing_is_sent() {
    let ca = TestCa::new();
    let cert = ca.server_cert("not-this-host.example");
    for listen in [Listen::StartTls(&cert), Listen::ImplicitTls(&cert)] {
        let Some(server) = SmtpServer::start_with("accept", listen) else {
            return;
        };
        let settings = server
            .settings()
            .with_root_certificate(ca.root_pem())
            .expect("the test root");
        let text = refused(&server, settings).await;
        let port = server.port;
        assert!(
            text.contains(&format!(
                "TLS with the SMTP server localhost:{port} failed: its certificate did not verify \
                 for the host name localhost against Mozilla's roots and 1 extra root"
            )),
            "{text}"
        );
        assert!(
            text.contains("not valid for name \"localhost\"")
                && text.contains("not-this-host.example"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn without_the_test_root_mozillas_roots_refuse_the_test_server() {
    let ca = TestCa::new();
    let cert = ca.server_cert("localhost");
    for listen in [Listen::StartTls(&cert), Listen::ImplicitTls(&cert)] {
        let Some(server) = SmtpServer::start_with("accept", listen) else {
            return;
        };
        let settings = server.settings();
        assert_eq!(settings.extra_root_count(), 0);
        let text = refused(&server, settings).await;
        assert!(
            text.contains(&format!(
                "TLS with the SMTP server localhost:{} failed: its certificate did not verify \
                 for the host name localhost against Mozilla's roots (invalid peer certificate",
                server.port
            )),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_root_from_another_ca_does_not_vouch_for_the_server() {
    // Trusting only a CA that did not sign the server's certificate.
    let (ca, other) = (TestCa::new(), TestCa::new());
    let cert = ca.server_cert("localhost");
    let Some(server) = SmtpServer::start_with("accept", Listen::StartTls(&cert)) else {
        return;
    };
    let settings = server
        .settings()
        .with_root_certificate(other.root_pem())
        .expect("a root")
        .with_only_own_roots();
    let text = refused(&server, settings).await;
    assert!(
        text.contains(
            "did not verify for the host name localhost against 1 extra root only \
             (invalid peer certificate: UnknownIssuer)"
        ),
        "{text}"
    );
}
