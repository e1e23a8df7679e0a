//! [`TwoFactorStore`] for [`CountingStore`]: forwarded and counted.

use async_trait::async_trait;
use latchkey_core::{AccountId, KeyId, StoreError};
use latchkey_twofactor::{
    Mode, PendingEnrolment, RecoveryDigest, SealedSecret, TwoFactorState, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};

use super::CountingStore;

#[async_trait]
impl<S: TwoFactorStore> TwoFactorStore for CountingStore<S> {
    async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError> {
        self.pick("TwoFactorStore::load").load(account).await
    }
    async fn put_pending(
        &self,
        account: &AccountId,
        pending: PendingEnrolment,
    ) -> Result<(), StoreError> {
        self.pick("TwoFactorStore::put_pending")
            .put_pending(account, pending)
            .await
    }
    async fn activate(
        &self,
        account: &AccountId,
        pending_id: &[u8; 16],
        now: OffsetDateTime,
        confirmed_step: u64,
        recovery_codes: Vec<RecoveryDigest>,
        mode: Mode,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::activate")
            .activate(
                account,
                pending_id,
                now,
                confirmed_step,
                recovery_codes,
                mode,
            )
            .await
    }
    async fn advance_step(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        step: u64,
        drift: i32,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::advance_step")
            .advance_step(account, authenticator_id, step, drift)
            .await
    }
    async fn use_recovery_code(
        &self,
        account: &AccountId,
        digest: &RecoveryDigest,
    ) -> Result<Option<u32>, StoreError> {
        self.pick("TwoFactorStore::use_recovery_code")
            .use_recovery_code(account, digest)
            .await
    }
    async fn replace_recovery_codes(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
    ) -> Result<(), StoreError> {
        self.pick("TwoFactorStore::replace_recovery_codes")
            .replace_recovery_codes(account, recovery_codes)
            .await
    }
    async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::set_mode")
            .set_mode(account, mode)
            .await
    }
    async fn enable_without_app(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
        mode: Mode,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::enable_without_app")
            .enable_without_app(account, recovery_codes, mode)
            .await
    }
    async fn disable(&self, account: &AccountId) -> Result<(), StoreError> {
        self.pick("TwoFactorStore::disable").disable(account).await
    }
    async fn reseal(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        expected_key_id: &KeyId,
        new: SealedSecret,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::reseal")
            .reseal(account, authenticator_id, expected_key_id, new)
            .await
    }
    async fn claim_replay_notice(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        min_interval: Duration,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::claim_replay_notice")
            .claim_replay_notice(account, now, min_interval)
            .await
    }
    async fn consume_approval(
        &self,
        account: &AccountId,
        id: &[u8; 16],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pick("TwoFactorStore::consume_approval")
            .consume_approval(account, id, expires_at)
            .await
    }
}
