//! What a TOTP, a digester and the mailed-code service tell about
//! themselves: the parameters they were made with, and never a secret.

use std::sync::Arc;

use latchkey_core::{ManualClock, Pepper, RecordingMailer};
use latchkey_otp::{Algorithm, CodeDigester, MailedCodeSettings, MailedCodes, OtpSecret, Totp};
use latchkey_store_memory::MemoryStore;
use time::{Duration, OffsetDateTime};

#[test]
fn a_totp_reports_its_parameters_and_its_debug_leaves_out_the_secret() {
    let secret = OtpSecret::from_bytes(&[0x5a; 32]).expect("secret");
    let totp = Totp::new(&secret, Algorithm::Sha256, 8, 60).expect("totp");
    assert_eq!(totp.algorithm(), Algorithm::Sha256);
    assert_eq!(totp.digits(), 8);
    assert_eq!(totp.period(), 60);
    let shown = format!("{totp:?}");
    assert!(
        shown.starts_with("Totp {") && shown.contains("Sha256") && shown.contains("60"),
        "{shown}"
    );
    assert!(!shown.contains(&secret.to_base32()), "no secret in {shown}");
    let sha1 = Totp::new(&secret, Algorithm::Sha1, 6, 30).expect("totp");
    assert_eq!(
        (sha1.algorithm(), sha1.digits(), sha1.period()),
        (Algorithm::Sha1, 6, 30)
    );
}

#[test]
fn a_digester_shows_nothing_of_its_key() {
    let digester = CodeDigester::new(&Pepper::from_bytes(&[1; 32]).expect("pepper"));
    assert_eq!(format!("{digester:?}"), "CodeDigester(<keyed>)");
}

#[test]
fn the_mailed_code_service_reports_the_settings_it_was_given() {
    let settings = MailedCodeSettings::default()
        .with_cooldown(Duration::seconds(5))
        .expect("cooldown")
        .with_max_attempts(3)
        .expect("attempts");
    let codes = MailedCodes::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RecordingMailer::new()),
        Arc::new(ManualClock::new(OffsetDateTime::UNIX_EPOCH)),
        Pepper::from_bytes(&[2; 32]).expect("pepper"),
    )
    .with_settings(settings);
    assert_eq!(codes.settings().cooldown(), Duration::seconds(5));
    assert_eq!(codes.settings().max_attempts(), 3);
}
