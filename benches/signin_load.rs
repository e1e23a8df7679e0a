//! Load test: N concurrent sign-ins (password, then the mailed code)
//! through `latchkey::SignIn` on the memory stores, with Argon2id at the
//! default settings on tokio's blocking pool.
//!
//! Reports throughput beside the CPU bound (cores / one hash's time: every
//! sign-in costs one hash, so no design can beat it), and peak memory
//! (VmHWM) against the hashes-in-flight bound.
//!
//! Run: `cargo bench -p latchkey-benches --bench signin_load -- [USERS] [CONCURRENCY]`
//! (defaults 200 and 32).

use std::sync::Arc;
use std::time::Instant;

use latchkey::credentials::CredentialStore;
use latchkey::{
    Accounts, Answer, ClientContext, InMemoryAccounts, Keys, MailedCodePolicy, SignIn, SignInStep,
    Submitted,
};
use latchkey_core::{AccountId, EmailAddress, Pepper};
use latchkey_store_memory::MemoryStore;
use tokio::sync::Semaphore;

#[path = "load_support.rs"]
mod support;

use support::{Capacity, Mailboxes, PASSWORD, peak_rss_kib, reset_peak_rss};

// A report printed to the terminal is this program's whole purpose.
#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let mailboxes = Arc::new(Mailboxes::default());
    let accounts = Arc::new(InMemoryAccounts::new());
    let store = Arc::new(MemoryStore::new());
    let flow = SignIn::builder(
        "load",
        Keys::new(Pepper::from_bytes(&[7; 32]).expect("pepper")),
    )
    .store(store.clone())
    .accounts(accounts.clone())
    .mailer(mailboxes.clone())
    .mailed_code_policy(MailedCodePolicy::Always)
    .build()
    .expect("flow");
    let capacity = Capacity::measure(flow.hasher());
    let (cores, hash_time, all_cores) = (capacity.cores, capacity.hash_time, capacity.all_cores);
    // Count only the run (the flow's hasher keeps its work memory).
    reset_peak_rss();
    let rss_before = peak_rss_kib().unwrap_or(0);
    runtime.block_on(async {
        for n in 0..users {
            let id = AccountId::new(format!("user-{n}")).expect("id");
            let login = format!("user{n}");
            accounts
                .set_address(
                    &id,
                    &EmailAddress::parse(&format!("u{n}@example.com")).expect("a"),
                )
                .await
                .expect("address");
            // Registration hashes once per user; not part of the measurement.
            let phc = flow.hasher().hash(PASSWORD).expect("hash");
            assert!(
                CredentialStore::create(&*store, &login, &id, &phc)
                    .await
                    .expect("create")
            );
        }
    });

    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let signed_in = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..users {
            let (flow, gate, mailboxes) = (flow.clone(), gate.clone(), mailboxes.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire().await.expect("gate");
                let client = ClientContext::new();
                let SignInStep::MailedCodeSent { challenge, .. } = flow
                    .start(&format!("user{n}"), PASSWORD, &client)
                    .await
                    .expect("start")
                else {
                    return false;
                };
                let code = mailboxes.code(&format!("u{n}@example.com"));
                matches!(
                    flow.submit(&challenge, Answer::MailedCode(&code), &client)
                        .await
                        .expect("submit"),
                    Submitted::SignedIn(_)
                )
            });
        }
        tasks.join_all().await.into_iter().filter(|ok| *ok).count()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let throughput = users as f64 / elapsed;
    let bound = capacity.bound();
    let peak = peak_rss_kib().unwrap_or(0);
    println!("sign-ins: {signed_in}/{users} completed, {concurrency} at a time, {cores} cores");
    println!(
        "one Argon2id verification (m=19456 KiB, t=2, p=1): {:.1} ms",
        hash_time * 1e3
    );
    println!(
        "throughput: {throughput:.1} sign-ins/s; CPU bound (cores / hash time): {bound:.1}/s; ratio {:.2}",
        throughput / bound
    );
    println!(
        "bare hashing on all {cores} cores at once: {all_cores:.1}/s; sign-ins reach {:.2} of it",
        throughput / all_cores
    );
    println!(
        "peak memory (VmHWM): {} MiB (before the run: {} MiB); the in-flight bound allows at most {cores} hashes x 19 MiB at once",
        peak / 1024,
        rss_before / 1024
    );
    assert_eq!(signed_in, users, "every sign-in completed");
}
