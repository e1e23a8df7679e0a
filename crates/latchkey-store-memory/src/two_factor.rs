//! [`TwoFactorStore`]: authenticators, recovery codes and used approvals.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::{AccountId, KeyId, StoreError};
use latchkey_twofactor::{
    Authenticator, FactorKind, Mode, PendingEnrolment, RecoveryDigest, SealedSecret,
    TwoFactorState, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};

use crate::{MemoryStore, lock};

/// Every account's 2FA state, and apart from it the write approvals each
/// account has redeemed: [`disable`](TwoFactorStore::disable) and
/// [`activate`](TwoFactorStore::activate) replace the state and never
/// touch the approvals, so an approval redeemed once stays redeemed
/// across turning 2FA off and on again.
#[derive(Debug, Default)]
pub(crate) struct TwoFactor {
    entries: HashMap<AccountId, Entry>,
    used_approvals: HashMap<AccountId, Vec<UsedApproval>>,
}

#[derive(Debug, Default)]
struct Entry {
    state: TwoFactorState,
    /// Unused recovery-code digests.
    recovery_codes: Vec<RecoveryDigest>,
}

#[derive(Debug)]
struct UsedApproval {
    id: [u8; 16],
    expires_at: OffsetDateTime,
}

/// The longest an approval lives (the 2FA service's bound on its
/// lifetime): an approval expiring at `t` was made after `t - 1 h`.
const APPROVAL_LIFETIME: Duration = Duration::HOUR;

fn recovery_count(codes: &[RecoveryDigest]) -> u32 {
    u32::try_from(codes.len()).unwrap_or(u32::MAX)
}

#[async_trait]
impl TwoFactorStore for MemoryStore {
    async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError> {
        Ok(lock(&self.two_factor)
            .entries
            .get(account)
            .map(|e| e.state.clone())
            .unwrap_or_default())
    }

    async fn put_pending(
        &self,
        account: &AccountId,
        pending: PendingEnrolment,
    ) -> Result<(), StoreError> {
        lock(&self.two_factor)
            .entries
            .entry(account.clone())
            .or_default()
            .state
            .pending = Some(pending);
        Ok(())
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
        let mut all = lock(&self.two_factor);
        let Some(entry) = all.entries.get_mut(account) else {
            return Ok(false);
        };
        let state = &mut entry.state;
        let ready = state.authenticator.is_none()
            && state
                .pending
                .as_ref()
                .is_some_and(|p| p.id == *pending_id && now < p.expires_at);
        if !ready {
            return Ok(false);
        }
        let Some(pending) = state.pending.take() else {
            return Ok(false);
        };
        state.authenticator = Some(Authenticator {
            id: pending.id,
            kind: FactorKind::AuthenticatorApp,
            sealed: pending.sealed,
            algorithm: pending.algorithm,
            digits: pending.digits,
            period: pending.period,
            last_used_step: confirmed_step,
            drift: 0,
            enabled_at: now,
        });
        state.mode = mode;
        state.recovery_codes_left = recovery_count(&recovery_codes);
        entry.recovery_codes = recovery_codes;
        Ok(true)
    }

    async fn advance_step(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        step: u64,
        drift: i32,
    ) -> Result<bool, StoreError> {
        let mut all = lock(&self.two_factor);
        let authenticator = all
            .entries
            .get_mut(account)
            .and_then(|e| e.state.authenticator.as_mut())
            .filter(|a| a.id == *authenticator_id && a.last_used_step < step);
        Ok(authenticator
            .map(|a| {
                a.last_used_step = step;
                a.drift = drift;
            })
            .is_some())
    }

    async fn use_recovery_code(
        &self,
        account: &AccountId,
        digest: &RecoveryDigest,
    ) -> Result<Option<u32>, StoreError> {
        let mut all = lock(&self.two_factor);
        let Some(entry) = all.entries.get_mut(account) else {
            return Ok(None);
        };
        let Some(i) = entry.recovery_codes.iter().position(|d| d == digest) else {
            return Ok(None);
        };
        entry.recovery_codes.swap_remove(i);
        entry.state.recovery_codes_left = recovery_count(&entry.recovery_codes);
        Ok(Some(entry.state.recovery_codes_left))
    }

    async fn replace_recovery_codes(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
    ) -> Result<(), StoreError> {
        let mut all = lock(&self.two_factor);
        let entry = all.entries.entry(account.clone()).or_default();
        entry.state.recovery_codes_left = recovery_count(&recovery_codes);
        entry.recovery_codes = recovery_codes;
        Ok(())
    }

    async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError> {
        let mut all = lock(&self.two_factor);
        Ok(all
            .entries
            .get_mut(account)
            .filter(|e| e.state.mode != Mode::Off)
            .map(|e| e.state.mode = mode)
            .is_some())
    }

    async fn enable_without_app(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
        mode: Mode,
    ) -> Result<bool, StoreError> {
        let mut all = lock(&self.two_factor);
        let entry = all.entries.entry(account.clone()).or_default();
        if entry.state.mode != Mode::Off {
            return Ok(false);
        }
        entry.state.mode = mode;
        entry.state.recovery_codes_left = recovery_count(&recovery_codes);
        entry.recovery_codes = recovery_codes;
        Ok(true)
    }

    async fn disable(&self, account: &AccountId) -> Result<(), StoreError> {
        // Used approvals live apart (`TwoFactor::used_approvals`) and stay;
        // so does the replay-notice time, so that turning 2FA off and on
        // cannot flood the owner with notices.
        if let Some(entry) = lock(&self.two_factor).entries.get_mut(account) {
            let last_notice = entry.state.last_replay_notice_at;
            *entry = Entry::default();
            entry.state.last_replay_notice_at = last_notice;
        }
        Ok(())
    }

    async fn reseal(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        expected_key_id: &KeyId,
        new: SealedSecret,
    ) -> Result<bool, StoreError> {
        let mut all = lock(&self.two_factor);
        let authenticator = all
            .entries
            .get_mut(account)
            .and_then(|e| e.state.authenticator.as_mut())
            .filter(|a| a.id == *authenticator_id && a.sealed.key_id == *expected_key_id);
        Ok(authenticator.map(|a| a.sealed = new).is_some())
    }

    async fn claim_replay_notice(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        min_interval: Duration,
    ) -> Result<bool, StoreError> {
        let mut all = lock(&self.two_factor);
        let state = &mut all.entries.entry(account.clone()).or_default().state;
        if state
            .last_replay_notice_at
            .is_some_and(|last| now < last.saturating_add(min_interval))
        {
            return Ok(false);
        }
        state.last_replay_notice_at = Some(now);
        Ok(true)
    }

    async fn consume_approval(
        &self,
        account: &AccountId,
        id: &[u8; 16],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut all = lock(&self.two_factor);
        let used = all.used_approvals.entry(account.clone()).or_default();
        if used.iter().any(|u| u.id == *id) {
            return Ok(false);
        }
        // This approval was made after `expires_at - 1 h`, so it is now at
        // least that late: approvals that expired before then can never be
        // presented again and are forgotten.
        let forget_before = expires_at.saturating_sub(APPROVAL_LIFETIME);
        used.retain(|u| u.expires_at >= forget_before);
        used.push(UsedApproval {
            id: *id,
            expires_at,
        });
        Ok(true)
    }
}
