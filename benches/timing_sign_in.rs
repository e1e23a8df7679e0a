//! Statistical timing tests (dudect) of unknown login against wrong
//! password: class Left an unknown login, class Right a known login with a
//! wrong password, through `CredentialChecker::check` and through the
//! whole `SignIn::start` (memory store, a token Argon2id of 8 KiB and t=1
//! so that many samples fit). The bar is max |t| < 5 after at least ten
//! thousand measurements. Both sides draw from pools of logins of the
//! same size and use, so neither is warmer in the caches. A control test
//! puts known logins on both sides, so what it shows is the harness's own
//! noise.
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
    CheckOutcome, CredentialChecker, HashSettings, Hasher, PasswordPolicy, RegisterOutcome,
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

/// How many known and how many unknown logins the samples draw from: each
/// is tried about 30 times, below the lockout (100) and alike on both
/// sides, so that neither side's look-ups or throttle counters are warmer
/// in the caches than the other's.
fn pool() -> usize {
    (support::samples() / 60).max(100)
}

/// The `j`th login of the pool: known logins at even `j`, unknown at odd,
/// all four base-36 digits long, so the test measures whether a login
/// exists, not how long it is (which the attacker chose and knows).
fn login(j: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = j;
    let mut login = vec![b'0'; 4];
    for at in (0..4).rev() {
        login[at] = DIGITS[n % 36];
        n /= 36;
    }
    assert_eq!(n, 0, "the pool fits four digits");
    String::from_utf8(login).expect("ASCII")
}

fn known_login(k: usize) -> String {
    login(2 * k)
}

/// Class Left an unknown login, class Right a known one; wrong passwords
/// on both. With `control`, both classes are known logins, so any |t| it
/// shows is the harness's own noise on this machine.
fn inputs(rng: &mut BenchRng, control: bool) -> Vec<(Class, String, String)> {
    let pool = pool();
    (0..support::samples())
        .map(|_| {
            let wrong = format!("wrong password {:06}", rng.random_range(0..1_000_000u32));
            let k = rng.random_range(0..pool);
            if rng.random::<bool>() {
                let left = if control { 2 * k } else { 2 * k + 1 };
                (Class::Left, login(left), wrong)
            } else {
                (Class::Right, known_login(k), wrong)
            }
        })
        .collect()
}

/// `CredentialChecker::check`: unknown login against wrong password.
fn checker_unknown_vs_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    checker_with(runner, inputs(rng, false));
}

/// `CredentialChecker::check`, the control (known logins both sides).
fn checker_control_same_login(runner: &mut CtRunner, rng: &mut BenchRng) {
    checker_with(runner, inputs(rng, true));
}

fn checker_with(runner: &mut CtRunner, inputs: Vec<(Class, String, String)>) {
    let runtime = current_thread();
    let checker = CredentialChecker::new(Arc::new(MemoryStore::new()), Hasher::new(token_argon2()))
        .expect("checker");
    for k in 0..pool() {
        let account = AccountId::new(format!("account-{k:06}")).expect("account");
        let registered = runtime
            .block_on(checker.register(
                &known_login(k),
                &account,
                PASSWORD,
                &PasswordPolicy::default(),
            ))
            .expect("register");
        assert_eq!(registered, RegisterOutcome::Registered);
    }
    let denied = Cell::new(true);
    for (c, login, password) in inputs {
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
/// clock moves a day between samples (untimed), so no backoff is reached,
/// and each login is tried about 30 times, so no lockout is.
fn sign_in_start_unknown_vs_wrong(runner: &mut CtRunner, rng: &mut BenchRng) {
    sign_in_start_with(runner, inputs(rng, false));
}

/// `SignIn::start`, the control (known logins both sides).
fn sign_in_start_control(runner: &mut CtRunner, rng: &mut BenchRng) {
    sign_in_start_with(runner, inputs(rng, true));
}

fn sign_in_start_with(runner: &mut CtRunner, inputs: Vec<(Class, String, String)>) {
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
    for k in 0..pool() {
        let login = known_login(k);
        let _ = runtime
            .block_on(flow.register(&login, &format!("{login}@example.com"), PASSWORD))
            .expect("register");
    }
    let client = ClientContext::new();
    let denied = Cell::new(true);
    for (c, login, password) in inputs {
        clock.advance(Duration::days(1));
        runner.run_one(c, || {
            let step = runtime
                .block_on(flow.start(&login, &password, &client))
                .expect("start");
            denied.set(denied.get() & matches!(step, SignInStep::Denied));
        });
    }
    assert!(denied.get(), "every sample is denied (not throttled)");
}

fn main() {
    support::main_with(
        10_000,
        &[
            ("checker_unknown_vs_wrong", checker_unknown_vs_wrong),
            ("checker_control_same_login", checker_control_same_login),
            (
                "sign_in_start_unknown_vs_wrong",
                sign_in_start_unknown_vs_wrong,
            ),
            ("sign_in_start_control", sign_in_start_control),
        ],
    );
}
