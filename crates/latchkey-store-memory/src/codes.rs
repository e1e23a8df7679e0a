//! [`OtpStore`]: mailed codes and the sends that carried them.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use time::{Duration, OffsetDateTime};

use crate::{MemoryStore, lock, removed};

/// Outstanding codes, and each account's sends of the last hour.
#[derive(Debug, Default)]
pub(crate) struct Codes {
    records: HashMap<(AccountId, Purpose), CodeRecord>,
    /// Send times, and whether each still holds the cooldown (a released
    /// send does not, but still counts toward the hourly cap).
    sends: HashMap<AccountId, Vec<Sent>>,
}

#[derive(Debug)]
struct Sent {
    at: OffsetDateTime,
    holds_cooldown: bool,
}

#[async_trait]
impl OtpStore for MemoryStore {
    async fn reserve_send(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        cooldown: Duration,
        hourly_cap: u32,
    ) -> Result<SendReservation, StoreError> {
        let mut codes = lock(&self.codes);
        let sends = codes.sends.entry(account.clone()).or_default();
        // The hour is (now - 1 h, now]: a send exactly an hour old has left it.
        sends.retain(|s| s.at > now - Duration::HOUR);
        let last_holding = sends
            .iter()
            .filter(|s| s.holds_cooldown)
            .map(|s| s.at)
            .max();
        if let Some(last) = last_holding
            && now < last.saturating_add(cooldown)
        {
            return Ok(SendReservation::CoolingDown {
                until: last.saturating_add(cooldown),
            });
        }
        if sends.len() >= hourly_cap as usize {
            let oldest = sends.iter().map(|s| s.at).min().unwrap_or(now);
            return Ok(SendReservation::CapReached {
                until: oldest.saturating_add(Duration::HOUR),
            });
        }
        sends.push(Sent {
            at: now,
            holds_cooldown: true,
        });
        Ok(SendReservation::Reserved)
    }

    async fn release_send(
        &self,
        account: &AccountId,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if let Some(sends) = lock(&self.codes).sends.get_mut(account)
            && let Some(send) = sends
                .iter_mut()
                .find(|s| s.at == sent_at && s.holds_cooldown)
        {
            send.holds_cooldown = false;
        }
        Ok(())
    }

    async fn put(&self, record: CodeRecord) -> Result<(), StoreError> {
        let key = (record.account.clone(), record.purpose.clone());
        lock(&self.codes).records.insert(key, record);
        Ok(())
    }

    async fn get(
        &self,
        account: &AccountId,
        purpose: &Purpose,
    ) -> Result<Option<CodeRecord>, StoreError> {
        Ok(lock(&self.codes)
            .records
            .get(&(account.clone(), purpose.clone()))
            .cloned())
    }

    async fn record_failure(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<FailureCount, StoreError> {
        let mut codes = lock(&self.codes);
        Ok(
            match codes.records.get_mut(&(account.clone(), purpose.clone())) {
                Some(r) if r.id == *id && r.failed_attempts < r.max_attempts => {
                    r.failed_attempts += 1;
                    FailureCount::Counted {
                        failed_attempts: r.failed_attempts,
                    }
                }
                Some(r) if r.id == *id => FailureCount::Exhausted,
                _ => FailureCount::Gone,
            },
        )
    }

    async fn consume(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut codes = lock(&self.codes);
        let key = (account.clone(), purpose.clone());
        let usable = codes.records.get(&key).is_some_and(|r| {
            r.id == *id && now < r.expires_at && r.failed_attempts < r.max_attempts
        });
        if usable {
            codes.records.remove(&key);
        }
        Ok(usable)
    }

    async fn withdraw(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<(), StoreError> {
        let mut codes = lock(&self.codes);
        let key = (account.clone(), purpose.clone());
        if codes.records.get(&key).is_some_and(|r| r.id == *id) {
            codes.records.remove(&key);
        }
        Ok(())
    }

    async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut codes = lock(&self.codes);
        let before = codes.records.len();
        codes.records.retain(|(owner, _), _| owner != account);
        Ok(removed(before, codes.records.len()))
    }
}
