//! The mails of the recovery flow, and latchkey's wording of them.

use std::fmt;

use latchkey_otp::MailContent;
use time::OffsetDateTime;

use crate::TicketId;

/// Mails of the recovery flow.
///
/// `Debug` shows references short ([`TicketId::short`]) and never the
/// cancel token.
///
/// ```
/// use latchkey_recovery::{RecoveryMail, TicketId};
/// let reference = TicketId::generate()?;
/// let mail = RecoveryMail::TicketOpened { reference: &reference, cancel_token: "SECRETTOKEN" };
/// let shown = format!("{mail:?}");
/// assert!(!shown.contains("SECRETTOKEN") && !shown.contains(&reference.to_string()));
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryMail<'a> {
    /// To the contact address: the ticket is queued.
    Acknowledgment {
        /// Its reference.
        reference: &'a TicketId,
    },
    /// To the address of record: someone opened a ticket (REQ-34).
    TicketOpened {
        /// Its reference.
        reference: &'a TicketId,
        /// The token that cancels it.
        cancel_token: &'a str,
    },
    /// To the address of record: the change was approved and happens at
    /// `at` unless cancelled.
    ChangeScheduled {
        /// Its reference.
        reference: &'a TicketId,
        /// When.
        at: OffsetDateTime,
    },
    /// To both addresses: the email was changed (REQ-36).
    EmailChanged {
        /// The new address, masked.
        new_address: String,
    },
    /// To the contact address: the ticket was rejected.
    Rejected {
        /// Its reference.
        reference: &'a TicketId,
    },
}

impl fmt::Debug for RecoveryMail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Acknowledgment { reference } => f
                .debug_struct("Acknowledgment")
                .field("reference", reference)
                .finish(),
            Self::TicketOpened { reference, .. } => f
                .debug_struct("TicketOpened")
                .field("reference", reference)
                .field("cancel_token", &"<redacted>")
                .finish(),
            Self::ChangeScheduled { reference, at } => f
                .debug_struct("ChangeScheduled")
                .field("reference", reference)
                .field("at", at)
                .finish(),
            Self::EmailChanged { new_address } => f
                .debug_struct("EmailChanged")
                .field("new_address", new_address)
                .finish(),
            Self::Rejected { reference } => f
                .debug_struct("Rejected")
                .field("reference", reference)
                .finish(),
        }
    }
}

/// Renders recovery mails; hosts override it for their own wording.
pub trait RecoveryTemplate: fmt::Debug + Send + Sync + 'static {
    /// The mail's content.
    fn render(&self, mail: &RecoveryMail<'_>) -> MailContent;
}

/// latchkey's wording. Subjects carry only the short reference
/// ([`TicketId::short`]), since a message's `Debug` shows its subject; the
/// whole reference is in the body.
#[derive(Clone, Debug, Default)]
pub struct DefaultRecoveryTemplate;

impl RecoveryTemplate for DefaultRecoveryTemplate {
    fn render(&self, mail: &RecoveryMail<'_>) -> MailContent {
        let (subject, text) = match mail {
            RecoveryMail::Acknowledgment { reference } => (
                format!("Support ticket {}… received", reference.short()),
                format!(
                    "We received your account-recovery request. Its reference is {reference}.\n\
                     Support will contact you at this address."
                ),
            ),
            RecoveryMail::TicketOpened {
                reference,
                cancel_token,
            } => (
                "Someone asked to recover your account".to_owned(),
                format!(
                    "A support ticket ({reference}) asks to recover your account. Nothing has changed.\n\
                     If this was not you, cancel it with this code: {cancel_token}"
                ),
            ),
            RecoveryMail::ChangeScheduled { reference, at } => (
                "Your account's email will change".to_owned(),
                format!(
                    "Support approved ticket {reference}. Your account's email address changes at {at}.\n\
                     If this was not you, cancel it with the code from our earlier mail."
                ),
            ),
            RecoveryMail::EmailChanged { new_address } => (
                "Your account's email address changed".to_owned(),
                format!(
                    "The email address of your account is now {new_address}. All sessions were ended."
                ),
            ),
            RecoveryMail::Rejected { reference } => (
                format!("Support ticket {}… closed", reference.short()),
                format!(
                    "We could not verify that the account is yours, so nothing was changed.\n\
                     Ticket {reference} is closed."
                ),
            ),
        };
        MailContent {
            subject,
            text,
            html: None,
        }
    }
}
