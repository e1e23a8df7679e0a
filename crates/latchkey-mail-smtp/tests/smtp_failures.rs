//! `SmtpMailer` when sending fails: a closed port, a server that refuses
//! the recipient, a server that never speaks, a server without `STARTTLS`.
//! The code that was not sent is withdrawn, the error says why, and neither
//! the error nor `Debug` holds the code or the credentials. See `common/`
//! for the server.

mod common;

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::server::SmtpServer;
use common::{address, chain, mailed_codes, plain_settings};
use latchkey_core::{AccountId, Mailer, Message, MessageKind};
use latchkey_mail_smtp::{Security, SmtpMailer, SmtpSettings};
use latchkey_otp::{Purpose, VerifyOutcome};

/// A port on 127.0.0.1 that nothing listens on, held (as the local end
/// of a connection) until the guard drops, so no other test or process can
/// start listening there meanwhile.
struct ClosedPort {
    port: u16,
    _ends: (TcpStream, TcpStream),
}

fn closed_port() -> ClosedPort {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    ClosedPort {
        port: client.local_addr().expect("addr").port(),
        _ends: (client, server),
    }
}

#[tokio::test]
async fn a_server_that_is_down_withdraws_the_code_with_a_clear_error() {
    let closed = closed_port(); // nothing listens here, and nothing will
    let port = closed.port;
    let (codes, template) = mailed_codes(SmtpMailer::new(plain_settings(port)).expect("valid"));
    let jane = AccountId::new("jane").expect("account id");
    let err = codes
        .issue(&jane, &address("jane@example.org"), &Purpose::SIGN_IN)
        .await
        .expect_err("nobody to hand the mail to");
    assert!(matches!(err, latchkey_otp::Error::Mail(_)), "{err:?}");
    let text = chain(&err);
    let code = template.code();
    assert!(
        text.contains(&format!(
            "the SMTP server 127.0.0.1:{port} could not be reached"
        )),
        "{text}"
    );
    assert!(
        !text.contains(&code),
        "the code leaked into the error: {text}"
    );
    assert!(
        !format!("{err:?}").contains(&code),
        "the code leaked into Debug"
    );
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::NoCode,
        "the code that was not sent was withdrawn"
    );
}

#[tokio::test]
async fn a_refused_recipient_withdraws_the_code_and_says_refused() {
    let Some(server) = SmtpServer::start("refuse-rcpt") else {
        return;
    };
    let (codes, template) =
        mailed_codes(SmtpMailer::new(server.settings()).expect("valid settings"));
    let jane = AccountId::new("jane").expect("account id");
    let err = codes
        .issue(&jane, &address("jane@example.org"), &Purpose::SIGN_IN)
        .await
        .expect_err("the server refuses the recipient");
    assert!(matches!(err, latchkey_otp::Error::Mail(_)), "{err:?}");
    let text = chain(&err);
    let code = template.code();
    assert!(
        text.contains(&format!(
            "the SMTP server 127.0.0.1:{} refused the mail (permanent error 550)",
            server.port
        )),
        "{text}"
    );
    assert!(
        !text.contains(&code),
        "the code leaked into the error: {text}"
    );
    assert!(
        !format!("{err:?}").contains(&code),
        "the code leaked into Debug"
    );
    assert!(server.mails().is_empty());
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::NoCode,
        "the refused code was withdrawn"
    );
}

#[tokio::test]
async fn a_server_that_never_speaks_times_out() {
    // Accepts connections and holds them, silent: no greeting ever comes.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let mailer = SmtpMailer::new(plain_settings(port).with_timeout(Duration::from_secs(1)))
        .expect("valid settings");
    let started = Instant::now();
    let err = mailer
        .send(Message::new(
            address("jane@example.org"),
            "OTP for logging in to your account",
            "Your one-time password is: 771204",
            MessageKind::SignInCode,
        ))
        .await
        .expect_err("the server never answers");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "gave up early: {took:?}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let text = chain(&err);
    assert!(
        text.contains(&format!("the SMTP server 127.0.0.1:{port} timed out")),
        "{text}"
    );
    assert!(!text.contains("771204"), "{text}");
}

#[tokio::test]
async fn starttls_required_never_falls_back_to_plain_text() {
    // aiosmtpd here offers no STARTTLS: the mailer must stop, not send.
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let mailer = SmtpMailer::new(server.settings().with_security(Security::StartTls))
        .expect("valid settings");
    let err = mailer
        .send(Message::new(
            address("jane@example.org"),
            "OTP for logging in to your account",
            "Your one-time password is: 550123",
            MessageKind::SignInCode,
        ))
        .await
        .expect_err("no STARTTLS, no mail");
    let text = chain(&err);
    assert!(text.contains("STARTTLS"), "{text}");
    assert!(server.mails().is_empty(), "a mail went out in plain text");
}

#[tokio::test]
async fn debug_output_and_errors_never_show_the_credentials() {
    let password = "tr0ub4dor&3-correct-horse";
    let username = "smtp-user-7f3a";
    let closed = closed_port(); // nothing listens here, and nothing will
    let port = closed.port;
    let settings = SmtpSettings::new("127.0.0.1", address("no-reply@example.com"))
        .with_security(Security::StartTls)
        .with_port(port)
        .with_credentials(username, password);
    let shown = format!("{settings:?}");
    assert!(
        !shown.contains(password) && !shown.contains(username),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"), "{shown}");

    let mailer = SmtpMailer::new(settings).expect("valid settings");
    let shown = format!("{mailer:?} {mailer:#?}");
    assert!(
        !shown.contains(password) && !shown.contains(username),
        "{shown}"
    );
    assert!(shown.contains("127.0.0.1"), "{shown}");

    let err = mailer
        .send(Message::new(
            address("jane@example.org"),
            "Hi",
            "Hello",
            MessageKind::SecurityNotice,
        ))
        .await
        .expect_err("nothing listens");
    let shown = format!("{} {err:?}", chain(&err));
    assert!(
        !shown.contains(password) && !shown.contains(username),
        "{shown}"
    );
}
