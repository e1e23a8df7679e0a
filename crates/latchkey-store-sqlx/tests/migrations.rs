//! A database made by an earlier release upgrades in place, the missing
//! migrations applied in order:
//! - release one (0001 only): `migrate` applies 0002, 0003 and 0004, and
//!   the replay-notice claims survive the move out of
//!   `latchkey_twofactor_counters`;
//! - release two (0001 and 0002): `migrate` applies 0003 (and 0004);
//!   challenges made before it read back with the all-zero stamp (no
//!   account's, so they stop matching), and devices and stamps work at
//!   once;
//! - release three (0001 to 0003): `migrate` applies 0004 (and 0005),
//!   and command-line logins work at once;
//! - release four (0001 to 0004): `migrate` applies 0005 (and 0006), and
//!   security keys and their ceremonies work at once;
//! - release five (0001 to 0005): `migrate` applies 0006 alone, and 2FA
//!   turned on by a first security key (no app) works at once.

use std::path::{Path, PathBuf};

use latchkey_challenge::{ChallengeAttempt, ChallengeKey, ChallengeStore};
use latchkey_cli_login::{CliLoginDecision, CliLoginPoll, CliLoginStore, NewCliLogin};
use latchkey_core::SecurityStamp;
use latchkey_devices::{DeviceId, DeviceRecord, DeviceStore, StampStore};
use latchkey_store_sqlx::{MigrationReport, PostgresStore, SqliteStore, testing};
use latchkey_testkit::fresh_account;
use latchkey_twofactor::TwoFactorStore;
use latchkey_webauthn::{
    CeremonyPurpose, CeremonyRecord, KeyUse, SecurityKeyRecord, SecurityKeyStore,
};
use sqlx::migrate::Migrator;
use time::{Duration, OffsetDateTime};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

/// A directory holding `backend`'s first `n` migrations, as released.
fn release(backend: &str, n: usize) -> (PathBuf, testing::Cleanup) {
    let dir = std::env::temp_dir().join(testing::fresh_ident("latchkey_release"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<_> = std::fs::read_dir(&from)
        .expect("the migrations directory")
        .map(|entry| entry.expect("a migration file").file_name())
        .collect();
    names.sort();
    assert!(names.len() > n, "release {n} must be older than the crate");
    for name in &names[..n] {
        std::fs::copy(from.join(name), dir.join(name)).expect("copy a migration");
    }
    (dir.clone(), testing::Cleanup::Dir(dir))
}

/// What `migrate` reports on a database of release `n`: every later
/// migration applied, in order.
fn upgraded(n: usize) -> MigrationReport {
    let all = [
        (1, "latchkey schema"),
        (2, "throttled attempts"),
        (3, "devices and stamps"),
        (4, "cli logins"),
        (5, "security keys"),
        (6, "two factor without app"),
    ];
    MigrationReport {
        applied: all[n..]
            .iter()
            .map(|(v, d)| (*v, (*d).to_owned()))
            .collect(),
        already_applied: n,
    }
}

/// A fresh SQLite file migrated to release `n` with sqlx's own migrator,
/// and what removes it.
async fn sqlite_release(n: usize) -> (SqliteStore, Vec<testing::Cleanup>) {
    let (dir, release) = release("sqlite", n);
    let db = std::env::temp_dir().join(testing::fresh_ident("latchkey_upgrade"));
    std::fs::create_dir_all(&db).expect("temp dir");
    let cleanup = testing::Cleanup::Dir(db.clone());
    let url = format!("sqlite://{}?mode=rwc", db.join("old.db").display());
    let store = SqliteStore::connect(&url).await.expect("open");
    Migrator::new(dir.as_path())
        .await
        .expect("the released migrations")
        .run(store.pool())
        .await
        .expect("migrate to the release");
    (store, vec![release, cleanup])
}

/// A bare schema on `url` migrated to release `n` with sqlx's own
/// migrator, and what drops it.
async fn postgres_release(url: &str, n: usize) -> (PostgresStore, Vec<testing::Cleanup>) {
    let (dir, release) = release("postgres", n);
    let schema = testing::fresh_ident(testing::SCHEMA_PREFIX);
    let admin = PostgresStore::connect(url).await.expect("connect");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(admin.pool())
        .await
        .expect("create schema");
    admin.pool().close().await;
    let cleanup = testing::Cleanup::Schema {
        url: url.to_owned(),
        schema: schema.clone(),
    };
    let store = testing::postgres_store(url, &schema, "latchkey-upgrade").await;
    Migrator::new(dir.as_path())
        .await
        .expect("the released migrations")
        .run(store.pool())
        .await
        .expect("migrate to the release");
    (store, vec![release, cleanup])
}

const OLD_COUNTERS: &str = "INSERT INTO latchkey_twofactor_counters \
     (account, failed_attempts, last_attempt_at, last_replay_notice_at) VALUES ($1, 3, $2, $2)";

#[tokio::test]
async fn sqlite_release_one_database_upgrades_and_keeps_replay_notices() {
    let (store, _cleanup) = sqlite_release(1).await;
    let (noticed, quiet) = (fresh_account(), fresh_account());
    let at = i64::try_from(t0().unix_timestamp_nanos()).expect("in range");
    sqlx::query(OLD_COUNTERS)
        .bind(noticed.as_str())
        .bind(at)
        .execute(store.pool())
        .await
        .expect("old row");
    sqlx::query(
        "INSERT INTO latchkey_twofactor_counters (account, failed_attempts) VALUES ($1, 2)",
    )
    .bind(quiet.as_str())
    .execute(store.pool())
    .await
    .expect("old row");

    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(1));
    assert_eq!(
        store.migrate().await.expect("again").applied,
        Vec::<(i64, String)>::new()
    );
    let state = store.load(&noticed).await.expect("load");
    assert_eq!(state.last_replay_notice_at, Some(t0()));
    assert_eq!(
        store
            .load(&quiet)
            .await
            .expect("load")
            .last_replay_notice_at,
        None
    );
    assert!(
        !store
            .claim_replay_notice(&noticed, t0() + Duration::MINUTE, Duration::HOUR)
            .await
            .expect("claim"),
        "the old claim still holds"
    );
    assert!(
        store
            .claim_replay_notice(&quiet, t0(), Duration::HOUR)
            .await
            .expect("claim")
    );
}

#[tokio::test]
async fn postgres_release_one_schema_upgrades_and_keeps_replay_notices() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, _cleanup) = postgres_release(&url, 1).await;
    let noticed = fresh_account();
    let at = i64::try_from(t0().unix_timestamp_nanos()).expect("in range");
    sqlx::query(OLD_COUNTERS)
        .bind(noticed.as_str())
        .bind(at)
        .execute(store.pool())
        .await
        .expect("old row");

    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(1));
    let state = store.load(&noticed).await.expect("load");
    assert_eq!(state.last_replay_notice_at, Some(t0()));
    let gone: Option<String> =
        sqlx::query_scalar("SELECT CAST(to_regclass('latchkey_twofactor_counters') AS TEXT)")
            .fetch_one(store.pool())
            .await
            .expect("to_regclass");
    assert_eq!(gone, None);
}

/// A challenge as release two stored it (no stamp column).
const OLD_CHALLENGE: &str = "INSERT INTO latchkey_challenges \
     (challenge_key, account, kind, operation, created_at, expires_at, max_attempts, attempts) \
     VALUES ($1, $2, 'mailed-code', NULL, $3, $4, 5, 0)";

/// After 0003: the old challenge reads back (and is counted) with the
/// all-zero stamp, a new one keeps its own, and devices and stamps work.
async fn check_release_two_upgrade<S>(store: &S, key: ChallengeKey)
where
    S: ChallengeStore + DeviceStore + StampStore,
{
    let old = store
        .get_challenge(&key)
        .await
        .expect("get_challenge")
        .expect("the old challenge must survive the upgrade");
    assert_eq!(
        old.stamp,
        SecurityStamp([0; 16]),
        "a challenge made before 0003 must read back with the all-zero stamp"
    );
    let ChallengeAttempt::Counted(counted) = store
        .reserve_attempt(&key, t0())
        .await
        .expect("reserve_attempt")
    else {
        panic!("an attempt on the old live challenge must be Counted");
    };
    assert_eq!(
        counted.stamp,
        SecurityStamp([0; 16]),
        "counting keeps the zero stamp"
    );

    let account = fresh_account();
    let fresh = SecurityStamp::generate().expect("random");
    assert_eq!(
        store.stamp(&account, fresh).await.expect("stamp"),
        fresh,
        "stamps must work after the upgrade"
    );
    let new_key = ChallengeKey([9; 32]);
    assert!(
        store
            .insert_challenge(latchkey_challenge::ChallengeRecord {
                key: new_key,
                stamp: fresh,
                account: account.clone(),
                ..old
            })
            .await
            .expect("insert_challenge"),
        "a new challenge must be stored after the upgrade"
    );
    assert_eq!(
        store
            .get_challenge(&new_key)
            .await
            .expect("get_challenge")
            .map(|c| c.stamp),
        Some(fresh),
        "a challenge made after the upgrade must keep its stamp"
    );
    let device = DeviceRecord {
        id: DeviceId([7; 16]),
        account: account.clone(),
        secret_digest: [8; 32],
        stamp: fresh,
        label: "Firefox on Linux".to_owned(),
        created_at: t0(),
        last_used_at: None,
        last_client: None,
        expires_at: t0() + Duration::days(90),
    };
    assert!(
        store
            .insert_device(device.clone())
            .await
            .expect("insert_device"),
        "devices must be stored after the upgrade"
    );
    assert_eq!(
        store.list_devices(&account).await.expect("list_devices"),
        [device],
        "devices must list after the upgrade"
    );
}

/// The times of a challenge as release two stored it: made at `t0()`,
/// live for 10 minutes.
fn old_challenge_times() -> (i64, i64) {
    let at = |t: OffsetDateTime| i64::try_from(t.unix_timestamp_nanos()).expect("in range");
    (at(t0()), at(t0() + Duration::minutes(10)))
}

#[tokio::test]
async fn sqlite_release_two_database_gets_0003_alone_and_old_challenges_read_back() {
    let (store, _cleanup) = sqlite_release(2).await;
    let key = ChallengeKey([5; 32]);
    let (made, expires) = old_challenge_times();
    sqlx::query(OLD_CHALLENGE)
        .bind(&key.0[..])
        .bind(fresh_account().as_str())
        .bind(made)
        .bind(expires)
        .execute(store.pool())
        .await
        .expect("old challenge row");
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(2));
    check_release_two_upgrade(&store, key).await;
}

#[tokio::test]
async fn postgres_release_two_schema_gets_0003_alone_and_old_challenges_read_back() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, _cleanup) = postgres_release(&url, 2).await;
    let key = ChallengeKey([5; 32]);
    let (made, expires) = old_challenge_times();
    sqlx::query(OLD_CHALLENGE)
        .bind(&key.0[..])
        .bind(fresh_account().as_str())
        .bind(made)
        .bind(expires)
        .execute(store.pool())
        .await
        .expect("old challenge row");
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(2));
    check_release_two_upgrade(&store, key).await;
    let default: Option<String> = sqlx::query_scalar(
        "SELECT column_default FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'latchkey_challenges' \
         AND column_name = 'stamp'",
    )
    .fetch_one(store.pool())
    .await
    .expect("information_schema");
    assert_eq!(
        default, None,
        "new challenges must say their stamp: no default"
    );
}

/// After 0004: a command-line login is stored, approved and collected once.
async fn check_release_three_upgrade(store: &impl CliLoginStore) {
    let new =
        NewCliLogin::generate(t0(), Duration::minutes(10), Some("registry-cli")).expect("random");
    let record = new.record;
    assert!(
        store
            .insert_cli_login(record.clone())
            .await
            .expect("insert_cli_login"),
        "a command-line login must be stored after the upgrade"
    );
    assert_eq!(
        store
            .pending_cli_login(&record.id_digest, t0())
            .await
            .expect("pending_cli_login"),
        Some(record.clone())
    );
    let (account, stamp) = (fresh_account(), SecurityStamp([4; 16]));
    let approve = CliLoginDecision::Approve {
        account: account.clone(),
        stamp,
    };
    assert!(
        store
            .decide_cli_login(&record.id_digest, &approve, t0())
            .await
            .expect("decide_cli_login")
    );
    assert_eq!(
        store
            .poll_cli_login(&record.poll_digest, t0(), Duration::ZERO)
            .await
            .expect("poll_cli_login"),
        CliLoginPoll::Approved { account, stamp }
    );
}

#[tokio::test]
async fn sqlite_release_three_database_gets_0004_alone_and_cli_logins_work() {
    let (store, _cleanup) = sqlite_release(3).await;
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(3));
    check_release_three_upgrade(&store).await;
}

#[tokio::test]
async fn postgres_release_three_schema_gets_0004_alone_and_cli_logins_work() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, _cleanup) = postgres_release(&url, 3).await;
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(3));
    check_release_three_upgrade(&store).await;
}

/// After 0005: a ceremony is stored and taken once, and a key is
/// registered, listed and used.
async fn check_release_four_upgrade(store: &impl SecurityKeyStore) {
    let account = fresh_account();
    let ceremony = CeremonyRecord {
        id_digest: [6; 32],
        account: account.clone(),
        purpose: CeremonyPurpose::StepUp { operation: [7; 32] },
        state: r#"{"challenge":"c29tZSBzdGF0ZQ"}"#.to_owned(),
        expires_at: t0() + Duration::minutes(5),
    };
    assert!(
        store
            .insert_ceremony(ceremony.clone())
            .await
            .expect("insert_ceremony"),
        "a ceremony must be stored after the upgrade"
    );
    assert_eq!(
        store
            .take_ceremony(&ceremony.id_digest, t0())
            .await
            .expect("take_ceremony"),
        Some(ceremony.clone())
    );
    assert_eq!(
        store
            .take_ceremony(&ceremony.id_digest, t0())
            .await
            .expect("take_ceremony"),
        None,
        "taken once"
    );
    let key = SecurityKeyRecord {
        account: account.clone(),
        credential_id: vec![8; 16],
        name: "YubiKey 5C".to_owned(),
        passkey: r#"{"cred":{"counter":0}}"#.to_owned(),
        counter: 0,
        backup_eligible: false,
        backed_up: false,
        created_at: t0(),
        last_used_at: None,
    };
    assert!(
        store
            .add_security_key(key.clone())
            .await
            .expect("add_security_key"),
        "a key must be registered after the upgrade"
    );
    let used = KeyUse {
        passkey: r#"{"cred":{"counter":1}}"#.to_owned(),
        counter: 1,
        backed_up: false,
        backup_eligible: false,
        at: t0() + Duration::minutes(1),
    };
    assert!(
        store
            .record_key_use(&account, &key.credential_id, 0, used.clone())
            .await
            .expect("record_key_use")
    );
    assert_eq!(
        store.security_keys(&account).await.expect("security_keys"),
        [SecurityKeyRecord {
            passkey: used.passkey,
            counter: 1,
            last_used_at: Some(used.at),
            ..key
        }]
    );
}

#[tokio::test]
async fn sqlite_release_four_database_gets_0005_alone_and_security_keys_work() {
    let (store, _cleanup) = sqlite_release(4).await;
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(4));
    check_release_four_upgrade(&store).await;
}

#[tokio::test]
async fn postgres_release_four_schema_gets_0005_alone_and_security_keys_work() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, _cleanup) = postgres_release(&url, 4).await;
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(4));
    check_release_four_upgrade(&store).await;
}

/// After 0006: 2FA turns on without an app, once, and its mode changes.
async fn check_release_five_upgrade(store: &impl TwoFactorStore) {
    let account = fresh_account();
    let on = |mode| store.enable_without_app(&account, vec![[1; 32]], mode);
    assert!(
        on(latchkey_twofactor::Mode::AuthOnly)
            .await
            .expect("enable_without_app")
    );
    assert!(
        !on(latchkey_twofactor::Mode::AuthOnly)
            .await
            .expect("enable_without_app")
    );
    assert!(
        store
            .set_mode(&account, latchkey_twofactor::Mode::AuthAndWrites)
            .await
            .expect("set_mode")
    );
    let state = store.load(&account).await.expect("load");
    assert_eq!(state.mode, latchkey_twofactor::Mode::AuthAndWrites);
    assert_eq!(state.recovery_codes_left, 1);
}

#[tokio::test]
async fn sqlite_release_five_database_gets_0006_alone_and_two_factor_without_app_works() {
    let (store, _cleanup) = sqlite_release(5).await;
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(5));
    check_release_five_upgrade(&store).await;
}

#[tokio::test]
async fn postgres_release_five_schema_gets_0006_alone_and_two_factor_without_app_works() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, _cleanup) = postgres_release(&url, 5).await;
    assert_eq!(store.migrate().await.expect("upgrade"), upgraded(5));
    check_release_five_upgrade(&store).await;
}
