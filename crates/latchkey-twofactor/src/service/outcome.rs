//! What the user typed, and what the service's steps can come to. None
//! of these is an error.

use std::fmt;

use latchkey_otp::KeyUri;
use time::OffsetDateTime;

#[cfg(doc)]
use super::TwoFactor;
use crate::RecoveryCodes;

/// A second factor as the user typed it.
#[derive(Clone, Copy)]
pub enum SecondFactor<'a> {
    /// A code from the authenticator app.
    Totp(&'a str),
    /// One of the recovery codes.
    RecoveryCode(&'a str),
}

impl fmt::Debug for SecondFactor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "Totp(<redacted>)",
            Self::RecoveryCode(_) => "RecoveryCode(<redacted>)",
        })
    }
}

/// What checking a second factor found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum FactorOutcome {
    /// Accepted, and now used up.
    Accepted {
        /// For a recovery code: unused codes left.
        recovery_codes_left: Option<u32>,
    },
    /// Wrong code.
    Rejected,
    /// The code is one that was already used (or an earlier one); refused,
    /// and a notice was mailed (REQ-23).
    Replayed,
    /// 2FA is off, or (for a TOTP code) the account has no authenticator
    /// app.
    NotEnrolled,
    /// Too many recent attempts: nothing was checked; try again at
    /// `retry_at` (REQ-24).
    Throttled {
        /// When the next attempt is allowed.
        retry_at: OffsetDateTime,
    },
    /// Too many failed attempts: second factors are locked until the host
    /// clears them.
    Locked,
}

impl FactorOutcome {
    /// Whether the factor was accepted.
    #[must_use]
    pub fn is_accepted(self) -> bool {
        matches!(self, Self::Accepted { .. })
    }
}

/// An enrolment in progress: show the URI (or its QR code) to the user.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The `otpauth://` URI to scan.
    pub uri: KeyUri,
    /// When the enrolment lapses if no code confirms it.
    pub expires_at: OffsetDateTime,
}

/// What [`TwoFactor::confirm_enrolment`] found.
#[derive(Debug, Clone)]
#[must_use]
pub enum ConfirmOutcome {
    /// 2FA is on; show these recovery codes once.
    Enabled {
        /// The new recovery codes.
        recovery_codes: RecoveryCodes,
    },
    /// The code does not match the new secret.
    WrongCode,
    /// The enrolment lapsed.
    Expired,
    /// No enrolment is in progress.
    NoPending,
    /// An authenticator is already active (one per account for now).
    AlreadyEnabled,
    /// Too many recent attempts; try again at `retry_at`.
    Throttled {
        /// When the next attempt is allowed.
        retry_at: OffsetDateTime,
    },
    /// Too many failed attempts: locked until the host clears it.
    Locked,
}

/// What a change that needs a fresh second factor did.
#[derive(Debug, Clone)]
#[must_use]
pub enum ChangeOutcome<T> {
    /// Done; `T` is the change's result.
    Done(T),
    /// The proof was not accepted; nothing changed.
    Refused(FactorOutcome),
}
