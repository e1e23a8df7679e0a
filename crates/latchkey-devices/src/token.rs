//! The opaque token a browser keeps for a remembered device.

use std::fmt;
use std::str::FromStr;

use data_encoding::{BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};
use latchkey_core::random;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::DeviceId;

/// A remembered device's token: `lkd1.<device id, 32 hex>.<secret, 22
/// base64url>`. Opaque to the browser and to anyone who reads the
/// cookie: no account id, no time, nothing personal. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DeviceToken {
    #[zeroize(skip)]
    id: DeviceId,
    secret: [u8; 16],
}

/// The text is not a device token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a device token")]
pub struct MalformedDeviceToken;

impl DeviceToken {
    /// A new token for a new record, and the digest the record keeps.
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn generate() -> Result<(Self, [u8; 32]), latchkey_core::Error> {
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let mut secret = [0u8; 16];
        random::fill(&mut secret)?;
        let token = Self {
            id: DeviceId(id),
            secret,
        };
        let digest = token.digest();
        Ok((token, digest))
    }

    /// The record this token names.
    #[must_use]
    pub fn id(&self) -> DeviceId {
        self.id
    }

    /// SHA-256 of the secret: what the store keeps. (The secret is 128
    /// random bits, so a plain hash is enough: there is nothing to guess.)
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.secret).into()
    }

    /// Whether this token's secret is the one `digest` was made from,
    /// compared in constant time.
    #[must_use]
    pub fn matches(&self, digest: &[u8; 32]) -> bool {
        self.digest().ct_eq(digest).into()
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

impl fmt::Display for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lkd1.{}.{}",
            self.id,
            BASE64URL_NOPAD.encode(&self.secret)
        )
    }
}

impl FromStr for DeviceToken {
    type Err = MalformedDeviceToken;

    /// Strict: the prefix, 32 hex digits, a dot, 22 base64url characters.
    ///
    /// ```
    /// use latchkey_devices::DeviceToken;
    /// assert!("lkd1.00112233445566778899aabbccddeeff.AAAAAAAAAAAAAAAAAAAAAA".parse::<DeviceToken>().is_ok());
    /// for bad in ["", "lkd1..", "v1.amFuZQ.1.x", "lkd1.0011.AAAA", "lkd1.00112233445566778899aabbccddeeff.AAAAAAAAAAAAAAAAAAAAAA.x"] {
    ///     assert!(bad.parse::<DeviceToken>().is_err(), "{bad}");
    /// }
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix("lkd1.").ok_or(MalformedDeviceToken)?;
        let (id, secret) = rest.split_once('.').ok_or(MalformedDeviceToken)?;
        let id: [u8; 16] = HEXLOWER_PERMISSIVE
            .decode(id.as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(MalformedDeviceToken)?;
        let secret: [u8; 16] = BASE64URL_NOPAD
            .decode(secret.as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(MalformedDeviceToken)?;
        Ok(Self {
            id: DeviceId(id),
            secret,
        })
    }
}
