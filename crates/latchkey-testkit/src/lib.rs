//! Conformance suites for latchkey store implementations.
//!
//! A store that passes its suite keeps the promises latchkey's security
//! rests on: "not found" is not an error, and every compare-and-set is
//! atomic under concurrency. Run the suite from your own tests with the
//! macro, handing it an expression that makes a fresh store:
//!
//! ```ignore
//! // tests/conformance.rs of a store crate (needs tokio as a dev-dependency)
//! use std::sync::Arc;
//! use latchkey_credentials::CredentialStore;
//! latchkey_testkit::credential_store_tests!(async {
//!     Arc::new(my_store::connect().await) as Arc<dyn CredentialStore>
//! });
//! ```
//!
//! Each case is also a public async function in [`credentials`], for hosts
//! that drive their own runtime:
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_store_memory::MemoryStore;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! latchkey_testkit::credentials::create_then_find(Arc::new(MemoryStore::new())).await;
//! # });
//! ```
//!
//! Cases use fresh random logins, so one database may serve many runs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod challenges;
pub mod credentials;
pub mod otp;
pub mod peers;
pub mod recovery;
pub mod throttle;
pub mod twofactor;

use latchkey_core::AccountId;

/// A login no earlier run has used: `prefix` and 16 random hex digits.
///
/// # Panics
/// When the OS random generator fails.
#[must_use]
pub fn fresh_name(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    latchkey_core::random::fill(&mut bytes).expect("OS random generator");
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{suffix}")
}

/// The digits of the first line of the newest mail `mailer` accepted: the
/// code, as latchkey's default templates write it ("Your one-time password
/// is: 123456").
///
/// # Panics
/// When no mail was sent.
#[must_use]
pub fn code_in_last_mail(mailer: &latchkey_core::RecordingMailer) -> String {
    let mail = mailer.last().expect("a mail was sent");
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
pub fn wrong_totp_code(app: &latchkey_otp::Totp, now: time::OffsetDateTime) -> String {
    let step = app.step_at(now).expect("a time after 1970");
    (0..)
        .map(|n| format!("{n:06}"))
        .find(|c| (step.saturating_sub(1)..=step + 1).all(|s| app.code_for_step(s) != *c))
        .expect("some 6-digit code is in no step of the window")
}

/// A fresh [`AccountId`] (see [`fresh_name`]).
///
/// # Panics
/// When the OS random generator fails.
#[must_use]
pub fn fresh_account() -> AccountId {
    AccountId::new(fresh_name("acct")).expect("valid account id")
}

/// Generates one `#[tokio::test]` per [`credentials`] case for a
/// [`CredentialStore`](latchkey_credentials::CredentialStore). The argument
/// is an expression (usually an `async` block) evaluated once per case to
/// a future of `Arc<dyn CredentialStore>`. The calling crate needs `tokio`
/// (with `macros` and `rt-multi-thread`) as a dev-dependency.
#[macro_export]
macro_rules! credential_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_credential_store_conformance,
            $crate::credentials,
            $factory,
            [
                unknown_login_is_none,
                create_then_find,
                create_refuses_taken_login_or_account,
                set_hash_replaces_and_reports_unknown_accounts,
                replace_if_unchanged_is_compare_and_set,
                concurrent_replacements_have_exactly_one_winner,
                rehash_racing_password_change_never_loses_the_change,
            ]
        );
    };
}

/// Generates one `#[tokio::test]` per [`otp`] case for an
/// [`OtpStore`](latchkey_otp::OtpStore); the argument is an expression
/// evaluated once per case to a future of `Arc<dyn OtpStore>`.
#[macro_export]
macro_rules! otp_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_otp_store_conformance,
            $crate::otp,
            $factory,
            [
                get_unknown_is_none,
                put_replaces_the_earlier_code,
                failures_count_until_the_budget_is_spent,
                consume_succeeds_once_and_only_while_current,
                withdraw_and_void_all_remove_the_right_codes,
                sends_honour_cooldown_cap_and_release,
                concurrent_consumers_have_exactly_one_winner,
                concurrent_failures_never_exceed_the_budget,
                sixty_four_verifiers_of_one_mailed_code_have_one_winner,
                concurrent_wrong_guesses_never_exceed_the_budget,
            ]
        );
    };
}

/// Generates one `#[tokio::test]` per [`twofactor`] case for a
/// [`TwoFactorStore`](latchkey_twofactor::TwoFactorStore); the argument is
/// an expression evaluated once per case to a future of
/// `Arc<dyn TwoFactorStore>`.
#[macro_export]
macro_rules! twofactor_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_twofactor_store_conformance,
            $crate::twofactor,
            $factory,
            [
                unknown_account_is_off_and_empty,
                activation_is_once_and_only_for_the_current_pending,
                steps_only_advance,
                sixty_four_submitters_of_one_step_have_one_winner,
                recovery_codes_work_once_and_regeneration_voids_the_old_set,
                sixty_four_users_of_one_recovery_code_have_one_winner,
                mode_needs_an_authenticator_and_disable_clears_everything,
                parallel_attempts_get_only_the_free_budget,
                attempts_lock_after_the_policy_limit,
                an_approval_is_consumed_once,
                reseal_is_compare_and_set_on_the_key_id,
                replay_notices_are_claimed_once_per_interval,
            ]
        );
    };
}

/// Generates one `#[tokio::test]` per [`recovery`] case for a
/// [`TicketStore`](latchkey_recovery::TicketStore); the argument is an
/// expression evaluated once per case to a future of
/// `Arc<dyn TicketStore>`.
#[macro_export]
macro_rules! ticket_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_ticket_store_conformance,
            $crate::recovery,
            $factory,
            [
                unknown_ticket_and_draft_are_none,
                tickets_round_trip,
                transitions_are_compare_and_set_on_the_version,
                concurrent_transitions_have_exactly_one_winner,
                the_audit_trail_never_loses_an_entry,
                a_draft_is_taken_once,
                submissions_are_capped_per_key_and_window,
            ]
        );
    };
}

/// Generates one `#[tokio::test]` per [`challenges`] case for a
/// [`ChallengeStore`](latchkey::ChallengeStore); the argument is an
/// expression evaluated once per case to a future of
/// `Arc<dyn ChallengeStore>`.
#[macro_export]
macro_rules! challenge_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_challenge_store_conformance,
            $crate::challenges,
            $factory,
            [
                unknown_challenge_is_none_and_gone,
                challenges_round_trip_and_keys_are_unique,
                attempts_count_until_the_budget_is_spent,
                expired_challenges_are_gone,
                a_challenge_is_consumed_once,
                sixty_four_consumers_of_one_challenge_have_one_winner,
                concurrent_attempts_never_exceed_the_budget,
                purge_removes_only_expired_challenges,
            ]
        );
    };
}

/// Generates one `#[tokio::test]` per [`throttle`] case for a
/// [`ThrottleStore`](latchkey::ThrottleStore); the argument is an
/// expression evaluated once per case to a future of
/// `Arc<dyn ThrottleStore>`.
#[macro_export]
macro_rules! throttle_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_throttle_store_conformance,
            $crate::throttle,
            $factory,
            [
                backoff_grows_after_the_free_attempts,
                lock_holds_until_cleared,
                keys_are_independent,
                parallel_reservations_get_only_the_free_budget,
                windows_count_and_reset,
                concurrent_hits_are_all_counted,
                reservations_racing_clears_never_fail,
                purge_drops_idle_counters_and_keeps_locks,
                purges_racing_reservations_never_fail,
            ]
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_cases {
    ($module:ident, $suite:path, $factory:expr, [$($case:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    use $suite as suite;
                    suite::$case($factory.await).await;
                }
            )*
        }
    };
}
