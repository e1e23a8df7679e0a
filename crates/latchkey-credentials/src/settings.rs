//! Argon2id cost settings with the OWASP floor (REQ-07).

use std::fmt;

use crate::Error;

/// Argon2id cost settings: memory in KiB, passes (iterations) and lanes
/// (parallelism). Built only through constructors that check them, so an
/// invalid or too-weak value cannot exist by accident.
///
/// The floor is OWASP's m=19456 KiB, t=2, p=1 ([`HashSettings::DEFAULT`]);
/// [`HashSettings::new`] refuses anything with less memory or fewer passes.
/// Tests that need fast hashes opt in with [`HashSettings::below_floor`].
///
/// ```
/// use latchkey_credentials::HashSettings;
/// let s = HashSettings::new(65_536, 3, 4)?;
/// assert_eq!(s, HashSettings::RFC9106_SECOND_CHOICE);
/// assert!(HashSettings::new(4_096, 2, 1).is_err());
/// let fast = HashSettings::below_floor(64, 1, 1)?; // tests only
/// assert_eq!(fast.memory_kib(), 64);
/// # Ok::<(), latchkey_credentials::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashSettings {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl HashSettings {
    /// OWASP's floor and latchkey's default: m=19456 KiB, t=2, p=1.
    pub const DEFAULT: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// RFC 9106's second recommended choice: m=65536 KiB, t=3, p=4.
    pub const RFC9106_SECOND_CHOICE: Self = Self {
        memory_kib: 65_536,
        iterations: 3,
        parallelism: 4,
    };

    /// The least memory [`HashSettings::new`] accepts, in KiB.
    pub const FLOOR_MEMORY_KIB: u32 = 19_456;
    /// The fewest passes [`HashSettings::new`] accepts.
    pub const FLOOR_ITERATIONS: u32 = 2;
    /// The most lanes accepted (Argon2 allows more; no server needs them).
    pub const MAX_PARALLELISM: u32 = 64;

    /// Settings at or above the floor.
    ///
    /// # Errors
    /// [`Error::BelowFloor`] under the floor; [`Error::InvalidSettings`]
    /// when Argon2 cannot use them (zero lanes, memory under 8 KiB a lane).
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, Error> {
        if memory_kib < Self::FLOOR_MEMORY_KIB || iterations < Self::FLOOR_ITERATIONS {
            return Err(Error::BelowFloor {
                memory_kib,
                iterations,
                parallelism,
            });
        }
        Self::below_floor(memory_kib, iterations, parallelism)
    }

    /// Settings that may be below the floor: the explicit opt-in for tests
    /// and benchmarks (REQ-07). Never use it for real passwords.
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] when Argon2 cannot use them.
    pub fn below_floor(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, Error> {
        if parallelism == 0 || parallelism > Self::MAX_PARALLELISM {
            // The text names MAX_PARALLELISM (a unit test holds them equal).
            return Err(Error::invalid_settings("parallelism must be 1 to 64"));
        }
        if iterations == 0 {
            return Err(Error::invalid_settings("iterations must be at least 1"));
        }
        if u64::from(memory_kib) < 8 * u64::from(parallelism) {
            return Err(Error::invalid_settings(
                "memory must be at least 8 KiB per lane",
            ));
        }
        let settings = Self {
            memory_kib,
            iterations,
            parallelism,
        };
        settings.argon2_params()?;
        Ok(settings)
    }

    /// Memory per hash, in KiB.
    #[must_use]
    pub const fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Passes over memory.
    #[must_use]
    pub const fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Lanes, computed in parallel.
    #[must_use]
    pub const fn parallelism(&self) -> u32 {
        self.parallelism
    }

    /// Whether these settings meet the floor.
    #[must_use]
    pub const fn meets_floor(&self) -> bool {
        self.memory_kib >= Self::FLOOR_MEMORY_KIB && self.iterations >= Self::FLOOR_ITERATIONS
    }

    pub(crate) fn argon2_params(&self) -> Result<argon2::Params, Error> {
        argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(crate::hasher::OUTPUT_LEN),
        )
        .map_err(|e| Error::InvalidSettings {
            reason: "Argon2 refuses these costs",
            source: Some(Box::new(e)),
        })
    }
}

impl Default for HashSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Debug for HashSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HashSettings(argon2id m={} t={} p={})",
            self.memory_kib, self.iterations, self.parallelism
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn req_07_default_is_owasp_floor() {
        let d = HashSettings::default();
        assert_eq!(
            (d.memory_kib(), d.iterations(), d.parallelism()),
            (19_456, 2, 1)
        );
        assert!(d.meets_floor());
    }

    #[test]
    fn req_07_settings_below_floor_are_refused_without_opt_in() {
        assert!(matches!(
            HashSettings::new(19_455, 2, 1),
            Err(Error::BelowFloor { .. })
        ));
        assert!(matches!(
            HashSettings::new(19_456, 1, 1),
            Err(Error::BelowFloor { .. })
        ));
        assert!(HashSettings::new(19_456, 2, 1).is_ok());
        let weak = HashSettings::below_floor(1024, 1, 1).unwrap();
        assert!(!weak.meets_floor());
    }

    #[test]
    fn invalid_argon2_settings_are_refused_even_with_opt_in() {
        assert!(HashSettings::below_floor(64, 0, 1).is_err());
        assert!(HashSettings::below_floor(64, 1, 0).is_err());
        assert!(HashSettings::below_floor(8, 1, 2).is_err());
        assert!(HashSettings::below_floor(1 << 20, 2, 65).is_err());
    }

    #[test]
    fn refusals_say_which_setting_is_wrong() {
        let lanes = HashSettings::below_floor(1 << 20, 2, 65).unwrap_err();
        assert!(matches!(lanes, Error::InvalidSettings { .. }), "{lanes:?}");
        let max = HashSettings::MAX_PARALLELISM.to_string();
        assert!(
            lanes
                .to_string()
                .ends_with(&format!("parallelism must be 1 to {max}"))
        );
        let passes = HashSettings::below_floor(64, 0, 1).unwrap_err();
        assert!(passes.to_string().contains("iterations"), "{passes}");
        let memory = HashSettings::below_floor(8, 1, 2).unwrap_err();
        assert!(memory.to_string().contains("8 KiB per lane"), "{memory}");
    }
}
