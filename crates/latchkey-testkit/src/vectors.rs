//! The published test vectors latchkey is checked against, in one place
//! (docs/security.md, "Test vectors"; every value reproduced with
//! oathtool, pyotp and a Python HMAC).
//!
//! Plain data only (no latchkey type but in [`Sha::algorithm`]), so a
//! crate's own unit tests can use them too.
//!
//! ```
//! use latchkey_testkit::vectors::{self, Sha};
//! assert_eq!(vectors::RFC4226_CODES[0], "755224");
//! let first = vectors::rfc6238_cases().next().unwrap();
//! assert_eq!((first.sha, first.time, first.code), (Sha::Sha1, 59, "94287082"));
//! assert_eq!(first.sha.seed(), vectors::RFC6238_SEED_SHA1);
//! ```

/// RFC 4226 Appendix D: the HOTP secret (ASCII), also RFC 6238's SHA-1 seed.
pub const RFC4226_SECRET: &[u8] = b"12345678901234567890";

/// RFC 4226 Appendix D: the 6-digit HOTP codes for counters 0 to 9.
pub const RFC4226_CODES: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

/// RFC 4226 Appendix D: the dynamically truncated 31-bit values for
/// counters 0 to 9 (the codes are these modulo 10^6).
pub const RFC4226_TRUNCATED: [u32; 10] = [
    1_284_755_224,
    1_094_287_082,
    137_359_152,
    1_726_969_429,
    1_640_338_314,
    868_254_676,
    1_918_287_922,
    82_162_583,
    673_399_871,
    645_520_489,
];

/// RFC 6238 Appendix B: the SHA-1 seed (ASCII, 20 bytes).
pub const RFC6238_SEED_SHA1: &[u8] = b"12345678901234567890";
/// RFC 6238 Appendix B: the SHA-256 seed (ASCII, 32 bytes).
pub const RFC6238_SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
/// RFC 6238 Appendix B: the SHA-512 seed (ASCII, 64 bytes).
pub const RFC6238_SEED_SHA512: &[u8] =
    b"1234567890123456789012345678901234567890123456789012345678901234";
/// The SHA-1 seed in base32, as authenticator apps and oathtool take it.
pub const RFC6238_SEED_SHA1_BASE32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// RFC 6238 Appendix B: seconds per step (X).
pub const RFC6238_PERIOD: u64 = 30;
/// RFC 6238 Appendix B: digits per code.
pub const RFC6238_DIGITS: u32 = 8;

/// RFC 6238 Appendix B: `(unix time, [SHA-1, SHA-256, SHA-512 code])`.
pub const RFC6238_TABLE: [(i64, [&str; 3]); 6] = [
    (59, ["94287082", "46119246", "90693936"]),
    (1_111_111_109, ["07081804", "68084774", "25091201"]),
    (1_111_111_111, ["14050471", "67062674", "99943326"]),
    (1_234_567_890, ["89005924", "91819424", "93441116"]),
    (2_000_000_000, ["69279037", "90698825", "38618901"]),
    (20_000_000_000, ["65353130", "77737706", "47863826"]),
];

/// The HMAC hash of an RFC 6238 vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sha {
    /// HMAC-SHA-1.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Sha {
    /// All three, in the table's column order.
    pub const ALL: [Self; 3] = [Self::Sha1, Self::Sha256, Self::Sha512];

    /// Its seed in RFC 6238 Appendix B.
    #[must_use]
    pub fn seed(self) -> &'static [u8] {
        match self {
            Self::Sha1 => RFC6238_SEED_SHA1,
            Self::Sha256 => RFC6238_SEED_SHA256,
            Self::Sha512 => RFC6238_SEED_SHA512,
        }
    }

    /// Its name as oathtool's `--totp=` and otpauth URIs write it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// The same hash as a [`latchkey_otp::Algorithm`].
    #[must_use]
    pub fn algorithm(self) -> latchkey_otp::Algorithm {
        match self {
            Self::Sha1 => latchkey_otp::Algorithm::Sha1,
            Self::Sha256 => latchkey_otp::Algorithm::Sha256,
            Self::Sha512 => latchkey_otp::Algorithm::Sha512,
        }
    }
}

/// One row and column of RFC 6238 Appendix B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpCase {
    /// The hash (its seed is [`Sha::seed`]).
    pub sha: Sha,
    /// Unix time in seconds.
    pub time: i64,
    /// The 8-digit code.
    pub code: &'static str,
}

/// Every RFC 6238 Appendix B vector (18): SHA-1's six, then SHA-256's,
/// then SHA-512's.
pub fn rfc6238_cases() -> impl Iterator<Item = TotpCase> {
    Sha::ALL.into_iter().enumerate().flat_map(|(column, sha)| {
        RFC6238_TABLE
            .into_iter()
            .map(move |(time, codes)| TotpCase {
                sha,
                time,
                code: codes[column],
            })
    })
}

/// RFC 4648 section 10: `(data, base32 with padding)`.
pub const RFC4648_BASE32: [(&str, &str); 7] = [
    ("", ""),
    ("f", "MY======"),
    ("fo", "MZXQ===="),
    ("foo", "MZXW6==="),
    ("foob", "MZXW6YQ="),
    ("fooba", "MZXW6YTB"),
    ("foobar", "MZXW6YTBOI======"),
];

/// The Argon2id known answer of RFC 9106 section 5.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Vector {
    /// The password (32 bytes of 0x01).
    pub password: [u8; 32],
    /// The salt (16 bytes of 0x02).
    pub salt: [u8; 16],
    /// The secret key (8 bytes of 0x03).
    pub secret: [u8; 8],
    /// The associated data (12 bytes of 0x04).
    pub associated_data: [u8; 12],
    /// Passes (t).
    pub t_cost: u32,
    /// Memory in KiB (m).
    pub m_cost: u32,
    /// Lanes (p).
    pub p_cost: u32,
    /// The 32-byte tag, in lowercase hex.
    pub tag_hex: &'static str,
}

/// RFC 9106 section 5.3 (Argon2id, version 0x13).
pub const RFC9106_ARGON2ID: Argon2Vector = Argon2Vector {
    password: [1; 32],
    salt: [2; 16],
    secret: [3; 8],
    associated_data: [4; 12],
    t_cost: 3,
    m_cost: 32,
    p_cost: 4,
    tag_hex: "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
};

/// The OWASP floor (m = 19456 KiB, t = 2, p = 1): the password.
pub const OWASP_PASSWORD: &str = "password";
/// The OWASP floor: the salt.
pub const OWASP_SALT: &[u8] = b"somesaltsomesalt";
/// The OWASP floor PHC string of [`OWASP_PASSWORD`] and [`OWASP_SALT`], as
/// the reference `argon2` CLI and argon2-cffi both make it.
pub const OWASP_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$K13EBUiG7JV+9ZxztmHFTdb7J0WQsnj2V8bZaqyPptE";

#[cfg(test)]
mod tests {
    use latchkey_credentials::{HashSettings, Hasher, Verification};
    use latchkey_otp::{Hotp, OtpSecret, Totp};
    use time::OffsetDateTime;

    use super::*;

    #[test]
    fn rfc4226_codes_are_the_truncated_values_and_latchkeys_hotp() {
        let secret = OtpSecret::from_bytes(RFC4226_SECRET).expect("the RFC secret is 160 bits");
        let hotp = Hotp::new(&secret, latchkey_otp::Algorithm::Sha1, 6).expect("6 digits");
        for (counter, (code, truncated)) in RFC4226_CODES.iter().zip(RFC4226_TRUNCATED).enumerate()
        {
            assert_eq!(
                format!("{:06}", truncated % 1_000_000),
                *code,
                "counter {counter}: code is truncated mod 10^6"
            );
            assert_eq!(
                hotp.code(counter as u64),
                *code,
                "counter {counter}: latchkey's HOTP"
            );
        }
    }

    #[test]
    fn rfc6238_cases_cover_the_table_and_match_latchkeys_totp() {
        let cases: Vec<TotpCase> = rfc6238_cases().collect();
        assert_eq!(cases.len(), 18, "six times for each of three hashes");
        for case in cases {
            let secret =
                OtpSecret::from_bytes(case.sha.seed()).expect("the RFC seeds are long enough");
            let totp = Totp::new(
                &secret,
                case.sha.algorithm(),
                RFC6238_DIGITS,
                RFC6238_PERIOD,
            )
            .expect("the RFC parameters are valid");
            let at = OffsetDateTime::from_unix_timestamp(case.time).expect("a valid time");
            let code = totp.code_at(at).expect("a time after 1970");
            assert_eq!(code, case.code, "{} at {}", case.sha.name(), case.time);
        }
    }

    #[test]
    fn base32_vectors_and_the_seed_in_base32() {
        for (plain, encoded) in RFC4648_BASE32 {
            assert_eq!(
                data_encoding::BASE32.encode(plain.as_bytes()),
                encoded,
                "BASE32({plain:?})"
            );
        }
        let seed = OtpSecret::from_bytes(RFC6238_SEED_SHA1).expect("160 bits");
        assert_eq!(
            seed.to_base32(),
            RFC6238_SEED_SHA1_BASE32,
            "the SHA-1 seed in base32"
        );
    }

    #[test]
    fn owasp_phc_string_is_latchkeys_default_hash() {
        let hasher = Hasher::new(HashSettings::default());
        let phc = hasher
            .hash_with_salt(OWASP_PASSWORD, OWASP_SALT)
            .expect("hashing with the OWASP floor");
        assert_eq!(
            phc, OWASP_PHC,
            "latchkey's default settings must make the reference string"
        );
        assert_eq!(
            hasher
                .verify(OWASP_PASSWORD, OWASP_PHC)
                .expect("verifying the reference"),
            Verification::Match { rehash_due: false },
            "the reference string must verify"
        );
        assert_eq!(RFC9106_ARGON2ID.tag_hex.len(), 64, "a 32-byte tag");
    }
}
