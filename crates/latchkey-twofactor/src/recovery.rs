//! Recovery codes (REQ-29, REQ-30): 10 codes of 80 bits each, printed in
//! groups of four from Crockford's unambiguous base32 alphabet.

use std::fmt;

use latchkey_core::{SecretString, random};
use zeroize::Zeroizing;

use crate::Error;

/// How many recovery codes a set has.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Symbols per code: 16 × 5 bits = 80 bits (REQ-29 asks at least 64).
const SYMBOLS: usize = 16;
// REQ-29: at least 64 bits per code, checked when compiling.
const _: () = assert!(SYMBOLS * 5 >= 64);
/// Crockford's base32: no I, L, O or U, so nothing looks like anything else.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh set of recovery codes, shown to the user once. Only their keyed
/// digests are stored. `Debug` shows how many there are, never the codes.
///
/// ```
/// use latchkey_twofactor::RecoveryCodes;
/// let codes = RecoveryCodes::generate()?;
/// assert_eq!(codes.len(), 10);
/// let first = codes.iter().next().unwrap();
/// assert_eq!(first.len(), 19); // XXXX-XXXX-XXXX-XXXX
/// assert_eq!(format!("{codes:?}"), "RecoveryCodes(<10 codes>)");
/// # Ok::<(), latchkey_twofactor::Error>(())
/// ```
#[derive(Clone)]
pub struct RecoveryCodes(Vec<SecretString>);

impl RecoveryCodes {
    /// Ten random codes from the OS CSPRNG.
    ///
    /// # Errors
    /// [`Error::Core`] when the OS generator fails.
    pub fn generate() -> Result<Self, Error> {
        let mut codes = Vec::with_capacity(RECOVERY_CODE_COUNT);
        for _ in 0..RECOVERY_CODE_COUNT {
            let mut bytes = Zeroizing::new([0u8; SYMBOLS]);
            random::fill(bytes.as_mut())?;
            let mut text = String::with_capacity(SYMBOLS + 3);
            for (i, b) in bytes.iter().enumerate() {
                if i > 0 && i % 4 == 0 {
                    text.push('-');
                }
                // 256 is a multiple of 32: the low 5 bits are uniform.
                text.push(char::from(ALPHABET[usize::from(b & 31)]));
            }
            codes.push(SecretString::new(text));
        }
        Ok(Self(codes))
    }

    /// The codes, as printed (`ABCD-EFGH-JKMN-PQRS`).
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(SecretString::expose)
    }

    /// How many codes there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes(<{} codes>)", self.0.len())
    }
}

/// Normalizes typed input: case, spaces and hyphens are forgiven, and the
/// look-alikes `O`, `I` and `L` read as `0`, `1` and `1`, as Crockford
/// specifies. Returns the 16 canonical symbols, or `None`.
///
/// ```
/// use latchkey_twofactor::normalize_recovery_code;
/// let a = normalize_recovery_code("abcd-efgh-jkmn-pq10").unwrap();
/// let b = normalize_recovery_code("ABCD EFGH JKMN PQlO").unwrap();
/// assert_eq!(a, b);
/// assert!(normalize_recovery_code("ABCD-EFGH").is_none());
/// ```
#[must_use]
pub fn normalize_recovery_code(input: &str) -> Option<[u8; SYMBOLS]> {
    let mut out = [0u8; SYMBOLS];
    let mut n = 0;
    for c in input.bytes() {
        let symbol = match c.to_ascii_uppercase() {
            b' ' | b'-' => continue,
            b'O' => b'0',
            b'I' | b'L' => b'1',
            s if ALPHABET.contains(&s) => s,
            _ => return None,
        };
        *out.get_mut(n)? = symbol;
        n += 1;
    }
    (n == SYMBOLS).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn req_29_ten_distinct_codes_of_80_bits_in_groups() {
        let codes = RecoveryCodes::generate().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        let distinct: HashSet<&str> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        for code in codes.iter() {
            let groups: Vec<&str> = code.split('-').collect();
            assert_eq!(groups.len(), 4, "{code}");
            assert!(
                groups
                    .iter()
                    .all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b)))
            );
            assert!(normalize_recovery_code(code).is_some());
        }
    }

    #[test]
    fn normalization_forgives_case_separators_and_look_alikes_only() {
        let canon = normalize_recovery_code("0123-4567-89AB-CDEF").unwrap();
        for same in [
            "0123456789abcdef",
            "O123-4567-89ab-cdef",
            "0123 4567 89AB CDEF",
            "o123-4567-89ab-cdef",
        ] {
            assert_eq!(normalize_recovery_code(same), Some(canon), "{same}");
        }
        assert_eq!(
            normalize_recovery_code("1111-1111-1111-1111"),
            normalize_recovery_code("IIII-llll-LLLL-1111")
        );
        for bad in [
            "",
            "0123-4567-89AB-CDE",
            "0123-4567-89AB-CDEF0",
            "0123-4567-89AB-CDEU",
            "0123_4567_89AB_CDEF",
            "０123-4567-89AB-CDEF",
        ] {
            assert!(normalize_recovery_code(bad).is_none(), "{bad}");
        }
    }
}
