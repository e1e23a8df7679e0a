//! The mail that carries a code, and latchkey's wording of it.

use std::fmt;

use time::Duration;

use crate::Purpose;

/// The subject and bodies of a code mail.
#[derive(Clone, PartialEq, Eq)]
pub struct MailContent {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// Optional HTML body.
    pub html: Option<String>,
}

impl fmt::Debug for MailContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailContent")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Renders the mail that carries a code. Hosts override it for their own
/// wording, language and HTML.
pub trait CodeMailTemplate: fmt::Debug + Send + Sync + 'static {
    /// The mail for `code`, which works for `valid_for`.
    fn render(&self, code: &str, purpose: &Purpose, valid_for: Duration) -> MailContent;
}

/// latchkey's wording. For [`Purpose::SIGN_IN`] (scoped or not) the
/// subject is npm's: "OTP for logging in to your account".
#[derive(Clone, Debug, Default)]
pub struct DefaultTemplate;

impl CodeMailTemplate for DefaultTemplate {
    fn render(&self, code: &str, purpose: &Purpose, valid_for: Duration) -> MailContent {
        let minutes = valid_for.whole_minutes();
        let lasts = if minutes >= 1 {
            format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
        } else {
            format!("{} seconds", valid_for.whole_seconds())
        };
        let (subject, why) = if purpose.is_a(&Purpose::SIGN_IN) {
            ("OTP for logging in to your account", "to finish signing in")
        } else if purpose.is_a(&Purpose::VERIFY_ADDRESS) {
            ("Verify your email address", "to confirm this email address")
        } else {
            ("Your one-time password", "to confirm your request")
        };
        MailContent {
            subject: subject.to_owned(),
            text: format!(
                "Your one-time password is: {code}\n\n\
                 Enter it {why}. It expires in {lasts} and works once.\n\n\
                 If you did not ask for it, you can ignore this mail; nobody can use it\n\
                 without your password. Never share this code with anyone.\n"
            ),
            html: None,
        }
    }
}
