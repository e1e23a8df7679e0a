//! A registered security key or passkey, as stored.

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use latchkey_core::AccountId;
use time::OffsetDateTime;

/// A registered key. Only public material: the credential's public key
/// and id, its counter and flags, and what the user named it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityKeyRecord {
    /// Whose.
    pub account: AccountId,
    /// The credential id the authenticator chose (unique across every
    /// account).
    pub credential_id: Vec<u8>,
    /// The name the user picked ("YubiKey 5C", "iPhone").
    pub name: String,
    /// webauthn-rs's `Passkey` (JSON): the public key, algorithm, counter
    /// and flags.
    pub passkey: String,
    /// The signature counter last seen (0 for authenticators without one,
    /// as most synced passkeys).
    pub counter: u32,
    /// Whether the credential may be backed up (a synced passkey).
    pub backup_eligible: bool,
    /// Whether it was backed up when last seen.
    pub backed_up: bool,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// When it last signed in.
    pub last_used_at: Option<OffsetDateTime>,
}

impl SecurityKeyRecord {
    /// The credential id as base64url, for a page or a form.
    #[must_use]
    pub fn credential_id_text(&self) -> String {
        BASE64URL_NOPAD.encode(&self.credential_id)
    }
}

impl fmt::Debug for SecurityKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityKeyRecord")
            .field("account", &self.account)
            .field("credential_id", &self.credential_id_text())
            .field("name", &self.name)
            .field("counter", &self.counter)
            .field("backup_eligible", &self.backup_eligible)
            .field("backed_up", &self.backed_up)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .finish_non_exhaustive()
    }
}

/// One accepted assertion, to record on the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUse {
    /// The updated `Passkey` JSON.
    pub passkey: String,
    /// The new counter.
    pub counter: u32,
    /// Backed up now.
    pub backed_up: bool,
    /// Backup eligible now (it only ever turns on).
    pub backup_eligible: bool,
    /// When.
    pub at: OffsetDateTime,
}
