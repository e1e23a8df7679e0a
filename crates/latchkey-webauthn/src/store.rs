//! The storage contract for security keys and their ceremonies.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use time::OffsetDateTime;

use crate::{CeremonyRecord, KeyUse, SecurityKeyRecord};

/// Where keys and ceremonies live. Each method is one atomic operation.
#[async_trait]
pub trait SecurityKeyStore: fmt::Debug + Send + Sync + 'static {
    /// Stores a new ceremony; `false`, storing nothing, if the digest is
    /// taken.
    async fn insert_ceremony(&self, record: CeremonyRecord) -> Result<bool, StoreError>;

    /// Removes and returns the ceremony, if it is live (`now <
    /// expires_at`). Of concurrent takers exactly one gets it; an expired
    /// one is removed and `None`.
    async fn take_ceremony(
        &self,
        id_digest: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<CeremonyRecord>, StoreError>;

    /// Stores a new key; `false`, storing nothing, if its credential id is
    /// registered already (to any account).
    async fn add_security_key(&self, key: SecurityKeyRecord) -> Result<bool, StoreError>;

    /// The key with this credential id, whoever's it is (a passkey
    /// sign-in names its credential before anyone is known).
    async fn security_key_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<SecurityKeyRecord>, StoreError>;

    /// The account's keys, oldest first.
    async fn security_keys(
        &self,
        account: &AccountId,
    ) -> Result<Vec<SecurityKeyRecord>, StoreError>;

    /// Records an accepted assertion, only if the key is the account's and
    /// its counter is still `seen_counter` (compare-and-set: of two
    /// assertions checked against the same counter, one is recorded).
    async fn record_key_use(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        seen_counter: u32,
        update: KeyUse,
    ) -> Result<bool, StoreError>;

    /// Renames the account's key; whether it did.
    async fn rename_security_key(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, StoreError>;

    /// Removes the account's key; whether it did. Of concurrent removals
    /// exactly one gets `true`.
    async fn remove_security_key(
        &self,
        account: &AccountId,
        credential_id: &[u8],
    ) -> Result<bool, StoreError>;

    /// Deletes ceremonies expired at `now`; how many.
    async fn purge_expired_ceremonies(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}
