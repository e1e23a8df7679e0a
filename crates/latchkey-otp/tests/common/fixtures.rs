//! The secrets, times, counters and code shapes the interop tests check.

use latchkey_otp::{Algorithm, OtpSecret};
use time::OffsetDateTime;

/// The RFC 4226 / RFC 6238 SHA-1 seed, `12345678901234567890`, in base32.
pub const RFC_SEED_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

pub fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap()
}

/// The times TOTP is checked at: the epoch, RFC 6238's table (59, 2005,
/// 2033, 2603) and now, read once so latchkey and the peer see the same
/// second.
pub fn times() -> Vec<i64> {
    vec![
        0,
        59,
        1_111_111_109,
        1_234_567_890,
        2_000_000_000,
        20_000_000_000,
        OffsetDateTime::now_utc().unix_timestamp(),
    ]
}

/// Runs of HOTP counters: `(first, extra)` covers `first..=first + extra`.
/// The start, the 32-bit edge, 2^53 (a float's exact range) and the top of
/// 64 bits.
pub const COUNTER_RUNS: [(u64, u64); 5] = [
    (0, 9),
    (u32::MAX as u64 - 1, 2),
    (1 << 53, 1),
    (i64::MAX as u64, 1),
    (u64::MAX - 2, 2),
];

pub fn counters() -> Vec<u64> {
    COUNTER_RUNS
        .iter()
        .flat_map(|&(first, extra)| first..=first + extra)
        .collect()
}

/// Secrets latchkey generates: two per algorithm, at the hash's length
/// (REQ-18).
pub fn generated_secrets() -> Vec<(Algorithm, OtpSecret)> {
    Algorithm::ALL
        .into_iter()
        .flat_map(|a| {
            (0..2).map(move |_| {
                let secret = OtpSecret::generate(a).unwrap();
                assert_eq!(secret.expose().len(), a.output_len());
                (a, secret)
            })
        })
        .collect()
}

pub const DIGITS: [u32; 3] = [6, 7, 8];
pub const PERIODS: [u64; 2] = [30, 60];
