//! Passkey sign-in without a password: the browser picks a discoverable
//! credential (offered in the username field by conditional UI, or in its
//! own dialog), and the answer names the key, and through it the account.

use webauthn_rs::prelude::{DiscoverableAuthentication, PublicKeyCredential, WebauthnError};

use crate::{
    Asserted, AssertionStarted, CeremonyId, CeremonyPurpose, CeremonyRecord, Error, Refusal,
    SecurityKeyRecord, SecurityKeys,
};

impl SecurityKeys {
    /// Starts a passkey sign-in: options for `navigator.credentials.get`
    /// with no credentials listed and `mediation: "conditional"` (remove
    /// it for a button's modal dialog), user verification required. The
    /// ceremony belongs to nobody until [`identify`](Self::identify) reads
    /// the answer.
    ///
    /// # Errors
    /// Store, randomness or webauthn-rs failures.
    pub async fn begin_passwordless(&self) -> Result<AssertionStarted, Error> {
        let (options, state) = self
            .rp
            .webauthn
            .start_discoverable_authentication()
            .map_err(Error::Webauthn)?;
        let state = serde_json::to_string(&state).map_err(Error::Corrupt)?;
        let nobody = latchkey_core::AccountId::new(CeremonyRecord::NOBODY)?;
        let ceremony = self
            .store_ceremony(&nobody, CeremonyPurpose::Passwordless, state)
            .await?;
        Ok(AssertionStarted { ceremony, options })
    }

    /// The key a passkey answer names, if it is registered and its user
    /// handle is the one this service gave that key's account. Nothing is
    /// verified yet (the host counts the attempt against that account
    /// first, then calls [`finish_passwordless`](Self::finish_passwordless)).
    ///
    /// # Errors
    /// Store failures.
    pub async fn identify(
        &self,
        answer: &PublicKeyCredential,
    ) -> Result<Option<SecurityKeyRecord>, Error> {
        let Ok((handle, credential_id)) = self
            .rp
            .webauthn
            .identify_discoverable_authentication(answer)
        else {
            return Ok(None);
        };
        let Some(key) = self.store.security_key_by_credential(credential_id).await? else {
            return Ok(None);
        };
        Ok((self.user_handle(&key.account) == handle).then_some(key))
    }

    /// Finishes a passkey sign-in with the key [`identify`](Self::identify)
    /// found: the ceremony must be a passwordless one (it is consumed
    /// whatever the answer), the signature the key's, the user verified,
    /// and the counter moving forward (else
    /// [`Asserted::CounterRegressed`]).
    ///
    /// # Errors
    /// Store failures, or stored state that does not read back.
    pub async fn finish_passwordless(
        &self,
        ceremony: &CeremonyId,
        key: &SecurityKeyRecord,
        answer: &PublicKeyCredential,
    ) -> Result<Asserted, Error> {
        let now = self.clock.now();
        let Some(record) = self.store.take_ceremony(&ceremony.digest(), now).await? else {
            return Ok(Asserted::Expired);
        };
        if record.purpose != CeremonyPurpose::Passwordless {
            return Ok(Asserted::Expired);
        }
        let state: DiscoverableAuthentication =
            serde_json::from_str(&record.state).map_err(Error::Corrupt)?;
        let passkey: webauthn_rs::prelude::Passkey =
            serde_json::from_str(&key.passkey).map_err(Error::Corrupt)?;
        let result = match self
            .rp
            .webauthn
            .finish_discoverable_authentication_v2(answer, state, &passkey)
        {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                return Ok(Asserted::CounterRegressed {
                    credential_id: key.credential_id.clone(),
                });
            }
            Err(e) => return Ok(Asserted::Refused(Refusal::from_webauthn(&e))),
        };
        self.record_use(&key.account, key.clone(), passkey, &result, now)
            .await
    }

    /// Consumes a ceremony without checking an answer (one that named an
    /// unknown key, or that the host refused before checking).
    ///
    /// # Errors
    /// Store failures.
    pub async fn discard(&self, ceremony: &CeremonyId) -> Result<(), Error> {
        self.store
            .take_ceremony(&ceremony.digest(), self.clock.now())
            .await?;
        Ok(())
    }
}
