//! For `fuzz/` only (feature `fuzzing`, not a public API): the record
//! readers of this crate on hashes made of arbitrary bytes. A reader
//! answers a record or `StoreError::Corrupt`; it never panics.

use latchkey_challenge::ChallengeKey;
use latchkey_core::StoreError;
use latchkey_devices::DeviceId;

use crate::codec::Fields;
use crate::{challenges, cli_logins, devices};

fn corrupt_or_ok<T>(read: Result<T, StoreError>) {
    if let Err(e) = read {
        assert!(
            matches!(e, StoreError::Corrupt { .. }),
            "a bad hash is a corrupt record, got {e:?}"
        );
    }
}

/// Splits the bytes after the first at each `0` byte into a flat
/// `[name, value, ...]` list, as `HGETALL` returns it (text that is not
/// UTF-8 is replaced), and reads it as the record the first byte picks.
pub fn records(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let flat: Vec<String> = rest
        .split(|&b| b == 0)
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    let fields = match Fields::from_pairs("fuzzed record", flat) {
        Ok(fields) => fields,
        Err(e) => return corrupt_or_ok::<()>(Err(e)),
    };
    match which % 4 {
        0 => corrupt_or_ok(challenges::record(ChallengeKey([1; 32]), &fields)),
        1 => corrupt_or_ok(devices::record(DeviceId([2; 16]), &fields)),
        2 => corrupt_or_ok(cli_logins::record([3; 32], &fields)),
        _ => {
            corrupt_or_ok(fields.time("t"));
            corrupt_or_ok(fields.opt_time("t"));
            corrupt_or_ok(fields.number::<u32>("n"));
            corrupt_or_ok(fields.bytes::<16>("h"));
            corrupt_or_ok(fields.account("a"));
        }
    }
}
