//! What the two-factor tests share: a service over the memory store, a
//! manual clock and a recording mailer, for one account.
// Each test file uses only part of what is here.
#![allow(dead_code)]

use std::sync::Arc;

use latchkey_core::{
    AccountId, Clock, EmailAddress, EncryptionKey, KeyId, ManualClock, Pepper, RecordingMailer,
};
use latchkey_otp::Totp;
use latchkey_store_memory::MemoryStore;
use latchkey_twofactor::{
    ConfirmOutcome, FactorOutcome, RecoveryCodes, SecondFactor, SecretSealer, TwoFactor,
    TwoFactorSettings,
};
use time::{Duration, OffsetDateTime};

pub fn key(id: &str, byte: u8) -> EncryptionKey {
    EncryptionKey::new(KeyId::new(id).unwrap(), [byte; 32])
}

pub struct Fixture {
    pub tf: TwoFactor,
    pub store: Arc<MemoryStore>,
    pub mailer: Arc<RecordingMailer>,
    pub clock: Arc<ManualClock>,
    pub account: AccountId,
    pub address: EmailAddress,
}

impl Fixture {
    pub fn new() -> Self {
        Self::with(
            SecretSealer::new(key("k1", 1)),
            TwoFactorSettings::new("npm"),
            Arc::new(MemoryStore::new()),
        )
    }

    pub fn with(
        sealer: SecretSealer,
        settings: TwoFactorSettings,
        store: Arc<MemoryStore>,
    ) -> Self {
        let mailer = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let pepper = Pepper::from_bytes(&[7; 32]).unwrap();
        // One memory store holds the 2FA state and counts the attempts.
        let tf = TwoFactor::new(
            store.clone(),
            store.clone(),
            mailer.clone(),
            clock.clone(),
            sealer,
            &pepper,
            settings,
        );
        Self {
            tf,
            store,
            mailer,
            clock,
            account: AccountId::new("jane").unwrap(),
            address: EmailAddress::parse("jane@example.com").unwrap(),
        }
    }

    /// Enrols and confirms; returns the app's TOTP and the recovery codes.
    pub async fn enrol(&self) -> (Totp, RecoveryCodes) {
        let enrolment = self
            .tf
            .begin_enrolment(&self.account, "jane@example.com")
            .await
            .unwrap();
        let app = enrolment.uri.totp().unwrap();
        let code = app.code_at(self.clock.now()).unwrap();
        match self
            .tf
            .confirm_enrolment(&self.account, &self.address, &code)
            .await
            .unwrap()
        {
            ConfirmOutcome::Enabled { recovery_codes } => (app, recovery_codes),
            other => panic!("not enabled: {other:?}"),
        }
    }

    pub async fn totp(&self, code: &str) -> FactorOutcome {
        self.tf
            .verify(&self.account, &self.address, SecondFactor::Totp(code))
            .await
            .unwrap()
    }

    pub async fn recovery(&self, code: &str) -> FactorOutcome {
        self.tf
            .verify(
                &self.account,
                &self.address,
                SecondFactor::RecoveryCode(code),
            )
            .await
            .unwrap()
    }

    pub fn next_step(&self) {
        self.clock.advance(Duration::seconds(30));
    }

    pub fn subjects(&self) -> Vec<String> {
        self.mailer
            .messages()
            .into_iter()
            .map(|m| m.subject)
            .collect()
    }
}
