//! Both backends pass latchkey's conformance suites, each case on a fresh
//! database driven through several pools at once (see `common::Rotating`).
//! SQLite always runs; PostgreSQL runs when `LATCHKEY_TEST_POSTGRES_URL`
//! is set and otherwise prints a SKIPPED line per case.

mod common;

/// Each case on its own SQLite file, through `common::POOLS` pools.
mod sqlite {
    use std::sync::Arc;

    latchkey_testkit::credential_store_tests!(async {
        crate::common::sqlite().await as Arc<dyn latchkey_credentials::CredentialStore>
    });
    latchkey_testkit::otp_store_tests!(async {
        crate::common::sqlite().await as Arc<dyn latchkey_otp::OtpStore>
    });
    latchkey_testkit::twofactor_store_tests!(async {
        crate::common::sqlite().await as Arc<dyn latchkey_twofactor::TwoFactorStore>
    });
    latchkey_testkit::ticket_store_tests!(async {
        crate::common::sqlite().await as Arc<dyn latchkey_recovery::TicketStore>
    });
    latchkey_testkit::challenge_store_tests!(async {
        crate::common::sqlite().await as Arc<dyn latchkey::ChallengeStore>
    });
    latchkey_testkit::throttle_store_tests!(async {
        crate::common::sqlite().await as Arc<dyn latchkey::ThrottleStore>
    });
}

/// Each case in its own PostgreSQL schema, through `common::POOLS` pools.
/// The factory is a block, not an `async` block, so that its `return`
/// ends the test (after the SKIPPED line) when no server is configured.
mod postgres {
    use std::sync::Arc;

    latchkey_testkit::credential_store_tests!({
        let Some(url) = crate::common::postgres_url() else {
            return;
        };
        async move {
            crate::common::postgres(url).await as Arc<dyn latchkey_credentials::CredentialStore>
        }
    });
    latchkey_testkit::otp_store_tests!({
        let Some(url) = crate::common::postgres_url() else {
            return;
        };
        async move { crate::common::postgres(url).await as Arc<dyn latchkey_otp::OtpStore> }
    });
    latchkey_testkit::twofactor_store_tests!({
        let Some(url) = crate::common::postgres_url() else {
            return;
        };
        async move { crate::common::postgres(url).await as Arc<dyn latchkey_twofactor::TwoFactorStore> }
    });
    latchkey_testkit::ticket_store_tests!({
        let Some(url) = crate::common::postgres_url() else {
            return;
        };
        async move { crate::common::postgres(url).await as Arc<dyn latchkey_recovery::TicketStore> }
    });
    latchkey_testkit::challenge_store_tests!({
        let Some(url) = crate::common::postgres_url() else {
            return;
        };
        async move { crate::common::postgres(url).await as Arc<dyn latchkey::ChallengeStore> }
    });
    latchkey_testkit::throttle_store_tests!({
        let Some(url) = crate::common::postgres_url() else {
            return;
        };
        async move { crate::common::postgres(url).await as Arc<dyn latchkey::ThrottleStore> }
    });
}
