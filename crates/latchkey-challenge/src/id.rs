//! Challenge ids, and the digests stores keep of them.

use std::fmt;
use std::str::FromStr;

use latchkey_core::{AccountId, OperationDigest, random};
use sha2::{Digest, Sha256};

/// A challenge's id: 128 bits from the OS CSPRNG (REQ-40), shown to the
/// client as 32 lowercase hex digits. It is a bearer secret for the
/// sign-in in progress: stores keep only its digest, and `Debug` hides it.
///
/// ```
/// use latchkey_challenge::ChallengeId;
/// let id = ChallengeId::generate()?;
/// let text = id.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(text.parse::<ChallengeId>()?, id);
/// assert!("not-an-id".parse::<ChallengeId>().is_err());
/// assert_eq!(format!("{id:?}"), "ChallengeId(<redacted>)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct ChallengeId([u8; 16]);

impl ChallengeId {
    /// A fresh id.
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn generate() -> Result<Self, latchkey_core::Error> {
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        Ok(Self(id))
    }
}

impl fmt::Debug for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChallengeId(<redacted>)")
    }
}

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

/// The text is not a challenge id (32 hex digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a challenge id is 32 hexadecimal digits")]
pub struct MalformedChallengeId;

impl FromStr for ChallengeId {
    type Err = MalformedChallengeId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(s.as_bytes())
            .map_err(|_| MalformedChallengeId)?;
        let id: [u8; 16] = bytes.try_into().map_err(|_| MalformedChallengeId)?;
        Ok(Self(id))
    }
}

/// What stores keep of a challenge id: the SHA-256 of the id within its
/// scope. The id itself is never stored, so a leaked table cannot be
/// replayed against the flow.
///
/// The scope is part of the digest: a sign-in challenge and a step-up
/// challenge for one write have different keys, so an id presented where
/// it does not belong finds nothing and counts nothing.
///
/// ```
/// use latchkey_challenge::{ChallengeId, ChallengeKey};
/// use latchkey_core::AccountId;
/// let id = ChallengeId::generate()?;
/// let jane = AccountId::new("1")?;
/// let write = [7; 32];
/// assert_ne!(ChallengeKey::sign_in(&id), ChallengeKey::step_up(&id, &jane, &write));
/// assert_ne!(ChallengeKey::step_up(&id, &jane, &write), ChallengeKey::step_up(&id, &jane, &[8; 32]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChallengeKey(pub [u8; 32]);

impl ChallengeKey {
    /// The key of a sign-in challenge (mailed code or second factor).
    #[must_use]
    pub fn sign_in(id: &ChallengeId) -> Self {
        Self(Sha256::digest(id.0).into())
    }

    /// The key of a step-up challenge: only this account's answer for
    /// this write finds it.
    #[must_use]
    pub fn step_up(id: &ChallengeId, account: &AccountId, operation: &OperationDigest) -> Self {
        let mut digest = Sha256::new();
        digest.update(b"latchkey step-up challenge v1");
        digest.update(id.0);
        digest.update(operation);
        digest.update((account.as_str().len() as u32).to_be_bytes());
        digest.update(account.as_str().as_bytes());
        Self(digest.finalize().into())
    }
}

impl fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ChallengeKey({}…)",
            data_encoding::HEXLOWER.encode(&self.0[..4])
        )
    }
}
