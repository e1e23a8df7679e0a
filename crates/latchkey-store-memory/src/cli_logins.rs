//! [`CliLoginStore`]: command-line login sessions, by id digest, with an
//! index from poll digest to id digest.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_cli_login::{CliLoginDecision, CliLoginPoll, CliLoginRecord, CliLoginStore};
use latchkey_core::StoreError;
use time::{Duration, OffsetDateTime};

use crate::{MemoryStore, lock, removed};

/// Where a session stands.
#[derive(Debug)]
enum State {
    Pending,
    Decided(CliLoginDecision),
    Claimed,
}

#[derive(Debug)]
struct Session {
    record: CliLoginRecord,
    state: State,
    last_poll_at: Option<OffsetDateTime>,
}

/// Sessions by the digest of their id, and the poll digests' index.
#[derive(Debug, Default)]
pub(crate) struct CliLogins {
    sessions: HashMap<[u8; 32], Session>,
    by_poll: HashMap<[u8; 32], [u8; 32]>,
}

impl CliLogins {
    fn live_mut(&mut self, id_digest: &[u8; 32], now: OffsetDateTime) -> Option<&mut Session> {
        self.sessions
            .get_mut(id_digest)
            .filter(|s| now < s.record.expires_at)
    }
}

#[async_trait]
impl CliLoginStore for MemoryStore {
    async fn insert_cli_login(&self, record: CliLoginRecord) -> Result<bool, StoreError> {
        let mut c = lock(&self.cli_logins);
        if c.sessions.contains_key(&record.id_digest) || c.by_poll.contains_key(&record.poll_digest)
        {
            return Ok(false);
        }
        c.by_poll.insert(record.poll_digest, record.id_digest);
        let session = Session {
            record,
            state: State::Pending,
            last_poll_at: None,
        };
        c.sessions.insert(session.record.id_digest, session);
        Ok(true)
    }

    async fn pending_cli_login(
        &self,
        id_digest: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<CliLoginRecord>, StoreError> {
        let mut c = lock(&self.cli_logins);
        Ok(c.live_mut(id_digest, now)
            .filter(|s| matches!(s.state, State::Pending))
            .map(|s| s.record.clone()))
    }

    async fn decide_cli_login(
        &self,
        id_digest: &[u8; 32],
        decision: &CliLoginDecision,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut c = lock(&self.cli_logins);
        match c.live_mut(id_digest, now) {
            Some(session) if matches!(session.state, State::Pending) => {
                session.state = State::Decided(decision.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn poll_cli_login(
        &self,
        poll_digest: &[u8; 32],
        now: OffsetDateTime,
        min_gap: Duration,
    ) -> Result<CliLoginPoll, StoreError> {
        let mut c = lock(&self.cli_logins);
        let Some(id_digest) = c.by_poll.get(poll_digest).copied() else {
            return Ok(CliLoginPoll::Gone);
        };
        let Some(session) = c.live_mut(&id_digest, now) else {
            return Ok(CliLoginPoll::Gone);
        };
        let previous = session.last_poll_at.replace(now);
        if previous.is_some_and(|at| now < at + min_gap) {
            return Ok(CliLoginPoll::TooSoon);
        }
        Ok(match &session.state {
            State::Pending => CliLoginPoll::Waiting,
            State::Decided(CliLoginDecision::Deny) => CliLoginPoll::Denied,
            State::Decided(CliLoginDecision::Approve { account, stamp }) => {
                let answer = CliLoginPoll::Approved {
                    account: account.clone(),
                    stamp: *stamp,
                };
                session.state = State::Claimed;
                answer
            }
            State::Claimed => CliLoginPoll::Claimed,
        })
    }

    async fn purge_expired_cli_logins(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut c = lock(&self.cli_logins);
        let before = c.sessions.len();
        c.sessions.retain(|_, s| now < s.record.expires_at);
        let CliLogins { sessions, by_poll } = &mut *c;
        by_poll.retain(|_, id| sessions.contains_key(id));
        Ok(removed(before, c.sessions.len()))
    }
}
