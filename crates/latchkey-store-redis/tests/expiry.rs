//! What the conformance suites cannot see: every key gets the time to
//! live the crate docs promise (so nothing needs purging), counters with
//! failures get none, stale codes and devices do not pile up in an
//! account's hash, and no key names an account. Run when
//! `LATCHKEY_TEST_REDIS_URL` is set, each under a fresh prefix deleted
//! afterwards.

use std::time::Duration as StdDuration;

use latchkey_challenge::{
    ChallengeId, ChallengeKey, ChallengeKind, ChallengeRecord, ChallengeStore,
};
use latchkey_cli_login::{CliLoginStore, NewCliLogin};
use latchkey_core::{AccountId, SecurityStamp};
use latchkey_devices::{DeviceId, DeviceRecord, DeviceStore};
use latchkey_otp::{CodeRecord, OtpStore, Purpose};
use latchkey_store_redis::{RedisStore, testing};
use latchkey_throttle::{AttemptPolicy, ThrottleKey, ThrottleStore};
use time::{Duration, OffsetDateTime};

const LINGER: StdDuration = StdDuration::from_secs(600);

async fn store() -> Option<(RedisStore, testing::Cleanup)> {
    let url = testing::redis_url()?;
    let prefix = testing::fresh_prefix();
    let cleanup = testing::Cleanup::new(&url, &prefix);
    let store = RedisStore::connect(&url, &prefix)
        .await
        .expect("redis")
        .with_linger(LINGER);
    Some((store, cleanup))
}

/// The key's time to live in ms (-1: none, -2: no key).
async fn pttl(store: &RedisStore, key: &str) -> i64 {
    let mut conn = store.manager().clone();
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut conn)
        .await
        .expect("PTTL")
}

async fn hash_len(store: &RedisStore, key: &str) -> i64 {
    let mut conn = store.manager().clone();
    redis::cmd("HLEN")
        .arg(key)
        .query_async(&mut conn)
        .await
        .expect("HLEN")
}

fn code(account: &AccountId, purpose: Purpose, expires_at: OffsetDateTime) -> CodeRecord {
    CodeRecord {
        id: [1; 16],
        account: account.clone(),
        purpose,
        digest: [2; 32],
        expires_at,
        max_attempts: 5,
        failed_attempts: 0,
    }
}

fn within(actual: i64, expected: StdDuration, what: &str) {
    let expected = i64::try_from(expected.as_millis()).expect("ms");
    assert!(
        (expected - 5_000..=expected + 1_000).contains(&actual),
        "{what}: time to live {actual} ms, expected about {expected} ms"
    );
}

#[tokio::test]
async fn every_key_expires_after_its_record_but_failures_do_not() {
    let Some((store, _cleanup)) = store().await else {
        return;
    };
    let now = OffsetDateTime::now_utc();
    let account = latchkey_testkit::fresh_account();

    // A mailed code: its expiry plus the linger, on the clock.
    store
        .put(code(
            &account,
            Purpose::SIGN_IN,
            now + Duration::minutes(10),
        ))
        .await
        .expect("put");
    let codes = store.keys().codes(&account);
    within(
        pttl(&store, &codes).await,
        StdDuration::from_secs(600) + LINGER,
        "codes",
    );
    // Sends: the newest send plus an hour plus the linger.
    store
        .reserve_send(&account, now, Duration::MINUTE, 3)
        .await
        .expect("reserve_send");
    within(
        pttl(&store, &store.keys().sends(&account)).await,
        StdDuration::from_secs(3_600) + LINGER,
        "sends",
    );

    // A challenge: from its creation to its expiry, plus the linger.
    let challenge = ChallengeRecord {
        key: ChallengeKey::sign_in(&ChallengeId::generate().expect("id")),
        account: account.clone(),
        kind: ChallengeKind::MailedCode,
        created_at: now,
        expires_at: now + Duration::minutes(15),
        max_attempts: 5,
        attempts: 0,
        stamp: SecurityStamp([3; 16]),
    };
    assert!(
        store
            .insert_challenge(challenge.clone())
            .await
            .expect("insert")
    );
    within(
        pttl(&store, &store.keys().challenge(&challenge.key)).await,
        StdDuration::from_secs(900) + LINGER,
        "challenge",
    );

    // A command-line login, and its poll token's index: from its creation
    // to its expiry, plus the linger.
    let login = NewCliLogin::generate(now, Duration::minutes(10), None)
        .expect("random")
        .record;
    assert!(store.insert_cli_login(login.clone()).await.expect("insert"));
    within(
        pttl(&store, &store.keys().cli_login(&login.id_digest)).await,
        StdDuration::from_secs(600) + LINGER,
        "command-line login",
    );
    within(
        pttl(&store, &store.keys().cli_login_poll(&login.poll_digest)).await,
        StdDuration::from_secs(600) + LINGER,
        "command-line login's poll index",
    );

    // A device, and the key naming its owner.
    let device = DeviceRecord {
        id: DeviceId([4; 16]),
        account: account.clone(),
        secret_digest: [5; 32],
        stamp: SecurityStamp([3; 16]),
        label: "Firefox".into(),
        created_at: now,
        last_used_at: None,
        last_client: None,
        expires_at: now + Duration::days(90),
    };
    assert!(store.insert_device(device.clone()).await.expect("insert"));
    let ninety_days = StdDuration::from_secs(90 * 86_400) + LINGER;
    within(
        pttl(&store, &store.keys().devices(&account)).await,
        ninety_days,
        "devices",
    );
    within(
        pttl(&store, &store.keys().device_owner(&device.id)).await,
        ninety_days,
        "device owner",
    );

    // A counter with failures never expires; cleared, it lingers; a window
    // lives to its end plus the linger.
    let key = ThrottleKey([6; 32]);
    store
        .reserve(&key, now, AttemptPolicy::default())
        .await
        .expect("reserve");
    let backoff = store.keys().backoff(&key);
    assert_eq!(pttl(&store, &backoff).await, -1, "failures never expire");
    store.clear(&key).await.expect("clear");
    within(pttl(&store, &backoff).await, LINGER, "cleared counter");
    store
        .reserve(&key, now, AttemptPolicy::default())
        .await
        .expect("reserve");
    assert_eq!(
        pttl(&store, &backoff).await,
        -1,
        "a new failure persists again"
    );
    store
        .hit(&key, now, Duration::minutes(5))
        .await
        .expect("hit");
    within(
        pttl(&store, &store.keys().window(&key)).await,
        StdDuration::from_secs(300) + LINGER,
        "window",
    );
}

#[tokio::test]
async fn stale_codes_and_devices_leave_the_accounts_hash() {
    let Some((store, _cleanup)) = store().await else {
        return;
    };
    let now = OffsetDateTime::now_utc();
    let account = latchkey_testkit::fresh_account();
    let codes = store.keys().codes(&account);
    // A code long expired (past its linger) and a live one: the next put
    // prunes the dead one's fields; the live code stays whole.
    let stale = now - Duration::hours(2);
    store
        .put(code(
            &account,
            Purpose::SIGN_IN,
            now + Duration::minutes(10),
        ))
        .await
        .expect("put");
    store
        .put(code(&account, Purpose::SIGN_IN.scoped("old"), stale))
        .await
        .expect("put");
    assert_eq!(hash_len(&store, &codes).await, 14, "two codes of 7 fields");
    store
        .put(code(
            &account,
            Purpose::SIGN_IN.scoped("new"),
            now + Duration::minutes(10),
        ))
        .await
        .expect("put");
    assert_eq!(
        hash_len(&store, &codes).await,
        14,
        "the stale code was pruned"
    );
    assert!(
        store
            .get(&account, &Purpose::SIGN_IN)
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(store.void_all(&account).await.expect("void_all"), 2);

    // A device created long ago, whose lifetime and linger have passed.
    let old = DeviceRecord {
        id: DeviceId([7; 16]),
        account: account.clone(),
        secret_digest: [1; 32],
        stamp: SecurityStamp([1; 16]),
        label: "old".into(),
        created_at: now - Duration::days(100),
        last_used_at: None,
        last_client: None,
        expires_at: now - Duration::days(10),
    };
    assert!(store.insert_device(old).await.expect("insert"));
    let fresh = DeviceRecord {
        id: DeviceId([8; 16]),
        label: "new".into(),
        created_at: now,
        expires_at: now + Duration::days(90),
        ..store.list_devices(&account).await.expect("list")[0].clone()
    };
    assert!(store.insert_device(fresh.clone()).await.expect("insert"));
    // The old one is still within its key's time to live (90 days from
    // its insertion, on Redis's clock), so it is listed until purged.
    assert_eq!(store.list_devices(&account).await.expect("list").len(), 2);
    assert_eq!(store.purge_expired_devices(now).await.expect("purge"), 1);
    assert_eq!(store.list_devices(&account).await.expect("list"), [fresh]);
}

#[tokio::test]
async fn no_key_names_an_account() {
    let Some((store, _cleanup)) = store().await else {
        return;
    };
    let account = AccountId::new("jane@example.com").expect("id");
    let now = OffsetDateTime::now_utc();
    store
        .put(code(
            &account,
            Purpose::SIGN_IN,
            now + Duration::minutes(10),
        ))
        .await
        .expect("put");
    store
        .reserve_send(&account, now, Duration::MINUTE, 3)
        .await
        .expect("reserve_send");
    let mut conn = store.manager().clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(store.keys().all_pattern())
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|k| !k.contains("jane")), "{keys:?}");
}
