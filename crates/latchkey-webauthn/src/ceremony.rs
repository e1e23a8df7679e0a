//! A ceremony in flight: what the browser was asked, kept server-side
//! until its answer comes back once.

use std::fmt;
use std::str::FromStr;

use data_encoding::HEXLOWER_PERMISSIVE;
use latchkey_core::{AccountId, OperationDigest, random};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A ceremony's id: 128 random bits, 32 hex digits. The host keeps it
/// in the server-side session between the options and the answer; the
/// store keeps only its SHA-256.
///
/// ```
/// use latchkey_webauthn::CeremonyId;
/// let id = CeremonyId::generate()?;
/// let back: CeremonyId = id.to_string().parse()?;
/// assert_eq!(back.digest(), id.digest());
/// assert_eq!(format!("{id:?}"), "CeremonyId(<redacted>)");
/// assert!("xyz".parse::<CeremonyId>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CeremonyId([u8; 16]);

/// The text is not a ceremony id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a WebAuthn ceremony id")]
pub struct MalformedCeremonyId;

impl CeremonyId {
    /// A fresh id.
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn generate() -> Result<Self, latchkey_core::Error> {
        let mut bytes = [0u8; 16];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// What the store keeps.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }
}

impl fmt::Debug for CeremonyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CeremonyId(<redacted>)")
    }
}

impl fmt::Display for CeremonyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl FromStr for CeremonyId {
    type Err = MalformedCeremonyId;

    /// 32 hex digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HEXLOWER_PERMISSIVE
            .decode(s.as_bytes())
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(Self)
            .ok_or(MalformedCeremonyId)
    }
}

/// What a ceremony is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Registering a new key under this name.
    Registration {
        /// The name the user picked.
        name: String,
    },
    /// The second factor of a sign-in (or a re-authentication).
    SecondFactor,
    /// Approving one write, bound to its digest.
    StepUp {
        /// The write's digest.
        operation: OperationDigest,
    },
    /// Signing in with a passkey and no password: the browser picks the
    /// credential, so the ceremony belongs to no account yet (its record
    /// carries [`CeremonyRecord::NOBODY`]).
    Passwordless,
}

/// A ceremony as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct CeremonyRecord {
    /// SHA-256 of the [`CeremonyId`].
    pub id_digest: [u8; 32],
    /// Whose.
    pub account: AccountId,
    /// What for.
    pub purpose: CeremonyPurpose,
    /// webauthn-rs's server-side state (JSON): the challenge and what the
    /// answer must match. Never sent to the browser.
    pub state: String,
    /// Dead from this instant on.
    pub expires_at: OffsetDateTime,
}

impl CeremonyRecord {
    /// The account a [`CeremonyPurpose::Passwordless`] ceremony is stored
    /// under: no account's. It is never compared with one: a passwordless
    /// ceremony is taken only for a passwordless answer, and every other
    /// purpose checks its account.
    pub const NOBODY: &'static str = "latchkey:passwordless";
}

impl fmt::Debug for CeremonyRecord {
    /// Leaves out the state (it holds the challenge).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CeremonyRecord")
            .field("account", &self.account)
            .field("purpose", &self.purpose)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
