//! Verification of stored Argon2 PHC strings: parsing them within
//! [`VerifyLimits`], comparing in constant time, and saying when a rehash
//! is due.

use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Params, Version};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::{Hasher, OUTPUT_LEN, SALT_LEN};
use crate::{Error, HashSettings, normalize_password};

/// What [`Hasher::verify`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Verification {
    /// The password matches. When `rehash_due`, the stored hash was made
    /// with other settings (another variant, version or cost) and should
    /// be replaced with a fresh [`Hasher::hash`] (REQ-09).
    Match {
        /// Whether the stored hash differs from the current settings.
        rehash_due: bool,
    },
    /// The password does not match.
    Mismatch,
}

impl Verification {
    /// Whether the password matched.
    #[must_use]
    pub fn is_match(self) -> bool {
        matches!(self, Self::Match { .. })
    }
}

/// Caps on the cost a stored hash may ask of the verifier, so a hash from
/// elsewhere (or a corrupted row) cannot exhaust memory or CPU.
///
/// ```
/// use latchkey_credentials::VerifyLimits;
/// let limits = VerifyLimits::default();
/// assert_eq!(limits.max_memory_kib, 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyLimits {
    /// Most memory a stored hash may ask for, in KiB (default 1 GiB).
    pub max_memory_kib: u32,
    /// Most passes (default 64).
    pub max_iterations: u32,
    /// Most lanes (default 64).
    pub max_parallelism: u32,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self {
            max_memory_kib: 1 << 20,
            max_iterations: 64,
            max_parallelism: HashSettings::MAX_PARALLELISM,
        }
    }
}

impl Hasher {
    /// Verifies a password against a stored Argon2 PHC string, comparing
    /// the outputs in constant time.
    ///
    /// PHC outputs of 10 to 64 bytes and salts of 8 to 48 bytes are
    /// accepted (the PHC format's limits); the reference implementation can
    /// make hashes outside them, which are refused as malformed.
    ///
    /// # Errors
    /// [`Error::MalformedHash`] when `phc` is not an Argon2 PHC string;
    /// [`Error::HashTooExpensive`] when it asks for more than the
    /// [`VerifyLimits`]; [`Error::PasswordTooLong`] over 128 code points.
    pub fn verify(&self, password: &str, phc: &str) -> Result<Verification, Error> {
        let stored = StoredHash::parse(phc, &self.limits)?;
        let password = normalize_password(password)?;
        let mut out = vec![0u8; stored.expected.len()];
        self.compute(
            stored.algorithm,
            stored.version,
            &stored.params,
            password.as_bytes(),
            &stored.salt,
            &mut out,
        )?;
        let matched: bool = out.as_slice().ct_eq(stored.expected.as_bytes()).into();
        out.zeroize();
        Ok(if matched {
            Verification::Match {
                rehash_due: self.differs_from_settings(&stored),
            }
        } else {
            Verification::Mismatch
        })
    }

    /// Whether a stored hash was made with other settings than the current
    /// ones, without verifying a password.
    ///
    /// # Errors
    /// [`Error::MalformedHash`] or [`Error::HashTooExpensive`] as in
    /// [`Hasher::verify`].
    pub fn needs_rehash(&self, phc: &str) -> Result<bool, Error> {
        let stored = StoredHash::parse(phc, &self.limits)?;
        Ok(self.differs_from_settings(&stored))
    }

    fn differs_from_settings(&self, stored: &StoredHash) -> bool {
        stored.algorithm != Algorithm::Argon2id
            || stored.version != Version::V0x13
            || stored.params.m_cost() != self.settings.memory_kib()
            || stored.params.t_cost() != self.settings.iterations()
            || stored.params.p_cost() != self.settings.parallelism()
            || stored.expected.len() != OUTPUT_LEN
            || stored.salt.len() < SALT_LEN
            || !stored.params.keyid().is_empty()
            || !stored.params.data().is_empty()
    }
}

/// A parsed stored hash.
struct StoredHash {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Salt,
    expected: Output,
}

impl StoredHash {
    fn parse(phc: &str, limits: &VerifyLimits) -> Result<Self, Error> {
        let hash = PasswordHash::new(phc).map_err(|e| Error::MalformedHash {
            reason: "not a PHC string",
            source: Some(Box::new(e)),
        })?;
        let algorithm = Algorithm::new(hash.algorithm.as_str()).map_err(|_| {
            Error::malformed("not an Argon2 variant (argon2i, argon2d or argon2id)")
        })?;
        // The reference implementation reads a missing version as 0x10.
        let version = match hash.version {
            None | Some(0x10) => Version::V0x10,
            Some(0x13) => Version::V0x13,
            Some(_) => {
                return Err(Error::malformed(
                    "unknown Argon2 version (expected 16 or 19)",
                ));
            }
        };
        let salt = hash.salt.ok_or_else(|| Error::malformed("no salt"))?;
        let expected = hash
            .hash
            .ok_or_else(|| Error::malformed("no hash output"))?;
        let mut seen = [false; 3];
        for (ident, _) in hash.params.iter() {
            let slot = match ident.as_str() {
                "m" => 0,
                "t" => 1,
                "p" => 2,
                _ => continue,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(Error::malformed("a parameter appears twice"));
            }
        }
        if seen != [true; 3] {
            return Err(Error::malformed("m, t and p are all required"));
        }
        let params = Params::try_from(&hash).map_err(|e| Error::MalformedHash {
            reason: "its parameters are not valid Argon2 parameters",
            source: Some(Box::new(e)),
        })?;
        for (parameter, value, limit) in [
            ("m", params.m_cost(), limits.max_memory_kib),
            ("t", params.t_cost(), limits.max_iterations),
            ("p", params.p_cost(), limits.max_parallelism),
        ] {
            if value > limit {
                return Err(Error::HashTooExpensive {
                    parameter,
                    value,
                    limit,
                });
            }
        }
        if u64::from(params.m_cost()) < 8 * u64::from(params.p_cost()) {
            return Err(Error::malformed("memory under 8 KiB per lane"));
        }
        Ok(Self {
            algorithm,
            version,
            params,
            salt,
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hasher::tests::fast;

    #[test]
    fn req_09_rehash_due_when_settings_change() {
        let old = fast();
        let phc = old.hash("pw").unwrap();
        assert_eq!(
            old.verify("pw", &phc).unwrap(),
            Verification::Match { rehash_due: false }
        );
        let new = Hasher::new(HashSettings::below_floor(128, 1, 1).unwrap());
        assert_eq!(
            new.verify("pw", &phc).unwrap(),
            Verification::Match { rehash_due: true }
        );
        assert!(new.needs_rehash(&phc).unwrap());
    }

    #[test]
    fn malformed_hashes_are_errors_not_mismatches() {
        let h = fast();
        for bad in [
            "",
            "$argon2id$",
            "$bcrypt$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "$argon2id$v=20$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "$argon2id$v=19$m=64,t=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "$argon2id$v=19$m=64,t=1,p=1,m=64$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
        ] {
            assert!(
                matches!(h.verify("pw", bad), Err(Error::MalformedHash { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_hash_errors_keep_the_parsers_error_and_never_quote_the_hash() {
        let h = fast();
        let bad = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFz!!!aGFzaG";
        let err = h.verify("pw", bad).unwrap_err();
        assert!(matches!(err, Error::MalformedHash { .. }), "{err:?}");
        assert!(std::error::Error::source(&err).is_some(), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("c2FsdHNhbHQ") && !shown.contains("aGFz"),
            "{shown}"
        );
    }

    #[test]
    fn stored_hash_over_limits_is_refused_before_any_work() {
        let h = fast();
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let runs = h.runs();
        assert!(matches!(
            h.verify("pw", huge),
            Err(Error::HashTooExpensive {
                parameter: "m",
                value: 4_194_304,
                limit: 1_048_576,
            })
        ));
        assert_eq!(h.runs(), runs, "no Argon2 run for a refused hash");
    }
}
