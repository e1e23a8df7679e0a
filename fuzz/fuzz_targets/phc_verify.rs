//! Fuzzes `Hasher::verify` with arbitrary stored hashes.
//!
//! Input: `password NUL phc`, split at the first NUL byte (no NUL: an empty
//! password and the whole input as the PHC string); each part is read as
//! UTF-8, lossily, so every input reaches the verifier.
//!
//! The verifier must never panic: any input is `Ok` (match or mismatch) or
//! an `Err`. The limits keep every run cheap (at most 256 KiB, 2 passes, 2
//! lanes). A match must also agree with `needs_rehash`.
#![no_main]

use std::sync::LazyLock;

use latchkey_credentials::{HashSettings, Hasher, Verification, VerifyLimits};
use libfuzzer_sys::fuzz_target;

static HASHER: LazyLock<Hasher> = LazyLock::new(|| {
    Hasher::new(HashSettings::below_floor(8, 1, 1).expect("valid settings")).with_verify_limits(
        VerifyLimits {
            max_memory_kib: 256,
            max_iterations: 2,
            max_parallelism: 2,
        },
    )
});

fuzz_target!(|data: &[u8]| {
    let (password, phc) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let password = String::from_utf8_lossy(password);
    let phc = String::from_utf8_lossy(phc);

    if let Ok(Verification::Match { rehash_due }) = HASHER.verify(&password, &phc) {
        // A hash that verified parsed, so the rehash check must agree.
        assert_eq!(HASHER.needs_rehash(&phc).ok(), Some(rehash_due));
    }
});
