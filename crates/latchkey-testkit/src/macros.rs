//! The macros that turn each suite into `#[tokio::test]`s.
//!
//! Every macro takes one expression (usually an `async` block) evaluated
//! once per case to a future of an `Arc` of the store: `Arc<dyn Trait>`, or
//! `Arc<S>` for a concrete `S` (the macro casts it). The calling crate
//! needs `tokio` (with `macros` and `rt-multi-thread`) as a
//! dev-dependency. Each case runs on 4 worker threads.

/// Every suite against one store type implementing all eight store traits:
/// [`credential_store_tests!`](crate::credential_store_tests), [`otp_store_tests!`](crate::otp_store_tests),
/// [`two_factor_store_tests!`](crate::two_factor_store_tests), [`ticket_store_tests!`](crate::ticket_store_tests),
/// [`challenge_store_tests!`](crate::challenge_store_tests), [`throttle_store_tests!`](crate::throttle_store_tests),
/// [`device_store_tests!`](crate::device_store_tests) and [`stamp_store_tests!`](crate::stamp_store_tests). The argument
/// is evaluated once per case to a future of `Arc<S>` for a concrete `S`.
///
/// ```ignore
/// latchkey_testkit::all_store_tests!(async { std::sync::Arc::new(MemoryStore::new()) });
/// ```
#[macro_export]
macro_rules! all_store_tests {
    ($factory:expr) => {
        $crate::credential_store_tests!($factory);
        $crate::otp_store_tests!($factory);
        $crate::two_factor_store_tests!($factory);
        $crate::ticket_store_tests!($factory);
        $crate::challenge_store_tests!($factory);
        $crate::throttle_store_tests!($factory);
        $crate::device_store_tests!($factory);
        $crate::stamp_store_tests!($factory);
    };
}

/// One `#[tokio::test]` per [`credentials`](crate::credentials) case for a
/// [`CredentialStore`](latchkey_credentials::CredentialStore).
#[macro_export]
macro_rules! credential_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_credential_store_conformance,
            $crate::credentials,
            $crate::__private::CredentialStore,
            $factory,
            [
                unknown_login_is_none,
                create_then_find,
                logins_match_exactly,
                create_refuses_taken_login_or_account,
                set_hash_replaces_and_reports_unknown_accounts,
                replace_if_unchanged_is_compare_and_set,
                concurrent_replacements_have_exactly_one_winner,
                rehash_racing_password_change_never_loses_the_change,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`codes`](crate::codes) case for an
/// [`OtpStore`](latchkey_otp::OtpStore).
#[macro_export]
macro_rules! otp_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_otp_store_conformance,
            $crate::codes,
            $crate::__private::OtpStore,
            $factory,
            [
                get_unknown_is_none,
                put_replaces_the_earlier_code,
                get_returns_a_spent_record,
                failures_count_until_the_budget_is_spent,
                consume_succeeds_once_and_only_while_current,
                withdraw_and_void_all_remove_the_right_codes,
                sends_honour_cooldown_cap_and_release,
                a_send_exactly_an_hour_old_no_longer_counts,
                concurrent_consumers_have_exactly_one_winner,
                concurrent_failures_never_exceed_the_budget,
                sixty_four_verifiers_of_one_mailed_code_have_one_winner,
                concurrent_wrong_guesses_never_exceed_the_budget,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`two_factor`](crate::two_factor) case for a
/// [`TwoFactorStore`](latchkey_twofactor::TwoFactorStore).
#[macro_export]
macro_rules! two_factor_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_two_factor_store_conformance,
            $crate::two_factor,
            $crate::__private::TwoFactorStore,
            $factory,
            [
                unknown_account_is_off_and_empty,
                activation_is_once_and_only_for_the_current_pending,
                steps_only_advance,
                sixty_four_submitters_of_one_step_have_one_winner,
                recovery_codes_work_once_and_regeneration_voids_the_old_set,
                sixty_four_users_of_one_recovery_code_have_one_winner,
                mode_needs_an_authenticator_and_disable_clears_everything,
                two_factor_without_an_app_turns_on_once_and_off_with_disable,
                sixty_four_first_security_keys_turn_two_factor_on_once,
                an_app_added_beside_security_keys_takes_over_the_mode,
                an_approval_is_consumed_once,
                a_used_approval_stays_used_across_disable_and_reactivation,
                reseal_is_compare_and_set_on_the_key_id,
                replay_notices_are_claimed_once_per_interval,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`tickets`](crate::tickets) case for a
/// [`TicketStore`](latchkey_recovery::TicketStore).
#[macro_export]
macro_rules! ticket_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_ticket_store_conformance,
            $crate::tickets,
            $crate::__private::TicketStore,
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

/// One `#[tokio::test]` per [`challenges`](crate::challenges) case for a
/// [`ChallengeStore`](latchkey_challenge::ChallengeStore).
#[macro_export]
macro_rules! challenge_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_challenge_store_conformance,
            $crate::challenges,
            $crate::__private::ChallengeStore,
            $factory,
            [
                unknown_challenge_is_none_and_gone,
                challenges_round_trip_and_keys_are_unique,
                a_counted_attempt_returns_the_record_as_counted,
                attempts_count_until_the_budget_is_spent,
                a_challenge_is_dead_at_its_expiry_instant,
                the_last_counted_attempt_can_still_consume,
                the_stamp_round_trips_through_insert_get_and_reserve_attempt,
                a_challenge_is_consumed_once,
                sixty_four_consumers_of_one_challenge_have_one_winner,
                concurrent_attempts_never_exceed_the_budget,
                purge_removes_only_expired_challenges,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`throttle`](crate::throttle) case for a
/// [`ThrottleStore`](latchkey_throttle::ThrottleStore).
#[macro_export]
macro_rules! throttle_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_throttle_store_conformance,
            $crate::throttle,
            $crate::__private::ThrottleStore,
            $factory,
            [
                backoff_grows_after_the_free_attempts,
                a_reservation_exactly_at_the_end_of_the_wait_is_allowed,
                lock_holds_until_cleared,
                clearing_a_missing_key_is_fine,
                keys_are_independent,
                parallel_reservations_get_only_the_free_budget,
                windows_count_and_reset,
                concurrent_hits_are_all_counted,
                reservations_racing_clears_never_fail,
                purge_never_lowers_an_uncleared_count,
                purge_deletes_cleared_counters_and_ended_windows,
                purges_racing_reservations_never_fail,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`devices`](crate::devices) case for a
/// [`DeviceStore`](latchkey_devices::DeviceStore).
#[macro_export]
macro_rules! device_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_device_store_conformance,
            $crate::devices,
            $crate::__private::DeviceStore,
            $factory,
            [
                unknown_device_is_none_and_untouchable,
                devices_round_trip_every_field,
                a_taken_id_is_refused,
                sixty_four_inserts_of_one_id_have_one_winner,
                list_is_the_accounts_own_oldest_first,
                rename_touches_only_the_accounts_own_record,
                revoke_touches_only_the_accounts_own_record,
                revoke_all_removes_only_that_accounts_devices,
                sixty_four_revokers_of_one_device_have_one_winner,
                touch_records_the_use_and_never_extends_expiry,
                purge_removes_exactly_the_expired_devices,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`stamps`](crate::stamps) case for a
/// [`StampStore`](latchkey_devices::StampStore).
#[macro_export]
macro_rules! stamp_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_stamp_store_conformance,
            $crate::stamps,
            $crate::__private::StampStore,
            $factory,
            [
                the_first_stamp_is_kept_whatever_fresh_is_passed,
                sixty_four_first_callers_get_one_stamp,
                rotate_replaces_the_stamp,
                accounts_have_independent_stamps,
                rotations_racing_reads_leave_one_of_the_new_stamps,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`cli_logins`](crate::cli_logins) case for a
/// [`CliLoginStore`](latchkey_cli_login::CliLoginStore). Not part of
/// [`all_store_tests!`](crate::all_store_tests): a host that offers no
/// command-line login needs no such store.
#[macro_export]
macro_rules! cli_login_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_cli_login_store_conformance,
            $crate::cli_logins,
            $crate::__private::CliLoginStore,
            $factory,
            [
                unknown_session_is_gone,
                sessions_round_trip_and_digests_are_unique,
                a_session_is_dead_at_its_expiry_instant,
                an_approval_is_collected_once,
                a_denial_is_reported_to_every_poll,
                a_poll_sooner_than_the_gap_is_too_soon,
                sixty_four_polls_after_an_approval_have_one_winner,
                sixty_four_decisions_have_one_winner,
                purge_removes_only_expired_sessions,
            ]
        );
    };
}

/// One `#[tokio::test]` per [`security_keys`](crate::security_keys) case
/// for a [`SecurityKeyStore`](latchkey_webauthn::SecurityKeyStore). Not
/// part of [`all_store_tests!`](crate::all_store_tests): a host without
/// security keys needs no such store.
#[macro_export]
macro_rules! security_key_store_tests {
    ($factory:expr) => {
        $crate::__store_cases!(
            latchkey_security_key_store_conformance,
            $crate::security_keys,
            $crate::__private::SecurityKeyStore,
            $factory,
            [
                a_ceremony_is_taken_once_with_every_field,
                a_ceremony_is_dead_at_its_expiry_instant,
                sixty_four_takers_of_one_ceremony_have_one_winner,
                keys_round_trip_and_credential_ids_are_unique,
                recording_a_use_is_compare_and_set_on_the_counter,
                sixty_four_uses_at_one_counter_have_one_winner,
                rename_and_remove_touch_only_the_accounts_own_key,
                purge_removes_only_expired_ceremonies,
                a_key_is_found_by_its_credential_id,
            ]
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_cases {
    ($module:ident, $suite:path, $trait:path, $factory:expr, [$($case:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    use $suite as suite;
                    let store = $factory.await as ::std::sync::Arc<dyn $trait>;
                    suite::$case(store).await;
                }
            )*
        }
    };
}
