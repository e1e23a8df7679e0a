//! Argon2id hash and verify through latchkey's [`Hasher`], at
//! [`HashSettings::DEFAULT`] (m=19456 KiB, t=2, p=1) and
//! [`HashSettings::RFC9106_SECOND_CHOICE`] (m=65536 KiB, t=3, p=4).
//!
//! Each setting is its own group, `argon2_<setting>`, with the functions
//! `hash` (fresh salt, PHC string out) and `verify` (PHC string parsed,
//! constant-time compare). Criterion writes the medians to
//! `target/criterion/argon2_<setting>/<function>/new/estimates.json`,
//! which `benches/compare_argon2.sh` reads to compare with argon2-cffi.
//!
//! A hash takes tens to hundreds of milliseconds, so the samples are few
//! and flat (each sample runs the same number of hashes): the whole bench
//! takes about a minute.
//!
//! ```text
//! cargo bench -p latchkey-benches --bench argon2
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use latchkey_credentials::{HashSettings, Hasher};

const PASSWORD: &str = "correct horse battery staple";

/// Benches `hash` and `verify` at one setting, in the group `argon2_<name>`.
fn bench_setting(
    c: &mut Criterion,
    name: &str,
    settings: HashSettings,
    samples: usize,
    measure: Duration,
) {
    // One hasher for the whole group, as a server keeps one: its work
    // memory is allocated by the first hash (in the warm-up) and reused.
    let hasher = Hasher::new(settings);
    let phc = hasher.hash(PASSWORD).expect("hash");
    assert!(hasher.verify(PASSWORD, &phc).expect("verify").is_match());

    let mut group = c.benchmark_group(format!("argon2_{name}"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(samples)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measure);
    group.bench_function("hash", |b| {
        b.iter(|| hasher.hash(black_box(PASSWORD)).expect("hash"));
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            hasher
                .verify(black_box(PASSWORD), black_box(&phc))
                .expect("verify")
        });
    });
    group.finish();
}

fn argon2(c: &mut Criterion) {
    bench_setting(
        c,
        "default",
        HashSettings::DEFAULT,
        20,
        Duration::from_secs(4),
    );
    bench_setting(
        c,
        "rfc9106_second",
        HashSettings::RFC9106_SECOND_CHOICE,
        10,
        Duration::from_secs(6),
    );
}

criterion_group!(benches, argon2);
criterion_main!(benches);
