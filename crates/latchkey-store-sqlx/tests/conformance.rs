//! Both backends pass latchkey's conformance suites, each case on a fresh
//! database driven through several pools at once (see `common`).
//! SQLite always runs; PostgreSQL runs when `LATCHKEY_TEST_POSTGRES_URL`
//! is set and otherwise prints a SKIPPED line per case. The
//! `CliLoginStore` and `SecurityKeyStore` suites, which `all_store_tests!`
//! leaves out, run the same way beside it.

mod common;

/// Each case on its own SQLite file, through `common::POOLS` pools.
mod sqlite {
    latchkey_testkit::all_store_tests!(crate::common::sqlite());
    latchkey_testkit::cli_login_store_tests!(crate::common::sqlite());
    latchkey_testkit::security_key_store_tests!(crate::common::sqlite());
}

/// Each case in its own PostgreSQL schema, through `common::POOLS` pools.
/// The factory is a block, not an `async` block, so that its `return`
/// ends the test (after the SKIPPED line) when no server is configured.
mod postgres {
    latchkey_testkit::all_store_tests!({
        let Some(url) = latchkey_store_sqlx::testing::postgres_url() else {
            return;
        };
        crate::common::postgres(url)
    });
    latchkey_testkit::cli_login_store_tests!({
        let Some(url) = latchkey_store_sqlx::testing::postgres_url() else {
            return;
        };
        crate::common::postgres(url)
    });
    latchkey_testkit::security_key_store_tests!({
        let Some(url) = latchkey_store_sqlx::testing::postgres_url() else {
            return;
        };
        crate::common::postgres(url)
    });
}
