//! Interop with the reference Argon2 implementations, both ways (REQ-03,
//! REQ-07, REQ-09):
//!
//! - hashes made by argon2-cffi (Python, over the reference C code) and by
//!   the Debian `argon2` CLI, in every variant, both versions and a range of
//!   parameters, verify in latchkey's [`Hasher::verify`], which says when a
//!   rehash is due;
//! - hashes latchkey makes verify in argon2-cffi, and equal the peers'
//!   output byte for byte when given the same salt.
//!
//! The peers are optional on a developer machine: a missing one prints a
//! `SKIPPED:` line to stderr and the test passes. With
//! `LATCHKEY_REQUIRE_PEERS=1` (as in CI) a missing peer fails the test.
//!
//! Passwords travel to the peers as raw bytes (hex-encoded for Python, on
//! stdin without a newline for the CLI), never through a shell.

use latchkey_credentials::{Error, HashSettings, Hasher, Verification, normalize_password};
use latchkey_testkit::peers::{self, Peer};

// ---------------------------------------------------------------------------
// Peer detection
// ---------------------------------------------------------------------------

static CFFI: Peer = Peer::new("argon2-cffi", "pip install argon2-cffi", probe_cffi);

static CLI: Peer = Peer::new("argon2 CLI", "apt-get install argon2", probe_cli);

fn probe_cffi() -> bool {
    peers::python_imports("argon2.low_level, argon2.exceptions")
}

fn probe_cli() -> bool {
    peers::run(
        "argon2",
        &["saltsalt", "-id", "-t", "1", "-k", "8", "-p", "1", "-e"],
        b"x",
    )
    .is_ok_and(|lines| lines.first().is_some_and(|l| l.starts_with("$argon2id$")))
}

// ---------------------------------------------------------------------------
// Talking to the peers
// ---------------------------------------------------------------------------

/// Reads one request a line and answers one line each. Byte strings come
/// as hex behind an `x` (so an empty one is still a field).
///
/// - `hash VARIANT VERSION T M P LEN xPASSWORD xSALT` -> the PHC string
///   from `argon2.low_level.hash_secret`
/// - `ph xPASSWORD` -> `argon2.PasswordHasher().hash(password)` (defaults)
/// - `verify PHC xPASSWORD` -> `match`, `mismatch` or `error NAME` from
///   `argon2.PasswordHasher().verify`
const CFFI_SCRIPT: &str = r#"
import sys
from argon2 import PasswordHasher, exceptions
from argon2.low_level import Type, hash_secret

TYPES = {"i": Type.I, "d": Type.D, "id": Type.ID}

def unhex(field):
    assert field.startswith("x"), field
    return bytes.fromhex(field[1:])

for line in sys.stdin:
    f = line.split()
    if not f:
        continue
    if f[0] == "hash":
        out = hash_secret(
            unhex(f[7]),
            unhex(f[8]),
            time_cost=int(f[3]),
            memory_cost=int(f[4]),
            parallelism=int(f[5]),
            hash_len=int(f[6]),
            type=TYPES[f[1]],
            version=int(f[2]),
        ).decode("ascii")
    elif f[0] == "ph":
        out = PasswordHasher().hash(unhex(f[1]))
    elif f[0] == "verify":
        try:
            PasswordHasher().verify(f[1], unhex(f[2]))
            out = "match"
        except exceptions.VerifyMismatchError:
            out = "mismatch"
        except Exception as e:
            out = "error " + type(e).__name__
    else:
        raise SystemExit("unknown request: " + line)
    print(out, flush=True)
"#;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `requests` through one argon2-cffi process; one answer each.
fn cffi(requests: &[String]) -> Vec<String> {
    let mut input = requests.join("\n");
    input.push('\n');
    let answers = peers::run(&peers::python(), &["-c", CFFI_SCRIPT], input.as_bytes())
        .unwrap_or_else(|e| panic!("argon2-cffi script: {e}"));
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

fn cffi_verify_request(phc: &str, password: &str) -> String {
    format!("verify {phc} x{}", hex(password.as_bytes()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    I,
    D,
    Id,
}

impl Variant {
    /// The name in PHC strings, and (without `argon2`) in the CLI and the
    /// script above.
    fn ident(self) -> &'static str {
        match self {
            Self::I => "argon2i",
            Self::D => "argon2d",
            Self::Id => "argon2id",
        }
    }

    fn short(self) -> &'static str {
        &self.ident()["argon2".len()..]
    }
}

/// A hash a peer makes, and what latchkey must say about it.
#[derive(Clone, Copy, Debug)]
struct Case {
    variant: Variant,
    /// 0x10 or 0x13.
    version: u32,
    t: u32,
    m: u32,
    p: u32,
    /// Output bytes.
    len: u32,
    salt: &'static str,
    password: &'static str,
    /// Pass memory to the CLI as `-m log2` instead of `-k KiB`.
    log2_memory: bool,
    /// What latchkey's default hasher must say.
    rehash_due: bool,
}

/// Argon2id v1.3 at latchkey's defaults: the one shape that needs no
/// rehash.
const FLOOR: Case = Case {
    variant: Variant::Id,
    version: 0x13,
    t: 2,
    m: 19_456,
    p: 1,
    len: 32,
    salt: "latchkey-interop",
    password: "correct horse battery staple",
    log2_memory: false,
    rehash_due: false,
};

/// Already NFKC-normalized (checked in [`check_fixtures`]), so the peers
/// hash the same bytes latchkey does.
const UNICODE_PASSWORDS: [&str; 5] = [
    "\u{43f}\u{430}\u{440}\u{43e}\u{43b}\u{44c}-\u{442}\u{435}\u{441}\u{442}", // пароль-тест
    "\u{5bc6}\u{7801}\u{5bc6}\u{7801}",                                        // 密码密码
    "na\u{ef}ve caf\u{e9}",                                                    // naïve café
    "\u{1f511}\u{1f980} unlock \u{1f600}",                                     // 🔑🦀 unlock 😀
    "\u{3b4}\u{3b9}\u{3b1}\u{3b2}\u{3b1}\u{3c4}\u{3ae}\u{3c1}\u{3b9}\u{3bf}",  // διαβατήριο
];

/// Every peer-made case: variants, versions, parameters, output and salt
/// lengths, and Unicode passwords.
fn peer_cases() -> Vec<Case> {
    let mut cases = vec![
        FLOOR,
        // RFC 9106's second choice (argon2-cffi's default).
        Case {
            t: 3,
            m: 65_536,
            p: 4,
            log2_memory: true,
            rehash_due: true,
            ..FLOOR
        },
        // Small ones.
        Case {
            t: 1,
            m: 64,
            p: 1,
            rehash_due: true,
            ..FLOOR
        },
        Case {
            t: 1,
            m: 64,
            p: 2,
            rehash_due: true,
            ..FLOOR
        },
        Case {
            t: 3,
            m: 1024,
            p: 2,
            log2_memory: true,
            rehash_due: true,
            ..FLOOR
        },
        // Other variants at the floor's costs.
        Case {
            variant: Variant::I,
            rehash_due: true,
            ..FLOOR
        },
        Case {
            variant: Variant::D,
            rehash_due: true,
            ..FLOOR
        },
        // Version 0x10, each variant.
        Case {
            version: 0x10,
            rehash_due: true,
            ..FLOOR
        },
        Case {
            variant: Variant::I,
            version: 0x10,
            t: 1,
            m: 64,
            p: 2,
            rehash_due: true,
            ..FLOOR
        },
        Case {
            variant: Variant::D,
            version: 0x10,
            t: 1,
            m: 64,
            p: 1,
            rehash_due: true,
            ..FLOOR
        },
        // Floor costs, but a short output or a short salt.
        Case {
            len: 16,
            rehash_due: true,
            ..FLOOR
        },
        Case {
            len: 64,
            rehash_due: true,
            ..FLOOR
        },
        Case {
            salt: "saltsalt",
            rehash_due: true,
            ..FLOOR
        },
        // A longer salt is fine.
        Case {
            salt: "a-thirty-two-byte-salt-for-tests",
            ..FLOOR
        },
    ];
    for password in UNICODE_PASSWORDS {
        cases.push(Case { password, ..FLOOR });
        cases.push(Case {
            variant: Variant::I,
            version: 0x10,
            t: 1,
            m: 64,
            p: 2,
            password,
            rehash_due: true,
            ..FLOOR
        });
    }
    cases
}

impl Case {
    fn prefix(&self) -> String {
        format!(
            "${}$v={}$m={},t={},p={}$",
            self.variant.ident(),
            self.version,
            self.m,
            self.t,
            self.p
        )
    }

    fn cffi_request(&self) -> String {
        format!(
            "hash {} {} {} {} {} {} x{} x{}",
            self.variant.short(),
            self.version,
            self.t,
            self.m,
            self.p,
            self.len,
            hex(self.password.as_bytes()),
            hex(self.salt.as_bytes()),
        )
    }

    /// The PHC string from the Debian `argon2` CLI.
    fn cli_hash(&self) -> String {
        let memory = if self.log2_memory {
            assert!(self.m.is_power_of_two(), "{self:?}");
            ["-m".to_owned(), self.m.trailing_zeros().to_string()]
        } else {
            ["-k".to_owned(), self.m.to_string()]
        };
        let version = if self.version == 0x10 { "10" } else { "13" };
        let (t, p, len) = (self.t.to_string(), self.p.to_string(), self.len.to_string());
        let variant = format!("-{}", self.variant.short());
        let mut args = vec![self.salt, variant.as_str(), "-t", &t];
        args.extend(memory.iter().map(String::as_str));
        args.extend(["-p", &p, "-l", &len, "-v", version, "-e"]);
        let lines = peers::run("argon2", &args, self.password.as_bytes())
            .unwrap_or_else(|e| panic!("argon2 CLI for {self:?}: {e}"));
        lines.concat()
    }

    /// latchkey's default hasher verifies `phc` (made by a peer from this
    /// case): Match with the expected `rehash_due` for the password,
    /// Mismatch for another.
    fn assert_latchkey_verifies(&self, hasher: &Hasher, phc: &str, peer: &str) {
        assert!(
            phc.starts_with(&self.prefix()),
            "{peer} made {phc} for {self:?}"
        );
        assert_eq!(
            hasher.verify(self.password, phc).unwrap(),
            Verification::Match {
                rehash_due: self.rehash_due
            },
            "{peer} hash {phc} of {self:?}"
        );
        assert_eq!(hasher.needs_rehash(phc).unwrap(), self.rehash_due, "{phc}");
        let wrong = format!("{}!", self.password);
        assert_eq!(
            hasher.verify(&wrong, phc).unwrap(),
            Verification::Mismatch,
            "{peer} hash {phc} verified a wrong password"
        );
    }
}

fn fast(memory_kib: u32, iterations: u32, parallelism: u32) -> HashSettings {
    HashSettings::below_floor(memory_kib, iterations, parallelism).unwrap()
}

/// The settings latchkey hashes with in the latchkey-to-peer tests.
fn latchkey_settings() -> Vec<HashSettings> {
    vec![
        HashSettings::DEFAULT,
        fast(8, 1, 1),
        fast(64, 1, 2),
        fast(1024, 3, 4),
        HashSettings::RFC9106_SECOND_CHOICE,
    ]
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

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

/// The OWASP-floor string of REQUIREMENTS.md comes out of the CLI, and
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
            matches!(result, Err(Error::MalformedHash(_))),
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
