//! [`SecurityKeyStore`]: WebAuthn keys by credential id, each account's
//! ids, and ceremonies by id digest.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_webauthn::{CeremonyRecord, KeyUse, SecurityKeyRecord, SecurityKeyStore};
use time::OffsetDateTime;

use crate::{MemoryStore, lock, removed};

/// Keys by credential id (unique across accounts), each account's ids in
/// registration order, and live ceremonies.
#[derive(Debug, Default)]
pub(crate) struct SecurityKeys {
    keys: HashMap<Vec<u8>, SecurityKeyRecord>,
    by_account: HashMap<AccountId, Vec<Vec<u8>>>,
    ceremonies: HashMap<[u8; 32], CeremonyRecord>,
}

impl SecurityKeys {
    fn owned_mut(&mut self, account: &AccountId, id: &[u8]) -> Option<&mut SecurityKeyRecord> {
        self.keys.get_mut(id).filter(|k| k.account == *account)
    }
}

#[async_trait]
impl SecurityKeyStore for MemoryStore {
    async fn insert_ceremony(&self, record: CeremonyRecord) -> Result<bool, StoreError> {
        let mut s = lock(&self.security_keys);
        if s.ceremonies.contains_key(&record.id_digest) {
            return Ok(false);
        }
        s.ceremonies.insert(record.id_digest, record);
        Ok(true)
    }

    async fn take_ceremony(
        &self,
        id_digest: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<CeremonyRecord>, StoreError> {
        Ok(lock(&self.security_keys)
            .ceremonies
            .remove(id_digest)
            .filter(|c| now < c.expires_at))
    }

    async fn add_security_key(&self, key: SecurityKeyRecord) -> Result<bool, StoreError> {
        let mut s = lock(&self.security_keys);
        if s.keys.contains_key(&key.credential_id) {
            return Ok(false);
        }
        s.by_account
            .entry(key.account.clone())
            .or_default()
            .push(key.credential_id.clone());
        s.keys.insert(key.credential_id.clone(), key);
        Ok(true)
    }

    async fn security_key_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<SecurityKeyRecord>, StoreError> {
        Ok(lock(&self.security_keys).keys.get(credential_id).cloned())
    }

    async fn security_keys(
        &self,
        account: &AccountId,
    ) -> Result<Vec<SecurityKeyRecord>, StoreError> {
        let s = lock(&self.security_keys);
        Ok(s.by_account
            .get(account)
            .into_iter()
            .flatten()
            .filter_map(|id| s.keys.get(id).cloned())
            .collect())
    }

    async fn record_key_use(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        seen_counter: u32,
        update: KeyUse,
    ) -> Result<bool, StoreError> {
        let mut s = lock(&self.security_keys);
        match s.owned_mut(account, credential_id) {
            Some(key) if key.counter == seen_counter => {
                key.passkey = update.passkey;
                key.counter = update.counter;
                key.backed_up = update.backed_up;
                key.backup_eligible = update.backup_eligible;
                key.last_used_at = Some(update.at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn rename_security_key(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, StoreError> {
        let mut s = lock(&self.security_keys);
        Ok(s.owned_mut(account, credential_id)
            .map(|key| key.name = name.to_owned())
            .is_some())
    }

    async fn remove_security_key(
        &self,
        account: &AccountId,
        credential_id: &[u8],
    ) -> Result<bool, StoreError> {
        let mut s = lock(&self.security_keys);
        if s.owned_mut(account, credential_id).is_none() {
            return Ok(false);
        }
        s.keys.remove(credential_id);
        if let Some(ids) = s.by_account.get_mut(account) {
            ids.retain(|id| id != credential_id);
            if ids.is_empty() {
                s.by_account.remove(account);
            }
        }
        Ok(true)
    }

    async fn purge_expired_ceremonies(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut s = lock(&self.security_keys);
        let before = s.ceremonies.len();
        s.ceremonies.retain(|_, c| now < c.expires_at);
        Ok(removed(before, s.ceremonies.len()))
    }
}
