//! The hashes the interop tests ask the peers for, and the settings
//! latchkey hashes with for them.

use latchkey_credentials::{HashSettings, Hasher, Verification};
use latchkey_testkit::peers;

use super::peers::hex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    I,
    D,
    Id,
}

impl Variant {
    /// The name in PHC strings, and (without `argon2`) in the CLI and the
    /// script above.
    pub fn ident(self) -> &'static str {
        match self {
            Self::I => "argon2i",
            Self::D => "argon2d",
            Self::Id => "argon2id",
        }
    }

    pub fn short(self) -> &'static str {
        &self.ident()["argon2".len()..]
    }
}

/// A hash a peer makes, and what latchkey must say about it.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub variant: Variant,
    /// 0x10 or 0x13.
    pub version: u32,
    pub t: u32,
    pub m: u32,
    pub p: u32,
    /// Output bytes.
    pub len: u32,
    pub salt: &'static str,
    pub password: &'static str,
    /// Pass memory to the CLI as `-m log2` instead of `-k KiB`.
    pub log2_memory: bool,
    /// What latchkey's default hasher must say.
    pub rehash_due: bool,
}

/// Argon2id v1.3 at latchkey's defaults: the one shape that needs no
/// rehash.
pub const FLOOR: Case = Case {
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

/// Already NFKC-normalized (checked by `check_fixtures`), so the peers
/// hash the same bytes latchkey does.
pub const UNICODE_PASSWORDS: [&str; 5] = [
    "\u{43f}\u{430}\u{440}\u{43e}\u{43b}\u{44c}-\u{442}\u{435}\u{441}\u{442}", // пароль-тест
    "\u{5bc6}\u{7801}\u{5bc6}\u{7801}",                                        // 密码密码
    "na\u{ef}ve caf\u{e9}",                                                    // naïve café
    "\u{1f511}\u{1f980} unlock \u{1f600}",                                     // 🔑🦀 unlock 😀
    "\u{3b4}\u{3b9}\u{3b1}\u{3b2}\u{3b1}\u{3c4}\u{3ae}\u{3c1}\u{3b9}\u{3bf}",  // διαβατήριο
];

/// Every peer-made case: variants, versions, parameters, output and salt
/// lengths, and Unicode passwords.
pub fn peer_cases() -> Vec<Case> {
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
    pub fn prefix(&self) -> String {
        format!(
            "${}$v={}$m={},t={},p={}$",
            self.variant.ident(),
            self.version,
            self.m,
            self.t,
            self.p
        )
    }

    pub fn cffi_request(&self) -> String {
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
    pub fn cli_hash(&self) -> String {
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
    pub fn assert_latchkey_verifies(&self, hasher: &Hasher, phc: &str, peer: &str) {
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
pub fn latchkey_settings() -> Vec<HashSettings> {
    vec![
        HashSettings::DEFAULT,
        fast(8, 1, 1),
        fast(64, 1, 2),
        fast(1024, 3, 4),
        HashSettings::RFC9106_SECOND_CHOICE,
    ]
}
