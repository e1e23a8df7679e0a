//! A whole sign-in with a mailed code through `latchkey::SignIn` on the
//! memory stores: `start` (find the login, count the attempt, one Argon2id
//! verification on the blocking pool, 2FA check, new challenge, issue and
//! "mail" the code) then `submit` (count, check the digest, consume the
//! code and the challenge, clear the count, sign the device token).
//!
//! Beside it, the Argon2id verification alone at the same settings: the
//! difference is the time the flow spends outside Argon2.
//!
//! Run: `cargo bench -p latchkey-benches --bench signin`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use latchkey::credentials::{HashSettings, Hasher};
use latchkey::{
    Answer, ClientContext, InMemoryAccounts, Keys, MailedCodePolicy, SignIn, SignInStep, Submitted,
};
use latchkey_core::{ManualClock, Pepper, RecordingMailer};
use latchkey_store_memory::MemoryStore;
use latchkey_testkit::code_in_last_mail;
use time::{Duration, OffsetDateTime};

const PASSWORD: &str = "violet umbrella sky";

struct Bench {
    runtime: tokio::runtime::Runtime,
    clock: Arc<ManualClock>,
    mailer: Arc<RecordingMailer>,
    flow: SignIn,
}

fn bench_with(hash_settings: HashSettings) -> Bench {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
    ));
    let mailer = Arc::new(RecordingMailer::new());
    let accounts = Arc::new(InMemoryAccounts::new());
    let flow = SignIn::builder(
        "bench",
        Keys::new(Pepper::from_bytes(&[7; 32]).expect("pepper")),
    )
    .store(Arc::new(MemoryStore::new()))
    .accounts(accounts)
    .mailer(mailer.clone())
    .clock(clock.clone())
    .mailed_code_policy(MailedCodePolicy::Always)
    .hash_settings(hash_settings)
    .build()
    .expect("flow");
    runtime.block_on(async {
        let _ = flow
            .register("jane", "jane@example.com", PASSWORD)
            .await
            .expect("register");
    });
    Bench {
        runtime,
        clock,
        mailer,
        flow,
    }
}

impl Bench {
    fn one_sign_in(&self) -> Submitted {
        let client = ClientContext::new();
        // Past the hourly cap's spacing (10 sends an hour).
        self.clock.advance(Duration::minutes(7));
        self.runtime.block_on(async {
            let SignInStep::MailedCodeSent { challenge, .. } = self
                .flow
                .start("jane", PASSWORD, &client)
                .await
                .expect("start")
            else {
                panic!("a mailed code")
            };
            let code = code_in_last_mail(&self.mailer);
            let done = self
                .flow
                .submit(&challenge, Answer::MailedCode(&code), &client)
                .await
                .expect("submit");
            assert!(matches!(done, Submitted::SignedIn(_)));
            done
        })
    }
}

fn sign_in_with_a_mailed_code(c: &mut Criterion) {
    let mut group = c.benchmark_group("sign_in");
    group.sample_size(30);
    for (name, settings) in [
        ("default_argon2", HashSettings::DEFAULT),
        // A token Argon2 (8 KiB, t=1): what remains is the flow's own cost.
        (
            "token_argon2",
            HashSettings::below_floor(8, 1, 1).expect("settings"),
        ),
    ] {
        let bench = bench_with(settings);
        group.bench_function(format!("mailed_code_flow/{name}"), |b| {
            b.iter(|| black_box(bench.one_sign_in()));
        });
        let hasher = Hasher::new(settings);
        let phc = hasher.hash(PASSWORD).expect("hash");
        group.bench_function(format!("argon2id_verify_alone/{name}"), |b| {
            b.iter(|| black_box(hasher.verify(black_box(PASSWORD), &phc).expect("verify")));
        });
    }
    group.finish();
}

criterion_group!(benches, sign_in_with_a_mailed_code);
criterion_main!(benches);
