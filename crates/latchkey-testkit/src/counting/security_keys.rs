//! [`SecurityKeyStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_webauthn::{CeremonyRecord, KeyUse, SecurityKeyRecord, SecurityKeyStore};
use time::OffsetDateTime;

use super::CountingStore;

#[async_trait]
impl<S: SecurityKeyStore> SecurityKeyStore for CountingStore<S> {
    async fn insert_ceremony(&self, record: CeremonyRecord) -> Result<bool, StoreError> {
        self.pick("SecurityKeyStore::insert_ceremony")
            .insert_ceremony(record)
            .await
    }
    async fn take_ceremony(
        &self,
        id_digest: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<CeremonyRecord>, StoreError> {
        self.pick("SecurityKeyStore::take_ceremony")
            .take_ceremony(id_digest, now)
            .await
    }
    async fn add_security_key(&self, key: SecurityKeyRecord) -> Result<bool, StoreError> {
        self.pick("SecurityKeyStore::add_security_key")
            .add_security_key(key)
            .await
    }
    async fn security_key_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<SecurityKeyRecord>, StoreError> {
        self.pick("SecurityKeyStore::security_key_by_credential")
            .security_key_by_credential(credential_id)
            .await
    }
    async fn security_keys(
        &self,
        account: &AccountId,
    ) -> Result<Vec<SecurityKeyRecord>, StoreError> {
        self.pick("SecurityKeyStore::security_keys")
            .security_keys(account)
            .await
    }
    async fn record_key_use(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        seen_counter: u32,
        update: KeyUse,
    ) -> Result<bool, StoreError> {
        self.pick("SecurityKeyStore::record_key_use")
            .record_key_use(account, credential_id, seen_counter, update)
            .await
    }
    async fn rename_security_key(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, StoreError> {
        self.pick("SecurityKeyStore::rename_security_key")
            .rename_security_key(account, credential_id, name)
            .await
    }
    async fn remove_security_key(
        &self,
        account: &AccountId,
        credential_id: &[u8],
    ) -> Result<bool, StoreError> {
        self.pick("SecurityKeyStore::remove_security_key")
            .remove_security_key(account, credential_id)
            .await
    }
    async fn purge_expired_ceremonies(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.pick("SecurityKeyStore::purge_expired_ceremonies")
            .purge_expired_ceremonies(now)
            .await
    }
}
