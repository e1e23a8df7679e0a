//! `SignIn::builder` takes each store as an `Arc<dyn Trait>`: one
//! `Arc<RedisStore>` must serve as every one of them (the facade itself is
//! not a dependency of store crates, so this checks the coercions it
//! relies on, not the builder).

use std::sync::Arc;

use latchkey_challenge::ChallengeStore;
use latchkey_cli_login::CliLoginStore;
use latchkey_devices::DeviceStore;
use latchkey_otp::OtpStore;
use latchkey_store_redis::RedisStore;
use latchkey_throttle::ThrottleStore;

/// The shape of `.otp_store(..)`, `.challenge_store(..)`,
/// `.throttle_store(..)`, `.device_store(..)` and `.cli_login_store(..)`.
struct Builder {
    otp: Option<Arc<dyn OtpStore>>,
    challenges: Option<Arc<dyn ChallengeStore>>,
    throttle: Option<Arc<dyn ThrottleStore>>,
    devices: Option<Arc<dyn DeviceStore>>,
    cli_logins: Option<Arc<dyn CliLoginStore>>,
}

fn wire(redis: &Arc<RedisStore>) -> Builder {
    Builder {
        otp: Some(redis.clone()),
        challenges: Some(redis.clone()),
        throttle: Some(redis.clone()),
        devices: Some(redis.clone()),
        cli_logins: Some(redis.clone()),
    }
}

#[tokio::test]
async fn one_redis_store_serves_every_short_lived_trait() {
    let Some(url) = latchkey_store_redis::testing::redis_url() else {
        return;
    };
    let prefix = latchkey_store_redis::testing::fresh_prefix();
    let _cleanup = latchkey_store_redis::testing::Cleanup::new(&url, &prefix);
    let redis = Arc::new(RedisStore::connect(&url, &prefix).await.expect("redis"));
    let built = wire(&redis);
    let account = latchkey_testkit::fresh_account();
    let otp = built.otp.expect("otp store");
    assert!(
        otp.get(&account, &latchkey_otp::Purpose::SIGN_IN)
            .await
            .expect("get")
            .is_none()
    );
    assert!(built.challenges.is_some() && built.throttle.is_some() && built.devices.is_some());
    assert!(built.cli_logins.is_some());
    assert!(
        format!("{redis:?}").contains(&prefix),
        "Debug shows the prefix"
    );
}
