//! Times and fields as the scripts see them, and records read back from
//! hashes. A missing field, a malformed number or hex string is a corrupt
//! record, never a panic; no error names a value.

use std::collections::HashMap;

use data_encoding::HEXLOWER;
use latchkey_core::StoreError;
use time::{Duration, OffsetDateTime};

/// The largest magnitude Lua (doubles) holds exactly: times and durations
/// in microseconds are clamped to it, so about the years 1685 to 2255.
pub(crate) const MAX_EXACT: i64 = (1 << 53) - 1;

/// A time in whole microseconds since 1970 (rounded down), as the scripts
/// compare it.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    let us = t.unix_timestamp_nanos().div_euclid(1_000);
    i64::try_from(us.clamp(-i128::from(MAX_EXACT), i128::from(MAX_EXACT))).unwrap_or(0)
}

/// A duration in whole microseconds, clamped as [`micros`].
pub(crate) fn duration_micros(d: Duration) -> i64 {
    let us = d.whole_microseconds();
    i64::try_from(us.clamp(-i128::from(MAX_EXACT), i128::from(MAX_EXACT))).unwrap_or(0)
}

/// A duration in whole milliseconds, at least 1 (a key's time to live).
pub(crate) fn ttl_millis(d: Duration) -> i64 {
    i64::try_from(d.whole_milliseconds().clamp(1, i128::from(MAX_EXACT))).unwrap_or(1)
}

/// The instant a script's microsecond answer stands for.
pub(crate) fn from_micros(us: i64, what: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|_| StoreError::corrupt(format!("{what}: time out of range")))
}

/// A time exactly, as nanoseconds since 1970 (what is read back).
pub(crate) fn nanos(t: OffsetDateTime) -> String {
    t.unix_timestamp_nanos().to_string()
}

/// A count a script returned, as the `u32` the traits use.
pub(crate) fn count(n: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::corrupt(format!("{what}: count out of range")))
}

/// One record's fields, by name, read back from a hash (a whole hash, or
/// one tag's fields with the tag taken off).
#[derive(Debug, Default)]
pub(crate) struct Fields {
    what: &'static str,
    fields: HashMap<String, String>,
}

impl Fields {
    pub(crate) fn new(what: &'static str, fields: HashMap<String, String>) -> Self {
        Self { what, fields }
    }

    /// Reads a flat `[name, value, name, value, ...]` list, as `HGETALL`
    /// inside a script returns it.
    pub(crate) fn from_pairs(what: &'static str, flat: Vec<String>) -> Result<Self, StoreError> {
        if !flat.len().is_multiple_of(2) {
            return Err(StoreError::corrupt(format!("{what}: odd field list")));
        }
        let mut fields = HashMap::with_capacity(flat.len() / 2);
        let mut it = flat.into_iter();
        while let (Some(name), Some(value)) = (it.next(), it.next()) {
            fields.insert(name, value);
        }
        Ok(Self::new(what, fields))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn corrupt(&self, field: &str, problem: &str) -> StoreError {
        StoreError::corrupt(format!("{}: field {field} {problem}", self.what))
    }

    pub(crate) fn opt(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    pub(crate) fn text(&self, field: &str) -> Result<&str, StoreError> {
        self.opt(field)
            .ok_or_else(|| self.corrupt(field, "is missing"))
    }

    pub(crate) fn number<T: std::str::FromStr>(&self, field: &str) -> Result<T, StoreError> {
        self.text(field)?
            .parse()
            .map_err(|_| self.corrupt(field, "is not a number in range"))
    }

    pub(crate) fn time(&self, field: &str) -> Result<OffsetDateTime, StoreError> {
        let ns: i128 = self.number(field)?;
        OffsetDateTime::from_unix_timestamp_nanos(ns)
            .map_err(|_| self.corrupt(field, "is a time out of range"))
    }

    pub(crate) fn opt_time(&self, field: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        match self.opt(field) {
            None => Ok(None),
            Some(_) => self.time(field).map(Some),
        }
    }

    pub(crate) fn bytes<const N: usize>(&self, field: &str) -> Result<[u8; N], StoreError> {
        HEXLOWER
            .decode(self.text(field)?.as_bytes())
            .ok()
            .and_then(|v| <[u8; N]>::try_from(v).ok())
            .ok_or_else(|| self.corrupt(field, "is not the expected hex"))
    }

    pub(crate) fn account(&self, field: &str) -> Result<latchkey_core::AccountId, StoreError> {
        latchkey_core::AccountId::new(self.text(field)?)
            .map_err(|_| self.corrupt(field, "is not an account id"))
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_down_and_clamp() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_900_000_000_123_456_789).expect("t");
        assert_eq!(micros(t), 1_900_000_000_123_456);
        let before = OffsetDateTime::from_unix_timestamp_nanos(-1).expect("t");
        assert_eq!(micros(before), -1);
        assert_eq!(
            micros(OffsetDateTime::new_utc(
                time::Date::from_calendar_date(9999, time::Month::January, 1).expect("date"),
                time::Time::MIDNIGHT,
            )),
            MAX_EXACT
        );
        assert_eq!(
            from_micros(micros(t), "t").expect("back"),
            t - Duration::nanoseconds(789)
        );
        assert_eq!(duration_micros(Duration::seconds(30)), 30_000_000);
        assert_eq!(ttl_millis(Duration::seconds(-5)), 1);
        assert_eq!(nanos(t), "1900000000123456789");
    }

    #[test]
    fn fields_read_back_or_say_what_is_corrupt() {
        let f = Fields::from_pairs(
            "challenge",
            ["n", "7", "t", "-5", "h", "00ff"]
                .map(String::from)
                .to_vec(),
        )
        .expect("pairs");
        assert_eq!(f.number::<u32>("n").expect("n"), 7);
        assert_eq!(f.time("t").expect("t").unix_timestamp_nanos(), -5);
        assert_eq!(f.bytes::<2>("h").expect("h"), [0, 255]);
        let e = f.bytes::<3>("h").expect_err("length");
        assert_eq!(
            e.to_string(),
            "stored record is corrupt: challenge: field h is not the expected hex"
        );
        assert!(f.text("missing").is_err());
        assert!(f.opt_time("missing").expect("absent").is_none());
        assert!(Fields::from_pairs("x", vec!["odd".into()]).is_err());
    }
}
