//! The two-factor service end to end, with a manual clock, a recording
//! mailer and the memory store: REQ-23, REQ-25, REQ-28 to REQ-30, modes
//! and operation-bound approval.

use std::sync::Arc;

use latchkey_core::{
    AccountId, Clock, EmailAddress, EncryptionKey, KeyId, ManualClock, MessageKind, Pepper,
    RecordingMailer,
};
use latchkey_otp::Totp;
use latchkey_store_memory::MemoryStore;
use latchkey_testkit::wrong_totp_code;
use latchkey_twofactor::{
    Action, ChangeOutcome, ConfirmOutcome, Error, FactorOutcome, Mode, RecoveryCodes, SecondFactor,
    SecretSealer, TwoFactor, TwoFactorSettings, TwoFactorStore,
};
use time::{Duration, OffsetDateTime};

fn key(id: &str, byte: u8) -> EncryptionKey {
    EncryptionKey::new(KeyId::new(id).unwrap(), [byte; 32])
}

struct Fixture {
    tf: TwoFactor,
    store: Arc<MemoryStore>,
    mailer: Arc<RecordingMailer>,
    clock: Arc<ManualClock>,
    account: AccountId,
    address: EmailAddress,
}

impl Fixture {
    fn new() -> Self {
        Self::with(
            SecretSealer::new(key("k1", 1)),
            TwoFactorSettings::new("npm"),
            Arc::new(MemoryStore::new()),
        )
    }

    fn with(sealer: SecretSealer, settings: TwoFactorSettings, store: Arc<MemoryStore>) -> Self {
        let mailer = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let pepper = Pepper::from_bytes(&[7; 32]).unwrap();
        let tf = TwoFactor::new(
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
    async fn enrol(&self) -> (Totp, RecoveryCodes) {
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

    async fn totp(&self, code: &str) -> FactorOutcome {
        self.tf
            .verify(&self.account, &self.address, SecondFactor::Totp(code))
            .await
            .unwrap()
    }

    async fn recovery(&self, code: &str) -> FactorOutcome {
        self.tf
            .verify(
                &self.account,
                &self.address,
                SecondFactor::RecoveryCode(code),
            )
            .await
            .unwrap()
    }

    fn next_step(&self) {
        self.clock.advance(Duration::seconds(30));
    }

    fn subjects(&self) -> Vec<String> {
        self.mailer
            .messages()
            .into_iter()
            .map(|m| m.subject)
            .collect()
    }
}

#[tokio::test]
async fn enrolment_gives_a_uri_then_a_first_code_turns_2fa_on_with_ten_recovery_codes() {
    let f = Fixture::new();
    let enrolment =
        f.tf.begin_enrolment(&f.account, "jane@example.com")
            .await
            .unwrap();
    assert!(
        enrolment
            .uri
            .to_string()
            .starts_with("otpauth://totp/npm:jane%40example.com?secret=")
    );
    assert_eq!(
        f.tf.mode(&f.account).await.unwrap(),
        Mode::Off,
        "pending is not active"
    );
    let app = enrolment.uri.totp().unwrap();
    let wrong =
        f.tf.confirm_enrolment(
            &f.account,
            &f.address,
            &wrong_totp_code(&app, f.clock.now()),
        )
        .await
        .unwrap();
    assert!(matches!(wrong, ConfirmOutcome::WrongCode));
    let code = app.code_at(f.clock.now()).unwrap();
    let ConfirmOutcome::Enabled { recovery_codes } =
        f.tf.confirm_enrolment(&f.account, &f.address, &code)
            .await
            .unwrap()
    else {
        panic!("not enabled")
    };
    assert_eq!(recovery_codes.len(), 10);
    assert_eq!(f.tf.mode(&f.account).await.unwrap(), Mode::AuthOnly);
    assert_eq!(f.tf.recovery_codes_left(&f.account).await.unwrap(), 10);
    assert_eq!(f.subjects(), vec!["Two-factor authentication is on"]);
    assert_eq!(f.mailer.last().unwrap().kind, MessageKind::SecurityNotice);
    assert!(matches!(
        f.tf.confirm_enrolment(&f.account, &f.address, &code)
            .await
            .unwrap(),
        ConfirmOutcome::AlreadyEnabled
    ));
}

#[tokio::test]
async fn pending_enrolments_expire_after_fifteen_minutes() {
    let f = Fixture::new();
    let enrolment = f.tf.begin_enrolment(&f.account, "jane").await.unwrap();
    f.clock.advance(Duration::minutes(15));
    let code = enrolment
        .uri
        .totp()
        .unwrap()
        .code_at(f.clock.now())
        .unwrap();
    assert!(matches!(
        f.tf.confirm_enrolment(&f.account, &f.address, &code)
            .await
            .unwrap(),
        ConfirmOutcome::Expired
    ));
    assert!(matches!(
        Fixture::new()
            .tf
            .confirm_enrolment(&f.account, &f.address, "123456")
            .await
            .unwrap(),
        ConfirmOutcome::NoPending
    ));
}

#[tokio::test]
async fn req_23_a_code_is_accepted_once_and_a_replay_mails_a_notice() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    // The confirming code's step is already used.
    let confirming = app.code_at(f.clock.now()).unwrap();
    assert_eq!(f.totp(&confirming).await, FactorOutcome::Replayed);
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&code).await.is_accepted());
    assert_eq!(f.totp(&code).await, FactorOutcome::Replayed);
    assert!(
        f.subjects()
            .contains(&"A used sign-in code was tried again".to_owned())
    );
}

#[tokio::test]
async fn req_23_an_earlier_step_is_refused_after_a_later_one() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    f.clock.advance(Duration::seconds(90));
    let now = app.step_at(f.clock.now()).unwrap();
    let earlier = app.code_for_step(now - 1);
    let later = app.code_for_step(now + 1);
    assert!(f.totp(&later).await.is_accepted());
    assert_eq!(f.totp(&earlier).await, FactorOutcome::Replayed);
}

#[tokio::test]
async fn wrong_codes_are_rejected_and_unenrolled_accounts_say_so() {
    let f = Fixture::new();
    assert_eq!(f.totp("123456").await, FactorOutcome::NotEnrolled);
    let (app, _) = f.enrol().await;
    f.next_step();
    let wrong = wrong_totp_code(&app, f.clock.now());
    assert_eq!(f.totp(&wrong).await, FactorOutcome::Rejected);
    assert_eq!(f.totp("not a code").await, FactorOutcome::Rejected);
}

#[tokio::test]
async fn req_29_30_recovery_codes_work_once_show_what_remains_and_mail_a_notice() {
    let f = Fixture::new();
    let (_, codes) = f.enrol().await;
    let first = codes.iter().next().unwrap().to_owned();
    let typed = first.to_lowercase().replace('-', " ");
    assert_eq!(
        f.recovery(&typed).await,
        FactorOutcome::Accepted {
            recovery_codes_left: Some(9)
        }
    );
    assert_eq!(
        f.recovery(&first).await,
        FactorOutcome::Rejected,
        "used once"
    );
    assert_eq!(
        f.recovery("0000-0000-0000-0000").await,
        FactorOutcome::Rejected
    );
    let notice = f.mailer.last().unwrap();
    assert_eq!(notice.subject, "A recovery code was used");
    assert!(notice.text.contains("9 unused codes"));
}

#[tokio::test]
async fn req_29_recovery_codes_are_stored_as_keyed_digests_only() {
    let f = Fixture::new();
    let (_, codes) = f.enrol().await;
    let shown = format!(
        "{:?} {:?}",
        f.store,
        f.store.load(&f.account).await.unwrap()
    );
    for code in codes.iter() {
        assert!(!shown.contains(code) && !shown.contains(&code.replace('-', "")));
    }
    // Another pepper cannot use them.
    let other = TwoFactor::new(
        f.store.clone(),
        f.mailer.clone(),
        f.clock.clone(),
        SecretSealer::new(key("k1", 1)),
        &Pepper::from_bytes(&[8; 32]).unwrap(),
        TwoFactorSettings::new("npm"),
    );
    let code = codes.iter().next().unwrap().to_owned();
    let outcome = other
        .verify(&f.account, &f.address, SecondFactor::RecoveryCode(&code))
        .await
        .unwrap();
    assert_eq!(outcome, FactorOutcome::Rejected);
}

#[tokio::test]
async fn req_28_30_regenerating_needs_a_fresh_factor_voids_the_old_set_and_mails() {
    let f = Fixture::new();
    let (app, old) = f.enrol().await;
    let refused =
        f.tf.regenerate_recovery_codes(
            &f.account,
            &f.address,
            SecondFactor::Totp(&wrong_totp_code(&app, f.clock.now())),
        )
        .await
        .unwrap();
    assert!(matches!(refused, ChangeOutcome::Refused(_)));
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    let ChangeOutcome::Done(new) =
        f.tf.regenerate_recovery_codes(&f.account, &f.address, SecondFactor::Totp(&code))
            .await
            .unwrap()
    else {
        panic!("refused")
    };
    assert_eq!(new.len(), 10);
    assert_eq!(
        f.recovery(old.iter().next().unwrap()).await,
        FactorOutcome::Rejected,
        "old set void"
    );
    assert_eq!(f.mailer.last().unwrap().subject, "New recovery codes");
    assert!(f.recovery(new.iter().next().unwrap()).await.is_accepted());
}

#[tokio::test]
async fn req_28_disabling_and_mode_changes_need_a_fresh_factor_and_mail() {
    let f = Fixture::new();
    let (app, codes) = f.enrol().await;
    assert!(
        f.tf.requires_code(&f.account, Action::SignIn)
            .await
            .unwrap()
    );
    assert!(!f.tf.requires_code(&f.account, Action::Write).await.unwrap());
    let stale = app.code_at(f.clock.now()).unwrap();
    let refused =
        f.tf.set_mode(
            &f.account,
            &f.address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&stale),
        )
        .await
        .unwrap();
    assert!(matches!(
        refused,
        ChangeOutcome::Refused(FactorOutcome::Replayed)
    ));
    assert_eq!(
        f.tf.mode(&f.account).await.unwrap(),
        Mode::AuthOnly,
        "nothing changed"
    );
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    let done =
        f.tf.set_mode(
            &f.account,
            &f.address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&code),
        )
        .await
        .unwrap();
    assert!(matches!(done, ChangeOutcome::Done(())));
    assert!(f.tf.requires_code(&f.account, Action::Write).await.unwrap());
    assert_eq!(
        f.mailer.last().unwrap().subject,
        "Your two-factor settings changed"
    );

    let code = codes.iter().next().unwrap().to_owned();
    let off =
        f.tf.disable(&f.account, &f.address, SecondFactor::RecoveryCode(&code))
            .await
            .unwrap();
    assert!(matches!(off, ChangeOutcome::Done(())));
    assert_eq!(f.tf.mode(&f.account).await.unwrap(), Mode::Off);
    assert!(
        !f.tf
            .requires_code(&f.account, Action::SignIn)
            .await
            .unwrap()
    );
    assert_eq!(
        f.mailer.last().unwrap().subject,
        "Two-factor authentication is off"
    );
}

#[tokio::test]
async fn a_code_approves_one_operation_once() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    let (tarball_a, tarball_b) = ([0xaa; 32], [0xbb; 32]);
    let approve = |code: latchkey_otp::OtpCode, op: [u8; 32]| {
        let tf = f.tf.clone();
        let (account, address) = (f.account.clone(), f.address.clone());
        async move {
            tf.approve_operation(&account, &address, SecondFactor::Totp(&code), &op)
                .await
                .unwrap()
        }
    };
    let ChangeOutcome::Done(approval) = approve(code.clone(), tarball_a).await else {
        panic!("refused")
    };
    let john = AccountId::new("john").unwrap();
    assert!(
        !f.tf
            .redeem_approval(&approval, &f.account, &tarball_b)
            .await
            .unwrap(),
        "another operation"
    );
    assert!(
        !f.tf
            .redeem_approval(&approval, &john, &tarball_a)
            .await
            .unwrap(),
        "another account"
    );
    assert!(
        f.tf.redeem_approval(&approval, &f.account, &tarball_a)
            .await
            .unwrap()
    );
    assert!(
        !f.tf
            .redeem_approval(&approval, &f.account, &tarball_a)
            .await
            .unwrap(),
        "once only"
    );
    let again = approve(code, tarball_b).await;
    assert!(
        matches!(again, ChangeOutcome::Refused(FactorOutcome::Replayed)),
        "the code cannot approve another write"
    );
    f.next_step();
    let ChangeOutcome::Done(late) = approve(app.code_at(f.clock.now()).unwrap(), tarball_b).await
    else {
        panic!("refused")
    };
    f.clock.advance(Duration::minutes(5));
    assert!(
        !f.tf
            .redeem_approval(&late, &f.account, &tarball_b)
            .await
            .unwrap(),
        "expired"
    );
}

#[tokio::test]
async fn req_24_wrong_second_factors_are_throttled_then_locked_and_a_success_clears_the_count() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    let wrong = |app: &Totp, clock: &ManualClock| wrong_totp_code(app, clock.now());
    for _ in 0..5 {
        assert_eq!(
            f.totp(&wrong(&app, &f.clock)).await,
            FactorOutcome::Rejected
        );
    }
    let throttled = f.totp(&wrong(&app, &f.clock)).await;
    assert_eq!(
        throttled,
        FactorOutcome::Throttled {
            retry_at: f.clock.now() + Duration::seconds(30)
        }
    );
    // Even the right code is not checked while throttled.
    f.next_step();
    f.clock.advance(Duration::seconds(-29));
    let right = app.code_at(f.clock.now()).unwrap();
    assert!(matches!(
        f.totp(&right).await,
        FactorOutcome::Throttled { .. }
    ));
    f.clock.advance(Duration::seconds(29));
    let right = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&right).await.is_accepted());
    // The count was cleared: five free attempts again.
    for _ in 0..5 {
        assert_eq!(
            f.totp(&wrong(&app, &f.clock)).await,
            FactorOutcome::Rejected
        );
    }
    // Recovery codes count too, and 100 failures lock.
    for _ in 0..200 {
        f.clock.advance(Duration::hours(2));
        if f.recovery("0000-0000-0000-0000").await == FactorOutcome::Locked {
            break;
        }
    }
    assert_eq!(
        f.recovery("0000-0000-0000-0000").await,
        FactorOutcome::Locked
    );
    f.clock.advance(Duration::days(30));
    f.next_step();
    let right = app.code_at(f.clock.now()).unwrap();
    assert_eq!(
        f.totp(&right).await,
        FactorOutcome::Locked,
        "locked until the host clears it"
    );
    f.store.clear_attempts(&f.account).await.unwrap();
    assert!(f.totp(&right).await.is_accepted());
}

#[tokio::test]
async fn settings_outside_their_ranges_are_refused() {
    let s = TwoFactorSettings::new("npm");
    assert!(s.clone().with_pending_ttl(Duration::ZERO).is_err());
    assert!(s.clone().with_pending_ttl(Duration::days(2)).is_err());
    assert!(s.clone().with_approval_ttl(Duration::seconds(-5)).is_err());
    assert!(s.clone().with_approval_ttl(Duration::hours(2)).is_err());
    let policy = latchkey_twofactor::AttemptPolicy {
        lock_after: 101,
        ..Default::default()
    };
    assert!(s.clone().with_attempt_policy(policy).is_err());
    assert!(s.with_pending_ttl(Duration::minutes(5)).is_ok());
}

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
    store.clear_attempts(&old.account).await.unwrap();

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
async fn drift_learning_follows_a_device_whose_clock_runs_behind() {
    let f = Fixture::with(
        SecretSealer::new(key("k1", 1)),
        TwoFactorSettings::new("npm").with_drift(true),
        Arc::new(MemoryStore::new()),
    );
    let (app, _) = f.enrol().await;
    f.clock.advance(Duration::seconds(300));
    let now = app.step_at(f.clock.now()).unwrap();
    // One step behind: inside the window; the offset is learnt.
    assert!(f.totp(&app.code_for_step(now - 1)).await.is_accepted());
    // Later the device is two steps behind: the window is centred on it.
    f.clock.advance(Duration::seconds(300));
    let now = app.step_at(f.clock.now()).unwrap();
    assert!(f.totp(&app.code_for_step(now - 2)).await.is_accepted());
    // The phone's clock is corrected: codes around the server's step still
    // work, and the drift follows.
    f.clock.advance(Duration::seconds(300));
    let now = app.step_at(f.clock.now()).unwrap();
    assert!(f.totp(&app.code_for_step(now)).await.is_accepted());

    let strict = Fixture::new();
    let (app, _) = strict.enrol().await;
    strict.clock.advance(Duration::seconds(300));
    let now = app.step_at(strict.clock.now()).unwrap();
    assert!(strict.totp(&app.code_for_step(now - 1)).await.is_accepted());
    strict.clock.advance(Duration::seconds(300));
    let now = app.step_at(strict.clock.now()).unwrap();
    let two_behind = app.code_for_step(now - 2);
    if (now - 1..=now + 1).all(|s| app.code_for_step(s) != two_behind) {
        assert_eq!(
            strict.totp(&two_behind).await,
            FactorOutcome::Rejected,
            "no drift: outside the window"
        );
    }
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
    async fn disable(&self, a: &AccountId) -> Result<(), latchkey_core::StoreError> {
        self.0.disable(a).await
    }
    async fn reserve_attempt(
        &self,
        a: &AccountId,
        now: OffsetDateTime,
        p: latchkey_twofactor::AttemptPolicy,
    ) -> Result<latchkey_twofactor::AttemptReservation, latchkey_core::StoreError> {
        self.0.reserve_attempt(a, now, p).await
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
    async fn clear_attempts(&self, a: &AccountId) -> Result<(), latchkey_core::StoreError> {
        self.0.clear_attempts(a).await
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

#[tokio::test]
async fn replay_notices_are_mailed_at_most_once_an_hour() {
    let f = Fixture::new();
    let (app, _) = f.enrol().await;
    let replay_notices = |f: &Fixture| {
        f.subjects()
            .iter()
            .filter(|s| s.as_str() == "A used sign-in code was tried again")
            .count()
    };
    f.next_step();
    let code = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&code).await.is_accepted());
    for _ in 0..3 {
        assert_eq!(f.totp(&code).await, FactorOutcome::Replayed);
    }
    assert_eq!(replay_notices(&f), 1, "three replays, one notice");
    f.clock.advance(Duration::hours(1));
    let code = app.code_at(f.clock.now()).unwrap();
    assert!(f.totp(&code).await.is_accepted());
    assert_eq!(f.totp(&code).await, FactorOutcome::Replayed);
    assert_eq!(replay_notices(&f), 2, "a new hour, a new notice");
}
