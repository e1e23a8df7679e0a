//! Mailed-code issue + verify throughput on `latchkey-store-redis`, at 1,
//! 16 and 64 concurrent tasks, beside the same commands run bare through
//! the `redis` crate, on the Redis in `LATCHKEY_TEST_REDIS_URL`.
//!
//! Each flow drives the `OtpStore` trait directly with the calls
//! `MailedCodes` makes: issue = `reserve_send` + `put`, verify = `get` +
//! `consume`. The bare side sends the same four commands (the crate's own
//! Lua, published in `latchkey_store_redis::lua`, by `EVALSHA`, and the
//! same `HMGET`) on the same connection manager, with key names built by a
//! plain `format!` and no decoding: so the ratio is what the store adds
//! (key digests, argument encoding, the timeout, decoding, the trait
//! object). One flow per task and account; a criterion iteration is N
//! concurrent flows. Every key the run made is deleted at the end.
//!
//! Run: `LATCHKEY_TEST_REDIS_URL=redis://127.0.0.1:6379 cargo bench -p latchkey-benches --bench store_redis`.
//! The ratios (store time / bare time) are printed twice: after the
//! paired rounds (store and bare rounds alternating one by one, 200 each
//! per N, so load from elsewhere on the machine weighs on both alike: the
//! figure to quote), and at the end over criterion's blocks.
#![allow(missing_docs, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration as StdDuration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use latchkey_otp::OtpStore;
use latchkey_store_redis::redis::aio::ConnectionManager;
use latchkey_store_redis::redis::{self, Script};
use latchkey_store_redis::{Keys, RedisStore, lua, testing};
use time::OffsetDateTime;
use tokio::runtime::Runtime;

#[path = "mailed_code_flow.rs"]
mod mailed_code_flow;
use mailed_code_flow::{fresh_account, record, store_flow};

const CONCURRENCY: [u64; 3] = [1, 16, 64];
const LINGER_MS: i64 = 3_600_000;

/// (total time, flows) per (side, concurrency), for the ratios.
type Tally = Mutex<BTreeMap<(&'static str, u64), (StdDuration, u64)>>;
static TALLY: Tally = Mutex::new(BTreeMap::new());

/// The scripts the bare side runs (the store's own text).
static RESERVE: LazyLock<Script> = LazyLock::new(|| Script::new(lua::SEND_RESERVE));
static PUT: LazyLock<Script> = LazyLock::new(|| Script::new(lua::CODE_PUT));
static CONSUME: LazyLock<Script> = LazyLock::new(|| Script::new(lua::CODE_CONSUME));

fn now() -> OffsetDateTime {
    // Real time, so that what the run leaves expires by itself too.
    static START: LazyLock<OffsetDateTime> = LazyLock::new(OffsetDateTime::now_utc);
    *START
}

fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).expect("in range")
}

/// The same four commands, bare.
async fn bare_flow(mut conn: ConnectionManager, prefix: Arc<str>) {
    let account = fresh_account();
    let tag = account.as_str();
    let (sends, codes) = (
        format!("{prefix}:otp:{{{tag}}}:sends"),
        format!("{prefix}:otp:{{{tag}}}:codes"),
    );
    let r = record(&account, now());
    let (status, _): (i64, i64) = RESERVE
        .key(&sends)
        .arg(micros(now()))
        .arg(60_000_000_i64)
        .arg(10)
        .arg(LINGER_MS)
        .invoke_async(&mut conn)
        .await
        .expect("reserve");
    assert_eq!(status, 0);
    let id = "07".repeat(16);
    let deadline_ms = micros(r.expires_at) / 1_000 + LINGER_MS;
    let _: i64 = PUT
        .key(&codes)
        .arg("p")
        .arg(&id)
        .arg("09".repeat(32))
        .arg(r.expires_at.unix_timestamp_nanos().to_string())
        .arg(micros(r.expires_at))
        .arg(r.max_attempts)
        .arg(r.failed_attempts)
        .arg(deadline_ms)
        .invoke_async(&mut conn)
        .await
        .expect("put");
    let got: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(&codes)
        .arg(&["p:id", "p:digest", "p:exp", "p:max", "p:fails"])
        .query_async(&mut conn)
        .await
        .expect("get");
    assert!(got[0].is_some());
    let done: i64 = CONSUME
        .key(&codes)
        .arg("p")
        .arg(&id)
        .arg(micros(now()))
        .invoke_async(&mut conn)
        .await
        .expect("consume");
    assert_eq!(done, 1);
}

/// Runs `iters` rounds of N concurrent copies of `flow`, recording totals.
fn rounds<F, Fut>(rt: &Runtime, side: &'static str, n: u64, iters: u64, flow: F) -> StdDuration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
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
    let entry = tally.entry((side, n)).or_default();
    entry.0 += elapsed;
    entry.1 += iters * n;
    elapsed
}

/// For each N, the store then the bare commands, so that whatever else
/// the machine does at that moment weighs on both sides alike.
fn bench_sides<S, SF, B, BF>(c: &mut Criterion, rt: &Runtime, store: S, bare: B)
where
    S: Fn() -> SF + Copy,
    SF: Future<Output = ()> + Send + 'static,
    B: Fn() -> BF + Copy,
    BF: Future<Output = ()> + Send + 'static,
{
    let mut group = c.benchmark_group("store_redis");
    group
        .sample_size(10)
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(3));
    for n in CONCURRENCY {
        group.throughput(Throughput::Elements(n));
        group.bench_function(format!("store/{n}"), |b| {
            b.iter_custom(|iters| rounds(rt, "store", n, iters, store));
        });
        group.bench_function(format!("bare/{n}"), |b| {
            b.iter_custom(|iters| rounds(rt, "bare", n, iters, bare));
        });
    }
    group.finish();
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn redis_bench(c: &mut Criterion) {
    let Ok(url) = std::env::var(testing::REDIS_URL_VAR) else {
        println!(
            "SKIPPED: {} is not set (a Redis URL, e.g. redis://127.0.0.1:6379), Redis bench not run",
            testing::REDIS_URL_VAR
        );
        return;
    };
    let rt = runtime();
    let prefix = format!("latchkey-bench:{}", std::process::id());
    Keys::new(&prefix).expect("prefix");
    let store = rt.block_on(async {
        RedisStore::connect(&url, &prefix)
            .await
            .expect("connect to the bench's Redis")
    });
    let conn = store.manager().clone();
    let shared: Arc<dyn OtpStore> = Arc::new(store.clone());
    let bare_prefix: Arc<str> = prefix.as_str().into();
    bench_sides(
        c,
        &rt,
        || store_flow(shared.clone(), now()),
        || bare_flow(conn.clone(), bare_prefix.clone()),
    );
    paired(&rt, &shared, &conn, &bare_prefix);
    let deleted = rt
        .block_on(testing::delete_prefix(&store))
        .expect("delete the bench's keys");
    println!("deleted the bench's {deleted} keys under {prefix}");
}

/// Rounds per side and N in the paired measurement.
const PAIRED_ROUNDS: u64 = 200;

/// The ratio again, measured so that load from elsewhere on the machine
/// cancels out: store and bare rounds alternate one by one, and the ratio
/// is of their summed times.
fn paired(rt: &Runtime, store: &Arc<dyn OtpStore>, conn: &ConnectionManager, prefix: &Arc<str>) {
    println!("\npaired rounds ({PAIRED_ROUNDS} per side, alternating):");
    for n in CONCURRENCY {
        let (mut s, mut b) = (StdDuration::ZERO, StdDuration::ZERO);
        for _ in 0..PAIRED_ROUNDS {
            s += rounds(rt, "paired-store", n, 1, || {
                store_flow(store.clone(), now())
            });
            b += rounds(rt, "paired-bare", n, 1, || {
                bare_flow(conn.clone(), prefix.clone())
            });
        }
        let per_flow = |d: StdDuration| d.as_secs_f64() * 1e6 / (PAIRED_ROUNDS * n) as f64;
        println!(
            "redis x{n:<2}: store {:>6.1} µs/flow, bare redis {:>6.1} µs/flow, store/bare time {:.3}",
            per_flow(s),
            per_flow(b),
            s.as_secs_f64() / b.as_secs_f64()
        );
    }
}

/// Prints flows per second and the store/bare time ratio per case.
fn ratios(_: &mut Criterion) {
    let tally = TALLY.lock().expect("tally");
    println!("\nissue+verify flows per second (mean over warm-up and samples):");
    for n in CONCURRENCY {
        let (Some(store), Some(bare)) = (tally.get(&("store", n)), tally.get(&("bare", n))) else {
            continue;
        };
        let per_flow = |(time, flows): &(StdDuration, u64)| time.as_secs_f64() / *flows as f64;
        let (s, b) = (per_flow(store), per_flow(bare));
        println!(
            "redis x{n:<2}: store {:>8.0}/s, bare redis {:>8.0}/s, store/bare time {:.3}",
            1.0 / s,
            1.0 / b,
            s / b
        );
    }
}

criterion_group!(benches, redis_bench, ratios);
criterion_main!(benches);
