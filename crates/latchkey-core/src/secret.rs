use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, random};

/// A server-side secret mixed into stored digests and password hashes, so a
/// stolen database alone cannot be brute-forced.
///
/// The pepper comes from the host's configuration or secret manager, never
/// from the database (REQ-41). It is at least 14 bytes (112 bits, REQ-10)
/// and at most 64. It is wiped from memory on drop and never printed.
///
/// ```
/// use latchkey_core::Pepper;
/// let pepper = Pepper::from_bytes(&[7u8; 32])?;
/// assert_eq!(pepper.expose().len(), 32);
/// assert_eq!(format!("{pepper:?}"), "Pepper(<redacted>)");
/// assert!(Pepper::from_bytes(&[1u8; 8]).is_err());
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pepper(Vec<u8>);

impl Pepper {
    /// The shortest pepper accepted, in bytes (112 bits).
    pub const MIN_LEN: usize = 14;
    /// The longest pepper accepted, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Copies a pepper from the host's secret store.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when shorter than [`Pepper::MIN_LEN`] or longer
    /// than [`Pepper::MAX_LEN`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < Self::MIN_LEN {
            return Err(Error::InvalidKey(
                "a pepper needs at least 14 bytes (112 bits)",
            ));
        }
        if bytes.len() > Self::MAX_LEN {
            return Err(Error::InvalidKey("a pepper has at most 64 bytes"));
        }
        Ok(Self(bytes.to_vec()))
    }

    /// A fresh random 32-byte pepper (for tests, demos and first set-up;
    /// a real deployment keeps its pepper stable).
    ///
    /// # Errors
    /// [`Error::Random`] when the OS generator fails.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = vec![0u8; 32];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// The secret bytes, for keying a MAC or hash.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(<redacted>)")
    }
}

/// The name of an [`EncryptionKey`], stored beside each ciphertext so keys
/// can rotate: old ciphertexts name the key that opens them.
///
/// ```
/// use latchkey_core::KeyId;
/// let id = KeyId::new("2026-11")?;
/// assert_eq!(id.as_str(), "2026-11");
/// assert!(KeyId::new("has space").is_err());
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// A key id: 1 to 32 characters from `A-Z a-z 0-9 - _ .`.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for any other text.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if id.is_empty() || id.len() > 32 || !id.chars().all(ok_char) {
            return Err(Error::InvalidKey(
                "a key id is 1 to 32 characters of A-Z, a-z, 0-9, '-', '_' or '.'",
            ));
        }
        Ok(Self(id))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 256-bit symmetric key with its [`KeyId`], for encrypting secrets at
/// rest (TOTP seeds). Supplied by the host, never stored in the database;
/// wiped on drop and never printed.
///
/// ```
/// use latchkey_core::{EncryptionKey, KeyId};
/// let key = EncryptionKey::new(KeyId::new("k1")?, [9u8; 32]);
/// assert_eq!(key.id().as_str(), "k1");
/// assert_eq!(format!("{key:?}"), r#"EncryptionKey { id: KeyId("k1"), key: <redacted> }"#);
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone)]
pub struct EncryptionKey {
    id: KeyId,
    key: Zeroizing<[u8; 32]>,
}

impl EncryptionKey {
    /// Wraps key material under a name.
    #[must_use]
    pub fn new(id: KeyId, key: [u8; 32]) -> Self {
        Self {
            id,
            key: Zeroizing::new(key),
        }
    }

    /// A fresh random key.
    ///
    /// # Errors
    /// [`Error::Random`] when the OS generator fails.
    pub fn generate(id: KeyId) -> Result<Self, Error> {
        let mut key = Zeroizing::new([0u8; 32]);
        random::fill(key.as_mut())?;
        Ok(Self { id, key })
    }

    /// The key's name.
    #[must_use]
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The key material.
    #[must_use]
    pub fn expose(&self) -> &[u8; 32] {
        &self.key
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey {{ id: {:?}, key: <redacted> }}", self.id)
    }
}

/// Text that is secret (a password, a code): wiped on drop, never printed
/// by `Debug` or `Display`.
///
/// ```
/// use latchkey_core::SecretString;
/// let s = SecretString::from("hunter2");
/// assert_eq!(s.expose(), "hunter2");
/// assert_eq!(format!("{s:?}"), "SecretString(<redacted>)");
/// ```
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of the text.
    #[must_use]
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret text. Keep the borrow short and never log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_secret_bytes() {
        let pepper = Pepper::from_bytes(b"very-secret-pepper-value").unwrap();
        let key = EncryptionKey::new(
            KeyId::new("k").unwrap(),
            *b"0123456789abcdef0123456789abcdef",
        );
        let text = SecretString::from("hunter2-password");
        let all = format!("{pepper:?} {pepper:#?} {key:?} {key:#?} {text:?} {text:#?}");
        for secret in ["very-secret", "0123456789", "hunter2"] {
            assert!(!all.contains(secret), "{secret} leaked in {all}");
        }
    }

    #[test]
    fn pepper_length_bounds_are_enforced() {
        assert!(Pepper::from_bytes(&[0; 13]).is_err());
        assert!(Pepper::from_bytes(&[0; 14]).is_ok());
        assert!(Pepper::from_bytes(&[0; 64]).is_ok());
        assert!(Pepper::from_bytes(&[0; 65]).is_err());
    }

    #[test]
    fn zeroize_clears_secret_string() {
        let mut s = SecretString::from("abc");
        s.zeroize();
        assert_eq!(s.expose(), "");
    }
}
