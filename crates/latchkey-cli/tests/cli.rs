//! The `latchkey` binary's commands, as scripts use them: exact output and
//! exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const OWASP_REFERENCE: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$K13EBUiG7JV+9ZxztmHFTdb7J0WQsnj2V8bZaqyPptE";

fn latchkey(args: &[&str], stdin: &[u8]) -> Output {
    latchkey_in(&std::env::temp_dir(), args, stdin)
}

/// Runs `latchkey` in `dir` (the demo keeps its SQLite file there).
fn latchkey_in(dir: &std::path::Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latchkey runs");
    // A command that refuses its arguments exits before it reads stdin, so
    // the write may meet a closed pipe; that is not the test's concern (the
    // exit code and output are).
    match child.stdin.take().expect("stdin").write_all(stdin) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("write stdin: {e}"),
    }
    child.wait_with_output().expect("latchkey exits")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn verify_prints_match_and_exits_0_for_the_reference_hash() {
    let o = latchkey(
        &["password", "verify", "--hash", OWASP_REFERENCE],
        b"password\n",
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "match\n");
}

#[test]
fn verify_prints_mismatch_and_exits_1() {
    let o = latchkey(
        &["password", "verify", "--hash", OWASP_REFERENCE],
        b"Password\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "mismatch\n");
}

#[test]
fn verify_exits_2_with_a_message_for_a_malformed_hash() {
    let o = latchkey(
        &["password", "verify", "--hash", "$argon2id$nonsense"],
        b"pw\n",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("malformed password hash"));
}

#[test]
fn verify_recommends_a_rehash_for_other_settings() {
    let o = latchkey(
        &[
            "password",
            "verify",
            "--hash",
            OWASP_REFERENCE,
            "--iterations",
            "3",
        ],
        b"password\n",
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "match\n");
    assert!(String::from_utf8_lossy(&o.stderr).contains("rehash recommended"));
}

#[test]
fn hash_then_verify_round_trips_and_keeps_spaces() {
    // Only the trailing newline is removed: the spaces are part of the password.
    let hashed = latchkey(&["password", "hash"], b"  spaced out \n");
    assert_eq!(hashed.status.code(), Some(0));
    let phc = stdout(&hashed).trim_end().to_owned();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    let ok = latchkey(&["password", "verify", "--hash", &phc], b"  spaced out \n");
    assert_eq!(ok.status.code(), Some(0));
    let trimmed = latchkey(&["password", "verify", "--hash", &phc], b"spaced out\n");
    assert_eq!(trimmed.status.code(), Some(1));
    // Without a trailing newline the whole input is the password.
    let no_newline = latchkey(&["password", "verify", "--hash", &phc], b"  spaced out ");
    assert_eq!(no_newline.status.code(), Some(0));
}

#[test]
fn hash_honours_settings_and_refuses_below_the_floor() {
    let o = latchkey(
        &[
            "password",
            "hash",
            "--memory-kib",
            "20000",
            "--iterations",
            "3",
            "--parallelism",
            "2",
        ],
        b"pw\n",
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("$argon2id$v=19$m=20000,t=3,p=2$"));
    let weak = latchkey(&["password", "hash", "--memory-kib", "1024"], b"pw\n");
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("below the floor"));
}

#[test]
fn check_prints_every_reason_and_exits_1() {
    let o = latchkey(&["password", "check", "--username", "jane"], b"jane1\n");
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("refused\n"), "{out}");
    assert!(out.contains("too short"), "{out}");
    assert!(out.contains("contains the username"), "{out}");
    let ok = latchkey(
        &["password", "check", "--username", "jane"],
        b"violet umbrella sky\n",
    );
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout(&ok), "accepted\n");
}

#[test]
fn invalid_utf8_password_is_a_clear_error() {
    let o = latchkey(&["password", "hash"], b"\xff\xfe\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not valid UTF-8"));
}

/// A fresh empty directory under the system's temp dir.
fn fresh_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(latchkey_testkit::fresh_name("latchkey-cli-test-"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn demo_runs_the_story_on_a_sqlite_file_it_creates_then_reuses() {
    let dir = fresh_dir();
    let o = latchkey_in(&dir, &["demo"], b"");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    let file = std::fs::canonicalize(dir.join("latchkey-demo.sqlite3")).expect("the file exists");
    let expected = [
        &format!(
            "Store: SQLite file {} (created now). Mail: printed here as it would arrive.",
            file.display()
        ),
        "refused: it is one of the most common passwords",
        "accepted; stored as $argon2id$v=19$m=19456,t=2,p=1$",
        "Subject: OTP for logging in to your account",
        "the form says: we sent a one-time password to j***@example.com",
        "typed 000000: Wrong { attempts_left: 4 }",
        "signed in as account-1 by MailedCode",
        "signing in again on the laptop: signed in by Password, no mail",
        "device Firefox on the laptop",
        "Jane revokes \"Safari on the tablet\"",
        "the tablet signs in again: its token no longer works, a code is mailed",
        "her other sessions end (tablet session current: false), this one goes on (current: true)",
        "remembered devices left: 0",
        "the laptop's old token no longer skips the code",
        "scan this in the app: otpauth://totp/npm:jane%40example.com?secret=",
        "Subject: Two-factor authentication is on",
        "signed in by Totp",
        "Subject: A used sign-in code was tried again",
        "the same code again: Wrong { attempts_left: 4 } (a code works once; Jane is told)",
        "signed in by RecoveryCode; 9 recovery codes left",
        "Subject: Two-factor authentication is off",
        "\"Try recovering your account\"",
        "Subject: Someone asked to recover your account",
        "evidence: GitHub id 583231 (@octocat): matches the account's link since",
        "approve:      Done(Approved)",
        "'s address to jane@new.example, voided its outstanding codes and changed its security stamp",
        "we sent a one-time password to j***@new.example",
        "signed in as account-1 by MailedCode.",
        "create a credential for RP id localhost",
        "Subject: Two-factor authentication is on",
        "key \"Demo security key\" added",
        "2FA is on again, backed up by 10 new recovery codes",
        "the form offers: security key, or a recovery code",
        "signed in as account-1 by SecurityKey",
        "replayed on a new sign-in: Wrong { attempts_left: 4 }. The end.",
    ];
    let mut rest = out.as_str();
    for line in expected.iter().map(|l| -> &str { l }) {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing (or out of order) in:\n{out}"));
        rest = &rest[at + line.len()..];
    }
    assert_eq!(out.matches("-> Denied (1 Argon2 run").count(), 2);
    assert_eq!(
        out.matches("Subject: Your account's email address changed")
            .count(),
        2
    );

    // A second run keeps the file, and its Jane is a new account.
    let o = latchkey_in(&dir, &["demo"], b"");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let again = stdout(&o);
    assert!(again.contains("(kept from earlier runs)"), "{again}");
    assert!(again.contains("login jane-"), "{again}");
    assert!(again.contains("by SecurityKey"), "{again}");
    assert!(again.contains(". The end."), "{again}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn demo_refuses_an_unknown_database_url() {
    let o = latchkey(&["demo", "--database-url", "mysql://x"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--database-url takes sqlite://FILE"));
}

#[test]
fn interactive_demo_takes_typed_codes() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["demo", "--interactive", "--database-url", "memory"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latchkey runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut last_code, mut secret, mut recovery) = (String::new(), String::new(), Vec::new());
    let mut typed_totp = Vec::new();
    let mut seen = String::new();
    for line in stdout.lines() {
        let line = line.expect("utf-8 output");
        seen.push_str(&line);
        seen.push('\n');
        if let Some(code) = line.strip_prefix("Your one-time password is: ") {
            last_code = code.trim().to_owned();
        }
        if let Some(uri) = line.strip_prefix("  scan this in the app: ") {
            secret = uri.to_owned();
        }
        let trimmed = line.trim();
        if trimmed.len() == 19 && trimmed.matches('-').count() == 3 {
            recovery.push(trimmed.to_owned());
        }
        let answer = if line.contains("Type the code from the mail above:") {
            last_code.clone()
        } else if line.contains("Scan the QR code") {
            let code = totp_at(&secret, 0);
            typed_totp.push(code.clone());
            code
        } else if line.contains("Type the next code your app shows") {
            // The confirming code's step is used up; a person waits for the
            // next one, which the ±1 step window already accepts.
            let code = totp_at(&secret, 30);
            typed_totp.push(code.clone());
            code
        } else if line.contains("Type one of the recovery codes above:") {
            recovery[0].clone()
        } else {
            continue;
        };
        writeln!(stdin, "{answer}").expect("the demo reads stdin");
    }
    let status = child.wait().expect("exits");
    assert!(status.success(), "{seen}");
    assert!(seen.contains("Interactive: you type the codes."));
    assert!(seen.contains("signed in by Totp"), "{seen}");
    assert!(
        seen.contains("signed in as account-1 by MailedCode."),
        "{seen}"
    );
    assert!(seen.contains("by SecurityKey"), "{seen}");
    assert!(seen.contains(". The end."), "{seen}");
    assert!(!typed_totp.is_empty());
}

/// The TOTP code for an otpauth URI `ahead` seconds from now, as an app
/// would show it then.
fn totp_at(uri: &str, ahead: i64) -> String {
    let uri: latchkey_otp::KeyUri = uri.parse().expect("a valid otpauth URI");
    let totp = uri.totp().expect("totp");
    totp.code_at(time::OffsetDateTime::now_utc() + time::Duration::seconds(ahead))
        .expect("code")
        .to_string()
}

#[test]
fn interactive_demo_without_input_fails_clearly() {
    let o = latchkey(&["demo", "--interactive", "--database-url", "memory"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("standard input ended"));
}

const RFC_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[test]
fn totp_code_prints_the_rfc6238_vector() {
    let o = latchkey(
        &[
            "totp", "code", "--secret", RFC_SEED, "--time", "59", "--digits", "8",
        ],
        b"",
    );
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "94287082\n")
    );
    let sha256 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
    let o = latchkey(
        &[
            "totp",
            "code",
            "--secret",
            sha256,
            "--time",
            "1111111109",
            "--digits",
            "8",
            "--algorithm",
            "sha256",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "68084774\n");
}

#[test]
fn hotp_code_prints_the_rfc4226_vector() {
    let o = latchkey(
        &["hotp", "code", "--secret", RFC_SEED, "--counter", "9"],
        b"",
    );
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "520489\n")
    );
}

#[test]
fn totp_verify_prints_the_step_and_exits_0_or_exits_1() {
    let ok = latchkey(
        &[
            "totp", "verify", "--secret", RFC_SEED, "--code", "94287082", "--digits", "8",
            "--time", "89",
        ],
        b"",
    );
    assert_eq!((ok.status.code(), stdout(&ok).as_str()), (Some(0), "1\n"));
    let outside = latchkey(
        &[
            "totp", "verify", "--secret", RFC_SEED, "--code", "94287082", "--digits", "8",
            "--time", "89", "--window", "0",
        ],
        b"",
    );
    assert_eq!(
        (outside.status.code(), stdout(&outside).as_str()),
        (Some(1), "")
    );
}

#[test]
fn totp_new_prints_a_uri_that_parses_and_a_qr_code() {
    let o = latchkey(
        &[
            "totp",
            "new",
            "--issuer",
            "npm",
            "--account",
            "jane@example.com",
            "--qr",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let uri = out.lines().next().unwrap();
    let parsed: latchkey_otp::KeyUri = uri.parse().unwrap();
    assert_eq!(
        (parsed.issuer.as_str(), parsed.account.as_str()),
        ("npm", "jane@example.com")
    );
    assert_eq!(parsed.secret.expose().len(), 20);
    assert!(out.lines().count() > 10, "a QR code follows the URI");
}

#[test]
fn a_malformed_secret_exits_2_with_a_message() {
    let o = latchkey(&["totp", "code", "--secret", "NOT-BASE32!"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid base32"));
}

#[test]
fn a_closed_pipe_ends_the_demo_quietly() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["demo", "--database-url", "memory"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latchkey runs");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The reader goes away, as `latchkey demo | head -c 64` would.
    let out = child.wait_with_output().expect("latchkey exits");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn migrate_creates_the_tables_once() {
    let dir = fresh_dir();
    let url = format!("sqlite://{}?mode=rwc", dir.join("m.db").display());
    let first = latchkey(&["migrate", "--database-url", &url], b"");
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout(&first).contains("SQLite: applied 0001"),
        "{}",
        stdout(&first)
    );
    let second = latchkey(&["migrate", "--database-url", &url], b"");
    assert_eq!(second.status.code(), Some(0));
    assert!(
        stdout(&second).contains("up to date"),
        "{}",
        stdout(&second)
    );
    let bad = latchkey(&["migrate", "--database-url", "mysql://x"], b"");
    assert_eq!(bad.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}
