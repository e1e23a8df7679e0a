use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Pepper;

/// HMAC-SHA256 under a key derived from the pepper for one purpose
/// (`HMAC(pepper, label)`), keyed once and cloned per use. One pepper thus
/// serves mailed codes, recovery codes, approvals and tokens without their
/// digests ever being interchangeable.
///
/// ```
/// use latchkey_core::{KeyedHmac, Pepper};
/// let pepper = Pepper::from_bytes(&[1; 32])?;
/// let codes = KeyedHmac::derive(&pepper, b"example codes v1");
/// let tokens = KeyedHmac::derive(&pepper, b"example tokens v1");
/// assert_ne!(codes.mac(&[b"x"]), tokens.mac(&[b"x"]));
/// // Parts are length-prefixed: ("ab", "c") and ("a", "bc") differ.
/// assert_ne!(codes.mac(&[b"ab", b"c"]), codes.mac(&[b"a", b"bc"]));
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone)]
pub struct KeyedHmac(Hmac<Sha256>);

impl KeyedHmac {
    /// Derives the key for `label` and keys the HMAC with it.
    #[must_use]
    pub fn derive(pepper: &Pepper, label: &[u8]) -> Self {
        // HMAC takes keys of any length, so keying cannot fail.
        let mut derive = <Hmac<Sha256> as KeyInit>::new_from_slice(pepper.expose())
            .unwrap_or_else(|_| unreachable!());
        derive.update(label);
        let subkey = Zeroizing::new(<[u8; 32]>::from(derive.finalize().into_bytes()));
        Self(
            <Hmac<Sha256> as KeyInit>::new_from_slice(subkey.as_slice())
                .unwrap_or_else(|_| unreachable!()),
        )
    }

    /// The MAC of `parts`, each prefixed with its length (32-bit, big
    /// endian), so no two different part lists share a MAC input.
    #[must_use]
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for KeyedHmac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedHmac(<keyed>)")
    }
}
