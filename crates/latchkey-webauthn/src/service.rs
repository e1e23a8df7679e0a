//! The service: one relying party, one store, one clock.

use std::fmt;
use std::sync::Arc;

use latchkey_core::{AccountId, Clock, KeyedHmac, Pepper};
use webauthn_rs::prelude::{Passkey, Uuid};

use crate::{Error, RelyingParty, SecurityKeyRecord, SecurityKeyStore};

/// Security keys and passkeys for one relying party: registration
/// (`registration.rs`), assertions (`assertion.rs`) and management
/// (`manage.rs`), over a [`SecurityKeyStore`].
#[derive(Clone)]
pub struct SecurityKeys {
    pub(crate) rp: Arc<RelyingParty>,
    pub(crate) store: Arc<dyn SecurityKeyStore>,
    pub(crate) clock: Arc<dyn Clock>,
    handles: KeyedHmac,
}

impl fmt::Debug for SecurityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityKeys")
            .field("rp", &self.rp)
            .finish_non_exhaustive()
    }
}

impl SecurityKeys {
    /// The service. `pepper` keys the user handles authenticators keep
    /// (an HMAC of the account id: stable, and no account id leaves the
    /// server).
    pub fn new(
        rp: RelyingParty,
        store: Arc<dyn SecurityKeyStore>,
        clock: Arc<dyn Clock>,
        pepper: &Pepper,
    ) -> Self {
        Self {
            rp: Arc::new(rp),
            store,
            clock,
            handles: KeyedHmac::derive(pepper, b"latchkey webauthn user handle v1"),
        }
    }

    /// The relying party.
    #[must_use]
    pub fn relying_party(&self) -> &RelyingParty {
        &self.rp
    }

    /// The account's user handle: 128 bits of an HMAC of its id.
    pub(crate) fn user_handle(&self, account: &AccountId) -> Uuid {
        let mac = self.handles.mac(&[account.as_str().as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&mac[..16]);
        Uuid::from_bytes(bytes)
    }

    /// The account's keys as webauthn-rs reads them, beside their records.
    pub(crate) async fn passkeys(
        &self,
        account: &AccountId,
    ) -> Result<Vec<(SecurityKeyRecord, Passkey)>, Error> {
        self.store
            .security_keys(account)
            .await?
            .into_iter()
            .map(|record| {
                let passkey = serde_json::from_str(&record.passkey).map_err(Error::Corrupt)?;
                Ok((record, passkey))
            })
            .collect()
    }
}
