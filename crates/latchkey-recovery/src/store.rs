//! The storage contract for tickets.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::StoreError;
use time::{Duration, OffsetDateTime};

use crate::{AuditEntry, Ticket, TicketChange, TicketId, ValidForm};

/// A form waiting for its contact address to be proven. `Debug` hides
/// its id.
#[derive(Clone, PartialEq, Eq)]
pub struct Draft {
    /// Random id, handed to the requester's browser.
    pub id: [u8; 16],
    /// The validated form.
    pub form: ValidForm,
    /// When it lapses: its start plus
    /// [`RecoverySettings::draft_ttl`](crate::RecoverySettings::draft_ttl),
    /// so the start, as of which evidence is weighed (REQ-35), is this
    /// less the TTL.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for Draft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Draft")
            .field("id", &"..")
            .field("form", &self.form)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where tickets live. Every method is one atomic operation: two staff
/// acting at once cannot both move a ticket, and no audit entry is lost.
#[async_trait]
pub trait TicketStore: fmt::Debug + Send + Sync + 'static {
    /// Counts a submission under `key` (a contact address or a login) if
    /// fewer than `cap` were counted in the last `window`; returns whether
    /// it did. The window is `(now - window, now]`: a submission exactly
    /// `window` old no longer counts.
    async fn record_submission(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        cap: u32,
    ) -> Result<bool, StoreError>;

    /// Stores a draft, replacing any draft with the same id.
    async fn put_draft(&self, draft: Draft) -> Result<(), StoreError>;

    /// Reads a draft whole, whatever its `expires_at` (the service checks
    /// it); `Ok(None)` when there is none.
    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError>;

    /// Removes and returns a draft: of concurrent callers only one ever
    /// gets it.
    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError>;

    /// Stores a new ticket whole, audit trail included.
    async fn insert(&self, ticket: Ticket) -> Result<(), StoreError>;

    /// Reads a ticket whole, as stored or last transitioned; `Ok(None)`
    /// when there is none.
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError>;

    /// Applies `change`, appends `entry` and bumps the version, only if the
    /// ticket is at `expected_version`: of concurrent transitions from one
    /// version exactly one applies. Returns whether it did.
    async fn transition(
        &self,
        id: &TicketId,
        expected_version: u64,
        change: TicketChange,
        entry: AuditEntry,
    ) -> Result<bool, StoreError>;

    /// Appends a note to the audit trail, whatever the version, never
    /// losing a concurrent note or transition; `false` when there is no
    /// such ticket.
    async fn append_note(&self, id: &TicketId, entry: AuditEntry) -> Result<bool, StoreError>;
}
