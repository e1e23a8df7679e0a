//! Real peers for interop tests: reference implementations that the tests
//! run as separate programs (`oathtool`, pyotp, argon2-cffi, the `argon2`
//! CLI, the aiosmtpd SMTP server).
//!
//! A peer is optional on a developer's machine: when it is missing, the
//! test prints a `SKIPPED: <peer> not installed (<how to install>)` line to
//! stderr and passes. With `LATCHKEY_REQUIRE_PEERS=1` (as `.ci/run` sets
//! it) a missing peer fails the test instead.
//!
//! ```
//! use latchkey_testkit::peers::Peer;
//! static NOTHING: Peer = Peer::new("no-such-tool", "apt-get install no-such-tool", || false);
//! # if std::env::var("LATCHKEY_REQUIRE_PEERS").is_err() {
//! if NOTHING.available() {
//!     // talk to it
//! }
//! # }
//! ```

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::vectors;

/// A reference implementation that tests talk to.
#[derive(Debug)]
pub struct Peer {
    name: &'static str,
    install: &'static str,
    probe: fn() -> bool,
    found: OnceLock<bool>,
}

impl Peer {
    /// A peer called `name`, installed with `install`, present when
    /// `probe` says so (asked once).
    #[must_use]
    pub const fn new(name: &'static str, install: &'static str, probe: fn() -> bool) -> Self {
        Self {
            name,
            install,
            probe,
            found: OnceLock::new(),
        }
    }

    /// Whether the test can use this peer. When it is missing: panics if
    /// peers are required, else prints the SKIPPED line and returns
    /// `false`.
    ///
    /// # Panics
    /// When the peer is missing and `LATCHKEY_REQUIRE_PEERS=1`.
    #[must_use]
    pub fn available(&self) -> bool {
        let found = *self.found.get_or_init(self.probe);
        match self.gate(found, peers_required()) {
            Ok(run) => {
                if !run {
                    // Straight to the process's stderr, past the test
                    // harness's capture, so the skip shows in `cargo test`.
                    let _ = writeln!(std::io::stderr(), "{}", self.skipped_line());
                }
                run
            }
            Err(message) => panic!("{message}"),
        }
    }

    /// Run (`Ok(true)`), skip (`Ok(false)`) or fail (`Err`), from whether
    /// the peer was found and whether peers are required.
    fn gate(&self, found: bool, required: bool) -> Result<bool, String> {
        match (found, required) {
            (true, _) => Ok(true),
            (false, false) => Ok(false),
            (false, true) => Err(format!(
                "{} is required (LATCHKEY_REQUIRE_PEERS=1) but not installed or not working: {}",
                self.name, self.install
            )),
        }
    }

    /// The line a skipped test prints.
    #[must_use]
    pub fn skipped_line(&self) -> String {
        format!("SKIPPED: {} not installed ({})", self.name, self.install)
    }
}

/// Whether `LATCHKEY_REQUIRE_PEERS=1` is set.
#[must_use]
pub fn peers_required() -> bool {
    std::env::var("LATCHKEY_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// The Python interpreter the Python peers live in (`LATCHKEY_PYTHON`,
/// default `python3`).
#[must_use]
pub fn python() -> String {
    std::env::var("LATCHKEY_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Whether `python()` can run `import <modules>`.
#[must_use]
pub fn python_imports(modules: &str) -> bool {
    Command::new(python())
        .args(["-c", &format!("import {modules}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `program args…` with `stdin` as its standard input; its standard
/// output as lines, or a message saying why it failed.
///
/// # Errors
/// When the program cannot start, or exits unsuccessfully.
pub fn run(program: &str, args: &[&str], stdin: &[u8]) -> Result<Vec<String>, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn {program}: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(stdin)
        .map_err(|e| format!("write to {program}: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program} output: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// `oathtool`, probed with the first RFC 6238 Appendix B vector (SHA-1,
/// T = 59, from [`vectors`]).
pub static OATHTOOL: Peer = Peer::new("oathtool", "apt-get install oathtool", || {
    let (time, codes) = vectors::RFC6238_TABLE[0];
    let (digits, at) = (vectors::RFC6238_DIGITS.to_string(), format!("@{time}"));
    let step = format!("{}s", vectors::RFC6238_PERIOD);
    oathtool(
        &["--totp=SHA1", "-b", "-d", &digits, "-s", &step, "-N", &at],
        vectors::RFC6238_SEED_SHA1_BASE32,
    )
    .is_ok_and(|lines| lines == [codes[0]])
});

/// pyotp, in [`python()`].
pub static PYOTP: Peer = Peer::new("pyotp", "pip install pyotp", || {
    python_imports("pyotp, hashlib")
});

/// aiosmtpd, a real SMTP server, in [`python()`].
pub static AIOSMTPD: Peer = Peer::new("aiosmtpd", "pip install aiosmtpd", || {
    python_imports("aiosmtpd.controller, aiosmtpd.smtp, email.policy")
});

/// Runs `oathtool ARGS -` with the base32 key on stdin (never in argv).
///
/// # Errors
/// As [`run`].
pub fn oathtool(args: &[&str], base32_key: &str) -> Result<Vec<String>, String> {
    let mut all: Vec<&str> = args.to_vec();
    all.push("-");
    run("oathtool", &all, base32_key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_peer_skips_or_fails_as_configured() {
        let ghost = Peer::new("no-such-peer", "pip install no-such-peer", || false);
        assert_eq!(
            ghost.gate(true, true),
            Ok(true),
            "a present peer must run when required"
        );
        assert_eq!(
            ghost.gate(true, false),
            Ok(true),
            "a present peer must run when optional"
        );
        assert_eq!(
            ghost.gate(false, false),
            Ok(false),
            "a missing optional peer must skip"
        );
        let message = ghost
            .gate(false, true)
            .expect_err("a required, missing peer fails");
        assert!(
            message.contains("LATCHKEY_REQUIRE_PEERS=1"),
            "the failure must name the variable: {message}"
        );
        assert!(
            message.contains("pip install no-such-peer"),
            "the failure must say how to install: {message}"
        );
        assert_eq!(
            ghost.skipped_line(),
            "SKIPPED: no-such-peer not installed (pip install no-such-peer)",
            "the SKIPPED line's wording"
        );
    }

    #[test]
    fn run_reports_failures_with_the_programs_words() {
        let err = run("sh", &["-c", "echo boom >&2; exit 3"], b"")
            .expect_err("a program that exits 3 must be reported as failed");
        assert!(
            err.contains("boom"),
            "the failure must quote the program's stderr: {err}"
        );
        let lines = run("cat", &[], b"a\nb").expect("cat must run");
        assert_eq!(lines, ["a", "b"], "run must return stdout as lines");
    }
}
