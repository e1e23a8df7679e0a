//! HMAC-SHA256 under keys derived from the pepper, one per use, keyed once.

use hmac::{Hmac, KeyInit, Mac};
use latchkey_core::Pepper;
use sha2::Sha256;
use zeroize::Zeroizing;

/// An HMAC-SHA256 keyed with `HMAC(pepper, label)`, so one pepper serves
/// several uses without their digests ever colliding.
#[derive(Clone)]
pub(crate) struct KeyedMac(Hmac<Sha256>);

impl KeyedMac {
    pub(crate) fn derive(pepper: &Pepper, label: &[u8]) -> Self {
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

    /// The MAC of length-prefixed parts.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}
