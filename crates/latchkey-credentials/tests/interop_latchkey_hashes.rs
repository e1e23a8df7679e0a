//! Hashes latchkey makes verify in the reference Argon2 implementations
//! (REQ-03, REQ-07): in argon2-cffi (Python, over the reference C code),
//! and byte for byte equal to its output and the Debian `argon2` CLI's
//! when given the same salt. See `common/` for the peers (optional on a
//! developer machine, required with `LATCHKEY_REQUIRE_PEERS=1`).

mod common;

use common::cases::{Case, FLOOR, UNICODE_PASSWORDS, latchkey_settings};
use common::peers::{CFFI, CLI, cffi, cffi_verify_request};
use latchkey_credentials::{HashSettings, Hasher, Verification};

/// Hashes latchkey makes with a random salt (`Hasher::hash`, at the default
/// and at several `below_floor` settings, ASCII and Unicode passwords)
/// verify in argon2-cffi, and a wrong password fails there.
#[test]
fn latchkey_hashes_verify_in_argon2_cffi() {
    if !CFFI.available() {
        return;
    }
    let mut expected = Vec::new();
    let mut requests = Vec::new();
    for (i, settings) in latchkey_settings().into_iter().enumerate() {
        let hasher = Hasher::new(settings);
        let passwords: Vec<&str> = if i == 0 {
            // Every password at the default settings.
            std::iter::once(FLOOR.password)
                .chain(UNICODE_PASSWORDS)
                .collect()
        } else {
            vec![
                FLOOR.password,
                UNICODE_PASSWORDS[i % UNICODE_PASSWORDS.len()],
            ]
        };
        for password in passwords {
            let phc = hasher.hash(password).unwrap();
            assert!(
                phc.starts_with(&format!(
                    "$argon2id$v=19$m={},t={},p={}$",
                    settings.memory_kib(),
                    settings.iterations(),
                    settings.parallelism()
                )),
                "{phc}"
            );
            requests.push(cffi_verify_request(&phc, password));
            expected.push(("match", password.to_owned(), phc.clone()));
            let wrong = format!("{password} ");
            requests.push(cffi_verify_request(&phc, &wrong));
            expected.push(("mismatch", wrong, phc));
        }
    }
    let answers = cffi(&requests);
    for (answer, (expected, password, phc)) in answers.iter().zip(&expected) {
        assert_eq!(
            answer, expected,
            "argon2-cffi verifying {password:?} against {phc}"
        );
    }
}

/// With the same salt, latchkey's PHC string is argon2-cffi's and the
/// CLI's, byte for byte, at the default and `below_floor` settings, for
/// ASCII and Unicode passwords.
#[test]
fn latchkey_hash_with_salt_equals_the_peers_byte_for_byte() {
    let use_cffi = CFFI.available();
    let use_cli = CLI.available();
    if !use_cffi && !use_cli {
        return;
    }
    let salt = FLOOR.salt;
    let mut cases = Vec::new();
    for settings in latchkey_settings() {
        for password in std::iter::once(FLOOR.password).chain(UNICODE_PASSWORDS) {
            cases.push(Case {
                t: settings.iterations(),
                m: settings.memory_kib(),
                p: settings.parallelism(),
                password,
                ..FLOOR
            });
        }
    }
    let mine: Vec<String> = cases
        .iter()
        .map(|c| {
            let settings = HashSettings::below_floor(c.m, c.t, c.p).unwrap();
            Hasher::new(settings)
                .hash_with_salt(c.password, salt.as_bytes())
                .unwrap()
        })
        .collect();
    if use_cffi {
        let requests: Vec<String> = cases.iter().map(Case::cffi_request).collect();
        assert_eq!(cffi(&requests), mine, "argon2-cffi differs");
    }
    if use_cli {
        for (case, mine) in cases.iter().zip(&mine) {
            assert_eq!(&case.cli_hash(), mine, "argon2 CLI differs for {case:?}");
        }
    }
}

/// REQ-03: latchkey hashes the NFKC form. A password typed decomposed
/// (`cafe` + U+0301) or with a compatibility character (the `ﬁ` ligature)
/// verifies a peer's hash of the composed form; and a latchkey hash of the
/// decomposed input verifies in argon2-cffi as the composed bytes only.
#[test]
fn req_03_nfkc_decomposed_input_verifies_composed_peer_hash() {
    if !CFFI.available() {
        return;
    }
    let composed = "caf\u{e9} au lait";
    let decomposed = "cafe\u{301} au lait";
    let ligature = "\u{fb01}sh and chips";
    let plain = "fish and chips";
    let cases = [
        Case {
            password: composed,
            ..FLOOR
        },
        Case {
            password: plain,
            ..FLOOR
        },
    ];
    let requests: Vec<String> = cases.iter().map(Case::cffi_request).collect();
    let peer = cffi(&requests);
    let hasher = Hasher::new(HashSettings::default());
    for (typed, phc) in [(decomposed, &peer[0]), (ligature, &peer[1])] {
        assert_eq!(
            hasher.verify(typed, phc).unwrap(),
            Verification::Match { rehash_due: false },
            "{typed:?} against {phc}"
        );
    }

    let mine = hasher.hash(decomposed).unwrap();
    let answers = cffi(&[
        cffi_verify_request(&mine, composed),
        cffi_verify_request(&mine, decomposed),
    ]);
    assert_eq!(answers, ["match", "mismatch"], "{mine}");
}
