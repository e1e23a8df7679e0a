//! Statistical timing tests (dudect) of the secret comparisons: class
//! Left is the right secret, class Right a wrong one of the same shape.
//! The bar is max |t| < 5 after at least a million measurements.
//!
//! Run: `benches/timing.sh`, or
//! `cargo bench -p latchkey-benches --bench timing_comparisons -- [--samples N] [--filter NAME]`
//! (default 1,000,000 samples per test; env `LATCHKEY_TIMING_SAMPLES`).
//! Not run in CI: only compiled there.

#[path = "timing_support.rs"]
mod support;

use std::sync::Arc;

use dudect_bencher::rand::RngExt;
use dudect_bencher::{BenchRng, Class, CtRunner};
use latchkey::devices::DeviceToken;
use latchkey::recovery::{
    AccountDirectory, AccountOnFile, ActionOutcome, Evidence, KnownLink, LinkedIdentities,
    Recovery, RecoverySettings, Ticket, TicketId, TicketState, TicketStore, Topic,
};
use latchkey::twofactor::{RecoveryDigest, TwoFactorStore};
use latchkey_core::{
    AccountId, EmailAddress, KeyedHmac, ManualClock, Pepper, RecordingMailer, StoreError,
};
use latchkey_otp::{
    Algorithm, CodeDigester, CodeRecord, MailedCodes, OtpSecret, Purpose, Totp, TotpMatch,
};
use latchkey_store_memory::MemoryStore;
use time::OffsetDateTime;

fn class(rng: &mut BenchRng) -> Class {
    if rng.random::<bool>() {
        Class::Left
    } else {
        Class::Right
    }
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

/// Test 1a: `CodeDigester::check`: the right mailed code against a random wrong
/// one of the same length.
fn mailed_code_check(runner: &mut CtRunner, rng: &mut BenchRng) {
    mailed_code(runner, rng, false);
}

/// Test 1b, the control for 1: a fixed wrong code against random wrong
/// codes, so only "the same input every time" differs, not the verdict.
fn mailed_code_fixed_vs_random_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    mailed_code(runner, rng, true);
}

fn mailed_code(runner: &mut CtRunner, rng: &mut BenchRng, both_wrong: bool) {
    let digester = CodeDigester::new(&Pepper::from_bytes(&[7; 32]).expect("pepper"));
    let account = AccountId::new("account-42").expect("account");
    let right = format!("{:06}", rng.random_range(0..1_000_000u32));
    let record = CodeRecord {
        id: rng.random(),
        digest: digester.digest(&[0; 16], &account, &Purpose::SIGN_IN, &right),
        account,
        purpose: Purpose::SIGN_IN,
        expires_at: OffsetDateTime::UNIX_EPOCH,
        max_attempts: 5,
        failed_attempts: 0,
    };
    let record = CodeRecord {
        digest: digester.digest(&record.id, &record.account, &record.purpose, &right),
        ..record
    };
    // The control keeps the fixed input but digests an impossible code
    // into the record, so the fixed input is wrong too.
    let record = if both_wrong {
        CodeRecord {
            digest: digester.digest(&record.id, &record.account, &record.purpose, "x"),
            ..record
        }
    } else {
        record
    };
    let inputs: Vec<(Class, String)> = (0..support::samples())
        .map(|_| match class(rng) {
            Class::Left => (Class::Left, right.clone()),
            Class::Right => loop {
                let wrong = format!("{:06}", rng.random_range(0..1_000_000u32));
                if wrong != right {
                    break (Class::Right, wrong);
                }
            },
        })
        .collect();
    for (c, input) in inputs {
        runner.run_one(c, || digester.check(&record, &input, 6));
    }
}

/// Test 3: `Totp::verify(code, now, 1)`: the code of the window's first step
/// against a code matching no step.
fn totp_window_check(runner: &mut CtRunner, rng: &mut BenchRng) {
    let seed: [u8; 20] = rng.random();
    let totp = Totp::new(
        &OtpSecret::from_bytes(&seed).expect("seed"),
        Algorithm::Sha1,
        6,
        30,
    )
    .expect("totp");
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let step = totp.step_at(now).expect("step");
    let window: Vec<String> = (step - 1..=step + 1)
        .map(|s| totp.code_for_step(s).as_str().to_owned())
        .collect();
    let first = window[0].clone();
    let inputs: Vec<(Class, String)> = (0..support::samples())
        .map(|_| match class(rng) {
            Class::Left => (Class::Left, first.clone()),
            Class::Right => loop {
                let wrong = format!("{:06}", rng.random_range(0..1_000_000u32));
                if !window.contains(&wrong) {
                    break (Class::Right, wrong);
                }
            },
        })
        .collect();
    for (c, input) in inputs {
        runner.run_one(c, || {
            matches!(totp.verify(&input, now, 1), Ok(TotpMatch::Matched { .. }))
        });
    }
}

/// Test 5: `DeviceToken::matches`: the token's own digest against another
/// token's.
fn device_token_check(runner: &mut CtRunner, rng: &mut BenchRng) {
    let (token, right) = DeviceToken::generate().expect("token");
    let inputs: Vec<(Class, [u8; 32])> = (0..support::samples())
        .map(|_| match class(rng) {
            Class::Left => (Class::Left, right),
            Class::Right => (Class::Right, rng.random()),
        })
        .collect();
    for (c, digest) in inputs {
        runner.run_one(c, || token.matches(&digest));
    }
}

/// Test 2a: The recovery-code look-up on the memory store
/// (`TwoFactorStore::use_recovery_code`): one of the ten stored digests
/// (at a random position; it is put back after, untimed) against a random
/// wrong digest. A right code does more work (it is consumed), so this
/// shows what the outcome itself costs, which the answer reveals anyway.
fn recovery_code_store_right_vs_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    recovery_code_store(runner, rng, false);
}

/// Test 2b: The same look-up with two wrong digests: one equal to a stored
/// digest but for its last byte, one random. A leak here would be an
/// early-exit compare of the digests.
fn recovery_code_store_near_vs_random_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    recovery_code_store(runner, rng, true);
}

fn recovery_code_store(runner: &mut CtRunner, rng: &mut BenchRng, both_wrong: bool) {
    let runtime = current_thread();
    let store = MemoryStore::new();
    let account = AccountId::new("account-42").expect("account");
    let stored: Vec<RecoveryDigest> = (0..10).map(|_| rng.random()).collect();
    runtime
        .block_on(store.replace_recovery_codes(&account, stored.clone()))
        .expect("codes");
    let inputs: Vec<(Class, RecoveryDigest)> = (0..support::samples())
        .map(|_| {
            let pick = stored[rng.random_range(0..stored.len())];
            match (class(rng), both_wrong) {
                (Class::Left, false) => (Class::Left, pick),
                (Class::Left, true) => {
                    let mut near = pick;
                    near[31] ^= 1;
                    (Class::Left, near)
                }
                (Class::Right, _) => (Class::Right, rng.random()),
            }
        })
        .collect();
    for (c, digest) in inputs {
        let used = std::cell::Cell::new(false);
        runner.run_one(c, || {
            let left = runtime
                .block_on(store.use_recovery_code(&account, &digest))
                .expect("store");
            used.set(left.is_some());
        });
        if used.get() {
            runtime
                .block_on(store.replace_recovery_codes(&account, stored.clone()))
                .expect("codes");
        }
    }
}

#[derive(Debug)]
struct NoAccounts;

#[latchkey::async_trait]
impl AccountDirectory for NoAccounts {
    async fn find(&self, _login: &str) -> Result<Option<AccountOnFile>, StoreError> {
        Ok(None)
    }
}

#[latchkey::async_trait]
impl LinkedIdentities for NoAccounts {
    async fn linked(&self, _account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        Ok(Vec::new())
    }
}

/// Test 4a: `Recovery::cancel` on the memory store: the ticket's cancel code
/// against a random wrong code of the same form. The ticket is already
/// withdrawn, so the right code changes nothing (`NotAllowed`) and every
/// sample sees the same ticket; the digest is the service's (the same
/// keyed HMAC of id and code, made here with the same pepper and label).
fn ticket_cancel_check(runner: &mut CtRunner, rng: &mut BenchRng) {
    ticket_cancel(runner, rng, false);
}

/// Test 4b: `Recovery::cancel` with two wrong codes: the right one but for
/// its last symbol, and a random one. A leak here would be an early-exit
/// compare (of the codes or of their digests).
fn ticket_cancel_near_vs_random_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    ticket_cancel(runner, rng, true);
}

fn ticket_cancel(runner: &mut CtRunner, rng: &mut BenchRng, both_wrong: bool) {
    let runtime = current_thread();
    let store = Arc::new(MemoryStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
    ));
    let pepper = Pepper::from_bytes(&[9; 32]).expect("pepper");
    let codes = MailedCodes::new(store.clone(), mailer.clone(), clock.clone(), pepper.clone());
    let recovery = Recovery::new(
        store.clone(),
        codes,
        mailer,
        clock,
        Arc::new(NoAccounts),
        Arc::new(NoAccounts),
        &pepper,
        RecoverySettings::default(),
    );
    let token = |rng: &mut BenchRng| data_encoding_base32(&rng.random::<[u8; 10]>());
    let right = token(rng);
    let id = TicketId(rng.random());
    let key = KeyedHmac::derive(&pepper, b"latchkey recovery cancel token v1");
    let ticket = Ticket {
        id,
        login: "jane".to_owned(),
        account: None,
        contact: EmailAddress::parse("jane@example.com").expect("address"),
        topic: Topic::ResetEmail,
        evidence: Evidence::default(),
        state: TicketState::Withdrawn,
        version: 0,
        submitted_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
        approvals: Vec::new(),
        approved_at: None,
        cancel_digest: Some(key.mac(&[&id.0, right.as_bytes()])),
        audit: Vec::new(),
    };
    runtime.block_on(store.insert(ticket)).expect("insert");
    let outcome = runtime
        .block_on(recovery.cancel(&id, &right))
        .expect("cancel");
    assert!(
        matches!(outcome, ActionOutcome::NotAllowed(_)),
        "the right code must pass the compare: {outcome:?}"
    );
    let inputs: Vec<(Class, String)> = (0..support::samples())
        .map(|_| match class(rng) {
            Class::Left if both_wrong => {
                let mut near = right.clone();
                let last = if near.ends_with('A') { "B" } else { "A" };
                near.replace_range(near.len() - 1.., last);
                (Class::Left, near)
            }
            Class::Left => (Class::Left, right.clone()),
            Class::Right => (Class::Right, token(rng)),
        })
        .collect();
    for (c, input) in inputs {
        runner.run_one(c, || {
            runtime
                .block_on(recovery.cancel(&id, &input))
                .expect("cancel")
        });
    }
}

/// RFC 4648 base32 without padding, as the service writes cancel codes.
fn data_encoding_base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn main() {
    support::main_with(
        1_000_000,
        &[
            ("mailed_code_check", mailed_code_check),
            (
                "mailed_code_fixed_vs_random_wrong",
                mailed_code_fixed_vs_random_wrong,
            ),
            (
                "recovery_code_store_right_vs_wrong",
                recovery_code_store_right_vs_wrong,
            ),
            (
                "recovery_code_store_near_vs_random_wrong",
                recovery_code_store_near_vs_random_wrong,
            ),
            ("totp_window_check", totp_window_check),
            ("ticket_cancel_check", ticket_cancel_check),
            (
                "ticket_cancel_near_vs_random_wrong",
                ticket_cancel_near_vs_random_wrong,
            ),
            ("device_token_check", device_token_check),
        ],
    );
}
