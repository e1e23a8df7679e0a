//! Mailed one-time codes through the service, with a manual clock and a
//! recording mailer: REQ-12 to REQ-17.

use std::sync::Arc;

use latchkey_core::{AccountId, EmailAddress, ManualClock, MessageKind, Pepper, RecordingMailer};
use latchkey_otp::{
    CodeMailTemplate, IssueOutcome, MailContent, MailedCodeSettings, MailedCodes, OtpStore,
    Purpose, VerifyOutcome,
};
use latchkey_store_memory::MemoryStore;
use time::{Duration, OffsetDateTime};

struct Fixture {
    codes: MailedCodes,
    mailer: Arc<RecordingMailer>,
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    account: AccountId,
    address: EmailAddress,
}

fn fixture() -> Fixture {
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    let store = Arc::new(MemoryStore::new());
    let codes = MailedCodes::new(
        store.clone(),
        mailer.clone(),
        clock.clone(),
        Pepper::from_bytes(&[7; 32]).unwrap(),
    );
    Fixture {
        codes,
        mailer,
        clock,
        store,
        account: AccountId::new("jane").unwrap(),
        address: EmailAddress::parse("jane@example.com").unwrap(),
    }
}

impl Fixture {
    async fn issue(&self) -> IssueOutcome {
        self.codes
            .issue(&self.account, &self.address, &Purpose::SIGN_IN)
            .await
            .unwrap()
    }
    async fn verify(&self, input: &str) -> VerifyOutcome {
        self.codes
            .verify(&self.account, &Purpose::SIGN_IN, input)
            .await
            .unwrap()
    }
    fn last_code(&self) -> String {
        latchkey_testkit::code_in_last_mail(&self.mailer)
    }
}

#[tokio::test]
async fn the_mail_has_npms_subject_the_code_and_how_long_it_lasts() {
    let f = fixture();
    let sent = f.issue().await;
    assert!(
        matches!(sent, IssueOutcome::Sent { ref masked_address, .. } if masked_address == "j***@example.com")
    );
    let mail = f.mailer.last().unwrap();
    assert!(
        mail.subject
            .starts_with("OTP for logging in to your account")
    );
    assert_eq!(mail.to, f.address);
    assert_eq!(mail.kind, MessageKind::SignInCode);
    assert_eq!(f.last_code().len(), 6);
    assert!(mail.text.contains("10 minutes"), "{}", mail.text);
}

#[tokio::test]
async fn req_16_only_a_keyed_digest_is_stored() {
    let f = fixture();
    let _ = f.issue().await;
    let code = f.last_code();
    let record = f
        .store
        .get(&f.account, &Purpose::SIGN_IN)
        .await
        .unwrap()
        .unwrap();
    let shown = format!("{record:?}");
    assert!(!shown.contains(&code), "Debug must not show the code");
    let hex: String = record.digest.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!hex.contains(&code) && !record.digest.windows(6).any(|w| w == code.as_bytes()));
    let expected = latchkey_otp::CodeDigester::new(&Pepper::from_bytes(&[7; 32]).unwrap()).digest(
        &record.id,
        &f.account,
        &Purpose::SIGN_IN,
        &code,
    );
    assert_eq!(record.digest, expected);
}

#[tokio::test]
async fn req_14_a_code_expires_after_ten_minutes() {
    let f = fixture();
    let _ = f.issue().await;
    let code = f.last_code();
    f.clock.advance(Duration::minutes(10));
    assert_eq!(f.verify(&code).await, VerifyOutcome::Expired);
}

#[tokio::test]
async fn req_14_a_code_works_just_before_expiry() {
    let f = fixture();
    let _ = f.issue().await;
    let code = f.last_code();
    f.clock.advance(Duration::minutes(10) - Duration::SECOND);
    assert_eq!(f.verify(&code).await, VerifyOutcome::Verified);
}

#[tokio::test]
async fn req_15_single_use_and_a_resend_voids_the_old_code() {
    let f = fixture();
    let _ = f.issue().await;
    let first = f.last_code();
    f.clock.advance(Duration::seconds(61));
    assert!(matches!(f.issue().await, IssueOutcome::Sent { .. }));
    let second = f.last_code();
    if first != second {
        assert!(
            matches!(f.verify(&first).await, VerifyOutcome::Wrong { .. }),
            "old code void"
        );
    }
    assert_eq!(f.verify(&second).await, VerifyOutcome::Verified);
    assert_eq!(f.verify(&second).await, VerifyOutcome::NoCode, "single use");
}

#[tokio::test]
async fn req_15_a_code_is_bound_to_its_account_and_purpose() {
    let f = fixture();
    let _ = f.issue().await;
    let code = f.last_code();
    let other = AccountId::new("john").unwrap();
    assert_eq!(
        f.codes
            .verify(&other, &Purpose::SIGN_IN, &code)
            .await
            .unwrap(),
        VerifyOutcome::NoCode
    );
    assert_eq!(
        f.codes
            .verify(&f.account, &Purpose::VERIFY_ADDRESS, &code)
            .await
            .unwrap(),
        VerifyOutcome::NoCode
    );
    assert_eq!(f.verify(&code).await, VerifyOutcome::Verified);
}

#[tokio::test]
async fn req_17_five_wrong_attempts_spend_the_code() {
    let f = fixture();
    let _ = f.issue().await;
    let code = f.last_code();
    let wrong = latchkey_testkit::wrong_mailed_code(&code);
    for left in (0..5).rev() {
        assert_eq!(
            f.verify(wrong).await,
            VerifyOutcome::Wrong {
                attempts_left: left
            }
        );
    }
    assert_eq!(f.verify(wrong).await, VerifyOutcome::Exhausted);
    assert_eq!(f.verify(&code).await, VerifyOutcome::Exhausted);
}

#[tokio::test]
async fn malformed_input_counts_as_a_wrong_code_and_spaces_and_hyphens_are_forgiven() {
    let f = fixture();
    let _ = f.issue().await;
    let code = f.last_code();
    for junk in ["", "abcdef", "+12345", "١٢٣٤٥٦"] {
        assert!(
            matches!(f.verify(junk).await, VerifyOutcome::Wrong { .. }),
            "{junk:?}"
        );
    }
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    assert_eq!(f.verify(&spaced).await, VerifyOutcome::Verified);
    let _ = (f.clock.advance(Duration::minutes(2)), f.issue().await);
    let code = f.last_code();
    assert_eq!(
        f.verify(&format!("{}-{}", &code[..3], &code[3..])).await,
        VerifyOutcome::Verified
    );
}

#[tokio::test]
async fn req_17_resend_cooldown_and_hourly_cap() {
    let f = fixture();
    assert!(matches!(f.issue().await, IssueOutcome::Sent { .. }));
    f.clock.advance(Duration::seconds(20));
    assert_eq!(
        f.issue().await,
        IssueOutcome::CoolingDown {
            retry_after: Duration::seconds(40)
        }
    );
    for _ in 0..9 {
        f.clock.advance(Duration::seconds(60));
        assert!(matches!(f.issue().await, IssueOutcome::Sent { .. }));
    }
    f.clock.advance(Duration::seconds(60));
    assert!(matches!(f.issue().await, IssueOutcome::CapReached { .. }));
    assert_eq!(f.mailer.messages().len(), 10);
}

#[tokio::test]
async fn a_failed_mail_withdraws_the_code_and_spends_no_cooldown() {
    let f = fixture();
    f.mailer.set_failing(true);
    let err = f
        .codes
        .issue(&f.account, &f.address, &Purpose::SIGN_IN)
        .await
        .unwrap_err();
    assert!(matches!(err, latchkey_otp::Error::Mail(_)), "{err}");
    assert!(
        f.store
            .get(&f.account, &Purpose::SIGN_IN)
            .await
            .unwrap()
            .is_none(),
        "no active code"
    );
    f.mailer.set_failing(false);
    assert!(
        matches!(f.issue().await, IssueOutcome::Sent { .. }),
        "cooldown not spent"
    );
}

#[derive(Debug)]
struct Branded;
impl CodeMailTemplate for Branded {
    fn render(&self, code: &str, _: &Purpose, _: Duration) -> MailContent {
        MailContent {
            subject: "OTP for logging in to your account on Example".into(),
            text: format!("{code}\nThanks, Example"),
            html: Some(format!("<p><b>{code}</b></p>")),
        }
    }
}

#[tokio::test]
async fn hosts_can_override_the_template_and_digits() {
    let f = fixture();
    let codes = f
        .codes
        .clone()
        .with_template(Arc::new(Branded))
        .with_settings(MailedCodeSettings::default().with_digits(8).unwrap());
    let _ = codes
        .issue(&f.account, &f.address, &Purpose::SIGN_IN)
        .await
        .unwrap();
    let mail = f.mailer.last().unwrap();
    assert_eq!(
        mail.subject,
        "OTP for logging in to your account on Example"
    );
    assert!(mail.html.as_deref().unwrap().starts_with("<p><b>"));
    let code = f.last_code();
    assert_eq!(code.len(), 8);
    assert_eq!(
        codes
            .verify(&f.account, &Purpose::SIGN_IN, &code)
            .await
            .unwrap(),
        VerifyOutcome::Verified
    );
}

#[tokio::test]
async fn req_17_failed_mails_still_count_toward_the_hourly_cap() {
    let f = fixture();
    f.mailer.set_failing(true);
    for _ in 0..10 {
        assert!(
            f.codes
                .issue(&f.account, &f.address, &Purpose::SIGN_IN)
                .await
                .is_err()
        );
    }
    f.mailer.set_failing(false);
    assert!(
        matches!(f.issue().await, IssueOutcome::CapReached { .. }),
        "no inbox flood through failures"
    );
}
