//! The short code the browser page shows and the command line prints, so
//! the user can tell the request in the browser is their own.

use std::fmt;
use std::str::FromStr;

use latchkey_core::random::{self, SysRng};

/// Twenty consonants that read aloud and type unambiguously (no vowels,
/// so no words; RFC 8628 section 6.1 suggests the same).
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// `XXXX-XXXX` from 20 consonants (BCDFGHJKLMNPQRSTVWXZ): about 34.6 bits. It is not a secret
/// and not a way in (the [`CliLoginId`](crate::CliLoginId) is);
/// it only lets the user match the browser page to their terminal.
///
/// ```
/// use latchkey_cli_login::UserCode;
/// let code: UserCode = "BCDF-GHJK".parse()?;
/// assert_eq!(code.to_string(), "BCDF-GHJK");
/// assert_eq!("bcdf-ghjk".parse::<UserCode>()?, code);
/// assert!("BCDA-GHJK".parse::<UserCode>().is_err()); // a vowel
/// assert!("BCDFGHJK".parse::<UserCode>().is_err());
/// # Ok::<(), latchkey_cli_login::MalformedUserCode>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserCode([u8; 8]);

/// The text is not a user code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a user code is 4 letters, a dash and 4 letters (BCDF-GHJK)")]
pub struct MalformedUserCode;

impl UserCode {
    /// A new code, uniform over the alphabet.
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn generate() -> Result<Self, latchkey_core::Error> {
        let mut letters = [0u8; 8];
        for letter in &mut letters {
            let n = random::uniform_below(&mut SysRng, ALPHABET.len() as u64)
                .map_err(latchkey_core::Error::Random)?;
            *letter = ALPHABET[usize::try_from(n).unwrap_or(0)];
        }
        Ok(Self(letters))
    }
}

impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserCode({self})")
    }
}

impl fmt::Display for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |part: &[u8]| part.iter().map(|&b| char::from(b)).collect::<String>();
        write!(f, "{}-{}", text(&self.0[..4]), text(&self.0[4..]))
    }
}

impl FromStr for UserCode {
    type Err = MalformedUserCode;

    /// `XXXX-XXXX`, any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 9 || bytes[4] != b'-' {
            return Err(MalformedUserCode);
        }
        let mut letters = [0u8; 8];
        for (slot, &b) in letters.iter_mut().zip(bytes[..4].iter().chain(&bytes[5..])) {
            let upper = b.to_ascii_uppercase();
            if !ALPHABET.contains(&upper) {
                return Err(MalformedUserCode);
            }
            *slot = upper;
        }
        Ok(Self(letters))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back_and_use_every_letter() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let code = UserCode::generate().expect("random");
            assert_eq!(code.to_string().parse::<UserCode>(), Ok(code));
            seen.extend(code.0);
        }
        // 1600 draws over 20 letters: missing one is a (1 - 1/20)^1600 event.
        assert_eq!(seen.len(), ALPHABET.len());
    }
}
