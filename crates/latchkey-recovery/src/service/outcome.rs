//! What the requester, the staff and the host get back from the recovery
//! service. None of these is an error.

use std::fmt;

use latchkey_core::{AccountId, EmailAddress};
use time::OffsetDateTime;

#[cfg(doc)]
use super::Recovery;
use crate::{FieldError, TicketId, TicketState};

/// The requester's view of [`Recovery::start`]. The same answer whether or
/// not the login exists (REQ-31).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum StartOutcome {
    /// The form has problems; show them all.
    Invalid(Vec<FieldError>),
    /// Too many requests for this contact address or login.
    Throttled,
    /// A code went to the contact address; ask for it.
    CodeSent {
        /// The draft to confirm.
        draft: DraftId,
        /// Where the code went, masked.
        masked_contact: String,
    },
}

/// A draft's id, kept by the requester's browser.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DraftId(pub [u8; 16]);

impl fmt::Debug for DraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DraftId(..)")
    }
}

/// The requester's view of [`Recovery::confirm`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ConfirmOutcome {
    /// The ticket is queued; this is its reference (also mailed).
    Submitted {
        /// The ticket's reference.
        reference: TicketId,
    },
    /// Wrong code.
    WrongCode {
        /// Attempts left.
        attempts_left: u32,
    },
    /// The code or the draft lapsed, or was used up; start again.
    Lapsed,
}

/// What a staff or owner action did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ActionOutcome {
    /// Done; the ticket is now in this state.
    Done(TicketState),
    /// Recorded a first approval; a different reviewer must approve too.
    AwaitingSecondApproval,
    /// The same reviewer cannot give both approvals.
    SameReviewer,
    /// The move is not allowed from the ticket's state.
    NotAllowed(TicketState),
    /// Someone else changed the ticket first; reload and decide again.
    Conflict,
    /// No such ticket.
    NotFound,
    /// An email reset for a login that belongs to no account cannot be
    /// approved.
    NoAccount,
    /// The cancel token is wrong.
    WrongToken,
}

/// What the host must do to complete a ticket: the account is the host's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Instruction {
    /// Set the account's address; void its outstanding codes (REQ-36);
    /// end its sessions.
    ResetEmail {
        /// The account.
        account: AccountId,
        /// Its new address.
        new_address: EmailAddress,
        /// Void the account's one-time codes (`OtpStore::void_all`).
        void_codes: bool,
        /// End every session of the account.
        end_sessions: bool,
    },
    /// An "Other" ticket: support handled it; nothing to change here.
    Resolved,
}

/// What [`Recovery::complete`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum CompleteOutcome {
    /// Completed; carry out the instruction.
    Completed(Instruction),
    /// The waiting period has not passed.
    TooEarly {
        /// When it may complete.
        not_before: OffsetDateTime,
    },
    /// Not completed, for this reason.
    Refused(ActionOutcome),
}
