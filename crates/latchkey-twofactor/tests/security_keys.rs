//! 2FA whose factor is a security key kept elsewhere: the first key
//! turns 2FA on once, with recovery codes and a notice; later keys and
//! removals mail their own notices and tell the change listener. Also
//! what an `Approval` and `RecoveryCodes` show of themselves.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use latchkey_core::{
    AccountId, EmailAddress, EncryptionKey, KeyId, ManualClock, Pepper, RecordingMailer, StoreError,
};
use latchkey_store_memory::MemoryStore;
use latchkey_twofactor::{
    Action, ChangeOutcome, FactorChange, FactorChanges, Mode, SecondFactor, SecretSealer,
    TwoFactor, TwoFactorSettings,
};
use time::OffsetDateTime;

#[derive(Debug, Default)]
struct Heard(Mutex<Vec<FactorChange>>);

#[async_trait]
impl FactorChanges for Heard {
    async fn factor_changed(&self, _: &AccountId, change: FactorChange) -> Result<(), StoreError> {
        self.0.lock().expect("lock").push(change);
        Ok(())
    }
}

struct World {
    tf: TwoFactor,
    mail: Arc<RecordingMailer>,
    heard: Arc<Heard>,
    jane: AccountId,
    address: EmailAddress,
}

fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let mail = Arc::new(RecordingMailer::new());
    let heard = Arc::new(Heard::default());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time"),
    ));
    let tf = TwoFactor::new(
        store.clone(),
        store,
        mail.clone(),
        clock,
        SecretSealer::new(EncryptionKey::generate(KeyId::new("k1").expect("id")).expect("key")),
        &Pepper::generate().expect("pepper"),
        TwoFactorSettings::new("npm"),
    )
    .with_change_listener(heard.clone());
    World {
        tf,
        mail,
        heard,
        jane: AccountId::new("jane").expect("id"),
        address: EmailAddress::parse("jane@example.com").expect("address"),
    }
}

#[tokio::test]
async fn the_first_key_turns_two_factor_on_with_codes_and_later_changes_mail_notices() {
    let w = world();
    let codes =
        w.tf.security_key_added(&w.jane, &w.address)
            .await
            .expect("added")
            .expect("the first key makes recovery codes");
    assert_eq!(codes.len(), 10);
    assert!(!codes.is_empty());
    assert_eq!(w.tf.mode(&w.jane).await.expect("mode"), Mode::AuthOnly);
    assert!(
        w.tf.requires_code(&w.jane, Action::SignIn)
            .await
            .expect("requires")
    );
    assert_eq!(
        w.mail.last().expect("a notice").subject,
        "Two-factor authentication is on"
    );
    // Its codes work (and only once).
    let code = codes.iter().next().expect("a code").to_owned();
    assert!(
        w.tf.verify(&w.jane, &w.address, SecondFactor::RecoveryCode(&code))
            .await
            .expect("verify")
            .is_accepted()
    );

    assert!(
        w.tf.security_key_added(&w.jane, &w.address)
            .await
            .expect("added")
            .is_none(),
        "a second key makes no codes"
    );
    assert_eq!(
        w.mail.last().expect("a notice").subject,
        "A security key was added"
    );
    w.tf.security_key_removed(&w.jane, &w.address)
        .await
        .expect("removed");
    assert_eq!(
        w.mail.last().expect("a notice").subject,
        "A security key was removed"
    );
    assert_eq!(
        *w.heard.0.lock().expect("lock"),
        [
            FactorChange::Enabled,
            FactorChange::SecurityKeyAdded,
            FactorChange::SecurityKeyRemoved
        ]
    );
}

#[tokio::test]
async fn an_approval_shows_neither_its_id_nor_its_tag() {
    let w = world();
    w.tf.security_key_added(&w.jane, &w.address)
        .await
        .expect("added");
    let approval =
        w.tf.approval_after_security_key(&w.jane, &[3; 32])
            .expect("approval");
    let shown = format!("{approval:?}");
    assert!(
        shown.starts_with("Approval {") && shown.contains("jane"),
        "{shown}"
    );
    assert!(!shown.contains("tag") && !shown.contains("id:"), "{shown}");
    assert!(
        w.tf.redeem_approval(&approval, &w.jane, &[3; 32])
            .await
            .expect("redeem")
    );
    let ChangeOutcome::Refused(_) =
        w.tf.approve_operation(&w.jane, &w.address, SecondFactor::Totp("123456"), &[3; 32])
            .await
            .expect("approve")
    else {
        panic!("no app: a TOTP code approves nothing");
    };
}
