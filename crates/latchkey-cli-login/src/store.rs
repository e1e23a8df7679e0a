//! The storage contract for command-line login sessions.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::StoreError;
use time::{Duration, OffsetDateTime};

use crate::{CliLoginDecision, CliLoginPoll, CliLoginRecord};

/// Where command-line login sessions live. Each method is one atomic
/// operation; a session is live while `now < expires_at`. Run
/// `latchkey_testkit::cli_login_store_tests!` against an implementation.
#[async_trait]
pub trait CliLoginStore: fmt::Debug + Send + Sync + 'static {
    /// Stores a new, undecided session; `false`, storing nothing, if
    /// either digest is taken.
    async fn insert_cli_login(&self, record: CliLoginRecord) -> Result<bool, StoreError>;

    /// The live, undecided session whose id has this digest (`Ok(None)`
    /// once it is decided, expired or never made).
    async fn pending_cli_login(
        &self,
        id_digest: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<CliLoginRecord>, StoreError>;

    /// Records the decision, only if the session is live and undecided;
    /// returns whether it did. Of concurrent decisions exactly one gets
    /// `true`.
    async fn decide_cli_login(
        &self,
        id_digest: &[u8; 32],
        decision: &CliLoginDecision,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// One poll with the poll token whose digest this is. In one atomic
    /// step: [`Gone`](CliLoginPoll::Gone) when no live session has it;
    /// else records `now` as its last poll and answers
    /// [`TooSoon`](CliLoginPoll::TooSoon) when the previous poll was less
    /// than `min_gap` before `now` (a poll exactly `min_gap` later is in
    /// time); else the state, claiming an approved session as it answers
    /// [`Approved`](CliLoginPoll::Approved): of concurrent polls after an
    /// approval exactly one gets it, the rest
    /// [`Claimed`](CliLoginPoll::Claimed) or `TooSoon`.
    async fn poll_cli_login(
        &self,
        poll_digest: &[u8; 32],
        now: OffsetDateTime,
        min_gap: Duration,
    ) -> Result<CliLoginPoll, StoreError>;

    /// Deletes every session expired at `now` (`expires_at <= now`), in
    /// whatever state; returns how many.
    async fn purge_expired_cli_logins(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}
