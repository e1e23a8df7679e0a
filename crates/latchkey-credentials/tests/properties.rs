//! Property tests: the policy and the verifier never panic, whatever the
//! input (an attacker controls the password and, through a compromised or
//! migrated store, possibly the PHC string); the policy refuses anything
//! over 128 code points (REQ-02); a stored hash over the verify limits is
//! refused before any Argon2 work; hashing round-trips every acceptable
//! password, in any Unicode normalization form (REQ-03); NFKC
//! normalization is idempotent.
//!
//! Argon2 work runs at `below_floor(8, 1, 1)` and under tight
//! [`VerifyLimits`] so the whole file runs in seconds.

use latchkey_credentials::{
    Error, HashSettings, Hasher, MAX_PASSWORD_CHARS, MAX_PASSWORD_INPUT_BYTES, PasswordPolicy,
    PolicyContext, Refusal, Verification, VerifyLimits, normalize_password,
};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

/// The caps every fuzzed PHC string is held to: nothing costs more than
/// 1 MiB and 4 passes.
const LIMITS: VerifyLimits = VerifyLimits {
    max_memory_kib: 1024,
    max_iterations: 4,
    max_parallelism: 4,
};

/// A cheap hasher (tests only) with tight verify limits.
fn fast_hasher() -> Hasher {
    Hasher::new(HashSettings::below_floor(8, 1, 1).unwrap()).with_verify_limits(LIMITS)
}

/// Strings of every shape: arbitrary code points, printable text, and long
/// strings of up to 600 characters (over the 128 limit).
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        ".*",
        "\\PC{0,600}",
        "[a-z0-9 ]{100,600}",
        prop::collection::vec(any::<char>(), 0..600).prop_map(|v| v.into_iter().collect()),
        // Many combining marks and compatibility characters: NFKC changes
        // the length both ways.
        "[a-e\u{301}\u{308}\u{fb01}\u{fdfa}\u{3300}]{0,300}",
    ]
}

/// Whether `password` is over the bounds latchkey measures: code points
/// after NFKC, or raw bytes.
fn over_the_limit(password: &str) -> bool {
    password.len() > MAX_PASSWORD_INPUT_BYTES || password.nfkc().count() > MAX_PASSWORD_CHARS
}

/// Standard Base64 without padding, as in PHC strings.
fn encode_b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// A Base64 field of a PHC string: mostly canonical Base64 of `valid`
/// bytes (so it parses), sometimes of any length up to 100 bytes,
/// Base64-like text, or any text.
fn b64(valid: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop_oneof![
        20 => prop::collection::vec(any::<u8>(), valid).prop_map(|b| encode_b64(&b)),
        1 => prop::collection::vec(any::<u8>(), 0..100).prop_map(|b| encode_b64(&b)),
        1 => "[A-Za-z0-9+/=]{0,100}",
        1 => ".{0,24}",
    ]
}

/// A cost parameter: mostly small (so the string parses and runs under
/// the limits), sometimes just over a limit, sometimes any `u32` (which
/// must be refused before any work).
fn cost(small: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = String> {
    prop_oneof![
        24 => small.prop_map(|n| n.to_string()),
        1 => (0u32..=2048).prop_map(|n| n.to_string()),
        1 => any::<u32>().prop_map(|n| n.to_string()),
        1 => "[0-9]{0,12}|-1|0x10|[0-9]+[a-z]",
    ]
}

/// PHC-shaped strings, mostly valid Argon2 ones within the limits (so the
/// verifier does real work), with every field sometimes out of range or
/// malformed: variant, version, costs, extra parameters, salt, output.
fn phc_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            12 => prop_oneof![Just("argon2id"), Just("argon2i"), Just("argon2d")],
            1 => prop_oneof![Just("argon2x"), Just("bcrypt"), Just(""), Just("ARGON2ID")],
        ],
        prop_oneof![
            10 => prop_oneof![Just("$v=19".to_owned()), Just("$v=16".to_owned())],
            1 => Just(String::new()),
            1 => any::<u32>().prop_map(|v| format!("$v={v}")),
        ],
        (cost(8..=1100), cost(1..=5), cost(1..=5)),
        prop_oneof![
            12 => Just(String::new()),
            1 => prop_oneof![
                Just(",keyid=AAAAAA".to_owned()),
                Just(",data=AAAAAA".to_owned()),
                Just(",m=64".to_owned()),
            ],
            1 => ",[a-z]{1,4}=[A-Za-z0-9]{0,8}",
        ],
        b64(8..=48),
        b64(10..=64),
    )
        .prop_map(|(alg, version, (m, t, p), extra, salt, out)| {
            format!("${alg}{version}$m={m},t={t},p={p}{extra}${salt}${out}")
        })
}

/// Checks that a verification that returned `Ok` was within the limits.
fn assert_within_limits(phc: &str) {
    let params = phc.split('$').nth(3).unwrap_or("");
    for (key, max) in [
        ("m=", LIMITS.max_memory_kib),
        ("t=", LIMITS.max_iterations),
        ("p=", LIMITS.max_parallelism),
    ] {
        for value in params.split(',').filter_map(|kv| kv.strip_prefix(key)) {
            if let Ok(value) = value.parse::<u64>() {
                assert!(
                    value <= u64::from(max),
                    "{phc} was verified although {key}{value} is over the limit"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// REQ-02: the policy answers every string without panicking, and
    /// refuses anything over 128 code points (after NFKC) as too long,
    /// with that one reason.
    #[test]
    fn req_02_policy_check_never_panics_and_refuses_over_128(
        password in any_text(),
        username in prop::option::of(".{0,40}"),
    ) {
        let policy = PasswordPolicy::new().with_service_name("latchkey");
        let outcome = policy.check(&password, PolicyContext { username: username.as_deref() });
        prop_assert_eq!(outcome.is_accepted(), outcome.reasons().is_empty());
        if over_the_limit(&password) {
            prop_assert_eq!(
                outcome.reasons(),
                &[Refusal::TooLong { max: MAX_PASSWORD_CHARS }][..]
            );
        } else {
            let too_long = Refusal::TooLong { max: MAX_PASSWORD_CHARS };
            prop_assert!(!outcome.reasons().contains(&too_long), "{:?}", outcome);
        }
    }

    /// REQ-02: plain strings of 129 to 600 characters are always refused.
    #[test]
    fn req_02_every_string_over_128_characters_is_refused(
        password in "[a-zA-Z0-9 \u{430}-\u{44f}\u{4e00}-\u{4e1f}]{129,600}",
    ) {
        let outcome = PasswordPolicy::new().check(&password, PolicyContext::default());
        prop_assert!(!outcome.is_accepted());
        let too_long = Refusal::TooLong { max: MAX_PASSWORD_CHARS };
        prop_assert!(outcome.reasons().contains(&too_long), "{:?}", outcome);
    }

    /// `normalize_password` is idempotent, and refuses exactly the inputs
    /// over the byte or code-point bounds.
    #[test]
    fn normalize_password_is_idempotent(raw in any_text()) {
        match normalize_password(&raw) {
            Ok(once) => {
                prop_assert!(!over_the_limit(&raw));
                let twice = normalize_password(&once).unwrap();
                prop_assert_eq!(once.as_str(), twice.as_str());
                prop_assert!(once.chars().count() <= MAX_PASSWORD_CHARS);
            }
            Err(Error::PasswordTooLong { max }) => {
                prop_assert_eq!(max, MAX_PASSWORD_CHARS);
                prop_assert!(over_the_limit(&raw));
            }
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    /// The verifier answers `Ok` or `Err`, never panics, whatever the
    /// stored string.
    #[test]
    fn verify_never_panics_on_arbitrary_phc(phc in any_text(), password in ".{0,20}") {
        let hasher = fast_hasher();
        if hasher.verify(&password, &phc).is_ok() {
            assert_within_limits(&phc);
        }
        let _ = hasher.needs_rehash(&phc);
    }

    /// The same for PHC-shaped strings with arbitrary numbers: costs over
    /// the limits and malformed strings are refused before any Argon2 work;
    /// the rest cost exactly one run; none panics.
    #[test]
    fn verify_never_panics_on_phc_shaped_strings(phc in phc_like(), password in ".{0,20}") {
        let hasher = fast_hasher();
        let verified = hasher.verify(&password, &phc);
        let runs = hasher.runs();
        match verified {
            Ok(_) => {
                assert_within_limits(&phc);
                prop_assert_eq!(runs, 1, "one Argon2 run for {}", phc);
            }
            Err(Error::MalformedHash { .. } | Error::HashTooExpensive { .. }) => {
                prop_assert_eq!(runs, 0, "refused before any work: {}", phc);
            }
            Err(other) => prop_assert!(false, "unexpected error {other:?} for {phc}"),
        }
        let _ = hasher.needs_rehash(&phc);
    }

    /// A valid hash with one byte changed (to any ASCII byte) never makes
    /// the verifier panic.
    #[test]
    fn verify_never_panics_on_corrupted_hash(index in any::<prop::sample::Index>(), byte in 0x20u8..0x7f) {
        let hasher = fast_hasher();
        let mut phc = hasher.hash_with_salt("violet umbrella sky", b"0123456789abcdef").unwrap().into_bytes();
        let at = index.index(phc.len());
        phc[at] = byte;
        let phc = String::from_utf8(phc).unwrap();
        let _ = hasher.verify("violet umbrella sky", &phc);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// REQ-03: any acceptable password hashes and then verifies (as typed,
    /// and in its decomposed forms); a password that differs after NFKC
    /// does not; an over-long one is refused, never truncated.
    #[test]
    fn req_03_hash_then_verify_round_trips(
        password in prop_oneof!["\\PC{0,128}", any::<String>(), "[a-e\u{301}\u{308}\u{fb01}]{0,128}"],
        other in prop_oneof![".{0,128}", "\\PC{0,12}"],
    ) {
        let hasher = fast_hasher();
        let Ok(normalized) = normalize_password(&password) else {
            let refused = matches!(hasher.hash(&password), Err(Error::PasswordTooLong { .. }));
            prop_assert!(refused, "an over-long password must be refused, not truncated");
            return Ok(());
        };
        let phc = hasher.hash(&password).unwrap();
        prop_assert_eq!(
            hasher.verify(&password, &phc).unwrap(),
            Verification::Match { rehash_due: false }
        );
        for form in [password.nfd().collect::<String>(), password.nfkd().collect::<String>()] {
            if form.len() <= MAX_PASSWORD_INPUT_BYTES {
                prop_assert!(hasher.verify(&form, &phc).unwrap().is_match());
            }
        }
        match normalize_password(&other) {
            Ok(o) if o.as_str() != normalized.as_str() => {
                prop_assert_eq!(hasher.verify(&other, &phc).unwrap(), Verification::Mismatch);
            }
            _ => {}
        }
        let longer = format!("{password}!");
        if normalize_password(&longer).is_ok() {
            prop_assert_eq!(hasher.verify(&longer, &phc).unwrap(), Verification::Mismatch);
        }
    }
}

/// The test's Base64 encoder is the PHC one (checked against strings from
/// docs/security.md and the peers).
#[test]
fn encode_b64_is_phc_base64() {
    assert_eq!(encode_b64(b"somesaltsomesalt"), "c29tZXNhbHRzb21lc2FsdA");
    assert_eq!(encode_b64(b"saltsalt"), "c2FsdHNhbHQ");
    assert_eq!(encode_b64(b""), "");
    assert_eq!(encode_b64(b"f"), "Zg");
    assert_eq!(encode_b64(b"fo"), "Zm8");
    assert_eq!(encode_b64(b"foo"), "Zm9v");
}
