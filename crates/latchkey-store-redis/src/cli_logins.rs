//! [`CliLoginStore`]: one hash per command-line login session, under the
//! hex of its id's digest, and per session a small index hash under the
//! hex of its poll token's digest that names the session (polls carry the
//! poll token only). Both keys live as long.

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_cli_login::{CliLoginDecision, CliLoginPoll, CliLoginRecord, CliLoginStore};
use latchkey_core::{SecurityStamp, StoreError};
use redis::Value;
use time::{Duration, OffsetDateTime};

use crate::RedisStore;
use crate::codec::{self, Fields, hex};
use crate::lua::SCRIPTS;

const WHAT: &str = "command-line login";

/// The `state` of a session no one has decided yet (the scripts compare
/// the same words).
const PENDING: &str = "pending";
/// The `state` of an approval no poll has collected yet.
const APPROVED: &str = "approved";
/// The `state` of a denied session.
const DENIED: &str = "denied";
/// The `state` of an approval a poll has collected.
const CLAIMED: &str = "claimed";

/// A new session's fields, as `HSET` takes them.
fn fields(record: &CliLoginRecord) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("poll", hex(&record.poll_digest)),
        ("code", record.user_code.to_string()),
        ("created", codec::nanos(record.created_at)),
        ("exp", codec::nanos(record.expires_at)),
        ("exp_us", codec::micros(record.expires_at).to_string()),
        ("state", PENDING.to_owned()),
    ];
    if let Some(client) = &record.client {
        out.push(("client", client.clone()));
    }
    out
}

/// A session read back.
pub(crate) fn record(id_digest: [u8; 32], f: &Fields) -> Result<CliLoginRecord, StoreError> {
    Ok(CliLoginRecord {
        id_digest,
        poll_digest: f.bytes("poll")?,
        user_code: f.text("code")?.parse().map_err(|_| {
            StoreError::corrupt("command-line login: field code is not a user code")
        })?,
        client: f.opt("client").map(str::to_owned),
        created_at: f.time("created")?,
        expires_at: f.time("exp")?,
    })
}

/// A script answer's element as the type it should be.
fn element<T: redis::FromRedisValue>(v: &Value) -> Result<T, StoreError> {
    redis::from_redis_value_ref(v).map_err(|e| StoreError::Corrupt {
        what: "command-line login poll: answer".into(),
        source: Some(e.into()),
    })
}

/// What a `CLI_LOGIN_POLL` answer says.
fn poll_answer(answer: &[Value]) -> Result<CliLoginPoll, StoreError> {
    let unknown = || StoreError::corrupt("command-line login poll: unknown answer");
    let (status, rest) = answer.split_first().ok_or_else(unknown)?;
    match (element::<i64>(status)?, rest) {
        (0, []) => Ok(CliLoginPoll::Gone),
        (1, []) => Ok(CliLoginPoll::TooSoon),
        (2, [state, approval @ ..]) => match (element::<String>(state)?.as_str(), approval) {
            (PENDING, []) => Ok(CliLoginPoll::Waiting),
            (DENIED, []) => Ok(CliLoginPoll::Denied),
            (CLAIMED, []) => Ok(CliLoginPoll::Claimed),
            (APPROVED, [account, stamp]) => {
                let f = Fields::from_pairs(
                    WHAT,
                    vec![
                        "acct".to_owned(),
                        element(account)?,
                        "stamp".to_owned(),
                        element(stamp)?,
                    ],
                )?;
                Ok(CliLoginPoll::Approved {
                    account: f.account("acct")?,
                    stamp: SecurityStamp(f.bytes("stamp")?),
                })
            }
            _ => Err(unknown()),
        },
        _ => Err(unknown()),
    }
}

impl RedisStore {
    /// The digest of the id of the session whose poll token has this
    /// digest, if any.
    async fn session_of_poll(
        &self,
        poll_digest: &[u8; 32],
    ) -> Result<Option<[u8; 32]>, StoreError> {
        let mut conn = self.conn();
        let all: HashMap<String, String> = self
            .run(
                redis::cmd("HGETALL")
                    .arg(self.keys().cli_login_poll(poll_digest))
                    .query_async(&mut conn),
            )
            .await?;
        let f = Fields::new("command-line login poll index", all);
        if f.is_empty() {
            return Ok(None);
        }
        f.bytes("id").map(Some)
    }
}

#[async_trait]
impl CliLoginStore for RedisStore {
    /// Claims the poll digest (its index, so of concurrent inserts of one
    /// poll digest exactly one goes on), then stores the session unless
    /// its id digest is taken, in which case the claim is given back.
    /// Both keys live from now (the record's creation) until its expiry
    /// plus the linger, on Redis's clock.
    async fn insert_cli_login(&self, record: CliLoginRecord) -> Result<bool, StoreError> {
        let ttl = codec::ttl_millis(
            (record.expires_at - record.created_at).saturating_add(self.linger_span()),
        );
        let (id, exp_us) = (
            hex(&record.id_digest),
            codec::micros(record.expires_at).to_string(),
        );
        let index = self.keys().cli_login_poll(&record.poll_digest);
        let mut conn = self.conn();
        let claimed: i64 = self
            .run(
                SCRIPTS
                    .cli_login_insert
                    .key(&index)
                    .arg(ttl)
                    .arg("id")
                    .arg(&id)
                    .arg("exp_us")
                    .arg(&exp_us)
                    .invoke_async(&mut conn),
            )
            .await?;
        if claimed == 0 {
            return Ok(false);
        }
        let mut call = SCRIPTS
            .cli_login_insert
            .key(self.keys().cli_login(&record.id_digest));
        call.arg(ttl);
        for (name, value) in fields(&record) {
            call.arg(name).arg(value);
        }
        let inserted: i64 = self.run(call.invoke_async(&mut conn)).await?;
        if inserted == 1 {
            return Ok(true);
        }
        let _: i64 = self
            .run(
                SCRIPTS
                    .cli_login_unclaim
                    .key(&index)
                    .arg(&id)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(false)
    }

    async fn pending_cli_login(
        &self,
        id_digest: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<CliLoginRecord>, StoreError> {
        let mut conn = self.conn();
        let all: HashMap<String, String> = self
            .run(
                redis::cmd("HGETALL")
                    .arg(self.keys().cli_login(id_digest))
                    .query_async(&mut conn),
            )
            .await?;
        let f = Fields::new(WHAT, all);
        if f.is_empty() || f.text("state")? != PENDING {
            return Ok(None);
        }
        // Whole microseconds, as the scripts compare.
        if codec::micros(now) >= f.number::<i64>("exp_us")? {
            return Ok(None);
        }
        record(*id_digest, &f).map(Some)
    }

    async fn decide_cli_login(
        &self,
        id_digest: &[u8; 32],
        decision: &CliLoginDecision,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let mut call = SCRIPTS
            .cli_login_decide
            .key(self.keys().cli_login(id_digest));
        call.arg(codec::micros(now));
        match decision {
            CliLoginDecision::Approve { account, stamp } => {
                call.arg(APPROVED).arg(account.as_str()).arg(hex(&stamp.0));
            }
            CliLoginDecision::Deny => {
                call.arg(DENIED);
            }
        }
        let done: i64 = self.run(call.invoke_async(&mut conn)).await?;
        Ok(done == 1)
    }

    /// Reads the index (which never changes while the session lives), then
    /// decides in one script on the session, which checks that it has this
    /// poll digest.
    async fn poll_cli_login(
        &self,
        poll_digest: &[u8; 32],
        now: OffsetDateTime,
        min_gap: Duration,
    ) -> Result<CliLoginPoll, StoreError> {
        let Some(id_digest) = self.session_of_poll(poll_digest).await? else {
            return Ok(CliLoginPoll::Gone);
        };
        let mut conn = self.conn();
        let answer: Vec<Value> = self
            .run(
                SCRIPTS
                    .cli_login_poll
                    .key(self.keys().cli_login(&id_digest))
                    .arg(hex(poll_digest))
                    .arg(codec::micros(now))
                    .arg(codec::duration_micros(min_gap))
                    .invoke_async(&mut conn),
            )
            .await?;
        poll_answer(&answer)
    }

    /// Deletes the sessions still in Redis that expired at or before `now`,
    /// then their poll tokens' index keys (found with `SCAN`); most are
    /// gone already, by their keys' time to live. Counts the sessions.
    async fn purge_expired_cli_logins(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let at = codec::micros(now);
        let purged = self
            .purge_each(&self.keys().pattern("cli"), &SCRIPTS.cli_login_purge, at)
            .await?;
        self.purge_each(
            &self.keys().pattern("clipoll"),
            &SCRIPTS.cli_login_purge,
            at,
        )
        .await?;
        Ok(purged)
    }
}
