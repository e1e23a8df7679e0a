//! What issuing and verifying a mailed code can come to. None of these
//! is an error: they are the user's outcomes.

use time::{Duration, OffsetDateTime};

#[cfg(doc)]
use super::MailedCodes;

/// What [`MailedCodes::issue`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum IssueOutcome {
    /// A code was mailed.
    Sent {
        /// When it stops working.
        expires_at: OffsetDateTime,
        /// The address it went to, masked for display (`j***@example.com`).
        masked_address: String,
    },
    /// A code was sent too recently (REQ-17).
    CoolingDown {
        /// How long until another may be sent.
        retry_after: Duration,
    },
    /// The hourly cap of sends is reached (REQ-17).
    CapReached {
        /// How long until another may be sent.
        retry_after: Duration,
    },
}

/// What [`MailedCodes::verify`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum VerifyOutcome {
    /// The code is right; it is now used up.
    Verified,
    /// The code is wrong (or malformed).
    Wrong {
        /// Attempts left on this code; at zero it is dead.
        attempts_left: u32,
    },
    /// The code was right or wrong, but it has expired.
    Expired,
    /// There is no outstanding code (never sent, used, or replaced).
    NoCode,
    /// The attempt budget was already spent.
    Exhausted,
}
