//! In-process implementations of latchkey's store traits.
//!
//! [`MemoryStore`] keeps everything in one process behind a mutex: each
//! trait method is one critical section, so every compare-and-set is
//! atomic across tasks and threads. Nothing survives a restart and nothing
//! is shared between processes: use `latchkey-store-sqlx` for that.
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_core::AccountId;
//! use latchkey_credentials::CredentialStore;
//! use latchkey_store_memory::MemoryStore;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = Arc::new(MemoryStore::new());
//! let id = AccountId::new("7").unwrap();
//! store.create("jane", &id, "$argon2id$v=19$...").await.unwrap();
//! let found = store.find_by_login("jane").await.unwrap().unwrap();
//! assert_eq!(found.account, id);
//! # });
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use latchkey::{
    AttemptPolicy as BackoffPolicy, ChallengeAttempt, ChallengeKey, ChallengeRecord,
    ChallengeStore, ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
use latchkey_core::{AccountId, KeyId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};
use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use latchkey_recovery::{AuditEntry, Draft, Ticket, TicketChange, TicketId, TicketStore};
use latchkey_twofactor::{
    AttemptPolicy, AttemptReservation, Authenticator, FactorKind, Mode, PendingEnrolment,
    RecoveryDigest, SealedSecret, TwoFactorState, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};

/// Every latchkey store, in memory. `Debug` shows no contents: they
/// include password hashes and code digests.
#[derive(Default)]
pub struct MemoryStore {
    credentials: Mutex<Credentials>,
    codes: Mutex<Codes>,
    two_factor: Mutex<HashMap<AccountId, TwoFactorEntry>>,
    tickets: Mutex<Tickets>,
    challenges: Mutex<HashMap<ChallengeKey, ChallengeRecord>>,
    throttle: Mutex<Throttle>,
}

#[derive(Debug, Default)]
struct Throttle {
    /// Consecutive attempts and when the last was counted.
    backoff: HashMap<ThrottleKey, (u32, OffsetDateTime)>,
    /// Fixed windows: hits and when the window ends.
    windows: HashMap<ThrottleKey, (u32, OffsetDateTime)>,
}

#[derive(Debug, Default)]
struct Tickets {
    tickets: HashMap<TicketId, Ticket>,
    drafts: HashMap<[u8; 16], Draft>,
    submissions: HashMap<String, Vec<OffsetDateTime>>,
}

#[derive(Debug, Default)]
struct TwoFactorEntry {
    state: TwoFactorState,
    /// Unused recovery-code digests.
    recovery_codes: Vec<RecoveryDigest>,
    /// Redeemed approvals and when they expire.
    used_approvals: Vec<([u8; 16], OffsetDateTime)>,
}

#[derive(Debug, Default)]
struct Codes {
    records: HashMap<(AccountId, Purpose), CodeRecord>,
    /// Send times, and whether each still holds the cooldown (a released
    /// send does not, but still counts toward the hourly cap).
    sends: HashMap<AccountId, Vec<(OffsetDateTime, bool)>>,
}

#[derive(Debug, Default)]
struct Credentials {
    account_by_login: HashMap<String, AccountId>,
    hash_by_account: HashMap<AccountId, String>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn credentials(&self) -> MutexGuard<'_, Credentials> {
        lock(&self.credentials)
    }

    fn codes(&self) -> MutexGuard<'_, Codes> {
        lock(&self.codes)
    }

    fn two_factor(&self) -> MutexGuard<'_, HashMap<AccountId, TwoFactorEntry>> {
        lock(&self.two_factor)
    }

    fn tickets(&self) -> MutexGuard<'_, Tickets> {
        lock(&self.tickets)
    }

    fn challenges(&self) -> MutexGuard<'_, HashMap<ChallengeKey, ChallengeRecord>> {
        lock(&self.challenges)
    }

    fn throttle(&self) -> MutexGuard<'_, Throttle> {
        lock(&self.throttle)
    }
}

/// Every mutation below is one critical section that cannot panic half-way,
/// so a poisoned lock (a panic elsewhere while holding it) still guards
/// consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        let c = self.credentials();
        Ok(c.account_by_login.get(login).and_then(|account| {
            c.hash_by_account.get(account).map(|phc| StoredCredential {
                account: account.clone(),
                phc: phc.clone(),
            })
        }))
    }

    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        let mut c = self.credentials();
        if c.account_by_login.contains_key(login) || c.hash_by_account.contains_key(account) {
            return Ok(false);
        }
        c.account_by_login.insert(login.to_owned(), account.clone());
        c.hash_by_account.insert(account.clone(), phc.to_owned());
        Ok(true)
    }

    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        let mut c = self.credentials();
        Ok(c.hash_by_account
            .get_mut(account)
            .map(|stored| *stored = phc.to_owned())
            .is_some())
    }

    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let mut c = self.credentials();
        match c.hash_by_account.get_mut(account) {
            Some(stored) if stored == expected => {
                new.clone_into(stored);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
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
        let mut codes = self.codes();
        let sends = codes.sends.entry(account.clone()).or_default();
        sends.retain(|(t, _)| *t > now - Duration::HOUR);
        let last_holding = sends
            .iter()
            .filter(|(_, holds)| *holds)
            .map(|(t, _)| *t)
            .max();
        if let Some(last) = last_holding
            && now < last.saturating_add(cooldown)
        {
            return Ok(SendReservation::CoolingDown {
                until: last.saturating_add(cooldown),
            });
        }
        if sends.len() >= hourly_cap as usize {
            let oldest = sends.iter().map(|(t, _)| *t).min().unwrap_or(now);
            return Ok(SendReservation::CapReached {
                until: oldest + Duration::HOUR,
            });
        }
        sends.push((now, true));
        Ok(SendReservation::Reserved)
    }

    async fn release_send(
        &self,
        account: &AccountId,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if let Some(sends) = self.codes().sends.get_mut(account)
            && let Some(send) = sends.iter_mut().find(|(t, holds)| *t == sent_at && *holds)
        {
            send.1 = false;
        }
        Ok(())
    }

    async fn put(&self, record: CodeRecord) -> Result<(), StoreError> {
        let key = (record.account.clone(), record.purpose.clone());
        self.codes().records.insert(key, record);
        Ok(())
    }

    async fn get(
        &self,
        account: &AccountId,
        purpose: &Purpose,
    ) -> Result<Option<CodeRecord>, StoreError> {
        Ok(self
            .codes()
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
        let mut codes = self.codes();
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
        let mut codes = self.codes();
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
        let mut codes = self.codes();
        let key = (account.clone(), purpose.clone());
        if codes.records.get(&key).is_some_and(|r| r.id == *id) {
            codes.records.remove(&key);
        }
        Ok(())
    }

    async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut codes = self.codes();
        let before = codes.records.len();
        codes.records.retain(|(owner, _), _| owner != account);
        Ok((before - codes.records.len()) as u64)
    }
}

#[async_trait]
impl TwoFactorStore for MemoryStore {
    async fn load(&self, account: &AccountId) -> Result<TwoFactorState, StoreError> {
        Ok(self
            .two_factor()
            .get(account)
            .map(|e| e.state.clone())
            .unwrap_or_default())
    }

    async fn put_pending(
        &self,
        account: &AccountId,
        pending: PendingEnrolment,
    ) -> Result<(), StoreError> {
        self.two_factor()
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
        let mut all = self.two_factor();
        let Some(entry) = all.get_mut(account) else {
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
        state.recovery_codes_left = recovery_codes.len() as u32;
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
        let mut all = self.two_factor();
        let authenticator = all
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
        let mut all = self.two_factor();
        let Some(entry) = all.get_mut(account) else {
            return Ok(None);
        };
        let Some(i) = entry.recovery_codes.iter().position(|d| d == digest) else {
            return Ok(None);
        };
        entry.recovery_codes.swap_remove(i);
        entry.state.recovery_codes_left = entry.recovery_codes.len() as u32;
        Ok(Some(entry.state.recovery_codes_left))
    }

    async fn replace_recovery_codes(
        &self,
        account: &AccountId,
        recovery_codes: Vec<RecoveryDigest>,
    ) -> Result<(), StoreError> {
        let mut all = self.two_factor();
        let entry = all.entry(account.clone()).or_default();
        entry.state.recovery_codes_left = recovery_codes.len() as u32;
        entry.recovery_codes = recovery_codes;
        Ok(())
    }

    async fn set_mode(&self, account: &AccountId, mode: Mode) -> Result<bool, StoreError> {
        let mut all = self.two_factor();
        Ok(all
            .get_mut(account)
            .filter(|e| e.state.authenticator.is_some())
            .map(|e| e.state.mode = mode)
            .is_some())
    }

    async fn disable(&self, account: &AccountId) -> Result<(), StoreError> {
        if let Some(entry) = self.two_factor().get_mut(account) {
            let (failed, last) = (entry.state.failed_attempts, entry.state.last_attempt_at);
            *entry = TwoFactorEntry::default();
            entry.state.failed_attempts = failed;
            entry.state.last_attempt_at = last;
        }
        Ok(())
    }

    async fn reserve_attempt(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        policy: AttemptPolicy,
    ) -> Result<AttemptReservation, StoreError> {
        let mut all = self.two_factor();
        let state = &mut all.entry(account.clone()).or_default().state;
        if state.failed_attempts >= policy.lock_after {
            return Ok(AttemptReservation::Locked);
        }
        if let Some(last) = state.last_attempt_at {
            let at = last + policy.wait_after(state.failed_attempts);
            if now < at {
                return Ok(AttemptReservation::RetryAt { at });
            }
        }
        state.failed_attempts += 1;
        state.last_attempt_at = Some(now);
        Ok(AttemptReservation::Allowed)
    }

    async fn reseal(
        &self,
        account: &AccountId,
        authenticator_id: &[u8; 16],
        expected_key_id: &KeyId,
        new: SealedSecret,
    ) -> Result<bool, StoreError> {
        let mut all = self.two_factor();
        let authenticator = all
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
        let mut all = self.two_factor();
        let state = &mut all.entry(account.clone()).or_default().state;
        if state
            .last_replay_notice_at
            .is_some_and(|last| now < last.saturating_add(min_interval))
        {
            return Ok(false);
        }
        state.last_replay_notice_at = Some(now);
        Ok(true)
    }

    async fn clear_attempts(&self, account: &AccountId) -> Result<(), StoreError> {
        if let Some(entry) = self.two_factor().get_mut(account) {
            entry.state.failed_attempts = 0;
            entry.state.last_attempt_at = None;
        }
        Ok(())
    }

    async fn consume_approval(
        &self,
        account: &AccountId,
        id: &[u8; 16],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut all = self.two_factor();
        let used = &mut all.entry(account.clone()).or_default().used_approvals;
        if used.iter().any(|(u, _)| u == id) {
            return Ok(false);
        }
        // Forget approvals that can no longer be presented.
        let newest = used.iter().map(|(_, e)| *e).max();
        if let Some(newest) = newest {
            used.retain(|(_, e)| *e >= newest - Duration::HOUR);
        }
        used.push((*id, expires_at));
        Ok(true)
    }
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
        let mut t = self.tickets();
        let times = t.submissions.entry(key.to_owned()).or_default();
        times.retain(|at| *at > now - window);
        if times.len() >= cap as usize {
            return Ok(false);
        }
        times.push(now);
        Ok(true)
    }

    async fn put_draft(&self, draft: Draft) -> Result<(), StoreError> {
        self.tickets().drafts.insert(draft.id, draft);
        Ok(())
    }

    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        Ok(self.tickets().drafts.get(id).cloned())
    }

    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        Ok(self.tickets().drafts.remove(id))
    }

    async fn insert(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.tickets().tickets.insert(ticket.id, ticket);
        Ok(())
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self.tickets().tickets.get(id).cloned())
    }

    async fn transition(
        &self,
        id: &TicketId,
        expected_version: u64,
        change: TicketChange,
        entry: AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut t = self.tickets();
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
        Ok(self
            .tickets()
            .tickets
            .get_mut(id)
            .map(|t| t.audit.push(entry))
            .is_some())
    }
}

#[async_trait]
impl ChallengeStore for MemoryStore {
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError> {
        let mut all = self.challenges();
        if all.contains_key(&record.key) {
            return Ok(false);
        }
        all.insert(record.key, record);
        Ok(true)
    }

    async fn get_challenge(
        &self,
        key: &ChallengeKey,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        Ok(self.challenges().get(key).cloned())
    }

    async fn reserve_attempt(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<ChallengeAttempt, StoreError> {
        let mut all = self.challenges();
        let Some(record) = all.get_mut(key).filter(|r| r.expires_at > now) else {
            return Ok(ChallengeAttempt::Gone);
        };
        if record.attempts >= record.max_attempts {
            return Ok(ChallengeAttempt::Exhausted);
        }
        record.attempts += 1;
        Ok(ChallengeAttempt::Counted {
            attempts_left: record.max_attempts - record.attempts,
        })
    }

    async fn consume_challenge(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut all = self.challenges();
        if all.get(key).is_some_and(|r| r.expires_at > now) {
            all.remove(key);
            return Ok(true);
        }
        Ok(false)
    }

    async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut all = self.challenges();
        let before = all.len();
        all.retain(|_, r| r.expires_at > now);
        Ok((before - all.len()) as u64)
    }
}

#[async_trait]
impl ThrottleStore for MemoryStore {
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        policy: BackoffPolicy,
    ) -> Result<ThrottleReservation, StoreError> {
        let mut throttle = self.throttle();
        let entry = throttle.backoff.entry(*key).or_insert((0, now));
        let (attempts, last) = *entry;
        if attempts >= policy.lock_after {
            return Ok(ThrottleReservation::Locked);
        }
        if attempts > 0 {
            let at = last + policy.wait_after(attempts);
            if now < at {
                return Ok(ThrottleReservation::RetryAt { at });
            }
        }
        *entry = (attempts + 1, now);
        Ok(ThrottleReservation::Allowed {
            attempts: attempts + 1,
        })
    }

    async fn purge_idle(
        &self,
        idle_before: OffsetDateTime,
        lock_after: u32,
    ) -> Result<u64, StoreError> {
        let mut throttle = self.throttle();
        let before = throttle.backoff.len() + throttle.windows.len();
        throttle
            .backoff
            .retain(|_, (attempts, last)| *last >= idle_before || *attempts >= lock_after);
        throttle
            .windows
            .retain(|_, (_, resets_at)| *resets_at > idle_before);
        Ok((before - throttle.backoff.len() - throttle.windows.len()) as u64)
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        self.throttle().backoff.remove(key);
        Ok(())
    }

    async fn hit(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<WindowCount, StoreError> {
        let mut throttle = self.throttle();
        let entry = throttle.windows.entry(*key).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 = entry.0.saturating_add(1);
        Ok(WindowCount {
            count: entry.0,
            resets_at: entry.1,
        })
    }
}
