//! One TOTP sign-in verification through `TwoFactor::verify` on the memory
//! store: load the record, decrypt the secret (XChaCha20-Poly1305), check
//! the ±1 window, advance the used step. Each iteration submits the code of
//! the next step, as a user signing in every 30 seconds would.
//!
//! Run: `cargo bench -p latchkey-benches --bench twofactor`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use latchkey_core::{
    AccountId, Clock, EmailAddress, EncryptionKey, KeyId, ManualClock, Pepper, RecordingMailer,
};
use latchkey_store_memory::MemoryStore;
use latchkey_twofactor::{
    ConfirmOutcome, SecondFactor, SecretSealer, TwoFactor, TwoFactorSettings,
};
use time::{Duration, OffsetDateTime};

fn verify_with_decryption(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
    ));
    let store = Arc::new(MemoryStore::new());
    let tf = TwoFactor::new(
        store.clone(),
        store,
        Arc::new(RecordingMailer::new()),
        clock.clone(),
        SecretSealer::new(EncryptionKey::new(KeyId::new("k1").expect("id"), [1; 32])),
        &Pepper::from_bytes(&[7; 32]).expect("pepper"),
        TwoFactorSettings::new("bench"),
    );
    let (jane, address) = (
        AccountId::new("jane").expect("id"),
        EmailAddress::parse("j@example.com").expect("a"),
    );
    let app = runtime.block_on(async {
        let enrolment = tf.begin_enrolment(&jane, "jane").await.expect("begin");
        let app = enrolment.uri.totp().expect("totp");
        let code = app.code_at(clock.now()).expect("code");
        let confirmed = tf
            .confirm_enrolment(&jane, &address, &code)
            .await
            .expect("confirm");
        assert!(matches!(confirmed, ConfirmOutcome::Enabled { .. }));
        app
    });
    c.bench_function("twofactor_verify_totp_with_decryption", |b| {
        b.iter_batched(
            || {
                clock.advance(Duration::seconds(30));
                app.code_at(clock.now()).expect("code")
            },
            |code| {
                let outcome = runtime.block_on(tf.verify(
                    black_box(&jane),
                    &address,
                    SecondFactor::Totp(&code),
                ));
                // Accepted, except about once in a million steps, when two
                // neighbouring steps share a code.
                black_box(outcome.expect("verify"))
            },
            criterion::BatchSize::PerIteration,
        )
    });
}

criterion_group!(benches, verify_with_decryption);
criterion_main!(benches);
