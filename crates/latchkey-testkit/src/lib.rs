//! Conformance suites for latchkey store implementations, and fixtures
//! for latchkey's tests.
//!
//! A store that passes its suites keeps the promises latchkey's security
//! rests on: "not found" is not an error, every compare-and-set is atomic
//! under concurrency, and every boundary (an expiry instant, the end of a
//! wait, the edge of a window) falls where the trait says. Run them from
//! your own tests with one macro, handing it an expression that makes a
//! fresh store:
//!
//! ```ignore
//! // tests/conformance.rs of a store crate (needs tokio as a dev-dependency)
//! use std::sync::Arc;
//! latchkey_testkit::all_store_tests!(async { Arc::new(my_store::connect().await) });
//! ```
//!
//! A store of only some traits runs their suites one by one
//! ([`credential_store_tests!`], [`otp_store_tests!`],
//! [`two_factor_store_tests!`], [`ticket_store_tests!`],
//! [`challenge_store_tests!`], [`throttle_store_tests!`],
//! [`device_store_tests!`], [`stamp_store_tests!`], and
//! [`cli_login_store_tests!`] and [`security_key_store_tests!`], which
//! `all_store_tests!` leaves out). Each case is also a
//! public async function, in the module of the same name as the suite
//! ([`credentials`], [`codes`], [`two_factor`], [`tickets`], [`challenges`],
//! [`throttle`], [`devices`], [`stamps`], [`cli_logins`], [`security_keys`]), for hosts that drive their own
//! runtime:
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_store_memory::MemoryStore;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! latchkey_testkit::credentials::create_then_find(Arc::new(MemoryStore::new())).await;
//! # });
//! ```
//!
//! Besides the suites: [`CountingStore`] counts store round trips,
//! [`race`] starts many tasks at one instant, [`vectors`] holds the RFC
//! test vectors, [`peers`] the reference implementations interop tests
//! talk to.
//!
//! Cases use fresh random logins, accounts and keys, so one database may
//! serve many runs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod challenges;
pub mod cli_logins;
pub mod codes;
mod counting;
pub mod credentials;
pub mod devices;
mod macros;
pub mod peers;
pub mod security_keys;
pub mod stamps;
pub mod throttle;
pub mod tickets;
pub mod two_factor;
pub mod vectors;

use std::future::Future;
use std::sync::Arc;

use latchkey_core::{AccountId, SecurityStamp};
use time::OffsetDateTime;

pub use counting::CountingStore;

/// What the macros name, so that a crate using them needs no dependency on
/// each trait's crate.
#[doc(hidden)]
pub mod __private {
    pub use latchkey_challenge::ChallengeStore;
    pub use latchkey_cli_login::CliLoginStore;
    pub use latchkey_credentials::CredentialStore;
    pub use latchkey_devices::{DeviceStore, StampStore};
    pub use latchkey_otp::OtpStore;
    pub use latchkey_recovery::TicketStore;
    pub use latchkey_throttle::ThrottleStore;
    pub use latchkey_twofactor::TwoFactorStore;
    pub use latchkey_webauthn::SecurityKeyStore;
}

/// A login no earlier run has used: `prefix` and 16 random hex digits.
///
/// # Panics
/// When the OS random generator fails.
#[must_use]
pub fn fresh_name(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    latchkey_core::random::fill(&mut bytes).expect("the OS random generator must work");
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{suffix}")
}

/// A fresh [`AccountId`] (see [`fresh_name`]).
///
/// # Panics
/// When the OS random generator fails.
#[must_use]
pub fn fresh_account() -> AccountId {
    AccountId::new(fresh_name("acct")).expect("a fresh name must be a valid account id")
}

/// A fresh random [`SecurityStamp`].
///
/// # Panics
/// When the OS random generator fails.
pub(crate) fn fresh_stamp() -> SecurityStamp {
    SecurityStamp::generate().expect("the OS random generator must work")
}

/// The digits of the first line of the newest mail `mailer` accepted: the
/// code, as latchkey's default templates write it ("Your one-time password
/// is: 123456").
///
/// # Panics
/// When no mail was sent.
#[must_use]
pub fn code_in_last_mail(mailer: &latchkey_core::RecordingMailer) -> String {
    let mail = mailer
        .last()
        .expect("a code was expected in the newest mail, but no mail was sent");
    let first_line = mail.text.lines().next().unwrap_or_default();
    first_line.chars().filter(char::is_ascii_digit).collect()
}

/// A 6-digit mailed code that is not `code`: a "wrong" code that is
/// wrong in every run.
///
/// ```
/// assert_eq!(latchkey_testkit::wrong_mailed_code("000000"), "111111");
/// assert_eq!(latchkey_testkit::wrong_mailed_code("123456"), "000000");
/// ```
#[must_use]
pub fn wrong_mailed_code(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

/// A 6-digit code that no step in the ±1 window around `now` produces:
/// a "wrong" code that is wrong in every run (a fixed `000000` is right
/// about once in a million).
///
/// ```
/// use latchkey_otp::{Algorithm, OtpSecret, Totp};
/// let app = Totp::new(&OtpSecret::from_bytes(&[7; 20])?, Algorithm::Sha1, 6, 30)?;
/// let now = time::OffsetDateTime::now_utc();
/// let wrong = latchkey_testkit::wrong_totp_code(&app, now);
/// assert_eq!(app.verify(&wrong, now, 1)?, latchkey_otp::TotpMatch::NoMatch);
/// # Ok::<(), latchkey_otp::Error>(())
/// ```
///
/// # Panics
/// When `now` is before 1970.
#[must_use]
pub fn wrong_totp_code(app: &latchkey_otp::Totp, now: OffsetDateTime) -> String {
    let step = app
        .step_at(now)
        .expect("wrong_totp_code needs a time after 1970");
    (0..)
        .map(|n| format!("{n:06}"))
        .find(|c| (step.saturating_sub(1)..=step + 1).all(|s| app.code_for_step(s) != *c))
        .expect("some 6-digit code must be in no step of a 3-step window")
}

/// Runs `n` tasks that start together: `f(i)` makes task `i`'s future, and
/// every task waits behind one barrier until all `n` are spawned, so they
/// race as hard as the runtime allows. Returns their outputs in task
/// order. A task's panic is the caller's panic, with its message.
///
/// Call it from a multi-threaded runtime for real parallelism (the suites'
/// macros use 4 worker threads).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let squares = latchkey_testkit::race(4, |i| async move { i * i }).await;
/// assert_eq!(squares, [0, 1, 4, 9]);
/// # });
/// ```
///
/// # Panics
/// When a task panics (with its panic), or is cancelled.
pub async fn race<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, run) = (barrier.clone(), f(i));
            tokio::spawn(async move {
                barrier.wait().await;
                run.await
            })
        })
        .collect();
    let mut outputs = Vec::with_capacity(n);
    for task in tasks {
        match task.await {
            Ok(output) => outputs.push(output),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("a racing task was cancelled: {e}"),
        }
    }
    outputs
}

/// How many of `outputs` satisfy `pred`.
pub(crate) fn count<T>(outputs: &[T], pred: impl Fn(&T) -> bool) -> usize {
    outputs.iter().filter(|o| pred(o)).count()
}

/// A fixed instant well inside the range every backend stores (2030).
pub(crate) fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("2030 is a valid time")
}
