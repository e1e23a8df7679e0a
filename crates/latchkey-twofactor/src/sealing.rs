//! TOTP secrets encrypted at rest (REQ-25): XChaCha20-Poly1305 under a host
//! key with a key id, so keys can rotate.

use std::fmt;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use latchkey_core::{EncryptionKey, KeyId, random};
use latchkey_otp::OtpSecret;
use zeroize::Zeroizing;

use crate::Error;

/// A TOTP secret as the store keeps it: which key sealed it, a random
/// 192-bit nonce, and the ciphertext with its tag. Nothing here reveals
/// the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The id of the key that sealed it.
    pub key_id: KeyId,
    /// The XChaCha20 nonce.
    pub nonce: [u8; 24],
    /// Ciphertext followed by the 16-byte Poly1305 tag.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Seals TOTP secrets under the current key and opens them under any key
/// it knows, so keys rotate: add the new key as current, keep the old ones
/// as previous; new writes use the new key, old records still open.
///
/// Each secret is bound to a context (the account and authenticator), so a
/// ciphertext copied to another row does not open.
///
/// ```
/// use latchkey_core::{EncryptionKey, KeyId};
/// use latchkey_otp::{Algorithm, OtpSecret};
/// use latchkey_twofactor::SecretSealer;
///
/// let old = EncryptionKey::generate(KeyId::new("2025")?)?;
/// let new = EncryptionKey::generate(KeyId::new("2026")?)?;
/// let secret = OtpSecret::generate(Algorithm::Sha1)?;
///
/// let sealed = SecretSealer::new(old.clone()).seal(&secret, b"account-1")?;
/// let rotated = SecretSealer::new(new).with_previous(old);
/// assert_eq!(rotated.open(&sealed, b"account-1")?, secret);
/// assert_eq!(rotated.seal(&secret, b"account-1")?.key_id.as_str(), "2026");
/// assert!(rotated.open(&sealed, b"account-2").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SecretSealer {
    current: EncryptionKey,
    previous: Vec<EncryptionKey>,
}

impl fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let previous: Vec<&KeyId> = self.previous.iter().map(EncryptionKey::id).collect();
        f.debug_struct("SecretSealer")
            .field("current", self.current.id())
            .field("previous", &previous)
            .finish()
    }
}

impl SecretSealer {
    /// Seals and opens with `current`.
    #[must_use]
    pub fn new(current: EncryptionKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Adds a key that opens old records but never seals new ones.
    #[must_use]
    pub fn with_previous(mut self, key: EncryptionKey) -> Self {
        self.previous.push(key);
        self
    }

    /// The id new seals carry.
    #[must_use]
    pub fn current_key_id(&self) -> &KeyId {
        self.current.id()
    }

    /// Encrypts a secret under the current key, bound to `context`.
    ///
    /// # Errors
    /// [`Error::Core`] when the OS random generator fails.
    pub fn seal(&self, secret: &OtpSecret, context: &[u8]) -> Result<SealedSecret, Error> {
        let mut nonce = [0u8; 24];
        random::fill(&mut nonce)?;
        let aad = aad(self.current.id(), context);
        let ciphertext = cipher(&self.current)
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: secret.expose(),
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Decryption)?;
        Ok(SealedSecret {
            key_id: self.current.id().clone(),
            nonce,
            ciphertext,
        })
    }

    /// Decrypts a sealed secret with the key its id names.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] when no configured key has that id;
    /// [`Error::Decryption`] when the key is wrong or anything was altered.
    pub fn open(&self, sealed: &SealedSecret, context: &[u8]) -> Result<OtpSecret, Error> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| *k.id() == sealed.key_id)
            .ok_or_else(|| Error::UnknownKey {
                key_id: sealed.key_id.as_str().to_owned(),
            })?;
        let aad = aad(&sealed.key_id, context);
        let plain = Zeroizing::new(
            cipher(key)
                .decrypt(
                    &sealed.nonce.into(),
                    Payload {
                        msg: &sealed.ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| Error::Decryption)?,
        );
        OtpSecret::from_bytes(&plain).map_err(|_| Error::Decryption)
    }
}

fn cipher(key: &EncryptionKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.expose().into())
}

/// Associated data: a version tag, the key id and the caller's context,
/// length-prefixed.
fn aad(key_id: &KeyId, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(48 + context.len());
    aad.extend_from_slice(b"latchkey totp secret v1\0");
    for part in [key_id.as_str().as_bytes(), context] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_otp::Algorithm;

    fn key(id: &str, byte: u8) -> EncryptionKey {
        EncryptionKey::new(KeyId::new(id).unwrap(), [byte; 32])
    }

    #[test]
    fn req_25_round_trip_and_ciphertext_hides_the_secret() {
        let secret = OtpSecret::from_bytes(b"12345678901234567890").unwrap();
        let sealer = SecretSealer::new(key("k1", 1));
        let sealed = sealer.seal(&secret, b"ctx").unwrap();
        assert_eq!(sealed.ciphertext.len(), 20 + 16);
        assert!(!sealed.ciphertext.windows(8).any(|w| w == b"12345678"));
        assert_eq!(sealer.open(&sealed, b"ctx").unwrap(), secret);
        assert_ne!(
            sealer.seal(&secret, b"ctx").unwrap().nonce,
            sealed.nonce,
            "fresh nonces"
        );
    }

    #[test]
    fn req_25_key_rotation_old_keys_open_new_writes_use_current() {
        let secret = OtpSecret::generate(Algorithm::Sha256).unwrap();
        let old = SecretSealer::new(key("old", 1))
            .seal(&secret, b"c")
            .unwrap();
        let rotated = SecretSealer::new(key("new", 2)).with_previous(key("old", 1));
        assert_eq!(rotated.open(&old, b"c").unwrap(), secret);
        let fresh = rotated.seal(&secret, b"c").unwrap();
        assert_eq!(fresh.key_id.as_str(), "new");
        assert!(matches!(
            SecretSealer::new(key("old", 1)).open(&fresh, b"c"),
            Err(Error::UnknownKey { key_id }) if key_id == "new"
        ));
    }

    #[test]
    fn req_25_wrong_key_altered_data_or_context_is_a_clear_error() {
        let secret = OtpSecret::generate(Algorithm::Sha1).unwrap();
        let sealed = SecretSealer::new(key("k", 1)).seal(&secret, b"c").unwrap();
        let wrong_material = SecretSealer::new(key("k", 9));
        assert!(matches!(
            wrong_material.open(&sealed, b"c"),
            Err(Error::Decryption)
        ));
        let right = SecretSealer::new(key("k", 1));
        assert!(matches!(
            right.open(&sealed, b"other"),
            Err(Error::Decryption)
        ));
        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert!(matches!(right.open(&flipped, b"c"), Err(Error::Decryption)));
        let mut relabelled = sealed;
        relabelled.key_id = KeyId::new("k2").unwrap();
        let both = SecretSealer::new(key("k2", 1)).with_previous(key("k", 1));
        assert!(
            matches!(both.open(&relabelled, b"c"), Err(Error::Decryption)),
            "key id is authenticated"
        );
    }

    #[test]
    fn debug_shows_key_ids_only() {
        let sealer = SecretSealer::new(key("k1", 7)).with_previous(key("k0", 8));
        let shown = format!("{sealer:?}");
        assert!(
            shown.contains("k1") && shown.contains("k0") && !shown.contains("[7"),
            "{shown}"
        );
    }
}
