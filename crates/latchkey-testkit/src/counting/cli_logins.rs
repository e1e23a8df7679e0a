//! [`CliLoginStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_cli_login::{CliLoginDecision, CliLoginPoll, CliLoginRecord, CliLoginStore};
use latchkey_core::StoreError;
use time::{Duration, OffsetDateTime};

use super::CountingStore;

#[async_trait]
impl<S: CliLoginStore> CliLoginStore for CountingStore<S> {
    async fn insert_cli_login(&self, record: CliLoginRecord) -> Result<bool, StoreError> {
        self.pick("CliLoginStore::insert_cli_login")
            .insert_cli_login(record)
            .await
    }
    async fn pending_cli_login(
        &self,
        id_digest: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<CliLoginRecord>, StoreError> {
        self.pick("CliLoginStore::pending_cli_login")
            .pending_cli_login(id_digest, now)
            .await
    }
    async fn decide_cli_login(
        &self,
        id_digest: &[u8; 32],
        decision: &CliLoginDecision,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick("CliLoginStore::decide_cli_login")
            .decide_cli_login(id_digest, decision, now)
            .await
    }
    async fn poll_cli_login(
        &self,
        poll_digest: &[u8; 32],
        now: OffsetDateTime,
        min_gap: Duration,
    ) -> Result<CliLoginPoll, StoreError> {
        self.pick("CliLoginStore::poll_cli_login")
            .poll_cli_login(poll_digest, now, min_gap)
            .await
    }
    async fn purge_expired_cli_logins(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.pick("CliLoginStore::purge_expired_cli_logins")
            .purge_expired_cli_logins(now)
            .await
    }
}
