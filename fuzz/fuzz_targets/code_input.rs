//! Fuzzes typed code input: `OtpCode::parse`, TOTP verification and the
//! mailed-code check. None may panic; a parsed code has exactly the
//! digits asked for; input that does not parse never verifies.
#![no_main]

use std::sync::LazyLock;

use latchkey_core::{AccountId, Pepper};
use latchkey_otp::{
    Algorithm, CodeDigester, CodeRecord, OtpCode, OtpSecret, Purpose, Totp, TotpMatch,
};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

static TOTP: LazyLock<Totp> = LazyLock::new(|| {
    let secret = OtpSecret::from_bytes(b"12345678901234567890").expect("20 bytes");
    Totp::new(&secret, Algorithm::Sha1, 6, 30).expect("valid TOTP")
});

static DIGESTER: LazyLock<(CodeDigester, CodeRecord)> = LazyLock::new(|| {
    let digester = CodeDigester::new(&Pepper::from_bytes(&[7; 32]).expect("pepper"));
    let account = AccountId::new("fuzz").expect("account");
    let record = CodeRecord {
        id: [1; 16],
        digest: digester.digest(&[1; 16], &account, &Purpose::SIGN_IN, "123456"),
        account,
        purpose: Purpose::SIGN_IN,
        expires_at: OffsetDateTime::UNIX_EPOCH,
        max_attempts: 5,
        failed_attempts: 0,
    };
    (digester, record)
});

fuzz_target!(|data: &[u8]| {
    let Some((&digits, rest)) = data.split_first() else {
        return;
    };
    let digits = u32::from(digits % 12);
    let input = String::from_utf8_lossy(rest);

    let parsed = OtpCode::parse(&input, digits);
    if let Some(code) = &parsed {
        assert_eq!(code.len(), digits as usize);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }

    let step = TOTP
        .step_at(OffsetDateTime::from_unix_timestamp(59).expect("time"))
        .expect("step");
    let matched = TOTP.verify_around(&input, step, 1, None);
    if OtpCode::parse(&input, 6).is_none() {
        assert_eq!(matched, TotpMatch::NoMatch);
    }

    let (digester, record) = &*DIGESTER;
    let ok = digester.check(record, &input, 6);
    assert_eq!(ok, OtpCode::parse(&input, 6).is_some_and(|c| c == "123456"));
});
