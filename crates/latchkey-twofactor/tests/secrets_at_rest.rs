//! Secrets at rest (REQ-25): the store sees only ciphertext, keys rotate
//! (the old key still opens, a missing or wrong one is a clear error), a
//! row whose code parameters were altered does not decrypt, and `Debug`
//! shows no secret.

mod common;

use std::sync::Arc;

use common::{Fixture, key};
use latchkey_core::{AccountId, Clock, KeyId, Pepper};
use latchkey_store_memory::MemoryStore;
use latchkey_twofactor::{
    Error, Mode, SecondFactor, SecretSealer, TwoFactor, TwoFactorSettings, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn req_25_the_store_only_sees_ciphertext() {
    let f = Fixture::new();
    let enrolment = f.tf.begin_enrolment(&f.account, "jane").await.unwrap();
    let secret = enrolment.uri.secret.expose().to_vec();
    let state = f.store.load(&f.account).await.unwrap();
    let sealed = state.pending.unwrap().sealed;
    assert_eq!(sealed.key_id.as_str(), "k1");
    assert!(
        !sealed
            .ciphertext
            .windows(secret.len())
            .any(|w| w == secret.as_slice())
    );
}

#[tokio::test]
async fn req_25_rotation_old_key_still_opens_and_a_missing_or_wrong_key_is_a_clear_error() {
    let store = Arc::new(MemoryStore::new());
    let npm = || TwoFactorSettings::new("npm");
    let old = Fixture::with(SecretSealer::new(key("2025", 1)), npm(), store.clone());
    let (app, _) = old.enrol().await;

    // Before anyone signs in, a sealer without the old key cannot open it.
    let missing = Fixture::with(SecretSealer::new(key("2026", 2)), npm(), store.clone());
    let err = missing
        .tf
        .verify(
            &missing.account,
            &missing.address,
            SecondFactor::Totp("123456"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownKey { ref key_id } if key_id == "2025"),
        "{err}"
    );
    let wrong = Fixture::with(SecretSealer::new(key("2025", 9)), npm(), store.clone());
    let err = wrong
        .tf
        .verify(&wrong.account, &wrong.address, SecondFactor::Totp("123456"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decryption), "{err}");
    old.tf.unlock(&old.account).await.unwrap();

    // The rotated sealer opens the old record and re-seals it on use.
    let rotated = Fixture::with(
        SecretSealer::new(key("2026", 2)).with_previous(key("2025", 1)),
        npm(),
        store.clone(),
    );
    rotated.clock.set(old.clock.now() + Duration::seconds(30));
    let code = app.code_at(rotated.clock.now()).unwrap();
    assert!(
        rotated.totp(&code).await.is_accepted(),
        "old key still decrypts"
    );
    let state = store.load(&rotated.account).await.unwrap();
    assert_eq!(
        state.authenticator.unwrap().sealed.key_id.as_str(),
        "2026",
        "re-sealed under the new key"
    );

    // So the old key can be retired.
    let retired = Fixture::with(SecretSealer::new(key("2026", 2)), npm(), store);
    retired
        .clock
        .set(rotated.clock.now() + Duration::seconds(30));
    let code = app.code_at(retired.clock.now()).unwrap();
    assert!(
        retired.totp(&code).await.is_accepted(),
        "the old key was retired"
    );
}

#[tokio::test]
async fn debug_output_shows_no_secret() {
    let f = Fixture::new();
    let enrolment = f.tf.begin_enrolment(&f.account, "jane").await.unwrap();
    let b32 = enrolment.uri.secret.to_base32();
    let shown = format!(
        "{:?} {:?} {:?}",
        f.tf,
        enrolment,
        f.store.load(&f.account).await.unwrap()
    );
    assert!(!shown.contains(&b32), "{shown}");
}

/// A store that serves a tampered record: more digits than were enrolled.
#[derive(Debug)]
struct Tampered(MemoryStore);

#[async_trait::async_trait]
impl TwoFactorStore for Tampered {
    async fn load(
        &self,
        a: &AccountId,
    ) -> Result<latchkey_twofactor::TwoFactorState, latchkey_core::StoreError> {
        let mut state = self.0.load(a).await?;
        if let Some(auth) = state.authenticator.as_mut() {
            auth.digits = 8;
        }
        Ok(state)
    }
    async fn put_pending(
        &self,
        a: &AccountId,
        p: latchkey_twofactor::PendingEnrolment,
    ) -> Result<(), latchkey_core::StoreError> {
        self.0.put_pending(a, p).await
    }
    async fn activate(
        &self,
        a: &AccountId,
        id: &[u8; 16],
        now: OffsetDateTime,
        step: u64,
        codes: Vec<[u8; 32]>,
        mode: Mode,
    ) -> Result<bool, latchkey_core::StoreError> {
        self.0.activate(a, id, now, step, codes, mode).await
    }
    async fn advance_step(
        &self,
        a: &AccountId,
        id: &[u8; 16],
        step: u64,
        drift: i32,
    ) -> Result<bool, latchkey_core::StoreError> {
        self.0.advance_step(a, id, step, drift).await
    }
    async fn use_recovery_code(
        &self,
        a: &AccountId,
        d: &[u8; 32],
    ) -> Result<Option<u32>, latchkey_core::StoreError> {
        self.0.use_recovery_code(a, d).await
    }
    async fn replace_recovery_codes(
        &self,
        a: &AccountId,
        c: Vec<[u8; 32]>,
    ) -> Result<(), latchkey_core::StoreError> {
        self.0.replace_recovery_codes(a, c).await
    }
    async fn set_mode(&self, a: &AccountId, m: Mode) -> Result<bool, latchkey_core::StoreError> {
        self.0.set_mode(a, m).await
    }
    async fn enable_without_app(
        &self,
        a: &AccountId,
        codes: Vec<latchkey_twofactor::RecoveryDigest>,
        m: Mode,
    ) -> Result<bool, latchkey_core::StoreError> {
        self.0.enable_without_app(a, codes, m).await
    }
    async fn disable(&self, a: &AccountId) -> Result<(), latchkey_core::StoreError> {
        self.0.disable(a).await
    }
    async fn reseal(
        &self,
        a: &AccountId,
        id: &[u8; 16],
        k: &KeyId,
        n: latchkey_twofactor::SealedSecret,
    ) -> Result<bool, latchkey_core::StoreError> {
        self.0.reseal(a, id, k, n).await
    }
    async fn claim_replay_notice(
        &self,
        a: &AccountId,
        now: OffsetDateTime,
        every: Duration,
    ) -> Result<bool, latchkey_core::StoreError> {
        self.0.claim_replay_notice(a, now, every).await
    }
    async fn consume_approval(
        &self,
        a: &AccountId,
        id: &[u8; 16],
        e: OffsetDateTime,
    ) -> Result<bool, latchkey_core::StoreError> {
        self.0.consume_approval(a, id, e).await
    }
}

#[tokio::test]
async fn req_25_a_row_whose_code_parameters_were_altered_does_not_decrypt() {
    let store = Arc::new(MemoryStore::new());
    let f = Fixture::with(
        SecretSealer::new(key("k1", 1)),
        TwoFactorSettings::new("npm"),
        store.clone(),
    );
    let _ = f.enrol().await;
    // Move the record into a store that reports 8 digits instead of 6.
    let tampered = Arc::new(Tampered(MemoryStore::new()));
    let state = store.load(&f.account).await.unwrap();
    let auth = state.authenticator.unwrap();
    let pending = latchkey_twofactor::PendingEnrolment {
        id: auth.id,
        sealed: auth.sealed,
        algorithm: auth.algorithm,
        digits: auth.digits,
        period: auth.period,
        expires_at: f.clock.now() + Duration::minutes(1),
    };
    tampered.0.put_pending(&f.account, pending).await.unwrap();
    assert!(
        tampered
            .0
            .activate(
                &f.account,
                &auth.id,
                f.clock.now(),
                0,
                Vec::new(),
                Mode::AuthOnly
            )
            .await
            .unwrap()
    );
    let tf = TwoFactor::new(
        tampered,
        // Attempts are counted in a store of their own.
        Arc::new(MemoryStore::new()),
        f.mailer.clone(),
        f.clock.clone(),
        SecretSealer::new(key("k1", 1)),
        &Pepper::from_bytes(&[7; 32]).unwrap(),
        TwoFactorSettings::new("npm"),
    );
    let err = tf
        .verify(&f.account, &f.address, SecondFactor::Totp("12345678"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decryption), "{err}");
}
