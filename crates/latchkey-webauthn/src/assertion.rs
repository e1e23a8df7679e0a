//! Signing in (or approving a write) with a key: options for
//! `navigator.credentials.get`, then the browser's assertion.

use latchkey_core::AccountId;
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential, WebauthnError};

use crate::{
    Asserted, AssertionStarted, CeremonyId, CeremonyPurpose, Error, KeyUse, Refusal, SecurityKeys,
};

impl SecurityKeys {
    /// Starts an assertion with any of the account's keys, for `purpose`
    /// (a sign-in's second factor, or one write); `None` when the account
    /// has no key.
    ///
    /// # Errors
    /// Store, randomness or webauthn-rs failures.
    pub async fn begin_assertion(
        &self,
        account: &AccountId,
        purpose: CeremonyPurpose,
    ) -> Result<Option<AssertionStarted>, Error> {
        let keys = self.passkeys(account).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        let passkeys: Vec<_> = keys.into_iter().map(|(_, p)| p).collect();
        let (options, state) = self
            .rp
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(Error::Webauthn)?;
        let state = serde_json::to_string(&state).map_err(Error::Corrupt)?;
        let ceremony = self.store_ceremony(account, purpose, state).await?;
        Ok(Some(AssertionStarted { ceremony, options }))
    }

    /// Finishes an assertion: the ceremony must be the account's and for
    /// `purpose` (a write's approval only for that write). It is consumed
    /// whatever the answer. A counter that did not move forward is
    /// [`Asserted::CounterRegressed`].
    ///
    /// # Errors
    /// Store failures, or stored state that does not read back.
    pub async fn finish_assertion(
        &self,
        ceremony: &CeremonyId,
        account: &AccountId,
        purpose: &CeremonyPurpose,
        answer: &PublicKeyCredential,
    ) -> Result<Asserted, Error> {
        let now = self.clock.now();
        let Some(record) = self.store.take_ceremony(&ceremony.digest(), now).await? else {
            return Ok(Asserted::Expired);
        };
        if record.account != *account || record.purpose != *purpose {
            return Ok(Asserted::Expired);
        }
        let state: PasskeyAuthentication =
            serde_json::from_str(&record.state).map_err(Error::Corrupt)?;
        let result = match self
            .rp
            .webauthn
            .finish_passkey_authentication(answer, &state)
        {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                return Ok(Asserted::CounterRegressed {
                    credential_id: answer.raw_id.to_vec(),
                });
            }
            Err(e) => return Ok(Asserted::Refused(Refusal::from_webauthn(&e))),
        };
        let keys = self.passkeys(account).await?;
        let Some((key, passkey)) = keys
            .into_iter()
            .find(|(_, p)| p.cred_id() == result.cred_id())
        else {
            return Ok(Asserted::Refused(Refusal::UnknownKey));
        };
        self.record_use(account, key, passkey, &result, now).await
    }

    /// Records a verified assertion on its key: refused when the counter
    /// did not move forward since the key was read (a clone, or another
    /// assertion recorded meanwhile); compare-and-set on the counter.
    pub(crate) async fn record_use(
        &self,
        account: &AccountId,
        key: crate::SecurityKeyRecord,
        mut passkey: webauthn_rs::prelude::Passkey,
        result: &webauthn_rs::prelude::AuthenticationResult,
        now: time::OffsetDateTime,
    ) -> Result<Asserted, Error> {
        if (result.counter() != 0 || key.counter != 0) && result.counter() <= key.counter {
            // Stored since the ceremony began: another assertion moved it.
            return Ok(Asserted::CounterRegressed {
                credential_id: key.credential_id,
            });
        }
        passkey.update_credential(result);
        let update = KeyUse {
            passkey: serde_json::to_string(&passkey).map_err(Error::Corrupt)?,
            counter: result.counter().max(key.counter),
            backed_up: result.backup_state(),
            backup_eligible: key.backup_eligible || result.backup_eligible(),
            at: now,
        };
        if !self
            .store
            .record_key_use(account, &key.credential_id, key.counter, update)
            .await?
        {
            return Ok(Asserted::Refused(Refusal::Concurrent));
        }
        Ok(Asserted::Verified {
            credential_id: key.credential_id,
            name: key.name,
            user_verified: result.user_verified(),
            backed_up: result.backup_state(),
        })
    }
}
