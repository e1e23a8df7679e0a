//! `RedisStore` passes latchkey's conformance suites for the traits it
//! implements, each case under a fresh key prefix driven through several
//! connections at once (see `common`). They run when
//! `LATCHKEY_TEST_REDIS_URL` is set and otherwise print a SKIPPED line per
//! case. The factories are blocks, not `async` blocks, so that their
//! `return` ends the test (after the SKIPPED line) when no server is set.

mod common;

mod otp {
    latchkey_testkit::otp_store_tests!({
        let Some(url) = latchkey_store_redis::testing::redis_url() else {
            return;
        };
        crate::common::store(url)
    });
}

mod challenges {
    latchkey_testkit::challenge_store_tests!({
        let Some(url) = latchkey_store_redis::testing::redis_url() else {
            return;
        };
        crate::common::store(url)
    });
}

mod throttle {
    latchkey_testkit::throttle_store_tests!({
        let Some(url) = latchkey_store_redis::testing::redis_url() else {
            return;
        };
        crate::common::store(url)
    });
}

mod devices {
    latchkey_testkit::device_store_tests!({
        let Some(url) = latchkey_store_redis::testing::redis_url() else {
            return;
        };
        crate::common::store(url)
    });
}

mod cli_logins {
    latchkey_testkit::cli_login_store_tests!({
        let Some(url) = latchkey_store_redis::testing::redis_url() else {
            return;
        };
        crate::common::store(url)
    });
}
