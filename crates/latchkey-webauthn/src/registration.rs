//! Registering a security key or passkey: options for
//! `navigator.credentials.create`, then the browser's answer.

use latchkey_core::AccountId;
use webauthn_rs::prelude::{
    AttestedPasskeyRegistration, CreationChallengeResponse, Credential, Passkey,
    PasskeyRegistration, RegisterPublicKeyCredential,
};

use crate::{
    CeremonyId, CeremonyPurpose, CeremonyRecord, Error, Refusal, Registered, RegistrationBegin,
    RegistrationStarted, SecurityKeyRecord, SecurityKeys,
};

/// The longest key name, in characters.
pub const MAX_KEY_NAME: usize = 64;

pub(crate) fn acceptable_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_KEY_NAME).contains(&count)
        && !name.chars().any(char::is_control)
        && name.trim() == name
}

impl SecurityKeys {
    /// Starts registering a key named `key_name` for `account`
    /// (`user_name` is what the authenticator shows). The account's keys
    /// are excluded, so one authenticator is not registered twice;
    /// attestation is `none` (unless the relying party trusts only some
    /// authenticators: [`RelyingParty::with_attestation`](crate::RelyingParty::with_attestation))
    /// and user verification required.
    ///
    /// # Errors
    /// Store, randomness or webauthn-rs failures.
    pub async fn begin_registration(
        &self,
        account: &AccountId,
        user_name: &str,
        key_name: &str,
    ) -> Result<RegistrationBegin, Error> {
        if !acceptable_name(key_name) {
            return Ok(RegistrationBegin::NameRefused);
        }
        let keys = self.passkeys(account).await?;
        if keys.len() >= self.rp.max_keys {
            return Ok(RegistrationBegin::TooManyKeys);
        }
        let exclude = keys.iter().map(|(_, p)| p.cred_id().clone()).collect();
        let handle = self.user_handle(account);
        let webauthn = &self.rp.webauthn;
        let (options, state) = match &self.rp.attestation {
            None => {
                let (options, state) = webauthn
                    .start_passkey_registration(handle, user_name, user_name, Some(exclude))
                    .map_err(Error::Webauthn)?;
                (
                    options,
                    serde_json::to_string(&state).map_err(Error::Corrupt)?,
                )
            }
            Some(trusted) => {
                let (options, state) = webauthn
                    .start_attested_passkey_registration(
                        handle,
                        user_name,
                        user_name,
                        Some(exclude),
                        trusted.clone(),
                        None,
                    )
                    .map_err(Error::Webauthn)?;
                (
                    options,
                    serde_json::to_string(&state).map_err(Error::Corrupt)?,
                )
            }
        };
        let options = if self.rp.discoverable {
            discoverable(options)?
        } else {
            options
        };
        let ceremony = self
            .store_ceremony(
                account,
                CeremonyPurpose::Registration {
                    name: key_name.to_owned(),
                },
                state,
            )
            .await?;
        Ok(RegistrationBegin::Started(Box::new(RegistrationStarted {
            ceremony,
            options,
        })))
    }

    /// Finishes a registration with the browser's answer (see
    /// [`parse_registration`](crate::parse_registration)). The ceremony
    /// is consumed whatever the answer: of concurrent finishes exactly one
    /// can succeed.
    ///
    /// # Errors
    /// Store failures, or stored state that does not read back.
    pub async fn finish_registration(
        &self,
        ceremony: &CeremonyId,
        account: &AccountId,
        answer: &RegisterPublicKeyCredential,
    ) -> Result<Registered, Error> {
        let now = self.clock.now();
        let Some(record) = self.store.take_ceremony(&ceremony.digest(), now).await? else {
            return Ok(Registered::Expired);
        };
        let CeremonyPurpose::Registration { name } = record.purpose else {
            return Ok(Registered::Expired);
        };
        if record.account != *account {
            return Ok(Registered::Expired);
        }
        // A ceremony begun under another attestation policy (the host
        // changed it meanwhile) does not read back as this one's: expired.
        let webauthn = &self.rp.webauthn;
        let finished = if self.rp.attestation.is_some() {
            let Ok(state) = serde_json::from_str::<AttestedPasskeyRegistration>(&record.state)
            else {
                return Ok(Registered::Expired);
            };
            webauthn
                .finish_attested_passkey_registration(answer, &state)
                .map(Passkey::from)
        } else {
            let Ok(state) = serde_json::from_str::<PasskeyRegistration>(&record.state) else {
                return Ok(Registered::Expired);
            };
            webauthn.finish_passkey_registration(answer, &state)
        };
        let passkey = match finished {
            Ok(passkey) => passkey,
            Err(e) => return Ok(Registered::Refused(Refusal::from_webauthn(&e))),
        };
        // Checked again: other registrations may have finished since this
        // one began.
        if self.store.security_keys(account).await?.len() >= self.rp.max_keys {
            return Ok(Registered::TooManyKeys);
        }
        let stored = serde_json::to_string(&passkey).map_err(Error::Corrupt)?;
        let credential = Credential::from(passkey);
        let key = SecurityKeyRecord {
            account: account.clone(),
            credential_id: credential.cred_id.to_vec(),
            name,
            passkey: stored,
            counter: credential.counter,
            backup_eligible: credential.backup_eligible,
            backed_up: credential.backup_state,
            created_at: now,
            last_used_at: None,
        };
        if !self.store.add_security_key(key.clone()).await? {
            return Ok(Registered::AlreadyRegistered);
        }
        Ok(Registered::Added(key))
    }

    /// Stores a new ceremony; its id.
    pub(crate) async fn store_ceremony(
        &self,
        account: &AccountId,
        purpose: CeremonyPurpose,
        state: String,
    ) -> Result<CeremonyId, Error> {
        let expires_at = self.clock.now() + self.rp.ceremony_ttl;
        // A taken digest is a 2^-128 event; one retry covers it anyway.
        for _ in 0..2 {
            let id = CeremonyId::generate()?;
            let record = CeremonyRecord {
                id_digest: id.digest(),
                account: account.clone(),
                purpose: purpose.clone(),
                state: state.clone(),
                expires_at,
            };
            if self.store.insert_ceremony(record).await? {
                return Ok(id);
            }
        }
        Err(Error::Store(latchkey_core::StoreError::corrupt(
            "the security key store refused two fresh ceremony ids",
        )))
    }
}

/// The options with `residentKey: "required"`: the authenticator keeps
/// the credential, so it can sign in without a login. (Only the browser
/// reads this; the server-side state does not depend on it.)
fn discoverable(options: CreationChallengeResponse) -> Result<CreationChallengeResponse, Error> {
    let mut json = serde_json::to_value(options).map_err(Error::Corrupt)?;
    let selection = &mut json["publicKey"]["authenticatorSelection"];
    if !selection.is_object() {
        *selection = serde_json::json!({ "userVerification": "required" });
    }
    selection["residentKey"] = "required".into();
    selection["requireResidentKey"] = true.into();
    serde_json::from_value(json).map_err(Error::Corrupt)
}
