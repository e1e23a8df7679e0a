//! Randomness from the operating system, through `rand_core` traits.
//!
//! Production code draws from [`SysRng`]; APIs that generate secrets take
//! any [`TryCryptoRng`] so tests may inject a seeded generator.
//!
//! ```
//! let mut salt = [0u8; 16];
//! latchkey_core::random::fill(&mut salt)?;
//! # Ok::<(), latchkey_core::Error>(())
//! ```

pub use getrandom::SysRng;
pub use rand_core::{TryCryptoRng, TryRng};

use crate::Error;

/// Fills `buf` from the operating system's CSPRNG.
///
/// # Errors
/// [`Error::Random`] when the operating system cannot supply randomness.
pub fn fill(buf: &mut [u8]) -> Result<(), Error> {
    SysRng.try_fill_bytes(buf).map_err(Error::Random)
}

/// A uniform integer in `0..bound` with no modulo bias (rejection
/// sampling), drawn from `rng`.
///
/// # Errors
/// The generator's own error.
///
/// # Panics
/// When `bound` is zero.
///
/// ```
/// use latchkey_core::random::{uniform_below, SysRng};
/// let n = uniform_below(&mut SysRng, 1_000_000)?;
/// assert!(n < 1_000_000);
/// # Ok::<(), getrandom::Error>(())
/// ```
pub fn uniform_below<R: TryCryptoRng + ?Sized>(rng: &mut R, bound: u64) -> Result<u64, R::Error> {
    assert!(bound > 0, "uniform_below needs a positive bound");
    // Largest multiple of `bound` that fits in u64; draws at or above it
    // are rejected so every residue is equally likely.
    let zone = u64::MAX - (u64::MAX % bound + 1) % bound;
    loop {
        let x = rng.try_next_u64()?;
        if x <= zone {
            return Ok(x % bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generator that yields a fixed sequence, to exercise rejection.
    struct Seq(Vec<u64>);
    impl TryRng for Seq {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(self.try_next_u64()? as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(self.0.remove(0))
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    impl TryCryptoRng for Seq {}

    #[test]
    fn uniform_below_rejects_the_biased_tail() {
        // For bound 10, values above the largest multiple of 10 that fits
        // in u64 must be redrawn, not folded onto small residues.
        // 2^64 mod 10 = 6: the last 6 values of u64 would favour 0..=5.
        let zone = u64::MAX - 6;
        let mut rng = Seq(vec![u64::MAX, zone + 1, 7]);
        assert_eq!(uniform_below(&mut rng, 10), Ok(7));
        let mut rng = Seq(vec![zone]);
        assert_eq!(uniform_below(&mut rng, 10), Ok(zone % 10));
    }

    #[test]
    fn uniform_below_power_of_two_never_rejects() {
        let mut rng = Seq(vec![u64::MAX]);
        assert_eq!(uniform_below(&mut rng, 16), Ok(15));
    }
}
