//! TOTP/HOTP shared secrets: generated, imported, base32 (RFC 4648).

use std::fmt;

use data_encoding::{BASE32_NOPAD, DecodeKind};
use latchkey_core::random;
use zeroize::Zeroizing;

use crate::{Algorithm, Error};

/// A shared secret for HOTP/TOTP. Wiped on drop; `Debug` prints only its
/// length.
///
/// ```
/// use latchkey_otp::{Algorithm, OtpSecret};
/// let secret = OtpSecret::generate(Algorithm::Sha1)?;
/// assert_eq!(secret.expose().len(), 20);
/// let again = OtpSecret::from_base32(&secret.to_base32())?;
/// assert_eq!(again.expose(), secret.expose());
///
/// // RFC 4648: spaces, case and padding are forgiven; nothing else is.
/// let s = OtpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")?;
/// assert_eq!(s.expose(), b"12345678901234567890");
/// assert!(OtpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1").is_err());
/// # Ok::<(), latchkey_otp::Error>(())
/// ```
#[derive(Clone)]
pub struct OtpSecret(Zeroizing<Vec<u8>>);

impl OtpSecret {
    /// The fewest bits accepted from outside (RFC 4226 section 4, R6).
    pub const MIN_BITS: usize = 128;

    /// A fresh secret from the OS CSPRNG, as long as the algorithm's
    /// output: 20, 32 or 64 bytes (REQ-18).
    ///
    /// # Errors
    /// [`Error::Core`] when the OS generator fails.
    pub fn generate(algorithm: Algorithm) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; algorithm.output_len()]);
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Imports raw secret bytes (at least 16).
    ///
    /// # Errors
    /// [`Error::SecretTooShort`] under 128 bits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() * 8 < Self::MIN_BITS {
            return Err(Error::SecretTooShort {
                bits: bytes.len() * 8,
            });
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// Imports a base32 secret (RFC 4648 alphabet). Spaces are removed,
    /// letters upper-cased and trailing `=` padding dropped; then the text
    /// must decode strictly (REQ-27).
    ///
    /// # Errors
    /// [`Error::InvalidBase32`] for any other character, a length no
    /// base32 text can have, or non-zero trailing bits;
    /// [`Error::SecretTooShort`] under 128 bits.
    pub fn from_base32(text: &str) -> Result<Self, Error> {
        let mut normalized = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.chars().filter(|c| *c != ' ') {
            normalized.push(c.to_ascii_uppercase());
        }
        let unpadded = normalized.trim_end_matches('=');
        // Errors name where the fault is, never the character: it is part
        // of a secret (REQ-41).
        if let Some((at, bad)) = unpadded
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, 'A'..='Z' | '2'..='7'))
        {
            return Err(Error::InvalidBase32 {
                reason: if bad == '=' {
                    "padding inside the text"
                } else {
                    "a character is not in the base32 alphabet (A-Z, 2-7)"
                },
                position: position_in(text, at),
                source: None,
            });
        }
        let bytes = BASE32_NOPAD
            .decode(unpadded.as_bytes())
            .map(Zeroizing::new)
            .map_err(|e| Error::InvalidBase32 {
                reason: match e.kind {
                    DecodeKind::Length => "a length no base32 text can have",
                    DecodeKind::Trailing => "non-zero trailing bits",
                    DecodeKind::Padding => "padding of the wrong length",
                    DecodeKind::Symbol => "a character is not in the base32 alphabet (A-Z, 2-7)",
                },
                position: position_in(text, e.position),
                source: Some(Box::new(e)),
            })?;
        Self::from_bytes(&bytes)
    }

    /// The secret as base32 without padding, as `otpauth://` URIs carry it.
    #[must_use]
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The raw bytes. Keep the borrow short; never log them.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

/// The index in `text` (as given, spaces included) of the character at
/// `index` among its non-space characters; `text`'s length in characters
/// past the end.
fn position_in(text: &str, index: usize) -> usize {
    text.chars()
        .enumerate()
        .filter(|(_, c)| *c != ' ')
        .nth(index)
        .map_or_else(|| text.chars().count(), |(at, _)| at)
}

impl fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OtpSecret(<{} bytes redacted>)", self.0.len())
    }
}

impl PartialEq for OtpSecret {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for OtpSecret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn req_27_rfc4648_base32_vectors() {
        // RFC 4648 section 10, through the same decoder (without the
        // 128-bit floor, which these short vectors are under).
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            let decoded = BASE32_NOPAD
                .decode(encoded.trim_end_matches('=').as_bytes())
                .unwrap();
            assert_eq!(decoded, plain.as_bytes(), "{encoded}");
            assert_eq!(
                BASE32_NOPAD.encode(plain.as_bytes()),
                encoded.trim_end_matches('=')
            );
        }
        let seed = OtpSecret::from_bytes(b"12345678901234567890").unwrap();
        assert_eq!(seed.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn req_27_normalizes_spaces_case_and_padding_only() {
        let want = b"12345678901234567890";
        for ok in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
        ] {
            assert_eq!(OtpSecret::from_base32(ok).unwrap().expose(), want, "{ok}");
        }
        // 16 bytes with padding, and without.
        let sixteen = BASE32_NOPAD.encode(&[7u8; 16]);
        assert!(OtpSecret::from_base32(&format!("{sixteen}======")).is_ok());
        assert!(OtpSecret::from_base32(&sixteen).is_ok());
        for bad in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",  // 1 is not base32
            "GEZDGNBVGY3TQOJQ-GEZDGNBVGY3TQOJQ", // hyphen
            "GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ", // padding inside
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQA", // impossible length
            "AAAAAAAAAAAAAAAAAAAAAAAAAB",        // non-zero trailing bits
        ] {
            assert!(
                matches!(
                    OtpSecret::from_base32(bad),
                    Err(Error::InvalidBase32 { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn req_18_generated_secrets_match_the_hash_length_and_imports_need_128_bits() {
        for a in Algorithm::ALL {
            assert_eq!(
                OtpSecret::generate(a).unwrap().expose().len(),
                a.output_len()
            );
        }
        assert!(matches!(
            OtpSecret::from_bytes(&[0; 15]),
            Err(Error::SecretTooShort { bits: 120 })
        ));
        assert!(matches!(
            OtpSecret::from_base32("MZXW6YTBOI"),
            Err(Error::SecretTooShort { bits: 48 })
        ));
    }

    #[test]
    fn req_41_base32_errors_give_the_position_never_the_text() {
        // (text, reason, index of the fault in the text as given)
        for (text, reason, position) in [
            ("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJ1", "alphabet", 38),
            ("GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ", "padding inside", 16),
            ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQA", "length", 32),
            ("AAAA AAAA AAAA AAAA AAAA AAAA AB", "trailing", 31),
        ] {
            let err = OtpSecret::from_base32(text).unwrap_err();
            let Error::InvalidBase32 {
                reason: why,
                position: at,
                ..
            } = err
            else {
                panic!("{text}: {err:?}");
            };
            assert!(why.contains(reason), "{text}: {why}");
            assert_eq!(at, position, "{text}: {why}");
            let shown = format!("{err} {err:?}");
            for piece in ["GEZD", "QOJ1", "AAAA", "AB"] {
                assert!(!shown.contains(piece), "{text}: {shown}");
            }
        }
        let with_cause = OtpSecret::from_base32("AAAAAAAAAAAAAAAAAAAAAAAAAB").unwrap_err();
        assert!(std::error::Error::source(&with_cause).is_some());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = OtpSecret::from_bytes(b"12345678901234567890").unwrap();
        let shown = format!("{s:?} {s:#?}");
        assert!(
            !shown.contains("1234") && !shown.contains("GEZD"),
            "{shown}"
        );
    }
}
