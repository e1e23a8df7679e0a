//! [`TicketStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::StoreError;
use latchkey_recovery::{AuditEntry, Draft, Ticket, TicketChange, TicketId, TicketStore};
use time::{Duration, OffsetDateTime};

use super::CountingStore;

#[async_trait]
impl<S: TicketStore> TicketStore for CountingStore<S> {
    async fn record_submission(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        cap: u32,
    ) -> Result<bool, StoreError> {
        self.pick("TicketStore::record_submission")
            .record_submission(key, now, window, cap)
            .await
    }
    async fn put_draft(&self, draft: Draft) -> Result<(), StoreError> {
        self.pick("TicketStore::put_draft").put_draft(draft).await
    }
    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.pick("TicketStore::get_draft").get_draft(id).await
    }
    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.pick("TicketStore::take_draft").take_draft(id).await
    }
    async fn insert(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.pick("TicketStore::insert").insert(ticket).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        TicketStore::get(self.pick("TicketStore::get"), id).await
    }
    async fn transition(
        &self,
        id: &TicketId,
        expected_version: u64,
        change: TicketChange,
        entry: AuditEntry,
    ) -> Result<bool, StoreError> {
        self.pick("TicketStore::transition")
            .transition(id, expected_version, change, entry)
            .await
    }
    async fn append_note(&self, id: &TicketId, entry: AuditEntry) -> Result<bool, StoreError> {
        self.pick("TicketStore::append_note")
            .append_note(id, entry)
            .await
    }
}
