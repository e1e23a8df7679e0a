//! Security notices mailed on every change (REQ-28, REQ-30, REQ-23).

use std::fmt;

use latchkey_otp::MailContent;

use crate::Mode;

/// Something the account's owner should hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// An authenticator app was enabled.
    Enabled,
    /// A security key or passkey was added; `first` when it turned 2FA
    /// on.
    SecurityKeyAdded {
        /// Whether it turned 2FA on (and recovery codes were made).
        first: bool,
    },
    /// A security key or passkey was removed.
    SecurityKeyRemoved,
    /// Two-factor authentication was turned off.
    Disabled,
    /// The mode changed.
    ModeChanged {
        /// The new mode.
        mode: Mode,
    },
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// A recovery code was used.
    RecoveryCodeUsed {
        /// Unused codes left.
        remaining: u32,
    },
    /// A code that was already used was refused (someone may have seen it).
    ReplayRefused,
}

/// Renders notices. Hosts override it for their own wording.
pub trait NoticeTemplate: fmt::Debug + Send + Sync + 'static {
    /// The mail for `notice`.
    fn render(&self, notice: Notice) -> MailContent;
}

/// latchkey's wording.
#[derive(Clone, Debug, Default)]
pub struct DefaultNotices;

impl NoticeTemplate for DefaultNotices {
    fn render(&self, notice: Notice) -> MailContent {
        let (subject, body) = match notice {
            Notice::Enabled => (
                "Two-factor authentication is on".to_owned(),
                "An authenticator app was set up for your account. Keep your recovery codes safe."
                    .to_owned(),
            ),
            Notice::SecurityKeyAdded { first } => (
                if first {
                    "Two-factor authentication is on"
                } else {
                    "A security key was added"
                }
                .to_owned(),
                if first {
                    "A security key was added to your account, and two-factor authentication is \
                     on. Keep your recovery codes safe."
                } else {
                    "A security key was added to your account."
                }
                .to_owned(),
            ),
            Notice::SecurityKeyRemoved => (
                "A security key was removed".to_owned(),
                "A security key was removed from your account.".to_owned(),
            ),
            Notice::Disabled => (
                "Two-factor authentication is off".to_owned(),
                "Two-factor authentication was turned off for your account.".to_owned(),
            ),
            Notice::ModeChanged { mode } => (
                "Your two-factor settings changed".to_owned(),
                format!("Your account now uses the two-factor mode \"{mode}\"."),
            ),
            Notice::RecoveryCodesRegenerated => (
                "New recovery codes".to_owned(),
                "New recovery codes were made for your account; the old ones no longer work."
                    .to_owned(),
            ),
            Notice::RecoveryCodeUsed { remaining } => (
                "A recovery code was used".to_owned(),
                format!("A recovery code was used to sign in. {remaining} unused codes are left."),
            ),
            Notice::ReplayRefused => (
                "A used sign-in code was tried again".to_owned(),
                "Someone entered a code from your authenticator app that had already been used. \
                 It was refused. If it was not you, change your password."
                    .to_owned(),
            ),
        };
        MailContent {
            subject,
            text: format!("{body}\n\nIf you did not do this, secure your account now.\n"),
            html: None,
        }
    }
}
