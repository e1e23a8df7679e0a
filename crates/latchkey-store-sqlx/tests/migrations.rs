//! A database made by an earlier release (migration 0001 only) upgrades
//! in place: `migrate` applies 0002 alone, and the replay-notice claims
//! survive the move out of `latchkey_twofactor_counters`.

use std::path::{Path, PathBuf};

use latchkey_store_sqlx::{MigrationReport, PostgresStore, SqliteStore, testing};
use latchkey_testkit::fresh_account;
use latchkey_twofactor::TwoFactorStore;
use sqlx::migrate::Migrator;
use time::{Duration, OffsetDateTime};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

/// A directory holding only `backend`'s migration 0001, as released.
fn release_one(backend: &str) -> (PathBuf, testing::Cleanup) {
    let dir = std::env::temp_dir().join(testing::fresh_ident("latchkey_release_one"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let name = "0001_latchkey_schema.sql";
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
        .join(name);
    std::fs::copy(from, dir.join(name)).expect("copy 0001");
    (dir.clone(), testing::Cleanup::Dir(dir))
}

fn upgraded() -> MigrationReport {
    MigrationReport {
        applied: vec![(2, "throttled attempts".to_owned())],
        already_applied: 1,
    }
}

const OLD_COUNTERS: &str = "INSERT INTO latchkey_twofactor_counters \
     (account, failed_attempts, last_attempt_at, last_replay_notice_at) VALUES ($1, 3, $2, $2)";

#[tokio::test]
async fn sqlite_release_one_database_upgrades_and_keeps_replay_notices() {
    let (dir, _release) = release_one("sqlite");
    let db = std::env::temp_dir().join(testing::fresh_ident("latchkey_upgrade"));
    std::fs::create_dir_all(&db).expect("temp dir");
    let _cleanup = testing::Cleanup::Dir(db.clone());
    let url = format!("sqlite://{}?mode=rwc", db.join("old.db").display());
    let store = SqliteStore::connect(&url).await.expect("open");
    Migrator::new(dir.as_path())
        .await
        .expect("release one")
        .run(store.pool())
        .await
        .expect("migrate to 0001");
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

    assert_eq!(store.migrate().await.expect("upgrade"), upgraded());
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
    let (dir, _release) = release_one("postgres");
    // A bare schema, migrated to 0001 only.
    let schema = testing::fresh_ident(testing::SCHEMA_PREFIX);
    let admin = PostgresStore::connect(&url).await.expect("connect");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(admin.pool())
        .await
        .expect("create schema");
    let _cleanup = testing::Cleanup::Schema {
        url: url.clone(),
        schema: schema.clone(),
    };
    let store = testing::postgres_store(&url, &schema, "latchkey-upgrade").await;
    Migrator::new(dir.as_path())
        .await
        .expect("release one")
        .run(store.pool())
        .await
        .expect("migrate to 0001");
    let noticed = fresh_account();
    let at = i64::try_from(t0().unix_timestamp_nanos()).expect("in range");
    sqlx::query(OLD_COUNTERS)
        .bind(noticed.as_str())
        .bind(at)
        .execute(store.pool())
        .await
        .expect("old row");

    assert_eq!(store.migrate().await.expect("upgrade"), upgraded());
    let state = store.load(&noticed).await.expect("load");
    assert_eq!(state.last_replay_notice_at, Some(t0()));
    let gone: Option<String> =
        sqlx::query_scalar("SELECT CAST(to_regclass('latchkey_twofactor_counters') AS TEXT)")
            .fetch_one(store.pool())
            .await
            .expect("to_regclass");
    assert_eq!(gone, None);
}
