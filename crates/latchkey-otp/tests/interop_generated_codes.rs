//! `oathtool` and `pyotp` compute the same HOTP and TOTP codes as latchkey
//! for secrets latchkey generates (REQ-18 to REQ-21): SHA-1, SHA-256 and
//! SHA-512; 6, 7 and 8 digits; 30 s and 60 s periods; times from 0 to the
//! year 2603 and now; counters up to `u64::MAX`. See `common/` for the
//! peers.

mod common;

use common::fixtures::{COUNTER_RUNS, DIGITS, PERIODS, at, counters, generated_secrets, times};
use common::oathtool::{oathtool_hotp, oathtool_totp};
use common::pyotp::{digest_name, hex, join, pyotp};
use latchkey_otp::{Algorithm, Hotp, Totp};
use latchkey_testkit::peers::{OATHTOOL, PYOTP};

/// REQ-18, REQ-19, REQ-20, REQ-21: for secrets latchkey generates (20, 32
/// and 64 bytes), oathtool's TOTP equals latchkey's for SHA-1/256/512, 6/7/8
/// digits and 30/60 s periods, at 0, 59, 2005, 2009, 2033, 2603 and now.
#[test]
fn req_21_generated_secrets_give_oathtools_totp_codes() {
    if !OATHTOOL.available() {
        return;
    }
    let times = times();
    let mut checked = 0;
    for (algorithm, secret) in generated_secrets() {
        let base32 = secret.to_base32();
        for digits in DIGITS {
            for period in PERIODS {
                let totp = Totp::new(&secret, algorithm, digits, period).unwrap();
                for &time in &times {
                    let theirs = oathtool_totp(&base32, algorithm, digits, period, time);
                    let ours = totp.code_at(at(time)).unwrap();
                    assert_eq!(
                        ours,
                        theirs,
                        "latchkey vs oathtool: {algorithm}, {digits} digits, {period} s, \
                         t={time}, {}-byte secret {base32}",
                        secret.expose().len()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 6 * 3 * 2 * times.len());
}

/// REQ-20: HOTP for latchkey's generated secrets equals oathtool's at
/// counters 0 to 9, around 2^32, at 2^53, around 2^63 and up to `u64::MAX`,
/// for 6, 7 and 8 digits. `oathtool --hotp` is SHA-1 only; for SHA-256 and
/// SHA-512 the same counters go through oathtool's TOTP with a 1 s step at
/// time = counter (T = (time - 0) / 1), as far as its 64-bit signed time
/// reaches (counters up to 2^63 - 1).
#[test]
fn req_20_generated_secrets_give_oathtools_hotp_codes() {
    if !OATHTOOL.available() {
        return;
    }
    let mut checked = 0;
    for (algorithm, secret) in generated_secrets() {
        let base32 = secret.to_base32();
        for digits in DIGITS {
            let hotp = Hotp::new(&secret, algorithm, digits).unwrap();
            if algorithm == Algorithm::Sha1 {
                for (first, extra) in COUNTER_RUNS {
                    let theirs = oathtool_hotp(&base32, digits, first, extra);
                    for (counter, theirs) in (first..=first + extra).zip(theirs) {
                        assert_eq!(
                            hotp.code(counter),
                            theirs,
                            "latchkey vs oathtool --hotp: {digits} digits, counter {counter}, \
                             secret {base32}"
                        );
                        checked += 1;
                    }
                }
            } else {
                for counter in counters() {
                    let Ok(time) = i64::try_from(counter) else {
                        continue;
                    };
                    let theirs = oathtool_totp(&base32, algorithm, digits, 1, time);
                    assert_eq!(
                        hotp.code(counter),
                        theirs,
                        "latchkey vs oathtool (1 s TOTP): {algorithm}, {digits} digits, \
                         counter {counter}, secret {base32}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 150, "{checked}");
}

/// REQ-18 to REQ-21 against pyotp: TOTP at every algorithm, digit count,
/// period and time above, and HOTP at every counter above (all the way to
/// `u64::MAX`, every algorithm), for latchkey's generated secrets.
#[test]
fn req_20_21_generated_secrets_give_pyotps_totp_and_hotp_codes() {
    if !PYOTP.available() {
        return;
    }
    let times = times();
    let counters = counters();
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for (algorithm, secret) in generated_secrets() {
        let base32 = secret.to_base32();
        for digits in DIGITS {
            for period in PERIODS {
                let totp = Totp::new(&secret, algorithm, digits, period).unwrap();
                requests.push(format!(
                    "totp {} {digits} {} {period} {}",
                    hex(&base32),
                    digest_name(algorithm),
                    join(&times)
                ));
                let ours: Vec<String> = times
                    .iter()
                    .map(|&t| totp.code_at(at(t)).unwrap().to_string())
                    .collect();
                let what = format!("TOTP {algorithm}, {digits} digits, {period} s at {times:?}");
                expected.push((what, base32.clone(), ours));
            }
            let hotp = Hotp::new(&secret, algorithm, digits).unwrap();
            requests.push(format!(
                "hotp {} {digits} {} {}",
                hex(&base32),
                digest_name(algorithm),
                join(&counters)
            ));
            let ours: Vec<String> = counters.iter().map(|&c| hotp.code(c).to_string()).collect();
            let what = format!("HOTP {algorithm}, {digits} digits at {counters:?}");
            expected.push((what, base32.clone(), ours));
        }
    }
    let answers = pyotp(&requests);
    for (answer, (what, base32, ours)) in answers.iter().zip(&expected) {
        assert_eq!(
            ours, answer,
            "latchkey (left) vs pyotp (right): {what}, secret {base32}"
        );
    }
    assert_eq!(answers.len(), 6 * 3 * 3);
}
