//! The sign-in storm (issue 16): for DURATION seconds, sign-ins arrive at
//! LOAD times what this machine's cores can hash, on PostgreSQL, with a
//! share of them (HOT) wrong passwords aimed at one account. Argon2id at
//! the default settings, hashes on tokio's blocking pool behind the
//! hasher's in-flight bound (one per core by default).
//!
//! It reports:
//! - throughput of password checks against the CPU bound (every sign-in
//!   costs one hash, so none can beat it);
//! - peak memory (VmHWM) against hashes in flight x Argon2 memory + 32 MiB;
//! - p50/p99 of the cheap steps (answering the mailed code, "Send another
//!   code") while hashing saturates the cores;
//! - how the hot account was answered (denied while its free attempts
//!   last, then throttled);
//! - errors: none may fail with an error.
//!
//! Arrivals do not wait for answers (an open loop), so overload queues in
//! front of the hasher, never more hashes in flight, and the queue is
//! bounded too: beyond it a sign-in is answered "busy" at once.
//!
//! Run: `LATCHKEY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test
//! cargo bench -p latchkey-benches --bench signin_storm -- [DURATION] [LOAD] [HOT]`
//! (defaults 60 s, 2.0, 0.1). Without the variable it prints SKIPPED.

#[path = "load_support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use latchkey::credentials::CredentialStore;
use latchkey::{
    Accounts, Answer, ClientContext, Keys, MailedCodePolicy, Resent, SignIn, SignInStep, Submitted,
};
use latchkey_core::{AccountId, EmailAddress, Pepper};
use latchkey_store_sqlx::testing;
use support::{Capacity, Mailboxes, PASSWORD, peak_rss_kib, reset_peak_rss};
use tokio::sync::Mutex;

/// What the storm saw.
#[derive(Debug, Default)]
struct Tally {
    offered: AtomicU64,
    checked: AtomicU64,
    errors: AtomicU64,
    hot_denied: AtomicU64,
    hot_throttled: AtomicU64,
    /// Refused at once for a full hashing queue (ordinary users, and the
    /// hot account's).
    busy: AtomicU64,
    hot_busy: AtomicU64,
    unexpected: AtomicU64,
    /// Seconds each cheap step took.
    answers: Mutex<Vec<f64>>,
    resends: Mutex<Vec<f64>>,
    /// Seconds from arrival to the password's answer (checked ones).
    password_steps: Mutex<Vec<f64>>,
    /// Seconds from arrival to a "busy" answer.
    busy_answers: Mutex<Vec<f64>>,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Counts an error and says what it was (the first few).
fn failed(tally: &Tally, what: &str, e: &latchkey::Error) {
    if tally.errors.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!("error in {what}: {e} ({e:?})");
    }
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    let at = ((samples.len() - 1) as f64 * p).round() as usize;
    samples[at.min(samples.len() - 1)]
}

/// One ordinary user: the password, then the mailed code, with "Send
/// another code" (inside its cooldown) before the answer.
async fn ordinary(flow: &SignIn, mail: &Mailboxes, tally: &Tally, n: usize, arrived: Instant) {
    let client = ClientContext::new();
    let step = flow.start(&format!("user{n}"), PASSWORD, &client).await;
    let took = arrived.elapsed().as_secs_f64();
    if let Ok(SignInStep::Busy { .. }) = step {
        bump(&tally.busy);
        tally.busy_answers.lock().await.push(took);
        return;
    }
    tally.password_steps.lock().await.push(took);
    let challenge = match step {
        Ok(SignInStep::MailedCodeSent { challenge, .. }) => {
            bump(&tally.checked);
            challenge
        }
        // The same user twice within a second: the code is on its way.
        Ok(SignInStep::CodeRecentlySent { .. }) => {
            bump(&tally.checked);
            return;
        }
        Ok(_) => return bump(&tally.unexpected),
        Err(e) => return failed(tally, "start", &e),
    };
    let started = Instant::now();
    match flow.resend(&challenge, &client).await {
        Ok(Resent::Sent { .. } | Resent::TooSoon { .. }) => {}
        Ok(_) => bump(&tally.unexpected),
        Err(e) => failed(tally, "resend", &e),
    }
    tally
        .resends
        .lock()
        .await
        .push(started.elapsed().as_secs_f64());
    let code = mail.code(&format!("u{n}@example.com"));
    let started = Instant::now();
    let answered = flow
        .submit(&challenge, Answer::MailedCode(&code), &client)
        .await;
    tally
        .answers
        .lock()
        .await
        .push(started.elapsed().as_secs_f64());
    match answered {
        Ok(Submitted::SignedIn(_)) => {}
        Ok(_) => bump(&tally.unexpected),
        Err(e) => failed(tally, "submit", &e),
    }
}

/// One wrong password at the hot account.
async fn hot(flow: &SignIn, tally: &Tally) {
    match flow
        .start("hot", "not the password", &ClientContext::new())
        .await
    {
        Ok(SignInStep::Denied) => {
            bump(&tally.checked);
            bump(&tally.hot_denied);
        }
        Ok(SignInStep::Throttled { .. }) => bump(&tally.hot_throttled),
        Ok(SignInStep::Busy { .. }) => bump(&tally.hot_busy),
        Ok(_) => bump(&tally.unexpected),
        Err(e) => failed(tally, "start (hot)", &e),
    }
}

// A report printed to the terminal is this program's whole purpose.
#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let load: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2.0);
    let hot_share: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.1);
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (schema, _cleanup) = runtime.block_on(testing::postgres_schema(&url));
    let store = Arc::new(runtime.block_on(testing::postgres_store(&url, &schema, "storm")));
    let mail = Arc::new(Mailboxes::default());
    let accounts = Arc::new(latchkey::InMemoryAccounts::new());
    let flow = SignIn::builder(
        "storm",
        Keys::new(Pepper::from_bytes(&[7; 32]).expect("pepper")),
    )
    .store(store.clone())
    .accounts(accounts.clone())
    .mailer(mail.clone())
    .mailed_code_policy(MailedCodePolicy::Always)
    .build()
    .expect("flow");
    let capacity = Capacity::measure(flow.hasher());
    let rate = load * capacity.all_cores;
    let users = ((rate * seconds as f64) as usize).max(100);
    // One hash for every account (registration is not measured).
    let phc = flow.hasher().hash(PASSWORD).expect("hash");
    runtime.block_on(async {
        for n in 0..=users {
            let (login, id) = if n == users {
                ("hot".to_owned(), AccountId::new("account-hot").expect("id"))
            } else {
                (
                    format!("user{n}"),
                    AccountId::new(format!("account-{n}")).expect("id"),
                )
            };
            accounts
                .set_address(
                    &id,
                    &EmailAddress::parse(&format!("u{n}@example.com")).expect("address"),
                )
                .await
                .expect("address");
            assert!(
                CredentialStore::create(&*store, &login, &id, &phc)
                    .await
                    .expect("create")
            );
        }
    });

    let tally = Arc::new(Tally::default());
    // Count only the storm (the flow's hasher keeps its work memory).
    let reset = reset_peak_rss();
    let rss_before = peak_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let checked_in_window = runtime.block_on(async {
        let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut tasks = tokio::task::JoinSet::new();
        let mut n = 0usize;
        let mut hot_debt = 0.0;
        while Instant::now() < deadline {
            ticks.tick().await;
            bump(&tally.offered);
            let (flow, mail, tally) = (flow.clone(), mail.clone(), tally.clone());
            hot_debt += hot_share;
            if hot_debt >= 1.0 {
                hot_debt -= 1.0;
                tasks.spawn(async move { hot(&flow, &tally).await });
            } else {
                let arrived = Instant::now();
                let user = n % users;
                n += 1;
                tasks.spawn(async move { ordinary(&flow, &mail, &tally, user, arrived).await });
            }
            while tasks.try_join_next().is_some() {}
        }
        let in_window = tally.checked.load(Ordering::Relaxed);
        while tasks.join_next().await.is_some() {}
        in_window
    });
    let window = seconds as f64;
    let drained = started.elapsed().as_secs_f64() - window;
    let peak = peak_rss_kib().unwrap_or(0);
    let in_flight = flow.hasher().max_in_flight();
    let memory_bound_mib = in_flight as f64 * 19.0 + 32.0;
    let throughput = checked_in_window as f64 / window;
    let (mut answers, mut resends, mut password_steps, mut busy_answers) =
        runtime.block_on(async {
            (
                tally.answers.lock().await.clone(),
                tally.resends.lock().await.clone(),
                tally.password_steps.lock().await.clone(),
                tally.busy_answers.lock().await.clone(),
            )
        });
    let load_of = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "storm: {seconds} s at {load:.1}x capacity ({rate:.1} arrivals/s), {:.0}% of them wrong passwords at one account, on PostgreSQL, {} cores",
        hot_share * 100.0,
        capacity.cores
    );
    println!(
        "capacity: one Argon2id verification (m=19456 KiB, t=2, p=1) {:.1} ms alone; {:.1}/s on all cores at once; CPU bound {:.1}/s",
        capacity.hash_time * 1e3,
        capacity.all_cores,
        capacity.bound()
    );
    println!(
        "offered {} requests; password checks answered in the window: {checked_in_window} ({throughput:.1}/s = {:.2} of all-core hashing, {:.2} of the CPU bound); the queue drained in {drained:.1} s after the window",
        load_of(&tally.offered),
        throughput / capacity.all_cores,
        throughput / capacity.bound()
    );
    println!(
        "peak memory (VmHWM{}): {:.1} MiB (at the start {:.1} MiB); bound {in_flight} hashes in flight x 19 MiB + 32 MiB = {memory_bound_mib:.0} MiB; ratio {:.2}",
        if reset {
            ", reset before the storm"
        } else {
            ""
        },
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0 / memory_bound_mib
    );
    println!(
        "cheap steps while hashing saturates: answering the code p50 {:.1} ms, p99 {:.1} ms ({} samples); Send another code p50 {:.1} ms, p99 {:.1} ms ({} samples)",
        percentile(&mut answers, 0.5) * 1e3,
        percentile(&mut answers, 0.99) * 1e3,
        answers.len(),
        percentile(&mut resends, 0.5) * 1e3,
        percentile(&mut resends, 0.99) * 1e3,
        resends.len()
    );
    println!(
        "the password step, arrival to answer: p50 {:.2} s, p99 {:.2} s (queueing behind the in-flight bound, at most {} waiting)",
        percentile(&mut password_steps, 0.5),
        percentile(&mut password_steps, 0.99),
        in_flight * latchkey::credentials::DEFAULT_QUEUE_PER_SLOT
    );
    println!(
        "busy (the queue full, refused before any look-up): {} sign-ins, answered p50 {:.2} ms, p99 {:.2} ms",
        load_of(&tally.busy),
        percentile(&mut busy_answers, 0.5) * 1e3,
        percentile(&mut busy_answers, 0.99) * 1e3
    );
    println!(
        "hot account: {} denied (its free attempts), {} throttled, {} busy (neither costs a hash)",
        load_of(&tally.hot_denied),
        load_of(&tally.hot_throttled),
        load_of(&tally.hot_busy)
    );
    println!(
        "errors: {}; unexpected answers: {}",
        load_of(&tally.errors),
        load_of(&tally.unexpected)
    );
    assert_eq!(load_of(&tally.errors), 0, "no request fails with an error");
    assert!(
        load_of(&tally.hot_throttled) > 0
            && load_of(&tally.hot_throttled) + load_of(&tally.hot_busy)
                > load_of(&tally.hot_denied),
        "the hot account is throttled"
    );
}
