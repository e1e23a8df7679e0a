//! A command-line login session as stored, and what a store answers.

use std::fmt;

use latchkey_core::{AccountId, SecurityStamp};
use time::OffsetDateTime;

use crate::UserCode;

/// A login session as the store keeps it: digests of its two secrets,
/// never the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct CliLoginRecord {
    /// SHA-256 of the [`CliLoginId`](crate::CliLoginId) (the browser's).
    pub id_digest: [u8; 32],
    /// SHA-256 of the [`PollToken`](crate::PollToken) (the command line's).
    pub poll_digest: [u8; 32],
    /// What the browser page shows and the command line printed.
    pub user_code: UserCode,
    /// What the command line said it is (at most
    /// [`CLIENT_LABEL_MAX`](crate::CLIENT_LABEL_MAX) characters, no
    /// control characters), shown on the page.
    pub client: Option<String>,
    /// When it began.
    pub created_at: OffsetDateTime,
    /// It is dead from this instant on, whatever its state.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for CliLoginRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliLoginRecord")
            .field("user_code", &self.user_code)
            .field("client", &self.client)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the signed-in user decided in the browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliLoginDecision {
    /// "Allow this command line to sign in": the account it may sign in
    /// as, and that account's security stamp at the time (a credential
    /// change before the command line collects voids the approval).
    Approve {
        /// Whose.
        account: AccountId,
        /// The account's stamp when approved.
        stamp: SecurityStamp,
    },
    /// "Deny".
    Deny,
}

/// What one poll found, as the store answers it. Every poll of a live
/// session records its time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliLoginPoll {
    /// No live session has this poll token (never made, or expired).
    Gone,
    /// The previous poll was less than the minimum gap ago.
    TooSoon,
    /// Not decided yet.
    Waiting,
    /// The user denied it.
    Denied,
    /// Approved, and this poll collected it: the session is now claimed,
    /// so no other poll gets this answer.
    Approved {
        /// The account the command line signs in as.
        account: AccountId,
        /// The account's stamp when approved.
        stamp: SecurityStamp,
    },
    /// Approved, and an earlier poll already collected it.
    Claimed,
}
