use std::fmt;
use std::io::Write;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{EmailAddress, MailError};

/// What a message is for, so a host can route it (a transactional relay
/// for codes, a different template set for notices).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// A one-time code for signing in ("OTP for logging in to your account").
    SignInCode,
    /// A code that proves a contact address (account recovery).
    AddressVerification,
    /// A notice about a security-relevant change (2FA changed, recovery
    /// code used, replay refused).
    SecurityNotice,
    /// Mail about an account-recovery support ticket.
    RecoveryTicket,
}

/// One mail to send.
///
/// Bodies may hold one-time codes, so `Debug` shows the recipient, subject
/// and kind but never the bodies.
///
/// ```
/// use latchkey_core::{EmailAddress, Message, MessageKind};
/// let m = Message::new(
///     EmailAddress::parse("jane@example.com")?,
///     "OTP for logging in to your account",
///     "Your code is 123456",
///     MessageKind::SignInCode,
/// );
/// assert!(!format!("{m:?}").contains("123456"));
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The recipient.
    pub to: EmailAddress,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (always present).
    pub text: String,
    /// An optional HTML alternative.
    pub html: Option<String>,
    /// What the message is for.
    pub kind: MessageKind,
}

impl Message {
    /// A plain-text message.
    #[must_use]
    pub fn new(
        to: EmailAddress,
        subject: impl Into<String>,
        text: impl Into<String>,
        kind: MessageKind,
    ) -> Self {
        Self {
            to,
            subject: subject.into(),
            text: text.into(),
            html: None,
            kind,
        }
    }

    /// Adds an HTML alternative body.
    #[must_use]
    pub fn with_html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("kind", &self.kind)
            .field("text", &"<redacted>")
            .field("html", &self.html.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Sends mail. Hosts implement it over their own transport; latchkey ships
/// a [`ConsoleMailer`], a [`RecordingMailer`] and an SMTP mailer in its own
/// crate.
///
/// An `Err` means the message was not accepted for delivery; callers that
/// issued a code withdraw it.
///
/// ```
/// use latchkey_core::{EmailAddress, Mailer, Message, MessageKind, RecordingMailer};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mailer = RecordingMailer::new();
/// let to = EmailAddress::parse("jane@example.com").unwrap();
/// mailer.send(Message::new(to, "Hi", "Hello", MessageKind::SecurityNotice)).await.unwrap();
/// assert_eq!(mailer.messages().len(), 1);
/// # });
/// ```
#[async_trait]
pub trait Mailer: fmt::Debug + Send + Sync + 'static {
    /// Hands one message to the transport.
    async fn send(&self, message: Message) -> Result<(), MailError>;
}

#[async_trait]
impl<M: Mailer + ?Sized> Mailer for std::sync::Arc<M> {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        (**self).send(message).await
    }
}

/// Prints each mail to standard output, as it would arrive. For demos and
/// local development only: codes appear on the terminal.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConsoleMailer;

impl ConsoleMailer {
    fn render(message: &Message) -> String {
        let rule = "─".repeat(60);
        let mut out = format!(
            "{rule}\nTo: {}\nSubject: {}\n\n{}\n",
            message.to, message.subject, message.text
        );
        if message.html.is_some() {
            out.push_str("[an HTML alternative is attached]\n");
        }
        out.push_str(&rule);
        out.push('\n');
        out
    }
}

#[async_trait]
impl Mailer for ConsoleMailer {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let text = Self::render(&message);
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| MailError::new("could not write to the terminal", e))
    }
}

/// Keeps every message in memory, for tests; can be told to fail.
///
/// ```
/// use latchkey_core::{EmailAddress, Mailer, Message, MessageKind, RecordingMailer};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mailer = RecordingMailer::new();
/// mailer.set_failing(true);
/// let to = EmailAddress::parse("a@b.co").unwrap();
/// assert!(mailer.send(Message::new(to, "s", "t", MessageKind::SignInCode)).await.is_err());
/// assert!(mailer.messages().is_empty());
/// # });
/// ```
#[derive(Debug, Default)]
pub struct RecordingMailer {
    state: Mutex<Recording>,
}

#[derive(Debug, Default)]
struct Recording {
    sent: Vec<Message>,
    failing: bool,
}

impl RecordingMailer {
    /// An empty recorder that accepts every message.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Recording> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every message accepted so far, oldest first.
    #[must_use]
    pub fn messages(&self) -> Vec<Message> {
        self.state().sent.clone()
    }

    /// The newest message accepted, if any.
    #[must_use]
    pub fn last(&self) -> Option<Message> {
        self.state().sent.last().cloned()
    }

    /// The code in the newest mail: the digits of its first line, as
    /// latchkey's default templates write it ("Your one-time password
    /// is: 123456"). `None` when no mail was sent or its first line has no
    /// digits.
    ///
    /// ```
    /// use latchkey_core::{EmailAddress, Mailer, Message, MessageKind, RecordingMailer};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mailer = RecordingMailer::new();
    /// assert_eq!(mailer.last_code(), None);
    /// let to = EmailAddress::parse("jane@example.com")?;
    /// mailer.send(Message::new(to, "OTP", "Your one-time password is: 123456\n", MessageKind::SignInCode)).await?;
    /// assert_eq!(mailer.last_code().as_deref(), Some("123456"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn last_code(&self) -> Option<String> {
        let mail = self.last()?;
        let first_line = mail.text.lines().next().unwrap_or_default();
        let code: String = first_line.chars().filter(char::is_ascii_digit).collect();
        (!code.is_empty()).then_some(code)
    }

    /// Removes and returns every message accepted so far.
    pub fn take(&self) -> Vec<Message> {
        std::mem::take(&mut self.state().sent)
    }

    /// While `failing`, every send returns an error and records nothing.
    pub fn set_failing(&self, failing: bool) {
        self.state().failing = failing;
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let mut state = self.state();
        if state.failing {
            return Err(MailError::msg("recording mailer told to fail"));
        }
        state.sent.push(message);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_rendering_shows_subject_and_body() {
        let m = Message::new(
            EmailAddress::parse("a@b.co").unwrap(),
            "OTP for logging in to your account",
            "Your code is 123456",
            MessageKind::SignInCode,
        );
        let text = ConsoleMailer::render(&m);
        assert!(text.contains("Subject: OTP for logging in to your account"));
        assert!(text.contains("123456"));
    }
}
