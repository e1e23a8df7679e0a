//! What the server keeps of a remembered device.

use std::fmt;
use std::str::FromStr;

use latchkey_core::AccountId;
use time::OffsetDateTime;

use latchkey_core::SecurityStamp;

use crate::MalformedDeviceToken;

/// A remembered device's id: 128 random bits, shown as 32 hex digits. Not
/// a secret by itself (the token's secret is what proves the device).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub [u8; 16]);

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl FromStr for DeviceId {
    type Err = MalformedDeviceToken;

    /// 32 hex digits.
    ///
    /// ```
    /// use latchkey_devices::DeviceId;
    /// let id: DeviceId = "00112233445566778899aabbccddeeff".parse()?;
    /// assert_eq!(id.to_string(), "00112233445566778899aabbccddeeff");
    /// assert!("xyz".parse::<DeviceId>().is_err());
    /// # Ok::<(), latchkey_devices::MalformedDeviceToken>(())
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(s.as_bytes())
            .map_err(|_| MalformedDeviceToken)?;
        Ok(Self(bytes.try_into().map_err(|_| MalformedDeviceToken)?))
    }
}

/// A remembered device, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Its id (also in the token).
    pub id: DeviceId,
    /// Whose device it is.
    pub account: AccountId,
    /// SHA-256 of the token's secret: the secret itself is never stored.
    pub secret_digest: [u8; 32],
    /// The account's security stamp when the device was remembered; the
    /// device is dead once the stamp has changed.
    pub stamp: SecurityStamp,
    /// What the host called it (from the user agent, say), or the user's
    /// own name for it.
    pub label: String,
    /// When it was remembered.
    pub created_at: OffsetDateTime,
    /// When it last skipped a mailed code.
    pub last_used_at: Option<OffsetDateTime>,
    /// The client (an address, as the host gave it) of its last use.
    pub last_client: Option<String>,
    /// When it stops being recognized (the host's lifetime, 90 days by
    /// default; never extended by use).
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for DeviceRecord {
    /// Leaves out the secret's digest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceRecord")
            .field("id", &self.id)
            .field("account", &self.account)
            .field("stamp", &self.stamp)
            .field("label", &self.label)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .field("last_client", &self.last_client)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
