//! A latchkey [`Mailer`] that sends over SMTP, with lettre on tokio.
//!
//! [`SmtpMailer`] hands each [`Message`] to an SMTP server: `From` (an
//! address and optional display name from [`SmtpSettings`]), `To`,
//! `Subject`, the plain-text body, and, when the message has an HTML body,
//! a `multipart/alternative` of both. The connection is protected by
//! `STARTTLS` (the default), implicit TLS, or, for a local relay only,
//! nothing (see [`Security`]); TLS is rustls with Mozilla's roots, plus
//! any root certificate the host adds for its own relay's CA
//! ([`SmtpSettings::with_root_certificate`]). Certificates are always
//! verified: there is no setting that turns the check off.
//!
//! A mail that is not accepted comes back as a [`MailError`] saying whether
//! the server refused it (a permanent or transient SMTP reply, with its
//! code) or could not be reached or timed out; lettre's error is kept as
//! its source. Neither errors nor `Debug` output ever hold a message body
//! (bodies carry one-time codes) or the password.
//!
//! One connection per mail, no pool. Sending needs a tokio runtime (with
//! its time and I/O drivers); building the mailer does not.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use latchkey_core::{EmailAddress, ManualClock, Pepper};
//! use latchkey_mail_smtp::{Security, SmtpMailer, SmtpSettings};
//! use latchkey_otp::{MailedCodes, Purpose};
//! use latchkey_store_memory::MemoryStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = SmtpSettings::new("smtp.example.com", EmailAddress::parse("no-reply@example.com")?)
//!     .with_from_name("Example")
//!     .with_security(Security::StartTls) // the default; port 587
//!     .with_credentials("no-reply@example.com", std::env::var("SMTP_PASSWORD")?)
//!     .with_timeout(Duration::from_secs(10));
//! let mailer = Arc::new(SmtpMailer::new(settings)?);
//!
//! let codes = MailedCodes::new(
//!     Arc::new(MemoryStore::new()),
//!     mailer,
//!     Arc::new(ManualClock::default()),
//!     Pepper::generate()?,
//! );
//! let jane = latchkey_core::AccountId::new("jane")?;
//! let address = EmailAddress::parse("jane@example.com")?;
//! // Mails "OTP for logging in to your account"; on a mail error the code
//! // is withdrawn and the error says why.
//! codes.issue(&jane, &address, &Purpose::SIGN_IN).await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod roots;
mod settings;

use std::fmt;
use std::fmt::Write as _;
use std::time::Duration;

use async_trait::async_trait;
use latchkey_core::{MailError, Mailer, Message, random};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

pub use settings::{Security, SmtpConfigError, SmtpSettings};

/// Sends latchkey's mail over SMTP. See the [crate documentation](crate).
///
/// `Debug` shows the server and sender but never the credentials:
///
/// ```
/// use latchkey_core::EmailAddress;
/// use latchkey_mail_smtp::{SmtpMailer, SmtpSettings};
///
/// let settings = SmtpSettings::new("smtp.example.com", EmailAddress::parse("no-reply@example.com")?)
///     .with_credentials("mailer", "correct horse battery staple");
/// let mailer = SmtpMailer::new(settings)?;
/// let shown = format!("{mailer:?}");
/// assert!(shown.contains("smtp.example.com") && !shown.contains("correct horse"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port`, for error messages.
    server: String,
    /// The name the certificate must be valid for, for error messages.
    host: String,
    timeout: Duration,
    settings: SmtpSettings,
}

/// RFC 3834: mail sent by a program, so auto-responders stay quiet.
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

impl SmtpMailer {
    /// A mailer for `settings`, checked first. Nothing connects until the
    /// first [`send`](Mailer::send).
    ///
    /// # Errors
    /// [`SmtpConfigError`] when the settings cannot work.
    pub fn new(settings: SmtpSettings) -> Result<Self, SmtpConfigError> {
        let from = settings.checked_sender()?;
        let host = settings.host().to_owned();
        let port = settings.port();
        let tls = match settings.security() {
            Security::Plain => Tls::None,
            security => {
                let parameters = settings.roots().tls_parameters(&host)?;
                if security == Security::Tls {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(settings.timeout()));
        if let Some(credentials) = settings.credentials() {
            builder = builder.credentials(Credentials::new(
                credentials.username.expose().to_owned(),
                credentials.password.expose().to_owned(),
            ));
        }
        let server = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Self {
            transport: builder.build(),
            from,
            server,
            host,
            timeout: settings.timeout(),
            settings,
        })
    }

    /// The settings this mailer was built from.
    #[must_use]
    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// The MIME message for `message`.
    fn compose(&self, message: Message) -> Result<lettre::Message, MailError> {
        let to: lettre::Address = message.to.as_str().parse().map_err(|e| {
            MailError::new(
                format!(
                    "the recipient address {} is not one the SMTP library accepts",
                    message.to
                ),
                e,
            )
        })?;
        let builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(message.subject)
            .message_id(Some(self.message_id()?))
            .raw_header(HeaderValue::new(
                AUTO_SUBMITTED,
                "auto-generated".to_owned(),
            ));
        let built = match message.html {
            None => builder.singlepart(SinglePart::plain(message.text)),
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(message.text, html)),
        };
        // lettre's build errors name a missing or bad header, never a body.
        built.map_err(|e| MailError::new("could not build the mail", e))
    }

    /// `<32 random hex digits@the sender's domain>`: unique, and unlike
    /// lettre's default it does not reveal this machine's host name.
    fn message_id(&self) -> Result<String, MailError> {
        let mut bytes = [0u8; 16];
        random::fill(&mut bytes)
            .map_err(|e| MailError::new("the operating system's random generator failed", e))?;
        let mut id = String::with_capacity(34 + self.from.email.domain().len());
        id.push('<');
        for b in bytes {
            let _ = write!(id, "{b:02x}");
        }
        id.push('@');
        id.push_str(self.from.email.domain());
        id.push('>');
        Ok(id)
    }

    /// Says what went wrong in words a host can log, keeping lettre's
    /// error as the source.
    fn explain(&self, e: lettre::transport::smtp::Error) -> MailError {
        let server = &self.server;
        // A certificate that does not verify comes back from lettre as a
        // connection error; say what it is.
        if e.status().is_none()
            && let Some(problem) = roots::certificate_problem(&e)
        {
            let reason = format!(
                "TLS with the SMTP server {server} failed: its certificate did not verify \
                 for the host name {} against {} ({problem})",
                self.host,
                self.settings.roots()
            );
            return MailError::new(reason, e);
        }
        let reason = match e.status() {
            Some(code) if e.is_permanent() => {
                format!("the SMTP server {server} refused the mail (permanent error {code})")
            }
            Some(code) => format!(
                "the SMTP server {server} refused the mail for now (transient error {code}; a later try may succeed)"
            ),
            None if e.is_timeout() => format!(
                "the SMTP server {server} could not be reached: timed out after {:?}",
                self.timeout
            ),
            None if e.is_tls() => format!("TLS with the SMTP server {server} failed"),
            None if e.is_response() => {
                format!("the SMTP server {server} sent a reply that could not be understood")
            }
            None if e.is_client() => format!("the SMTP exchange with {server} failed"),
            None => {
                format!("the SMTP server {server} could not be reached or dropped the connection")
            }
        };
        MailError::new(reason, e)
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let mail = self.compose(message)?;
        // lettre bounds the TCP connect only; the deadline covers the rest.
        match tokio::time::timeout(self.timeout, self.transport.send(mail)).await {
            Ok(Ok(_response)) => Ok(()),
            Ok(Err(e)) => Err(self.explain(e)),
            Err(elapsed) => Err(MailError::new(
                format!(
                    "the SMTP server {} timed out: no answer within {:?}",
                    self.server, self.timeout
                ),
                elapsed,
            )),
        }
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_core::{EmailAddress, MessageKind};

    fn from() -> EmailAddress {
        EmailAddress::parse("no-reply@example.com").unwrap()
    }

    fn mailer() -> SmtpMailer {
        SmtpMailer::new(
            SmtpSettings::new("127.0.0.1", from())
                .with_security(Security::Plain)
                .with_from_name("Example Ünïcode"),
        )
        .unwrap()
    }

    fn formatted(m: &lettre::Message) -> String {
        String::from_utf8(m.formatted()).unwrap()
    }

    #[test]
    fn ports_follow_the_security_unless_set() {
        let s = SmtpSettings::new("smtp.example.com", from());
        assert_eq!(s.port(), 587);
        assert_eq!(s.clone().with_security(Security::Tls).port(), 465);
        assert_eq!(s.clone().with_security(Security::Plain).port(), 25);
        assert_eq!(s.with_security(Security::Tls).with_port(2465).port(), 2465);
    }

    #[test]
    fn bad_settings_are_refused_with_clear_messages() {
        let base = SmtpSettings::new("smtp.example.com", from());
        let cases = [
            (SmtpSettings::new("", from()), "host is empty"),
            (
                SmtpSettings::new("smtp.example.com\r\nRCPT", from()),
                "not a host name",
            ),
            (SmtpSettings::new("mail/x", from()), "not a host name"),
            (base.clone().with_port(0), "port 0"),
            (base.clone().with_timeout(Duration::ZERO), "timeout"),
            (
                base.clone()
                    .with_security(Security::Plain)
                    .with_credentials("u", "p"),
                "unencrypted",
            ),
            (base.clone().with_credentials("", "p"), "username is empty"),
            (base.clone().with_credentials("u", ""), "password is empty"),
            (
                base.clone().with_from_name("Evil\r\nBcc: x@y.z"),
                "display name",
            ),
            (base.clone().with_from_name("  "), "display name"),
        ];
        for (settings, expected) in cases {
            let err = SmtpMailer::new(settings.clone()).expect_err(expected);
            assert!(err.to_string().contains(expected), "{err} / {expected}");
            assert!(settings.validate().is_err());
        }
        assert!(SmtpMailer::new(base.with_security(Security::Tls).with_port(2465)).is_ok());
        assert!(
            SmtpMailer::new(SmtpSettings::new("::1", from()).with_security(Security::Plain))
                .is_ok()
        );
    }

    #[test]
    fn headers_and_bodies() {
        let m = mailer();
        let to = EmailAddress::parse("jane@example.org").unwrap();
        let plain = m
            .compose(Message::new(
                to.clone(),
                "OTP for logging in to your account",
                "Your code is 123456",
                MessageKind::SignInCode,
            ))
            .unwrap();
        let text = formatted(&plain);
        assert!(text.contains("To: jane@example.org\r\n"), "{text}");
        assert!(
            text.contains("Subject: OTP for logging in to your account\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Auto-Submitted: auto-generated\r\n"),
            "{text}"
        );
        assert!(text.contains("@example.com>\r\n"), "{text}");
        assert!(text.contains("<no-reply@example.com>"), "{text}");
        assert!(
            text.contains("Content-Type: text/plain; charset=utf-8"),
            "{text}"
        );
        assert!(text.contains("123456"), "{text}");
        assert_eq!(
            plain.envelope().to(),
            [lettre::Address::new("jane", "example.org").unwrap()]
        );

        let html = m
            .compose(
                Message::new(to, "Hi", "Your code is 123456", MessageKind::SignInCode)
                    .with_html("<p>Your code is <b>123456</b></p>"),
            )
            .unwrap();
        let text = formatted(&html);
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("text/plain") && text.contains("text/html"),
            "{text}"
        );
    }

    #[test]
    fn a_subject_cannot_add_headers() {
        let m = mailer();
        let mail = m
            .compose(Message::new(
                EmailAddress::parse("jane@example.org").unwrap(),
                "Hello\r\nBcc: eve@example.net",
                "body",
                MessageKind::SecurityNotice,
            ))
            .unwrap();
        let text = formatted(&mail);
        assert!(
            !text.lines().any(|l| l.starts_with("Bcc:")),
            "a header was injected: {text}"
        );
        assert_eq!(mail.envelope().to().len(), 1);
    }

    #[test]
    fn message_ids_differ() {
        let m = mailer();
        assert_ne!(m.message_id().unwrap(), m.message_id().unwrap());
    }
}
