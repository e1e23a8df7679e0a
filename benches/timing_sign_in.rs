//! Statistical timing tests (dudect) of unknown login against wrong
//! password: class Left an unknown login, class Right a known login with a
//! wrong password, through `CredentialChecker::check` and through the
//! whole `SignIn::start` (memory store, a token Argon2id of 8 KiB and t=1
//! so that many samples fit). The bar is max |t| < 5 after at least ten
//! thousand measurements.
//!
//! Run: `benches/timing.sh`, or
//! `cargo bench -p latchkey-benches --bench timing_sign_in -- [--samples N] [--filter NAME]`
//! (default 10,000 samples per test; env `LATCHKEY_TIMING_SAMPLES`).
//! Not run in CI: only compiled there.

#[path = "timing_support.rs"]
mod support;

use std::cell::Cell;
use std::sync::Arc;

use dudect_bencher::rand::RngExt;
use dudect_bencher::{BenchRng, Class, CtRunner};
use latchkey::credentials::{
    CheckOutcome, CredentialChecker, HashSettings, Hasher, PasswordPolicy,
};
use latchkey::{ClientContext, InMemoryAccounts, Keys, MailedCodePolicy, SignIn, SignInStep};
use latchkey_core::{AccountId, ManualClock, Pepper, RecordingMailer};
use latchkey_store_memory::MemoryStore;
use time::{Duration, OffsetDateTime};

const PASSWORD: &str = "violet umbrella sky";

fn token_argon2() -> HashSettings {
    HashSettings::below_floor(8, 1, 1).expect("settings")
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

/// Unknown logins and wrong passwords. Unknown logins have the known
/// login's length (4), so the test measures whether a login exists, not
/// how long it is (which the attacker chose and knows).
fn inputs(rng: &mut BenchRng) -> Vec<(Class, String, String)> {
    (0..support::samples())
        .map(|i| {
            let wrong = format!("wrong password {:06}", rng.random_range(0..1_000_000u32));
            if rng.random::<bool>() {
                (Class::Left, format!("x{:03}", i % 1000), wrong)
            } else {
                (Class::Right, "jane".to_owned(), wrong)
            }
        })
        .collect()
}

/// `CredentialChecker::check`: unknown login against wrong password.
fn checker_unknown_vs_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    let runtime = current_thread();
    let checker = CredentialChecker::new(Arc::new(MemoryStore::new()), Hasher::new(token_argon2()))
        .expect("checker");
    let account = AccountId::new("account-jane").expect("account");
    let _ = runtime
        .block_on(checker.register("jane", &account, PASSWORD, &PasswordPolicy::default()))
        .expect("register");
    let denied = Cell::new(true);
    for (c, login, password) in inputs(rng) {
        runner.run_one(c, || {
            let outcome = runtime
                .block_on(checker.check(&login, &password))
                .expect("check");
            denied.set(denied.get() & matches!(outcome, CheckOutcome::Denied));
        });
    }
    assert!(denied.get(), "every sample is denied");
}

/// The whole `SignIn::start`: unknown login against wrong password. The
/// clock moves a day between samples and a right password follows each
/// wrong one (both untimed), so neither backoff nor lockout is reached.
fn sign_in_start_unknown_vs_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    let runtime = current_thread();
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
    ));
    let flow = SignIn::builder(
        "timing",
        Keys::new(Pepper::from_bytes(&[7; 32]).expect("pepper")),
    )
    .store(Arc::new(MemoryStore::new()))
    .accounts(Arc::new(InMemoryAccounts::new()))
    .mailer(Arc::new(RecordingMailer::new()))
    .clock(clock.clone())
    .mailed_code_policy(MailedCodePolicy::Never)
    .hash_settings(token_argon2())
    .build()
    .expect("flow");
    let _ = runtime
        .block_on(flow.register("jane", "jane@example.com", PASSWORD))
        .expect("register");
    let client = ClientContext::new();
    let denied = Cell::new(true);
    for (c, login, password) in inputs(rng) {
        clock.advance(Duration::days(1));
        runner.run_one(c, || {
            let step = runtime
                .block_on(flow.start(&login, &password, &client))
                .expect("start");
            denied.set(denied.get() & matches!(step, SignInStep::Denied));
        });
        if matches!(c, Class::Right) {
            // The right password clears the account's count (untimed), so
            // the lockout after 100 failures is never reached.
            let step = runtime
                .block_on(flow.start("jane", PASSWORD, &client))
                .expect("start");
            assert!(matches!(step, SignInStep::SignedIn(_)), "signed in");
        }
    }
    assert!(denied.get(), "every sample is denied (not throttled)");
}

fn main() {
    support::main_with(
        10_000,
        &[
            ("checker_unknown_vs_wrong", checker_unknown_vs_wrong),
            (
                "sign_in_start_unknown_vs_wrong",
                sign_in_start_unknown_vs_wrong,
            ),
        ],
    );
}
