//! Fuzzes what the persistent stores read back: every SQL row decoder of
//! `latchkey-store-sqlx` (SQLite and PostgreSQL share them) on rows made
//! of arbitrary columns, the stored words of its enums, and the Redis
//! store's record readers on arbitrary hashes. A corrupt row or hash is
//! `StoreError::Corrupt`, never a panic; a stored word that decodes is
//! the one its value encodes to.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&store, rest)) = data.split_first() else {
        return;
    };
    if store % 2 == 0 {
        latchkey_store_sqlx::fuzzing::rows(rest);
    } else {
        latchkey_store_redis::fuzzing::records(rest);
    }
});
