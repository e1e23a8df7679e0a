//! Mailed-code issue + verify throughput on `latchkey-store-sqlx`, at 1, 16
//! and 64 concurrent tasks, on SQLite (a temporary file) and PostgreSQL
//! (when `LATCHKEY_TEST_POSTGRES_URL` is set), each beside the same SQL
//! run bare through sqlx.
//!
//! To measure the store rather than HMAC or mail rendering, each flow
//! drives the `OtpStore` trait directly with the calls `MailedCodes` makes:
//! issue = `reserve_send` + `put`, verify = `get` + `consume`. The bare
//! side runs the statements the store runs for those four calls, in the
//! same transactions, on the same database. One flow per task and account;
//! a criterion iteration is N concurrent flows.
//!
//! Run: `cargo bench -p latchkey-benches --bench store_sqlx`
//! (`LATCHKEY_TEST_POSTGRES_URL=postgres://... cargo bench ...` adds
//! PostgreSQL). The ratios (store time / bare time) are printed at the end.
#![allow(missing_docs, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use latchkey_otp::OtpStore;
use latchkey_store_sqlx::{PostgresStore, SqliteStore};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, Executor, Row};
use time::{Duration, OffsetDateTime};
use tokio::runtime::Runtime;

#[path = "mailed_code_flow.rs"]
mod mailed_code_flow;
use mailed_code_flow::{fresh_account, record, store_flow};

const CONCURRENCY: [u64; 3] = [1, 16, 64];
const POSTGRES_URL_VAR: &str = "LATCHKEY_TEST_POSTGRES_URL";

/// (total time, flows) per (backend, side, concurrency), for the ratios.
type Tally = Mutex<BTreeMap<(&'static str, &'static str, u64), (StdDuration, u64)>>;
static TALLY: Tally = Mutex::new(BTreeMap::new());

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

fn nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).expect("in range")
}

/// The statements of `put`, `get` and `consume`, shared by both bare sides.
macro_rules! bare_put_get_consume {
    ($pool:expr, $account:expr) => {{
        let (pool, account) = ($pool, $account);
        let r = record(&account, now());
        sqlx::query(
            "INSERT INTO latchkey_codes \
             (account, purpose, id, digest, expires_at, max_attempts, failed_attempts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (account, purpose) DO UPDATE SET id = excluded.id, \
             digest = excluded.digest, expires_at = excluded.expires_at, \
             max_attempts = excluded.max_attempts, failed_attempts = excluded.failed_attempts",
        )
        .bind(account.as_str())
        .bind(r.purpose.as_str())
        .bind(&r.id[..])
        .bind(&r.digest[..])
        .bind(nanos(r.expires_at))
        .bind(i64::from(r.max_attempts))
        .bind(i64::from(r.failed_attempts))
        .execute(pool)
        .await
        .expect("put");
        let row = sqlx::query(
            "SELECT id, digest, expires_at, max_attempts, failed_attempts \
             FROM latchkey_codes WHERE account = $1 AND purpose = $2",
        )
        .bind(account.as_str())
        .bind(r.purpose.as_str())
        .fetch_one(pool)
        .await
        .expect("get");
        let id: Vec<u8> = row.get("id");
        let _: (Vec<u8>, i64, i64, i64) = (
            row.get("digest"),
            row.get("expires_at"),
            row.get("max_attempts"),
            row.get("failed_attempts"),
        );
        let done = sqlx::query(
            "DELETE FROM latchkey_codes WHERE account = $1 AND purpose = $2 AND id = $3 \
             AND expires_at > $4 AND failed_attempts < max_attempts",
        )
        .bind(account.as_str())
        .bind(r.purpose.as_str())
        .bind(&id[..])
        .bind(nanos(now()))
        .execute(pool)
        .await
        .expect("consume");
        assert_eq!(done.rows_affected(), 1);
    }};
}

/// The send reservation's statements after the lock, inside `$tx`.
macro_rules! bare_reserve_body {
    ($tx:expr, $account:expr) => {{
        let (tx, account) = ($tx, $account);
        sqlx::query("DELETE FROM latchkey_code_sends WHERE account = $1 AND sent_at <= $2")
            .bind(account.as_str())
            .bind(nanos(now() - Duration::HOUR))
            .execute(&mut **tx)
            .await
            .expect("prune");
        let row = sqlx::query(
            "SELECT MAX(CASE WHEN holds_cooldown THEN sent_at END) AS last_holding, \
             COUNT(*) AS sends, MIN(sent_at) AS oldest \
             FROM latchkey_code_sends WHERE account = $1",
        )
        .bind(account.as_str())
        .fetch_one(&mut **tx)
        .await
        .expect("count");
        let (last, sends, _oldest): (Option<i64>, i64, Option<i64>) =
            (row.get("last_holding"), row.get("sends"), row.get("oldest"));
        assert!(last.is_none() && sends < 10);
        sqlx::query(
            "INSERT INTO latchkey_code_sends (account, sent_at, holds_cooldown) \
             VALUES ($1, $2, TRUE)",
        )
        .bind(account.as_str())
        .bind(nanos(now()))
        .execute(&mut **tx)
        .await
        .expect("record send");
    }};
}

async fn bare_sqlite_flow(pool: SqlitePool) {
    let account = fresh_account();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
    bare_reserve_body!(&mut tx, &account);
    tx.commit().await.expect("commit");
    bare_put_get_consume!(&pool, account);
}

async fn bare_postgres_flow(pool: PgPool) {
    let account = fresh_account();
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO latchkey_locks (scope, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind("send")
        .bind(account.as_str())
        .execute(&mut *tx)
        .await
        .expect("lock row");
    sqlx::query("SELECT scope FROM latchkey_locks WHERE scope = $1 AND name = $2 FOR UPDATE")
        .bind("send")
        .bind(account.as_str())
        .fetch_one(&mut *tx)
        .await
        .expect("lock");
    bare_reserve_body!(&mut tx, &account);
    tx.commit().await.expect("commit");
    bare_put_get_consume!(&pool, account);
}

/// Benches N concurrent copies of `flow` for each N, recording totals.
fn bench_side<F, Fut>(
    c: &mut Criterion,
    rt: &Runtime,
    backend: &'static str,
    side: &'static str,
    flow: F,
) where
    F: Fn() -> Fut + Copy,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut group = c.benchmark_group(format!("store_sqlx_{backend}"));
    group
        .sample_size(10)
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(3));
    for n in CONCURRENCY {
        group.throughput(Throughput::Elements(n));
        group.bench_function(format!("{side}/{n}"), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                rt.block_on(async {
                    for _ in 0..iters {
                        let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(flow())).collect();
                        for task in tasks {
                            task.await.expect("flow");
                        }
                    }
                });
                let elapsed = started.elapsed();
                let mut tally = TALLY.lock().expect("tally");
                let entry = tally.entry((backend, side, n)).or_default();
                entry.0 += elapsed;
                entry.1 += iters * n;
                elapsed
            });
        });
    }
    group.finish();
}

/// Deletes every row of latchkey's tables (the schema stays).
async fn empty_sqlite(pool: &SqlitePool) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'latchkey\\_%' ESCAPE '\\'",
    )
    .fetch_all(pool)
    .await
    .expect("list tables");
    assert!(!tables.is_empty(), "no latchkey tables found");
    for table in tables {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(pool)
            .await
            .expect("empty table");
    }
}

/// Empties every latchkey table in the bench's schema.
async fn empty_postgres(pool: &PgPool) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
         AND tablename LIKE 'latchkey\\_%'",
    )
    .fetch_all(pool)
    .await
    .expect("list tables");
    assert!(!tables.is_empty(), "no latchkey tables found");
    sqlx::query(&format!("TRUNCATE {}", tables.join(", ")))
        .execute(pool)
        .await
        .expect("empty tables");
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn sqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = std::env::temp_dir().join(format!("latchkey_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let pool = rt.block_on(async {
        // One connection, as `SqliteStore::connect` makes: SQLite has one
        // writer, and more connections only wait in its busy handler.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteStore::connect_options(&url).expect("options"))
            .await
            .expect("sqlite");
        SqliteStore::from_pool(pool.clone())
            .migrate()
            .await
            .expect("migrate");
        pool
    });
    let store: Arc<dyn OtpStore> = Arc::new(SqliteStore::from_pool(pool.clone()));
    // Each side starts on empty tables: flows leave rows behind, and the
    // side run second would otherwise work on larger tables.
    rt.block_on(empty_sqlite(&pool));
    bench_side(c, &rt, "sqlite", "store", || {
        store_flow(store.clone(), now())
    });
    rt.block_on(empty_sqlite(&pool));
    bench_side(c, &rt, "sqlite", "bare", || bare_sqlite_flow(pool.clone()));
    rt.block_on(pool.close());
    let _ = std::fs::remove_dir_all(dir);
}

fn postgres(c: &mut Criterion) {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        println!("SKIPPED: {POSTGRES_URL_VAR} is not set, PostgreSQL bench not run");
        return;
    };
    let rt = runtime();
    let schema = format!("latchkey_bench_{}", std::process::id());
    let pool = rt.block_on(async {
        let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
        admin
            .execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .expect("schema");
        let options = PgConnectOptions::from_str(&url)
            .expect("url")
            .options([("search_path", schema.as_str())]);
        let pool = PgPoolOptions::new()
            .connect_with(options)
            .await
            .expect("postgres");
        PostgresStore::from_pool(pool.clone())
            .migrate()
            .await
            .expect("migrate");
        pool
    });
    let store: Arc<dyn OtpStore> = Arc::new(PostgresStore::from_pool(pool.clone()));
    rt.block_on(empty_postgres(&pool));
    bench_side(c, &rt, "postgres", "store", || {
        store_flow(store.clone(), now())
    });
    rt.block_on(empty_postgres(&pool));
    bench_side(c, &rt, "postgres", "bare", || {
        bare_postgres_flow(pool.clone())
    });
    rt.block_on(async {
        pool.close().await;
        let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
        admin
            .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .expect("drop schema");
    });
}

/// Prints flows per second and the store/bare time ratio per case.
fn ratios(_: &mut Criterion) {
    let tally = TALLY.lock().expect("tally");
    println!("\nissue+verify flows per second (mean over warm-up and samples):");
    for backend in ["sqlite", "postgres"] {
        for n in CONCURRENCY {
            let (Some(store), Some(bare)) = (
                tally.get(&(backend, "store", n)),
                tally.get(&(backend, "bare", n)),
            ) else {
                continue;
            };
            let per_flow = |(time, flows): &(StdDuration, u64)| time.as_secs_f64() / *flows as f64;
            let (s, b) = (per_flow(store), per_flow(bare));
            println!(
                "{backend:>8} x{n:<2}: store {:>8.0}/s, bare sqlx {:>8.0}/s, store/bare time {:.3}",
                1.0 / s,
                1.0 / b,
                s / b
            );
        }
    }
}

criterion_group!(benches, sqlite, postgres, ratios);
criterion_main!(benches);
