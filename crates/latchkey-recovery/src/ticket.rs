//! Tickets, their lifecycle as a state machine, and the audit trail.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use latchkey_core::{AccountId, EmailAddress, random};
use time::OffsetDateTime;

use crate::{Evidence, Topic};

/// A ticket's unguessable reference (128 random bits), as the user and
/// staff see it: 26 base32 characters.
///
/// The reference is a bearer secret (it withdraws a queued ticket), so it
/// is shown whole only by `Display` (for the requester's mail and staff);
/// `Debug` and logs use [`TicketId::short`].
///
/// ```
/// use latchkey_recovery::TicketId;
/// let id = TicketId::generate()?;
/// let text = id.to_string();
/// assert_eq!(text.len(), 26);
/// assert_eq!(text.parse::<TicketId>().unwrap(), id);
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(pub [u8; 16]);

impl TicketId {
    /// A fresh reference from the OS CSPRNG.
    ///
    /// # Errors
    /// When the OS generator fails.
    pub fn generate() -> Result<Self, latchkey_core::Error> {
        let mut bytes = [0u8; 16];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// The first 4 characters of the reference (20 bits): enough to
    /// correlate log lines and events, not to find or act on a ticket. Use
    /// it wherever a reference is logged.
    ///
    /// ```
    /// use latchkey_recovery::TicketId;
    /// let id = TicketId::generate()?;
    /// assert_eq!(id.short().len(), 4);
    /// assert!(id.to_string().starts_with(&id.short()));
    /// assert_eq!(format!("{id:?}"), format!("TicketId({}…)", id.short()));
    /// # Ok::<(), latchkey_core::Error>(())
    /// ```
    #[must_use]
    pub fn short(&self) -> String {
        // 3 bytes encode to 5 characters, the first 4 of which depend on
        // the first 20 bits only: the same as the full reference's first 4.
        let mut text = BASE32_NOPAD.encode(&self.0[..3]);
        text.truncate(4);
        text
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE32_NOPAD.encode(&self.0))
    }
}

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({}…)", self.short())
    }
}

/// Text that is not a ticket reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket reference")]
pub struct InvalidTicketId;

impl FromStr for TicketId {
    type Err = InvalidTicketId;
    fn from_str(s: &str) -> Result<Self, InvalidTicketId> {
        let bytes = BASE32_NOPAD
            .decode(s.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| InvalidTicketId)?;
        Ok(Self(bytes.try_into().map_err(|_| InvalidTicketId)?))
    }
}

/// Where a ticket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// Queued, after the contact address was proven.
    Submitted,
    /// A reviewer is looking at it.
    InReview,
    /// Approved; completes after the waiting period, unless cancelled.
    Approved,
    /// Done: the host applied the change.
    Completed,
    /// Refused by staff.
    Rejected,
    /// Withdrawn by the user, or cancelled by the account's owner.
    Withdrawn,
    /// Nobody acted in time.
    Expired,
}

/// A move from one state to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transition {
    /// Submitted → in review.
    StartReview,
    /// In review → approved.
    Approve,
    /// Submitted, in review or approved → rejected.
    Reject,
    /// Submitted, in review or approved → withdrawn. The requester may
    /// withdraw only a submitted ticket; the owner's cancel code stops it
    /// in any of these states.
    Withdraw,
    /// Submitted or in review → expired.
    Expire,
    /// Approved → completed.
    Complete,
}

impl Transition {
    /// Every transition, for tests.
    pub const ALL: [Self; 6] = [
        Self::StartReview,
        Self::Approve,
        Self::Reject,
        Self::Withdraw,
        Self::Expire,
        Self::Complete,
    ];
}

impl TicketState {
    /// Every state, for tests.
    pub const ALL: [Self; 7] = [
        Self::Submitted,
        Self::InReview,
        Self::Approved,
        Self::Completed,
        Self::Rejected,
        Self::Withdrawn,
        Self::Expired,
    ];

    /// The state `transition` leads to from here, or `None` when the move
    /// is not allowed. Final states allow nothing.
    ///
    /// ```
    /// use latchkey_recovery::{TicketState::*, Transition::*};
    /// assert_eq!(Submitted.apply(StartReview), Some(InReview));
    /// assert_eq!(Submitted.apply(Complete), None);
    /// assert_eq!(Completed.apply(Withdraw), None);
    /// ```
    #[must_use]
    pub fn apply(self, transition: Transition) -> Option<Self> {
        use Transition as T;
        match (self, transition) {
            (Self::Submitted, T::StartReview) => Some(Self::InReview),
            (Self::InReview, T::Approve) => Some(Self::Approved),
            (Self::Submitted | Self::InReview | Self::Approved, T::Reject) => Some(Self::Rejected),
            (Self::Submitted | Self::InReview | Self::Approved, T::Withdraw) => {
                Some(Self::Withdrawn)
            }
            (Self::Submitted | Self::InReview, T::Expire) => Some(Self::Expired),
            (Self::Approved, T::Complete) => Some(Self::Completed),
            _ => None,
        }
    }

    /// Whether nothing can happen any more.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Rejected | Self::Withdrawn | Self::Expired
        )
    }
}

/// Who did something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The person who opened the ticket (proved the contact address).
    Requester,
    /// The account's owner, through the address of record.
    AccountOwner,
    /// A member of support staff, by the host's id for them.
    Staff(String),
    /// latchkey itself (expiry).
    System,
}

/// One line of the append-only audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: Actor,
    /// What: a transition, or a note.
    pub action: AuditAction,
    /// Free text from the actor.
    pub note: Option<String>,
}

/// What an audit entry records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditAction {
    /// The ticket was opened.
    Opened,
    /// A transition happened.
    Transition(Transition),
    /// A first approval under the two-person rule.
    FirstApproval,
    /// A note, no change.
    Note,
}

/// A support ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// The reference.
    pub id: TicketId,
    /// The login the requester gave.
    pub login: String,
    /// The account that login belongs to; `None` when it belongs to none
    /// (staff see this; the requester never does).
    pub account: Option<AccountId>,
    /// The proven contact address.
    pub contact: EmailAddress,
    /// What the requester asked for.
    pub topic: Topic,
    /// The linked-identity evidence, for staff.
    pub evidence: Evidence,
    /// The state.
    pub state: TicketState,
    /// Bumped by every change; the compare-and-set key.
    pub version: u64,
    /// When it was opened.
    pub submitted_at: OffsetDateTime,
    /// Staff who approved (two with the two-person rule).
    pub approvals: Vec<String>,
    /// When it was approved.
    pub approved_at: Option<OffsetDateTime>,
    /// Keyed digest of the owner's cancel token.
    pub cancel_digest: Option<[u8; 32]>,
    /// Every event, oldest first; never shortened.
    pub audit: Vec<AuditEntry>,
}

/// The fields a transition may change, applied by the store together with
/// one audit entry, atomically and only at the expected version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketChange {
    /// The new state.
    pub state: TicketState,
    /// The approvals after the change.
    pub approvals: Vec<String>,
    /// When it was approved, if it is.
    pub approved_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_allow_nothing_and_others_allow_only_their_moves() {
        for state in TicketState::ALL {
            let allowed: Vec<Transition> = Transition::ALL
                .into_iter()
                .filter(|t| state.apply(*t).is_some())
                .collect();
            if state.is_final() {
                assert!(allowed.is_empty(), "{state:?} allows {allowed:?}");
            } else {
                assert!(!allowed.is_empty(), "{state:?} is stuck");
            }
        }
        assert_eq!(
            TicketState::Approved.apply(Transition::Expire),
            None,
            "approval does not lapse"
        );
    }

    #[test]
    fn debug_never_shows_the_whole_reference() {
        let id = TicketId([0xA5; 16]);
        let full = id.to_string();
        let shown = format!("{id:?}");
        assert!(!shown.contains(&full), "{shown}");
        assert!(!shown.contains(&full[..8]), "{shown}");
        assert!(full.starts_with(&id.short()));
    }

    #[test]
    fn ticket_ids_round_trip_and_refuse_junk() {
        let id = TicketId([7; 16]);
        assert_eq!(
            id.to_string().to_lowercase().parse::<TicketId>().unwrap(),
            id
        );
        assert!("short".parse::<TicketId>().is_err());
        assert!("0000000000000000000000000!".parse::<TicketId>().is_err());
    }
}
