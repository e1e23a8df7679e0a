//! Argon2 hashing to PHC strings and verification of any Argon2 PHC string.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use latchkey_core::{Pepper, random};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::{Error, HashSettings, normalize_password};

/// Bytes of Argon2 output in the hashes latchkey makes.
pub(crate) const OUTPUT_LEN: usize = 32;
/// Bytes of random salt in the hashes latchkey makes (REQ-08).
pub const SALT_LEN: usize = 16;

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
        let salt = Salt::new(salt).map_err(|e| Error::InvalidSettings(format!("salt: {e}")))?;
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
                .map_err(|e| Error::Hashing(e.to_string()))?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(|e| Error::Hashing(e.to_string()))?),
        };
        out.zeroize();
        Ok(phc.to_string())
    }

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
                .map_err(|e| Error::Hashing(e.to_string()))?,
            None => Argon2::new(algorithm, version, params.clone()),
        };
        let blocks = params.block_count();
        let mut lease = self.pool.acquire(blocks, self.params.block_count());
        argon
            .hash_password_into_with_memory(password, salt, out, lease.blocks(blocks))
            .map_err(|e| Error::Hashing(e.to_string()))
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
        let malformed = |what: &str| Error::MalformedHash(what.to_owned());
        let hash = PasswordHash::new(phc).map_err(|e| Error::MalformedHash(e.to_string()))?;
        let algorithm = Algorithm::new(hash.algorithm.as_str())
            .map_err(|_| malformed("not an Argon2 variant (argon2i, argon2d or argon2id)"))?;
        // The reference implementation reads a missing version as 0x10.
        let version = match hash.version {
            None | Some(0x10) => Version::V0x10,
            Some(0x13) => Version::V0x13,
            Some(_) => return Err(malformed("unknown Argon2 version (expected 16 or 19)")),
        };
        let salt = hash.salt.ok_or_else(|| malformed("no salt"))?;
        let expected = hash.hash.ok_or_else(|| malformed("no hash output"))?;
        let mut seen = [false; 3];
        for (ident, _) in hash.params.iter() {
            let slot = match ident.as_str() {
                "m" => 0,
                "t" => 1,
                "p" => 2,
                _ => continue,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(malformed("a parameter appears twice"));
            }
        }
        if seen != [true; 3] {
            return Err(malformed("m, t and p are all required"));
        }
        let params = Params::try_from(&hash).map_err(|e| Error::MalformedHash(e.to_string()))?;
        if params.m_cost() > limits.max_memory_kib {
            return Err(Error::HashTooExpensive(format!(
                "m={} KiB is over the limit of {} KiB",
                params.m_cost(),
                limits.max_memory_kib
            )));
        }
        if params.t_cost() > limits.max_iterations {
            return Err(Error::HashTooExpensive(format!(
                "t={} is over the limit of {}",
                params.t_cost(),
                limits.max_iterations
            )));
        }
        if params.p_cost() > limits.max_parallelism {
            return Err(Error::HashTooExpensive(format!(
                "p={} is over the limit of {}",
                params.p_cost(),
                limits.max_parallelism
            )));
        }
        if u64::from(params.m_cost()) < 8 * u64::from(params.p_cost()) {
            return Err(malformed("memory under 8 KiB per lane"));
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

/// Bounds the hashes in flight and keeps their work memory for reuse.
#[derive(Debug)]
struct MemoryPool {
    max_in_flight: usize,
    /// Argon2 runs started through this pool (for equal-cost checks and
    /// metrics).
    runs: AtomicU64,
    state: Mutex<PoolState>,
    released: Condvar,
}

#[derive(Debug, Default)]
struct PoolState {
    in_flight: usize,
    idle: Vec<WorkMemory>,
}

/// Argon2 work memory, wiped when dropped.
#[derive(Debug, Default)]
struct WorkMemory(Vec<Block>);

impl Drop for WorkMemory {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl MemoryPool {
    fn new(max_in_flight: usize) -> Self {
        Self {
            max_in_flight,
            runs: AtomicU64::new(0),
            state: Mutex::new(PoolState::default()),
            released: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free slot and takes work memory of at least `blocks`.
    /// `keep_blocks` is the size worth keeping for reuse afterwards.
    fn acquire(&self, blocks: usize, keep_blocks: usize) -> Lease<'_> {
        let mut state = self.lock();
        while state.in_flight >= self.max_in_flight {
            state = self
                .released
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.in_flight += 1;
        self.runs.fetch_add(1, Ordering::Relaxed);
        let memory = state.idle.pop().unwrap_or_default();
        drop(state);
        let mut lease = Lease {
            pool: self,
            memory,
            keep_blocks,
        };
        if lease.memory.0.len() < blocks {
            lease.memory.0.resize(blocks, Block::default());
        }
        lease
    }
}

struct Lease<'a> {
    pool: &'a MemoryPool,
    memory: WorkMemory,
    keep_blocks: usize,
}

impl Lease<'_> {
    fn blocks(&mut self, n: usize) -> &mut [Block] {
        &mut self.memory.0[..n]
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let memory = std::mem::take(&mut self.memory);
        // Memory grown for an unusually expensive stored hash is wiped and
        // freed rather than kept.
        let keep = memory.0.len() <= self.keep_blocks;
        let mut state = self.pool.lock();
        state.in_flight -= 1;
        if keep {
            state.idle.push(memory);
        }
        drop(state);
        self.pool.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> Hasher {
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

    /// The OWASP-floor PHC string of shared/REQUIREMENTS.md, as made by the
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
                matches!(h.verify("pw", bad), Err(Error::MalformedHash(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn stored_hash_over_limits_is_refused_before_any_work() {
        let h = fast();
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g";
        assert!(matches!(
            h.verify("pw", huge),
            Err(Error::HashTooExpensive(_))
        ));
    }

    #[test]
    fn in_flight_bound_holds_under_contention() {
        use std::sync::atomic::AtomicUsize;
        let pool = Arc::new(MemoryPool::new(2));
        let current = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (pool, current, peak) = (pool.clone(), current.clone(), peak.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _lease = pool.acquire(8, 8);
                        let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        current.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        assert!(pool.lock().idle.len() <= 2);
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
