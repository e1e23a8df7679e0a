//! Interop with two independent OTP implementations, both ways (REQ-18 to
//! REQ-21, REQ-26, REQ-27):
//!
//! - `oathtool` (the Debian OATH Toolkit CLI, C) and `pyotp` (Python)
//!   compute the same HOTP and TOTP codes as latchkey for secrets latchkey
//!   generates: SHA-1, SHA-256 and SHA-512; 6, 7 and 8 digits; 30 s and
//!   60 s periods; times from 0 to the year 2603 and now; counters up to
//!   `u64::MAX`;
//! - `otpauth://` URIs latchkey builds parse in pyotp to the same secret,
//!   issuer, account, digits, period and algorithm, and pyotp's code from
//!   the parsed URI is latchkey's; and URIs pyotp builds parse in latchkey
//!   the same way;
//! - the RFC 4226 Appendix D and RFC 6238 Appendix B tables come out of
//!   both peers, so we know they are driven correctly.
//!
//! The peers are optional on a developer machine: a missing one prints a
//! `SKIPPED:` line to stderr and the test passes. With
//! `LATCHKEY_REQUIRE_PEERS=1` (as in CI) a missing peer fails the test.
//! `LATCHKEY_PYTHON` picks the interpreter (default `python3`).
//!
//! Secrets reach the peers on stdin (base32 for oathtool, hex-encoded
//! fields for the Python script), never through a shell or argv.

use latchkey_otp::{Algorithm, Error, Hotp, KeyUri, OtpSecret, Totp};
use latchkey_testkit::peers::{self, OATHTOOL, PYOTP};
use time::OffsetDateTime;

// ---------------------------------------------------------------------------
// oathtool (the peers themselves live in latchkey_testkit::peers)
// ---------------------------------------------------------------------------

/// The RFC 4226 / RFC 6238 SHA-1 seed, `12345678901234567890`, in base32.
const RFC_SEED_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// `oathtool --totp=ALG -b -d DIGITS -s PERIODs -N @TIME`.
fn oathtool_totp(
    secret: &str,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    time: i64,
) -> String {
    let mode = format!("--totp={algorithm}");
    let digits = digits.to_string();
    let period = format!("{period}s");
    let now = format!("@{time}");
    let lines = peers::oathtool(
        &[&mode, "-b", "-d", &digits, "-s", &period, "-N", &now],
        secret,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines.len(), 1, "one code from oathtool: {lines:?}");
    lines[0].clone()
}

/// `oathtool --hotp -b -d DIGITS -c COUNTER -w WINDOW`: the codes for
/// `counter..=counter + window`.
fn oathtool_hotp(secret: &str, digits: u32, counter: u64, window: u64) -> Vec<String> {
    let digits = digits.to_string();
    let counter = counter.to_string();
    let extra = window.to_string();
    let lines = peers::oathtool(
        &["--hotp", "-b", "-d", &digits, "-c", &counter, "-w", &extra],
        secret,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        lines.len() as u64,
        window + 1,
        "codes from oathtool: {lines:?}"
    );
    lines
}

// ---------------------------------------------------------------------------
// pyotp
// ---------------------------------------------------------------------------

/// Reads one request a line and answers one line each, fields separated by
/// spaces. Strings travel as UTF-8 hex behind an `x` (so an empty one is
/// still a field); `-` is `None`; numbers are decimal.
///
/// - `totp xSECRET DIGITS DIGEST INTERVAL T,T,...` -> the codes of
///   `pyotp.TOTP(...).at(t)`
/// - `hotp xSECRET DIGITS DIGEST C,C,...` -> the codes of
///   `pyotp.HOTP(...).at(c)`
/// - `parse xURI T` -> `KIND xSECRET xISSUER|- xNAME DIGITS INTERVAL DIGEST
///   CODE`: `pyotp.parse_uri(uri)` and its code at `T`
/// - `build xSECRET|- xNAME xISSUER|- DIGITS DIGEST INTERVAL T` -> `xURI
///   xSECRET CODE`: `pyotp.TOTP(...).provisioning_uri(name=, issuer_name=)`
///   (a `pyotp.random_base32()` secret for `-`) and the code at `T`
const PYOTP_SCRIPT: &str = r#"
import hashlib
import sys

import pyotp

def unhex(field):
    assert field.startswith("x"), field
    return bytes.fromhex(field[1:]).decode("utf-8")

def opt(field):
    return None if field == "-" else unhex(field)

def tohex(text):
    return "-" if text is None else "x" + text.encode("utf-8").hex()

for line in sys.stdin:
    f = line.split()
    if not f:
        continue
    if f[0] == "totp":
        otp = pyotp.TOTP(unhex(f[1]), digits=int(f[2]), digest=getattr(hashlib, f[3]), interval=int(f[4]))
        out = " ".join(otp.at(int(t)) for t in f[5].split(","))
    elif f[0] == "hotp":
        otp = pyotp.HOTP(unhex(f[1]), digits=int(f[2]), digest=getattr(hashlib, f[3]))
        out = " ".join(otp.at(int(c)) for c in f[4].split(","))
    elif f[0] == "parse":
        otp = pyotp.parse_uri(unhex(f[1]))
        kind = type(otp).__name__
        out = " ".join([
            kind,
            tohex(otp.secret),
            tohex(otp.issuer),
            tohex(otp.name),
            str(otp.digits),
            str(getattr(otp, "interval", 0)),
            otp.digest().name,
            otp.at(int(f[2])),
        ])
    elif f[0] == "build":
        secret = opt(f[1])
        if secret is None:
            secret = pyotp.random_base32()
        otp = pyotp.TOTP(secret, digits=int(f[4]), digest=getattr(hashlib, f[5]), interval=int(f[6]))
        uri = otp.provisioning_uri(name=unhex(f[2]), issuer_name=opt(f[3]))
        out = " ".join([tohex(uri), tohex(secret), otp.at(int(f[7]))])
    else:
        raise SystemExit("unknown request: " + line)
    print(out, flush=True)
"#;

fn hex(text: &str) -> String {
    let mut out = String::from("x");
    for b in text.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn unhex(field: &str) -> String {
    let digits = field
        .strip_prefix('x')
        .unwrap_or_else(|| panic!("not a hex field: {field:?}"));
    let bytes: Vec<u8> = (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex from pyotp script"))
        .collect();
    String::from_utf8(bytes).expect("UTF-8 from pyotp script")
}

/// `None` for `-`, else the hex field decoded.
fn unhex_opt(field: &str) -> Option<String> {
    (field != "-").then(|| unhex(field))
}

/// Runs `requests` through one pyotp process; the fields of each answer.
fn pyotp(requests: &[String]) -> Vec<Vec<String>> {
    let mut input = requests.join("\n");
    input.push('\n');
    let answers: Vec<Vec<String>> =
        peers::run(&peers::python(), &["-c", PYOTP_SCRIPT], input.as_bytes())
            .unwrap_or_else(|e| panic!("pyotp script: {e}"))
            .iter()
            .map(|line| line.split(' ').map(str::to_owned).collect())
            .collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

/// The `hashlib` name of an algorithm.
fn digest_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Sha1 => "sha1",
        Algorithm::Sha256 => "sha256",
        Algorithm::Sha512 => "sha512",
    }
}

fn join<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap()
}

/// The times TOTP is checked at: the epoch, RFC 6238's table (59, 2005,
/// 2033, 2603) and now, read once so latchkey and the peer see the same
/// second.
fn times() -> Vec<i64> {
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
const COUNTER_RUNS: [(u64, u64); 5] = [
    (0, 9),
    (u32::MAX as u64 - 1, 2),
    (1 << 53, 1),
    (i64::MAX as u64, 1),
    (u64::MAX - 2, 2),
];

fn counters() -> Vec<u64> {
    COUNTER_RUNS
        .iter()
        .flat_map(|&(first, extra)| first..=first + extra)
        .collect()
}

/// Secrets latchkey generates: two per algorithm, at the hash's length
/// (REQ-18).
fn generated_secrets() -> Vec<(Algorithm, OtpSecret)> {
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

const DIGITS: [u32; 3] = [6, 7, 8];
const PERIODS: [u64; 2] = [30, 60];

// ---------------------------------------------------------------------------
// Tests: the peers reproduce the RFC tables
// ---------------------------------------------------------------------------

/// RFC 6238 Appendix B: the seeds for SHA-1, SHA-256 and SHA-512 at the
/// table's times (8 digits, 30 s) give the table's codes in oathtool and in
/// latchkey (REQ-20, REQ-21).
#[test]
fn req_21_rfc6238_appendix_b_through_oathtool_gives_the_table() {
    if !OATHTOOL.available() {
        return;
    }
    for (algorithm, seed, time, code) in rfc6238_table() {
        let secret = OtpSecret::from_bytes(seed).unwrap();
        assert_eq!(
            oathtool_totp(&secret.to_base32(), algorithm, 8, 30, time),
            code,
            "oathtool, RFC 6238 {algorithm} at {time}"
        );
        let totp = Totp::new(&secret, algorithm, 8, 30).unwrap();
        assert_eq!(totp.code_at(at(time)).unwrap(), code);
    }
}

/// RFC 4226 Appendix D (SHA-1, 6 digits, counters 0 to 9) through
/// `oathtool --hotp` (REQ-20).
#[test]
fn req_20_rfc4226_appendix_d_through_oathtool_gives_the_table() {
    if !OATHTOOL.available() {
        return;
    }
    assert_eq!(oathtool_hotp(RFC_SEED_SHA1, 6, 0, 9), RFC4226_CODES);
}

/// Both RFC tables through pyotp, so the script is known to drive it
/// right (REQ-20, REQ-21).
#[test]
fn req_20_21_rfc_tables_through_pyotp_give_the_tables() {
    if !PYOTP.available() {
        return;
    }
    let table = rfc6238_table();
    let mut requests: Vec<String> = table
        .iter()
        .map(|(algorithm, seed, time, _)| {
            let secret = OtpSecret::from_bytes(seed).unwrap().to_base32();
            format!(
                "totp {} 8 {} 30 {time}",
                hex(&secret),
                digest_name(*algorithm)
            )
        })
        .collect();
    requests.push(format!(
        "hotp {} 6 sha1 {}",
        hex(RFC_SEED_SHA1),
        join(&(0..10).collect::<Vec<_>>())
    ));
    let answers = pyotp(&requests);
    for ((algorithm, _, time, code), answer) in table.iter().zip(&answers) {
        assert_eq!(answer, &[code.to_owned()], "pyotp, {algorithm} at {time}");
    }
    assert_eq!(answers[table.len()], RFC4226_CODES);
}

const RFC4226_CODES: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

/// RFC 6238 Appendix B as `(algorithm, seed, time, code)`.
fn rfc6238_table() -> Vec<(Algorithm, &'static [u8], i64, &'static str)> {
    let seeds: [(Algorithm, &[u8]); 3] = [
        (Algorithm::Sha1, b"12345678901234567890"),
        (Algorithm::Sha256, b"12345678901234567890123456789012"),
        (
            Algorithm::Sha512,
            b"1234567890123456789012345678901234567890123456789012345678901234",
        ),
    ];
    let table: [(i64, [&str; 3]); 6] = [
        (59, ["94287082", "46119246", "90693936"]),
        (1_111_111_109, ["07081804", "68084774", "25091201"]),
        (1_111_111_111, ["14050471", "67062674", "99943326"]),
        (1_234_567_890, ["89005924", "91819424", "93441116"]),
        (2_000_000_000, ["69279037", "90698825", "38618901"]),
        (20_000_000_000, ["65353130", "77737706", "47863826"]),
    ];
    let mut rows = Vec::new();
    for (i, (algorithm, seed)) in seeds.into_iter().enumerate() {
        for (time, codes) in table {
            rows.push((algorithm, seed, time, codes[i]));
        }
    }
    rows
}

// ---------------------------------------------------------------------------
// Tests: codes for latchkey's secrets
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Tests: Key URIs
// ---------------------------------------------------------------------------

/// The time URI codes are compared at.
const URI_TIME: i64 = 1_700_000_000;

/// `(issuer, account, algorithm, digits, period)` for the URIs latchkey
/// builds: spaces, '@', Unicode (Latin, CJK, emoji), URI delimiters, and
/// non-default algorithm, digits and period (up to pyotp's 120 s cap).
const LATCHKEY_URIS: [(&str, &str, Algorithm, u32, u64); 8] = [
    ("ACME Co", "jane@example.com", Algorithm::Sha1, 6, 30),
    ("npm", "jane", Algorithm::Sha256, 6, 30),
    ("GitHub", "octo cat@github.com", Algorithm::Sha1, 8, 30),
    ("Example", "bob@example.org", Algorithm::Sha512, 6, 60),
    (
        "\u{dc}n\u{ef}code Inc. & Sons", // Ünïcode Inc. & Sons
        "jos\u{e9}+tag@\u{4f8b}\u{5b50}.\u{5e7f}\u{544a}", // josé+tag@例子.广告
        Algorithm::Sha256,
        7,
        45,
    ),
    (
        "\u{1f511} Keys/Locks", // 🔑 Keys/Locks
        "a b?c#d%e=f&g@h",
        Algorithm::Sha512,
        8,
        120,
    ),
    ("100% Real", "~user_name-1.0", Algorithm::Sha1, 7, 60),
    ("", "no-issuer@example.com", Algorithm::Sha256, 8, 30),
];

/// REQ-26: every URI latchkey builds (defaults left out, others printed)
/// parses in `pyotp.parse_uri` to a TOTP with the same base32 secret,
/// issuer, account name, digits, interval and digest, and pyotp's code
/// from the parsed object is latchkey's.
#[test]
fn req_26_latchkey_key_uris_parse_in_pyotp_to_the_same_fields_and_codes() {
    if !PYOTP.available() {
        return;
    }
    let uris: Vec<KeyUri> = LATCHKEY_URIS
        .iter()
        .map(|&(issuer, account, algorithm, digits, period)| {
            let mut uri = KeyUri::new(issuer, account, OtpSecret::generate(algorithm).unwrap());
            uri.algorithm = algorithm;
            uri.digits = digits;
            uri.period = period;
            uri
        })
        .collect();
    let requests: Vec<String> = uris
        .iter()
        .map(|u| format!("parse {} {URI_TIME}", hex(&u.to_string())))
        .collect();
    for (uri, answer) in uris.iter().zip(pyotp(&requests)) {
        let text = uri.to_string();
        let [kind, secret, issuer, name, digits, interval, digest, code] = answer.as_slice() else {
            panic!("pyotp answer {answer:?} for {text}");
        };
        assert_eq!(kind, "TOTP", "{text}");
        assert_eq!(unhex(secret), uri.secret.to_base32(), "secret of {text}");
        // An empty issuer is left out of the URI, so pyotp sees none.
        let expected_issuer = Some(uri.issuer.as_str()).filter(|i| !i.is_empty());
        assert_eq!(
            unhex_opt(issuer).as_deref(),
            expected_issuer,
            "issuer of {text}"
        );
        assert_eq!(unhex(name), uri.account, "account of {text}");
        assert_eq!(digits, &uri.digits.to_string(), "digits of {text}");
        assert_eq!(interval, &uri.period.to_string(), "period of {text}");
        assert_eq!(digest, digest_name(uri.algorithm), "algorithm of {text}");
        assert_eq!(
            code,
            &uri.totp().unwrap().code_at(at(URI_TIME)).unwrap(),
            "code at {URI_TIME} of {text}"
        );
    }
}

/// `(account, issuer, digits, digest, period)` for the URIs pyotp builds:
/// its defaults, then digits 8, a 60 s interval, SHA-256 and SHA-512, all
/// at once, Unicode names, and no issuer.
const PYOTP_URIS: [(&str, Option<&str>, u32, Algorithm, u64); 8] = [
    (
        "alice@google.com",
        Some("Secure App"),
        6,
        Algorithm::Sha1,
        30,
    ),
    (
        "alice@google.com",
        Some("Secure App"),
        8,
        Algorithm::Sha1,
        30,
    ),
    (
        "alice@google.com",
        Some("Secure App"),
        6,
        Algorithm::Sha1,
        60,
    ),
    (
        "alice@google.com",
        Some("Secure App"),
        6,
        Algorithm::Sha256,
        30,
    ),
    ("bob smith", Some("ACME Co"), 8, Algorithm::Sha256, 60),
    ("carol", Some("Example"), 7, Algorithm::Sha512, 45),
    (
        "jos\u{e9}+tag@\u{4f8b}\u{5b50}.\u{5e7f}\u{544a}", // josé+tag@例子.广告
        Some("\u{dc}n\u{ef}code & \u{1f511}"),             // Ünïcode & 🔑
        6,
        Algorithm::Sha1,
        30,
    ),
    ("dave@example.com", None, 6, Algorithm::Sha1, 30),
];

/// REQ-26, REQ-27: URIs from pyotp's `provisioning_uri` (its random
/// base32 secrets; defaults, digits 8, interval 60, SHA-256/512, Unicode,
/// no issuer) parse in latchkey to the same secret, issuer, account,
/// algorithm, digits and period, and the codes agree.
#[test]
fn req_26_27_pyotp_key_uris_parse_in_latchkey_to_the_same_fields_and_codes() {
    if !PYOTP.available() {
        return;
    }
    let requests: Vec<String> = PYOTP_URIS
        .iter()
        .map(|&(account, issuer, digits, algorithm, period)| {
            format!(
                "build - {} {} {digits} {} {period} {URI_TIME}",
                hex(account),
                issuer.map_or_else(|| "-".to_owned(), hex),
                digest_name(algorithm),
            )
        })
        .collect();
    let answers = pyotp(&requests);
    for (&(account, issuer, digits, algorithm, period), answer) in PYOTP_URIS.iter().zip(&answers) {
        let [uri, secret, code] = answer.as_slice() else {
            panic!("pyotp answer {answer:?}");
        };
        let (text, secret) = (unhex(uri), unhex(secret));
        let parsed: KeyUri = text
            .parse()
            .unwrap_or_else(|e| panic!("latchkey refuses pyotp's {text}: {e}"));
        assert_eq!(parsed.secret.to_base32(), secret, "secret of {text}");
        assert_eq!(parsed.issuer, issuer.unwrap_or(""), "issuer of {text}");
        assert_eq!(parsed.account, account, "account of {text}");
        assert_eq!(parsed.algorithm, algorithm, "algorithm of {text}");
        assert_eq!(parsed.digits, digits, "digits of {text}");
        assert_eq!(parsed.period, period, "period of {text}");
        assert_eq!(
            &parsed.totp().unwrap().code_at(at(URI_TIME)).unwrap(),
            code,
            "code at {URI_TIME} of {text}"
        );
        // latchkey's own URI for what it parsed reads back the same.
        assert_eq!(parsed.to_string().parse::<KeyUri>().unwrap(), parsed);
    }
}

/// Where pyotp and latchkey part ways on names: a ':' inside the issuer or
/// the account. pyotp builds such URIs (the ':' as `%3A`, the separator
/// literal) and reads them back; so does latchkey's `KeyUri` builder. The
/// Key URI format says neither name may contain a colon, and latchkey's
/// parser refuses these URIs. What this test holds to, whichever way that
/// is settled: latchkey either refuses with a clear `InvalidUri` or reads
/// exactly pyotp's issuer and account; it never splits the label
/// elsewhere (REQ-26).
#[test]
fn req_26_colon_inside_a_name_is_refused_or_read_like_pyotp_never_misread() {
    if !PYOTP.available() {
        return;
    }
    let secret = OtpSecret::from_base32(RFC_SEED_SHA1).unwrap();
    // (issuer, account)
    let names = [
        ("A", "x:y"),
        ("A:B", "x"),
        ("Corp: EU", "ops: jane@example.com"),
    ];
    let mut uris = Vec::new();
    let mut requests: Vec<String> = names
        .iter()
        .map(|(issuer, account)| {
            format!(
                "build {} {} {} 6 sha1 30 {URI_TIME}",
                hex(RFC_SEED_SHA1),
                hex(account),
                hex(issuer)
            )
        })
        .collect();
    let built = pyotp(&requests);
    for ((issuer, account), answer) in names.iter().zip(&built) {
        uris.push((unhex(&answer[0]), *issuer, *account, "pyotp"));
        let mine = KeyUri::new(*issuer, *account, secret.clone()).to_string();
        uris.push((mine, *issuer, *account, "latchkey"));
    }
    requests = uris
        .iter()
        .map(|(text, ..)| format!("parse {} {URI_TIME}", hex(text)))
        .collect();
    for ((text, issuer, account, builder), answer) in uris.iter().zip(pyotp(&requests)) {
        assert_eq!(
            (unhex_opt(&answer[2]).as_deref(), unhex(&answer[3]).as_str()),
            (Some(*issuer), *account),
            "pyotp reading {builder}'s {text}"
        );
        match text.parse::<KeyUri>() {
            Err(Error::InvalidUri(why)) => assert!(why.contains("':'"), "{text}: {why}"),
            Ok(parsed) => assert_eq!(
                (parsed.issuer.as_str(), parsed.account.as_str()),
                (*issuer, *account),
                "latchkey misread {builder}'s {text}"
            ),
            Err(other) => panic!("{builder}'s {text}: unexpected {other:?}"),
        }
    }
}

/// REQ-27, by design stricter than pyotp: a base32 secret whose unused
/// trailing bits are not zero (here 52 characters for 32 bytes, as
/// `pyotp.random_base32(52)` gives 15 times in 16) is a clear
/// `InvalidBase32` error in latchkey, where pyotp drops the bits and uses
/// the key. The key pyotp uses is the one latchkey reads from the same
/// text with the bits cleared: the refusal is strictness, not a different
/// reading.
#[test]
fn req_27_pyotp_secret_with_nonzero_trailing_bits_is_a_clear_error_in_latchkey() {
    if !PYOTP.available() {
        return;
    }
    let dirty = format!("{}B", "A".repeat(51));
    let clean = "A".repeat(52);
    let answers = pyotp(&[
        format!("totp {} 6 sha256 30 {URI_TIME}", hex(&dirty)),
        format!(
            "build {} {} {} 6 sha256 30 {URI_TIME}",
            hex(&dirty),
            hex("jane"),
            hex("ACME")
        ),
    ]);
    let uri = unhex(&answers[1][0]);
    let expected = Totp::new(
        &OtpSecret::from_base32(&clean).unwrap(),
        Algorithm::Sha256,
        6,
        30,
    )
    .unwrap()
    .code_at(at(URI_TIME))
    .unwrap();
    assert_eq!(answers[0], [expected.as_str()], "pyotp's key for {dirty}");
    assert_eq!(answers[1][2], expected);
    for result in [
        OtpSecret::from_base32(&dirty).map(|_| ()),
        uri.parse::<KeyUri>().map(|_| ()),
    ] {
        match result {
            Err(Error::InvalidBase32(why)) => assert!(why.contains("trailing"), "{why}"),
            other => panic!("{dirty} in {uri}: {other:?}"),
        }
    }
}
