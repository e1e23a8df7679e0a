//! [`OtpStore`]: each account's mailed codes in one hash (8 fields per
//! purpose), its sends in one string beside it (same hash tag).

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use time::{Duration, OffsetDateTime};

use crate::codec::{self, hex};
use crate::lua::SCRIPTS;
use crate::{Keys, RedisStore};

const WHAT: &str = "mailed code";

/// The fields of one code, in the order `get` reads them.
const FIELDS: [&str; 5] = ["id", "digest", "exp", "max", "fails"];

#[async_trait]
impl OtpStore for RedisStore {
    async fn reserve_send(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        cooldown: Duration,
        hourly_cap: u32,
    ) -> Result<SendReservation, StoreError> {
        let mut conn = self.conn();
        let (status, until): (i64, i64) = self
            .run(
                SCRIPTS
                    .send_reserve
                    .key(self.keys().sends(account))
                    .arg(codec::micros(now))
                    .arg(codec::duration_micros(cooldown))
                    .arg(hourly_cap)
                    .arg(self.linger_millis())
                    .invoke_async(&mut conn),
            )
            .await?;
        match status {
            0 => Ok(SendReservation::Reserved),
            1 => Ok(SendReservation::CoolingDown {
                until: codec::from_micros(until, "send cooldown")?,
            }),
            2 => Ok(SendReservation::CapReached {
                until: codec::from_micros(until, "send cap")?,
            }),
            _ => Err(StoreError::corrupt("send reservation: unknown answer")),
        }
    }

    async fn release_send(
        &self,
        account: &AccountId,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let _: i64 = self
            .run(
                SCRIPTS
                    .send_release
                    .key(self.keys().sends(account))
                    .arg(codec::micros(sent_at))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    async fn put(&self, record: CodeRecord) -> Result<(), StoreError> {
        let deadline = record.expires_at.saturating_add(self.linger_span());
        let deadline_ms = i64::try_from(deadline.unix_timestamp_nanos().div_euclid(1_000_000))
            .unwrap_or(codec::MAX_EXACT)
            .clamp(0, codec::MAX_EXACT);
        let mut conn = self.conn();
        let _: i64 = self
            .run(
                SCRIPTS
                    .code_put
                    .key(self.keys().codes(&record.account))
                    .arg(Keys::purpose_tag(&record.purpose))
                    .arg(hex(&record.id))
                    .arg(hex(&record.digest))
                    .arg(codec::nanos(record.expires_at))
                    .arg(codec::micros(record.expires_at))
                    .arg(record.max_attempts)
                    .arg(record.failed_attempts)
                    .arg(deadline_ms)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    async fn get(
        &self,
        account: &AccountId,
        purpose: &Purpose,
    ) -> Result<Option<CodeRecord>, StoreError> {
        let tag = Keys::purpose_tag(purpose);
        let names: Vec<String> = FIELDS.iter().map(|f| format!("{tag}:{f}")).collect();
        let mut conn = self.conn();
        let values: Vec<Option<String>> = self
            .run(
                redis::cmd("HMGET")
                    .arg(self.keys().codes(account))
                    .arg(&names)
                    .query_async(&mut conn),
            )
            .await?;
        if values.first().is_none_or(Option::is_none) {
            return Ok(None);
        }
        let fields = codec::Fields::new(
            WHAT,
            FIELDS
                .iter()
                .zip(values)
                .filter_map(|(name, value)| Some(((*name).to_owned(), value?)))
                .collect(),
        );
        Ok(Some(CodeRecord {
            id: fields.bytes("id")?,
            account: account.clone(),
            purpose: purpose.clone(),
            digest: fields.bytes("digest")?,
            expires_at: fields.time("exp")?,
            max_attempts: fields.number("max")?,
            failed_attempts: fields.number("fails")?,
        }))
    }

    async fn record_failure(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<FailureCount, StoreError> {
        let mut conn = self.conn();
        let answer: i64 = self
            .run(
                SCRIPTS
                    .code_fail
                    .key(self.keys().codes(account))
                    .arg(Keys::purpose_tag(purpose))
                    .arg(hex(id))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(match answer {
            -1 => FailureCount::Gone,
            -2 => FailureCount::Exhausted,
            n => FailureCount::Counted {
                failed_attempts: codec::count(n, WHAT)?,
            },
        })
    }

    async fn consume(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let done: i64 = self
            .run(
                SCRIPTS
                    .code_consume
                    .key(self.keys().codes(account))
                    .arg(Keys::purpose_tag(purpose))
                    .arg(hex(id))
                    .arg(codec::micros(now))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(done == 1)
    }

    async fn withdraw(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let _: i64 = self
            .run(
                SCRIPTS
                    .code_withdraw
                    .key(self.keys().codes(account))
                    .arg(Keys::purpose_tag(purpose))
                    .arg(hex(id))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut conn = self.conn();
        self.run(
            SCRIPTS
                .code_void_all
                .key(self.keys().codes(account))
                .invoke_async(&mut conn),
        )
        .await
    }
}
