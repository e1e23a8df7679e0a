//! Hashes the reference Argon2 implementations make verify in latchkey
//! (REQ-07, REQ-09): argon2-cffi (Python, over the reference C code) and
//! the Debian `argon2` CLI, in every variant, both versions and a range of
//! parameters, verify in latchkey's [`Hasher::verify`], which says when a
//! rehash is due. See `common/` for the peers (optional on a developer
//! machine, required with `LATCHKEY_REQUIRE_PEERS=1`).

mod common;

use common::cases::{Case, FLOOR, UNICODE_PASSWORDS, Variant, peer_cases};
use common::peers::{CFFI, CLI, cffi, cffi_verify_request, hex};
use latchkey_credentials::{Error, HashSettings, Hasher, Verification, normalize_password};

/// The fixtures are what they claim: Unicode passwords already in NFKC (so
/// a peer given their bytes hashes what latchkey hashes).
#[test]
fn check_fixtures() {
    for case in peer_cases() {
        assert_eq!(
            normalize_password(case.password).unwrap().as_str(),
            case.password,
            "{case:?} is not NFKC"
        );
    }
    assert!(UNICODE_PASSWORDS.iter().all(|p| !p.is_ascii()));
}

/// REQ-07, REQ-09: argon2-cffi hashes (argon2i, argon2d, argon2id; v=16 and
/// v=19; m=64..65536, t=1..3, p=1..4; 16- to 64-byte outputs; 8- to 32-byte
/// salts; Unicode passwords) verify in latchkey, which asks for a rehash
/// unless the hash is Argon2id v1.3 at m=19456, t=2, p=1 with a 32-byte
/// output and a salt of at least 16 bytes.
#[test]
fn req_09_argon2_cffi_hashes_verify_in_latchkey() {
    if !CFFI.available() {
        return;
    }
    let cases = peer_cases();
    let requests: Vec<String> = cases.iter().map(Case::cffi_request).collect();
    let hasher = Hasher::new(HashSettings::default());
    for (case, phc) in cases.iter().zip(cffi(&requests)) {
        case.assert_latchkey_verifies(&hasher, &phc, "argon2-cffi");
    }
}

/// argon2-cffi's `PasswordHasher` defaults are RFC 9106's second choice
/// (m=65536, t=3, p=4, random 16-byte salt): latchkey at its default asks
/// for a rehash; latchkey at `RFC9106_SECOND_CHOICE` does not (REQ-07,
/// REQ-09).
#[test]
fn req_07_argon2_cffi_default_hasher_is_rfc9106_second_choice() {
    if !CFFI.available() {
        return;
    }
    let passwords = ["violet umbrella sky", UNICODE_PASSWORDS[3]];
    let requests: Vec<String> = passwords
        .iter()
        .map(|p| format!("ph x{}", hex(p.as_bytes())))
        .collect();
    let default = Hasher::new(HashSettings::default());
    let second = Hasher::new(HashSettings::RFC9106_SECOND_CHOICE);
    for (password, phc) in passwords.iter().zip(cffi(&requests)) {
        assert!(phc.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"), "{phc}");
        assert_eq!(
            default.verify(password, &phc).unwrap(),
            Verification::Match { rehash_due: true }
        );
        assert_eq!(
            second.verify(password, &phc).unwrap(),
            Verification::Match { rehash_due: false }
        );
        assert_eq!(
            second.verify("violet umbrella skY", &phc).unwrap(),
            Verification::Mismatch
        );
    }
}

/// A PHC string without `v=` is version 0x10 to the reference code, and to
/// latchkey.
#[test]
fn phc_without_version_is_0x10_like_the_reference() {
    if !CFFI.available() {
        return;
    }
    let case = Case {
        variant: Variant::I,
        version: 0x10,
        t: 1,
        m: 64,
        p: 2,
        rehash_due: true,
        ..FLOOR
    };
    let with_version = cffi(&[case.cffi_request()]).remove(0);
    let without = with_version.replacen("$v=16$", "$", 1);
    assert_ne!(with_version, without);
    let answers = cffi(&[
        cffi_verify_request(&without, case.password),
        cffi_verify_request(&without, "not it"),
    ]);
    assert_eq!(answers, ["match", "mismatch"], "{without}");
    let hasher = Hasher::new(HashSettings::default());
    assert_eq!(
        hasher.verify(case.password, &without).unwrap(),
        Verification::Match { rehash_due: true }
    );
    assert_eq!(
        hasher.verify("not it", &without).unwrap(),
        Verification::Mismatch
    );
}

/// REQ-07, REQ-09: hashes from the Debian `argon2` CLI (salt as an
/// argument, password on stdin without a newline; memory as `-k` and as
/// `-m log2`) verify in latchkey, with the same rehash answers.
#[test]
fn req_09_argon2_cli_hashes_verify_in_latchkey() {
    if !CLI.available() {
        return;
    }
    let hasher = Hasher::new(HashSettings::default());
    for case in peer_cases() {
        let phc = case.cli_hash();
        case.assert_latchkey_verifies(&hasher, &phc, "argon2 CLI");
    }
}

/// The OWASP-floor string of docs/security.md comes out of the CLI, and
/// latchkey verifies it without asking for a rehash.
#[test]
fn req_07_requirements_reference_string_from_the_cli() {
    if !CLI.available() {
        return;
    }
    const REFERENCE: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$K13EBUiG7JV+9ZxztmHFTdb7J0WQsnj2V8bZaqyPptE";
    let case = Case {
        salt: "somesaltsomesalt",
        password: "password",
        ..FLOOR
    };
    assert_eq!(case.cli_hash(), REFERENCE);
    let hasher = Hasher::new(HashSettings::default());
    assert_eq!(
        hasher.verify("password", REFERENCE).unwrap(),
        Verification::Match { rehash_due: false }
    );
}

/// Known limit: the reference implementations allow Argon2 outputs of 4
/// bytes and up, but PHC strings in the `argon2` crate carry 10 to 64
/// bytes. A peer hash outside that range is a clear `MalformedHash` error
/// for the host to see: never a panic, and never a silent `Mismatch`.
#[test]
fn peer_hash_with_output_outside_10_to_64_bytes_is_an_error_not_a_mismatch() {
    if !CFFI.available() {
        return;
    }
    let cases = [4, 9, 65, 128].map(|len| Case {
        t: 1,
        m: 64,
        len,
        rehash_due: true,
        ..FLOOR
    });
    let requests: Vec<String> = cases.iter().map(Case::cffi_request).collect();
    let hasher = Hasher::new(HashSettings::default());
    for (case, phc) in cases.iter().zip(cffi(&requests)) {
        assert!(phc.starts_with(&case.prefix()), "{phc}");
        let result = hasher.verify(case.password, &phc);
        assert!(
            matches!(result, Err(Error::MalformedHash { .. })),
            "{} output bytes: {result:?}",
            case.len
        );
    }
    // The bounds themselves work.
    let edges = [10, 64].map(|len| Case {
        t: 1,
        m: 64,
        len,
        rehash_due: true,
        ..FLOOR
    });
    let requests: Vec<String> = edges.iter().map(Case::cffi_request).collect();
    for (case, phc) in edges.iter().zip(cffi(&requests)) {
        case.assert_latchkey_verifies(&hasher, &phc, "argon2-cffi");
    }
}
