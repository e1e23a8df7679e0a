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

use latchkey::credentials::{CredentialStore, HashSettings, Hasher};
use latchkey::{
    Accounts, Answer, ClientContext, InMemoryAccounts, Keys, MailedCodePolicy, SignIn, SignInStep,
    Submitted,
};
use latchkey_core::{AccountId, EmailAddress, MailError, Mailer, Message, Pepper};
use latchkey_store_memory::MemoryStore;
use tokio::sync::Semaphore;

const PASSWORD: &str = "violet umbrella sky";

/// Keeps the last code per address, as many mailboxes would.
#[derive(Debug, Default)]
struct Mailboxes(std::sync::Mutex<std::collections::HashMap<String, String>>);

#[async_trait::async_trait]
impl Mailer for Mailboxes {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let first = message.text.lines().next().unwrap_or_default();
        let code: String = first.chars().filter(char::is_ascii_digit).collect();
        self.0
            .lock()
            .expect("lock")
            .insert(message.to.as_str().to_owned(), code);
        Ok(())
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// A report printed to the terminal is this program's whole purpose.
#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // One hash's time, alone, at the default settings.
    let hasher = Hasher::new(HashSettings::DEFAULT);
    let phc = hasher.hash(PASSWORD).expect("hash");
    let started = Instant::now();
    for _ in 0..10 {
        let _ = std::hint::black_box(hasher.verify(PASSWORD, &phc).expect("verify"));
    }
    let hash_time = started.elapsed().as_secs_f64() / 10.0;
    // And what the machine really does with every core hashing at once
    // (memory bandwidth and clock speed do not scale with cores).
    let per_core = 20;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                for _ in 0..per_core {
                    let _ = std::hint::black_box(hasher.verify(PASSWORD, &phc).expect("verify"));
                }
            });
        }
    });
    let all_cores = (cores * per_core) as f64 / started.elapsed().as_secs_f64();

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
                let code = mailboxes
                    .0
                    .lock()
                    .expect("lock")
                    .get(&format!("u{n}@example.com"))
                    .cloned()
                    .unwrap_or_default();
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
    let bound = cores as f64 / hash_time;
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
