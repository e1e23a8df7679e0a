//! The per-account security stamp.

use std::fmt;

use crate::random;

/// 128 random bits that stand for "the account's credentials as they are
/// now". It changes on every credential change; anything bound to an
/// older stamp is void. `Debug` and `Display` show the first four bytes,
/// enough to tell two apart in a log.
///
/// ```
/// use latchkey_core::SecurityStamp;
/// let stamp = SecurityStamp::generate()?;
/// assert_ne!(stamp, SecurityStamp::generate()?);
/// assert_eq!(format!("{stamp:?}").len(), "SecurityStamp(01234567…)".len());
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecurityStamp(pub [u8; 16]);

impl SecurityStamp {
    /// A fresh stamp from the OS CSPRNG.
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn generate() -> Result<Self, crate::Error> {
        let mut bytes = [0u8; 16];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for SecurityStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityStamp({self})")
    }
}

impl fmt::Display for SecurityStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.0[..4] {
            write!(f, "{byte:02x}")?;
        }
        f.write_str("…")
    }
}
