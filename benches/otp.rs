//! One-time password benches, side by side with totp-rs 6 and with the
//! floor of a precomputed-key HMAC, in one run.
//!
//! Run: `cargo bench -p latchkey-benches --bench otp`
//! (`benches/compare_otp.sh` prints the ratios from criterion's results).
//!
//! Groups:
//! - `totp_generate`: one TOTP code at a fixed time.
//! - `totp_verify_wrong_window1`: a wrong code against the ±1 window, so
//!   all three steps are computed.
//! - `mailed_code_check`: the keyed digest and constant-time compare of a
//!   mailed code, without the store.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use latchkey_core::{AccountId, Pepper};
use latchkey_otp::{Algorithm, CodeDigester, CodeRecord, OtpSecret, Purpose, Totp};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

const SEED: &[u8; 20] = b"12345678901234567890";
const TIME: u64 = 1_111_111_109;

fn latchkey_totp() -> Totp {
    Totp::new(
        &OtpSecret::from_bytes(SEED).expect("seed"),
        Algorithm::Sha1,
        6,
        30,
    )
    .expect("totp")
}

fn totp_rs() -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(SEED.to_vec())
        .build()
        .expect("totp-rs accepts the RFC seed")
}

/// The floor: HMAC-SHA1 of one counter with the keyed state precomputed.
fn floor_hmac(keyed: &Hmac<sha1::Sha1>, counter: u64) -> [u8; 20] {
    keyed
        .clone()
        .chain_update(counter.to_be_bytes())
        .finalize()
        .into_bytes()
        .into()
}

fn totp_generate(c: &mut Criterion) {
    let ours = latchkey_totp();
    let theirs = totp_rs();
    let keyed = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SEED).expect("key");
    let at = OffsetDateTime::from_unix_timestamp(TIME as i64).expect("time");
    let mut g = c.benchmark_group("totp_generate");
    g.bench_function("floor_hmac", |b| {
        b.iter(|| floor_hmac(black_box(&keyed), black_box(TIME / 30)))
    });
    g.bench_function("latchkey", |b| {
        b.iter(|| ours.code_at(black_box(at)).expect("code"))
    });
    // Breakdown: the same without the time-to-step conversion.
    g.bench_function("latchkey_for_step", |b| {
        b.iter(|| ours.code_for_step(black_box(TIME / 30)))
    });
    g.bench_function("totp_rs", |b| b.iter(|| theirs.generate(black_box(TIME))));
    let hotp = latchkey_otp::Hotp::new(
        &OtpSecret::from_bytes(SEED).expect("seed"),
        Algorithm::Sha1,
        6,
    )
    .expect("hotp");
    g.bench_function("latchkey_value_only", |b| {
        b.iter(|| hotp.value(black_box(TIME / 30)))
    });
    g.bench_function("latchkey_hotp_code", |b| {
        b.iter(|| hotp.code(black_box(TIME / 30)))
    });
    g.bench_function("latchkey_format_only", |b| {
        b.iter(|| latchkey_otp::OtpCode::new(black_box(123_456), 6))
    });
    g.finish();
}

fn totp_verify_wrong(c: &mut Criterion) {
    let ours = latchkey_totp();
    let theirs = totp_rs();
    let keyed = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SEED).expect("key");
    let at = OffsetDateTime::from_unix_timestamp(TIME as i64).expect("time");
    // Not the code of any step in the window (checked below).
    let wrong = "000000";
    let step = TIME / 30;
    for s in step - 1..=step + 1 {
        assert_ne!(ours.code_for_step(s), wrong);
    }
    let mut g = c.benchmark_group("totp_verify_wrong_window1");
    g.bench_function("floor_hmac", |b| {
        b.iter(|| {
            let k = black_box(&keyed);
            [
                floor_hmac(k, step - 1),
                floor_hmac(k, step),
                floor_hmac(k, step + 1),
            ]
        })
    });
    g.bench_function("latchkey", |b| {
        b.iter(|| {
            ours.verify(black_box(wrong), black_box(at), 1)
                .expect("verify")
        })
    });
    g.bench_function("totp_rs", |b| {
        b.iter(|| theirs.check(black_box(wrong), black_box(TIME)))
    });
    g.finish();
}

fn mailed_code_check(c: &mut Criterion) {
    let pepper = Pepper::from_bytes(&[7; 32]).expect("pepper");
    let digester = CodeDigester::new(&pepper);
    let account = AccountId::new("account-42").expect("account");
    let record = CodeRecord {
        id: [1; 16],
        digest: digester.digest(&[1; 16], &account, &Purpose::SIGN_IN, "123456"),
        account,
        purpose: Purpose::SIGN_IN,
        expires_at: OffsetDateTime::UNIX_EPOCH,
        max_attempts: 5,
        failed_attempts: 0,
    };
    let keyed = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&[7; 32]).expect("key");
    let mut g = c.benchmark_group("mailed_code_check");
    g.bench_function("floor_hmac_sha256_ct_eq", |b| {
        b.iter(|| {
            let d: [u8; 32] = black_box(&keyed)
                .clone()
                .chain_update(black_box(b"123456"))
                .finalize()
                .into_bytes()
                .into();
            bool::from(d.ct_eq(black_box(&record.digest)))
        })
    });
    g.bench_function("latchkey", |b| {
        b.iter(|| digester.check(black_box(&record), black_box("123456"), 6))
    });
    g.finish();
}

criterion_group!(benches, totp_generate, totp_verify_wrong, mailed_code_check);
criterion_main!(benches);
