//! [`ChallengeStore`]: one hash per challenge, under the hex of its key.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_challenge::{
    ChallengeAttempt, ChallengeKey, ChallengeKind, ChallengeRecord, ChallengeStore,
};
use latchkey_core::StoreError;
use redis::Value;
use time::OffsetDateTime;

use crate::RedisStore;
use crate::codec::{self, Fields, hex};
use crate::lua::SCRIPTS;

const WHAT: &str = "challenge";

/// A challenge's fields, as `HSET` takes them.
fn fields(record: &ChallengeRecord) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("acct", record.account.as_str().to_owned()),
        ("kind", record.kind.name().to_owned()),
        ("created", codec::nanos(record.created_at)),
        ("exp", codec::nanos(record.expires_at)),
        ("exp_us", codec::micros(record.expires_at).to_string()),
        ("max", record.max_attempts.to_string()),
        ("att", record.attempts.to_string()),
        ("stamp", hex(&record.stamp.0)),
    ];
    if let Some(operation) = record.kind.operation() {
        out.push(("op", hex(&operation)));
    }
    out
}

/// A challenge read back.
pub(crate) fn record(key: ChallengeKey, f: &Fields) -> Result<ChallengeRecord, StoreError> {
    let operation = match f.opt("op") {
        Some(_) => Some(f.bytes::<32>("op")?),
        None => None,
    };
    Ok(ChallengeRecord {
        key,
        account: f.account("acct")?,
        kind: ChallengeKind::from_parts(f.text("kind")?, operation)
            .ok_or_else(|| StoreError::corrupt("challenge: field kind is unknown"))?,
        created_at: f.time("created")?,
        expires_at: f.time("exp")?,
        max_attempts: f.number("max")?,
        attempts: f.number("att")?,
        stamp: latchkey_core::SecurityStamp(f.bytes("stamp")?),
    })
}

/// One script answer: an integer, or a flat list of strings.
fn int(v: &Value) -> Result<i64, StoreError> {
    redis::from_redis_value_ref(v).map_err(|e| StoreError::Corrupt {
        what: "challenge attempt: answer".into(),
        source: Some(e.into()),
    })
}

#[async_trait]
impl ChallengeStore for RedisStore {
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<bool, StoreError> {
        // The key lives from now (the record's creation) until its expiry
        // plus the linger, on Redis's clock.
        let ttl = codec::ttl_millis(
            (record.expires_at - record.created_at).saturating_add(self.linger_span()),
        );
        let mut conn = self.conn();
        let mut call = SCRIPTS
            .challenge_insert
            .key(self.keys().challenge(&record.key));
        call.arg(ttl);
        for (name, value) in fields(&record) {
            call.arg(name).arg(value);
        }
        let inserted: i64 = self.run(call.invoke_async(&mut conn)).await?;
        Ok(inserted == 1)
    }

    async fn get_challenge(
        &self,
        key: &ChallengeKey,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        let mut conn = self.conn();
        let all: HashMap<String, String> = self
            .run(
                redis::cmd("HGETALL")
                    .arg(self.keys().challenge(key))
                    .query_async(&mut conn),
            )
            .await?;
        let f = Fields::new(WHAT, all);
        if f.is_empty() {
            return Ok(None);
        }
        record(*key, &f).map(Some)
    }

    async fn reserve_attempt(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<ChallengeAttempt, StoreError> {
        let mut conn = self.conn();
        let answer: Vec<Value> = self
            .run(
                SCRIPTS
                    .challenge_attempt
                    .key(self.keys().challenge(key))
                    .arg(codec::micros(now))
                    .invoke_async(&mut conn),
            )
            .await?;
        match answer.as_slice() {
            [status] if int(status)? == 0 => Ok(ChallengeAttempt::Gone),
            [status] if int(status)? == 1 => Ok(ChallengeAttempt::Exhausted),
            [status, all] if int(status)? == 2 => {
                let flat: Vec<String> =
                    redis::from_redis_value_ref(all).map_err(|e| StoreError::Corrupt {
                        what: "challenge attempt: record".into(),
                        source: Some(e.into()),
                    })?;
                record(*key, &Fields::from_pairs(WHAT, flat)?).map(ChallengeAttempt::Counted)
            }
            _ => Err(StoreError::corrupt("challenge attempt: unknown answer")),
        }
    }

    async fn consume_challenge(
        &self,
        key: &ChallengeKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let done: i64 = self
            .run(
                SCRIPTS
                    .challenge_consume
                    .key(self.keys().challenge(key))
                    .arg(codec::micros(now))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(done == 1)
    }

    /// Deletes the challenges still in Redis that expired at or before
    /// `now`; most are gone already, by their key's time to live.
    async fn purge_expired_challenges(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.purge_each(
            &self.keys().pattern("chal"),
            &SCRIPTS.challenge_purge,
            codec::micros(now),
        )
        .await
    }
}
