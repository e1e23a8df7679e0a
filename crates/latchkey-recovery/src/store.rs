//! The storage contract for tickets.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::StoreError;
use time::{Duration, OffsetDateTime};

use crate::{AuditEntry, Ticket, TicketChange, TicketId, ValidForm};

/// A form waiting for its contact address to be proven.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// Random id, handed to the requester's browser.
    pub id: [u8; 16],
    /// The validated form.
    pub form: ValidForm,
    /// When it lapses.
    pub expires_at: OffsetDateTime,
}

/// Where tickets live. Every method is one atomic operation: two staff
/// acting at once cannot both move a ticket, and no audit entry is lost.
#[async_trait]
pub trait TicketStore: fmt::Debug + Send + Sync + 'static {
    /// Counts a submission under `key` (a contact address or a login) if
    /// fewer than `cap` were counted in the last `window`; returns whether
    /// it did.
    async fn record_submission(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        cap: u32,
    ) -> Result<bool, StoreError>;

    /// Stores a draft.
    async fn put_draft(&self, draft: Draft) -> Result<(), StoreError>;

    /// Reads a draft.
    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError>;

    /// Removes and returns a draft: only one caller ever gets it.
    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError>;

    /// Stores a new ticket.
    async fn insert(&self, ticket: Ticket) -> Result<(), StoreError>;

    /// Reads a ticket.
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError>;

    /// Applies `change`, appends `entry` and bumps the version, only if the
    /// ticket is at `expected_version`. Returns whether it did.
    async fn transition(
        &self,
        id: &TicketId,
        expected_version: u64,
        change: TicketChange,
        entry: AuditEntry,
    ) -> Result<bool, StoreError>;

    /// Appends a note to the audit trail, whatever the version.
    async fn append_note(&self, id: &TicketId, entry: AuditEntry) -> Result<bool, StoreError>;
}
