//! [`TicketStore`]: recovery tickets, drafts and submission counts.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::StoreError;
use latchkey_recovery::{AuditEntry, Draft, Ticket, TicketChange, TicketId, TicketStore};
use time::{Duration, OffsetDateTime};

use crate::{MemoryStore, lock};

/// Tickets, drafts waiting for their address, and submission times per key.
#[derive(Debug, Default)]
pub(crate) struct Tickets {
    tickets: HashMap<TicketId, Ticket>,
    drafts: HashMap<[u8; 16], Draft>,
    submissions: HashMap<String, Vec<OffsetDateTime>>,
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn record_submission(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        cap: u32,
    ) -> Result<bool, StoreError> {
        let mut t = lock(&self.tickets);
        let times = t.submissions.entry(key.to_owned()).or_default();
        // The window is (now - window, now]: a submission exactly `window`
        // old has left it.
        times.retain(|at| *at > now - window);
        if times.len() >= cap as usize {
            return Ok(false);
        }
        times.push(now);
        Ok(true)
    }

    async fn put_draft(&self, draft: Draft) -> Result<(), StoreError> {
        lock(&self.tickets).drafts.insert(draft.id, draft);
        Ok(())
    }

    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        Ok(lock(&self.tickets).drafts.get(id).cloned())
    }

    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        Ok(lock(&self.tickets).drafts.remove(id))
    }

    async fn insert(&self, ticket: Ticket) -> Result<(), StoreError> {
        lock(&self.tickets).tickets.insert(ticket.id, ticket);
        Ok(())
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(lock(&self.tickets).tickets.get(id).cloned())
    }

    async fn transition(
        &self,
        id: &TicketId,
        expected_version: u64,
        change: TicketChange,
        entry: AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut t = lock(&self.tickets);
        let Some(ticket) = t
            .tickets
            .get_mut(id)
            .filter(|t| t.version == expected_version)
        else {
            return Ok(false);
        };
        ticket.state = change.state;
        ticket.approvals = change.approvals;
        ticket.approved_at = change.approved_at;
        ticket.audit.push(entry);
        ticket.version += 1;
        Ok(true)
    }

    async fn append_note(&self, id: &TicketId, entry: AuditEntry) -> Result<bool, StoreError> {
        Ok(lock(&self.tickets)
            .tickets
            .get_mut(id)
            .map(|t| t.audit.push(entry))
            .is_some())
    }
}
