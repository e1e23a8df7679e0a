//! Argon2 hashing to PHC strings, on a bounded pool of work memory. The
//! `verify` module verifies any Argon2 PHC string; `memory` holds the pool.

mod memory;
mod verify;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, Version};
use latchkey_core::{Pepper, random};
use zeroize::Zeroize;

use self::memory::MemoryPool;
pub use self::verify::{Verification, VerifyLimits};
use crate::{Error, HashSettings, normalize_password};

/// Bytes of Argon2 output in the hashes latchkey makes.
pub(crate) const OUTPUT_LEN: usize = 32;
/// Bytes of random salt in the hashes latchkey makes (REQ-08).
pub const SALT_LEN: usize = 16;

/// Hashes passwords with Argon2id and verifies any Argon2 PHC string.
///
/// - New hashes: Argon2id v1.3 at the configured [`HashSettings`], a
///   16-byte salt from the OS CSPRNG, 32 bytes of output, as a PHC string.
/// - Verification accepts argon2i, argon2d and argon2id, versions 0x10 and
///   0x13, and any parameters within [`VerifyLimits`], so hashes from other
///   systems keep working; it says when a rehash is due.
/// - An optional [`Pepper`] enters as Argon2's secret input (REQ-10).
/// - Passwords are NFKC-normalized and never truncated (REQ-03).
/// - At most `max_in_flight` hashes run at once (memory in use is at most
///   `max_in_flight × m`); callers beyond that wait. Argon2's work memory
///   is kept and reused between hashes instead of being allocated each
///   time, and wiped when released.
///
/// Hashing is CPU-bound and blocking: async hosts run it on a blocking
/// thread pool.
///
/// ```
/// use latchkey_credentials::{Hasher, HashSettings, Verification};
/// let hasher = Hasher::new(HashSettings::default());
/// let phc = hasher.hash("correct horse battery staple")?;
/// assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert_eq!(
///     hasher.verify("correct horse battery staple", &phc)?,
///     Verification::Match { rehash_due: false }
/// );
/// assert_eq!(hasher.verify("wrong", &phc)?, Verification::Mismatch);
/// # Ok::<(), latchkey_credentials::Error>(())
/// ```
#[derive(Clone)]
pub struct Hasher {
    settings: HashSettings,
    params: Params,
    pepper: Option<Pepper>,
    limits: VerifyLimits,
    pool: Arc<MemoryPool>,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("settings", &self.settings)
            .field("peppered", &self.pepper.is_some())
            .field("limits", &self.limits)
            .field("max_in_flight", &self.pool.max_in_flight)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// A hasher at `settings`, with no pepper, default limits, and at most
    /// as many hashes in flight as the machine has threads.
    #[must_use]
    pub fn new(settings: HashSettings) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            settings,
            // Every constructor of `HashSettings` checks these with Argon2.
            params: settings.argon2_params().unwrap_or(Params::DEFAULT),
            pepper: None,
            limits: VerifyLimits::default(),
            pool: Arc::new(MemoryPool::new(threads)),
        }
    }

    /// Mixes `pepper` into every hash as Argon2's secret input. Hashes made
    /// with a pepper verify only with the same pepper.
    #[must_use]
    pub fn with_pepper(mut self, pepper: Pepper) -> Self {
        self.pepper = Some(pepper);
        self
    }

    /// Allows at most `n` (at least 1) hashes at once; the rest wait.
    #[must_use]
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.pool = Arc::new(MemoryPool::new(n.max(1)));
        self
    }

    /// Replaces the caps on what a stored hash may cost to verify.
    #[must_use]
    pub fn with_verify_limits(mut self, limits: VerifyLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The settings new hashes use.
    #[must_use]
    pub fn settings(&self) -> HashSettings {
        self.settings
    }

    /// The most hashes that run at once.
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.pool.max_in_flight
    }

    /// How many Argon2 runs (hashes and verifications) this hasher and its
    /// clones have started. Each costs the same at the same settings, so
    /// tests use it to prove that an unknown login costs one full run.
    #[must_use]
    pub fn runs(&self) -> u64 {
        self.pool.runs.load(Ordering::Relaxed)
    }

    /// Hashes a password with a fresh random salt, as a PHC string.
    ///
    /// # Errors
    /// [`Error::PasswordTooLong`] over 128 code points; [`Error::Core`]
    /// when the OS random generator fails; [`Error::Hashing`] when Argon2
    /// fails.
    pub fn hash(&self, password: &str) -> Result<String, Error> {
        let mut salt = [0u8; SALT_LEN];
        random::fill(&mut salt)?;
        self.hash_with_salt(password, &salt)
    }

    /// Hashes with a given salt (8 to 48 bytes). For known-answer tests and
    /// interop; real hashes use [`Hasher::hash`] and its random salt.
    ///
    /// # Errors
    /// As [`Hasher::hash`], and [`Error::InvalidSettings`] for a salt of
    /// the wrong length.
    pub fn hash_with_salt(&self, password: &str, salt: &[u8]) -> Result<String, Error> {
        let password = normalize_password(password)?;
        let salt = Salt::new(salt).map_err(|e| Error::InvalidSettings {
            reason: "the salt must be 8 to 48 bytes",
            source: Some(Box::new(e)),
        })?;
        let mut out = [0u8; OUTPUT_LEN];
        self.compute(
            Algorithm::Argon2id,
            Version::V0x13,
            &self.params,
            password.as_bytes(),
            &salt,
            &mut out,
        )?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params)
                .map_err(|e| Error::Hashing(Box::new(e)))?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(|e| Error::Hashing(Box::new(e)))?),
        };
        out.zeroize();
        Ok(phc.to_string())
    }

    fn compute(
        &self,
        algorithm: Algorithm,
        version: Version,
        params: &Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let secret = self.pepper.as_ref().map(Pepper::expose);
        self.compute_with_secret(secret, algorithm, version, params, password, salt, out)
    }

    /// The one place Argon2 runs: in a slot of the in-flight bound, on
    /// pooled work memory.
    #[allow(clippy::too_many_arguments)]
    fn compute_with_secret(
        &self,
        secret: Option<&[u8]>,
        algorithm: Algorithm,
        version: Version,
        params: &Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let argon = match secret {
            Some(secret) => Argon2::new_with_secret(secret, algorithm, version, params.clone())
                .map_err(|e| Error::Hashing(Box::new(e)))?,
            None => Argon2::new(algorithm, version, params.clone()),
        };
        let blocks = params.block_count();
        let mut lease = self.pool.acquire(blocks, self.params.block_count());
        argon
            .hash_password_into_with_memory(password, salt, out, lease.blocks(blocks))
            .map_err(|e| Error::Hashing(Box::new(e)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A hasher cheap enough for unit tests (below the floor, on purpose).
    pub(crate) fn fast() -> Hasher {
        Hasher::new(HashSettings::below_floor(64, 1, 1).unwrap())
    }

    /// RFC 9106 section 5.3: Argon2id, password 32 x 0x01, salt 16 x 0x02,
    /// secret 8 x 0x03, associated data 12 x 0x04, t=3, m=32 KiB, p=4.
    #[test]
    fn rfc9106_argon2id_known_answer() {
        let hasher = fast();
        let mut builder = argon2::ParamsBuilder::new();
        builder
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .output_len(32)
            .data(argon2::AssociatedData::new(&[4u8; 12]).unwrap());
        let params = builder.build().unwrap();
        let mut out = [0u8; 32];
        hasher
            .compute_with_secret(
                Some(&[3u8; 8]),
                Algorithm::Argon2id,
                Version::V0x13,
                &params,
                &[1u8; 32],
                &[2u8; 16],
                &mut out,
            )
            .unwrap();
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    /// The OWASP-floor PHC string of docs/security.md, as made by the
    /// reference `argon2` CLI and argon2-cffi: byte for byte, both ways.
    #[test]
    fn req_07_owasp_floor_phc_string_matches_reference() {
        const REFERENCE: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$K13EBUiG7JV+9ZxztmHFTdb7J0WQsnj2V8bZaqyPptE";
        let hasher = Hasher::new(HashSettings::default());
        assert_eq!(
            hasher
                .hash_with_salt("password", b"somesaltsomesalt")
                .unwrap(),
            REFERENCE
        );
        assert_eq!(
            hasher.verify("password", REFERENCE).unwrap(),
            Verification::Match { rehash_due: false }
        );
        assert_eq!(
            hasher.verify("Password", REFERENCE).unwrap(),
            Verification::Mismatch
        );
    }

    #[test]
    fn req_08_each_hash_gets_a_fresh_16_byte_salt() {
        let h = fast();
        let a = h.hash("pw").unwrap();
        let b = h.hash("pw").unwrap();
        assert_ne!(a, b);
        let salt_b64 = a.split('$').nth(4).unwrap();
        assert_eq!(Salt::from_b64(salt_b64).unwrap().len(), SALT_LEN);
    }

    #[test]
    fn a_salt_of_the_wrong_length_is_invalid_settings_with_its_cause() {
        let err = fast().hash_with_salt("pw", b"short").unwrap_err();
        assert!(matches!(err, Error::InvalidSettings { .. }), "{err:?}");
        assert!(err.to_string().contains("salt"), "{err}");
        assert!(std::error::Error::source(&err).is_some(), "{err:?}");
    }

    #[test]
    fn req_10_pepper_is_required_to_verify() {
        let pepper = Pepper::from_bytes(&[5u8; 16]).unwrap();
        let peppered = fast().with_pepper(pepper);
        let phc = peppered.hash("pw").unwrap();
        assert!(peppered.verify("pw", &phc).unwrap().is_match());
        assert_eq!(fast().verify("pw", &phc).unwrap(), Verification::Mismatch);
        let other = fast().with_pepper(Pepper::from_bytes(&[6u8; 16]).unwrap());
        assert_eq!(other.verify("pw", &phc).unwrap(), Verification::Mismatch);
    }

    #[test]
    fn work_memory_is_reused_not_reallocated() {
        let h = fast();
        h.hash("a").unwrap();
        let ptr_before = h.pool.lock().idle[0].0.as_ptr();
        h.hash("b").unwrap();
        assert_eq!(h.pool.lock().idle.len(), 1);
        assert_eq!(h.pool.lock().idle[0].0.as_ptr(), ptr_before);
    }
}
