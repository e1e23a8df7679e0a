//! [`DeviceStore`]: each account's devices in one hash (fields
//! `<device id>:<name>`), and per device a small owner key that says which
//! account's hash holds it (lookups by id carry no account).

use std::collections::HashMap;

use async_trait::async_trait;
use latchkey_core::{AccountId, SecurityStamp, StoreError};
use latchkey_devices::{DeviceId, DeviceRecord, DeviceStore};
use redis::Value;
use time::OffsetDateTime;

use crate::codec::{self, Fields, hex};
use crate::lua::SCRIPTS;
use crate::{Keys, RedisStore};

const WHAT: &str = "device";

/// The fields `get_device` reads.
const FIELDS: [&str; 8] = [
    "acct", "secret", "stamp", "label", "created", "expires", "used", "client",
];

/// A device read back.
pub(crate) fn record(id: DeviceId, f: &Fields) -> Result<DeviceRecord, StoreError> {
    Ok(DeviceRecord {
        id,
        account: f.account("acct")?,
        secret_digest: f.bytes("secret")?,
        stamp: SecurityStamp(f.bytes("stamp")?),
        label: f.text("label")?.to_owned(),
        created_at: f.time("created")?,
        last_used_at: f.opt_time("used")?,
        last_client: f.opt("client").map(str::to_owned),
        expires_at: f.time("expires")?,
    })
}

impl RedisStore {
    /// The tag of the account whose hash holds device `id`, if any.
    async fn owner_of(&self, id: &DeviceId) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn();
        self.run(
            redis::cmd("GET")
                .arg(self.keys().device_owner(id))
                .query_async(&mut conn),
        )
        .await
    }
}

#[async_trait]
impl DeviceStore for RedisStore {
    /// Claims the id (`SET NX`, so of concurrent inserts of one id exactly
    /// one goes on), then stores the record in the account's hash. An id
    /// stays claimed until the record's expiry, revoked or not (ids are
    /// 128 random bits: none comes back).
    async fn insert_device(&self, record: DeviceRecord) -> Result<bool, StoreError> {
        let tag = Keys::account_tag(&record.account);
        let ttl = codec::ttl_millis(
            (record.expires_at - record.created_at).saturating_add(self.linger_span()),
        );
        let mut conn = self.conn();
        let claimed: Value = self
            .run(
                redis::cmd("SET")
                    .arg(self.keys().device_owner(&record.id))
                    .arg(&tag)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async(&mut conn),
            )
            .await?;
        if claimed == Value::Nil {
            return Ok(false);
        }
        let mut call = SCRIPTS.device_insert.key(self.keys().devices_of_tag(&tag));
        call.arg(record.id.to_string()).arg(ttl);
        call.arg("acct").arg(record.account.as_str());
        call.arg("secret").arg(hex(&record.secret_digest));
        call.arg("stamp").arg(hex(&record.stamp.0));
        call.arg("label").arg(&record.label);
        call.arg("created").arg(codec::nanos(record.created_at));
        call.arg("expires").arg(codec::nanos(record.expires_at));
        call.arg("exp_us").arg(codec::micros(record.expires_at));
        if let Some(used) = record.last_used_at {
            call.arg("used").arg(codec::nanos(used));
        }
        if let Some(client) = &record.last_client {
            call.arg("client").arg(client);
        }
        let _: i64 = self.run(call.invoke_async(&mut conn)).await?;
        Ok(true)
    }

    async fn get_device(&self, id: &DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        let Some(tag) = self.owner_of(id).await? else {
            return Ok(None);
        };
        let names: Vec<String> = FIELDS.iter().map(|f| format!("{id}:{f}")).collect();
        let mut conn = self.conn();
        let values: Vec<Option<String>> = self
            .run(
                redis::cmd("HMGET")
                    .arg(self.keys().devices_of_tag(&tag))
                    .arg(&names)
                    .query_async(&mut conn),
            )
            .await?;
        if values.first().is_none_or(Option::is_none) {
            return Ok(None);
        }
        let fields = FIELDS
            .iter()
            .zip(values)
            .filter_map(|(name, value)| Some(((*name).to_owned(), value?)))
            .collect();
        record(*id, &Fields::new(WHAT, fields)).map(Some)
    }

    async fn touch_device(
        &self,
        id: &DeviceId,
        now: OffsetDateTime,
        client: Option<&str>,
    ) -> Result<bool, StoreError> {
        let Some(tag) = self.owner_of(id).await? else {
            return Ok(false);
        };
        let mut conn = self.conn();
        let mut call = SCRIPTS.device_touch.key(self.keys().devices_of_tag(&tag));
        call.arg(id.to_string()).arg(codec::nanos(now));
        if let Some(client) = client {
            call.arg(client);
        }
        let done: i64 = self.run(call.invoke_async(&mut conn)).await?;
        Ok(done == 1)
    }

    async fn list_devices(&self, account: &AccountId) -> Result<Vec<DeviceRecord>, StoreError> {
        let mut conn = self.conn();
        let all: HashMap<String, String> = self
            .run(
                redis::cmd("HGETALL")
                    .arg(self.keys().devices(account))
                    .query_async(&mut conn),
            )
            .await?;
        let mut by_device: HashMap<String, HashMap<String, String>> = HashMap::new();
        for (field, value) in all {
            let Some((id, name)) = field.split_once(':') else {
                return Err(StoreError::corrupt("device: field without a device id"));
            };
            by_device
                .entry(id.to_owned())
                .or_default()
                .insert(name.to_owned(), value);
        }
        let mut list = Vec::with_capacity(by_device.len());
        for (id, fields) in by_device {
            let id: DeviceId = id
                .parse()
                .map_err(|_| StoreError::corrupt("device: malformed device id"))?;
            list.push(record(id, &Fields::new(WHAT, fields))?);
        }
        // Oldest first; records made at one instant in id order, as the
        // other stores list them.
        list.sort_by_key(|r| (r.created_at, r.id));
        Ok(list)
    }

    async fn rename_device(
        &self,
        account: &AccountId,
        id: &DeviceId,
        label: &str,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let done: i64 = self
            .run(
                SCRIPTS
                    .device_rename
                    .key(self.keys().devices(account))
                    .arg(id.to_string())
                    .arg(account.as_str())
                    .arg(label)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(done == 1)
    }

    async fn revoke_device(&self, account: &AccountId, id: &DeviceId) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let done: i64 = self
            .run(
                SCRIPTS
                    .device_revoke
                    .key(self.keys().devices(account))
                    .arg(id.to_string())
                    .arg(account.as_str())
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(done == 1)
    }

    async fn revoke_all_devices(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut conn = self.conn();
        self.run(
            SCRIPTS
                .device_revoke_all
                .key(self.keys().devices(account))
                .invoke_async(&mut conn),
        )
        .await
    }

    /// Deletes the devices still in Redis that expired at or before
    /// `now` (each account's hash, found with `SCAN`).
    async fn purge_expired_devices(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.purge_each(
            &self.keys().pattern("dev"),
            &SCRIPTS.device_purge,
            codec::micros(now),
        )
        .await
    }
}
