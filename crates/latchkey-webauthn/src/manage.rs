//! Listing, renaming and removing an account's keys.

use latchkey_core::AccountId;

use crate::{Error, SecurityKeyRecord, SecurityKeys};

impl SecurityKeys {
    /// The account's keys, oldest first.
    ///
    /// # Errors
    /// Store failures.
    pub async fn list(&self, account: &AccountId) -> Result<Vec<SecurityKeyRecord>, Error> {
        Ok(self.store.security_keys(account).await?)
    }

    /// Renames the account's key; `false` when it is not the account's or
    /// the name is not acceptable (1 to 64 characters, no control
    /// characters).
    ///
    /// # Errors
    /// Store failures.
    pub async fn rename(
        &self,
        account: &AccountId,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, Error> {
        if !crate::registration::acceptable_name(name) {
            return Ok(false);
        }
        Ok(self
            .store
            .rename_security_key(account, credential_id, name)
            .await?)
    }

    /// Removes the account's key; whether it did. (The flow asks for a
    /// fresh authentication first, and turns 2FA off with the last
    /// factor only with a fresh factor.)
    ///
    /// # Errors
    /// Store failures.
    pub async fn remove(&self, account: &AccountId, credential_id: &[u8]) -> Result<bool, Error> {
        Ok(self
            .store
            .remove_security_key(account, credential_id)
            .await?)
    }

    /// Puts a removed key back as it was (the flow undoes a removal that
    /// left an account with no factor); `false` if its credential id is
    /// registered again meanwhile.
    ///
    /// # Errors
    /// Store failures.
    pub async fn restore(&self, key: SecurityKeyRecord) -> Result<bool, Error> {
        Ok(self.store.add_security_key(key).await?)
    }

    /// Deletes expired ceremonies; how many.
    ///
    /// # Errors
    /// Store failures.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        Ok(self
            .store
            .purge_expired_ceremonies(self.clock.now())
            .await?)
    }
}
