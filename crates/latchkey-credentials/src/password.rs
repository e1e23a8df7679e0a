//! Password text: NFKC normalization and the length bounds of REQ-02/03.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::Error;

/// The most Unicode code points accepted in a password (REQ-02). Longer
/// passwords are refused with [`Error::PasswordTooLong`], never truncated.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The most bytes of raw input looked at before normalization, so that a
/// huge input cannot make normalization itself expensive. 128 code points
/// of the widest UTF-8 (4 bytes) with room for decomposed forms.
pub const MAX_PASSWORD_INPUT_BYTES: usize = 4096;

/// Normalizes a password with NFKC (REQ-03), the form that is hashed and
/// that the policy counts. Refuses input over the bounds above.
///
/// ```
/// use latchkey_credentials::normalize_password;
/// // "ﬁ" (one ligature) and "fi" are the same password after NFKC.
/// assert_eq!(normalize_password("ﬁsh")?.as_str(), "fish");
/// assert!(normalize_password(&"x".repeat(129)).is_err());
/// # Ok::<(), latchkey_credentials::Error>(())
/// ```
///
/// # Errors
/// [`Error::PasswordTooLong`] when the input is over
/// [`MAX_PASSWORD_INPUT_BYTES`] bytes or over [`MAX_PASSWORD_CHARS`] code
/// points after normalization.
pub fn normalize_password(raw: &str) -> Result<Zeroizing<String>, Error> {
    let too_long = Error::PasswordTooLong {
        max: MAX_PASSWORD_CHARS,
    };
    if raw.len() > MAX_PASSWORD_INPUT_BYTES {
        return Err(too_long);
    }
    let normalized = Zeroizing::new(raw.nfkc().collect::<String>());
    if normalized.chars().count() > MAX_PASSWORD_CHARS {
        return Err(too_long);
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn req_03_nfkc_equates_composed_and_decomposed_forms() {
        let composed = "caf\u{e9}";
        let decomposed = "cafe\u{301}";
        assert_eq!(
            normalize_password(composed).unwrap(),
            normalize_password(decomposed).unwrap()
        );
        assert_eq!(normalize_password("ＡＢＣ").unwrap().as_str(), "ABC");
    }

    #[test]
    fn req_02_counts_code_points_not_bytes() {
        // 128 four-byte characters are accepted; 129 are not.
        assert!(normalize_password(&"😀".repeat(128)).is_ok());
        assert!(matches!(
            normalize_password(&"😀".repeat(129)),
            Err(Error::PasswordTooLong { max: 128 })
        ));
    }

    #[test]
    fn req_03_never_trims_or_truncates() {
        assert_eq!(normalize_password(" pw \t").unwrap().as_str(), " pw \t");
        assert_eq!(normalize_password(&"a".repeat(128)).unwrap().len(), 128);
    }
}
