//! What the dudect timing binaries share: the sample count from the
//! command line or the environment, and a `main` that runs the listed
//! tests with `dudect-bencher` and prints the counts used.
//!
//! Arguments (after `--`): `--samples N` (or env `LATCHKEY_TIMING_SAMPLES`),
//! `--filter NAME`, `--out FILE.csv`. Cargo's own `--bench` is ignored.

use std::path::PathBuf;
use std::sync::OnceLock;

use dudect_bencher::ctbench::{BenchMetadata, BenchName, BenchOpts, run_benches_console};
use dudect_bencher::{BenchRng, CtRunner};

/// One timing test: its name and its dudect function.
pub type Test = (&'static str, fn(&mut CtRunner, &mut BenchRng));

static SAMPLES: OnceLock<usize> = OnceLock::new();

/// How many measurements each test takes (both classes together).
pub fn samples() -> usize {
    *SAMPLES.get().expect("set in main")
}

/// Runs `tests` (name, function); `default_samples` when neither
/// `--samples` nor `LATCHKEY_TIMING_SAMPLES` says otherwise.
pub fn main_with(default_samples: usize, tests: &[Test]) {
    let mut args = std::env::args().skip(1);
    let mut samples = std::env::var("LATCHKEY_TIMING_SAMPLES")
        .ok()
        .map(|s| s.parse().expect("LATCHKEY_TIMING_SAMPLES is a number"));
    let mut opts = BenchOpts::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--samples" => {
                samples = Some(
                    args.next()
                        .and_then(|s| s.parse().ok())
                        .expect("--samples N"),
                );
            }
            "--filter" => opts.filter = Some(args.next().expect("--filter NAME")),
            "--out" => opts.file_out = Some(PathBuf::from(args.next().expect("--out FILE"))),
            // Cargo passes `--bench` to harness-less benches.
            "--bench" => {}
            other => panic!("unknown argument {other:?} (--samples N, --filter NAME, --out FILE)"),
        }
    }
    let samples = samples.unwrap_or(default_samples);
    SAMPLES.set(samples).expect("set once");
    eprintln!("samples per test: {samples} (bar: max |t| < 5)");
    let benches = tests
        .iter()
        .map(|&(name, benchfn)| BenchMetadata {
            name: BenchName(name),
            seed: None,
            benchfn,
        })
        .collect();
    run_benches_console(opts, benches).expect("console output");
}
