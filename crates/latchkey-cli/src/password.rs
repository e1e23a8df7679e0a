//! `latchkey password …`: hash, verify and check passwords.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use latchkey_core::SecretString;
use latchkey_credentials::{
    Error, HashSettings, Hasher, PasswordPolicy, PolicyContext, PolicyOutcome, Verification,
};
use zeroize::Zeroize;

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Read a password from stdin (one line) and print its Argon2id PHC string.
    Hash {
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Read a password from stdin and verify it against a PHC string.
    ///
    /// Prints `match` and exits 0, or prints `mismatch` and exits 1. A
    /// malformed hash exits 2. When the stored hash was made with other
    /// settings than the current ones (the flags below, OWASP defaults
    /// otherwise), a rehash recommendation goes to stderr.
    Verify {
        /// The stored PHC string (`$argon2id$v=19$m=…`); any Argon2 variant.
        #[arg(long = "hash", value_name = "PHC")]
        phc: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Read a password from stdin and apply the password policy.
    ///
    /// Prints `accepted` and exits 0, or `refused` and every reason and
    /// exits 1.
    Check {
        /// The account's username, which the password may not contain.
        #[arg(long)]
        username: Option<String>,
        /// The service's name, which the password may not contain.
        #[arg(long)]
        service_name: Option<String>,
        /// Minimum length in characters.
        #[arg(long, default_value_t = PasswordPolicy::DEFAULT_MIN_LENGTH)]
        min_length: usize,
    },
}

/// Argon2id cost settings; the defaults are OWASP's floor.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Memory per hash in KiB (at least 19456).
    #[arg(long, value_name = "N", default_value_t = HashSettings::DEFAULT.memory_kib())]
    memory_kib: u32,
    /// Passes over memory (at least 2).
    #[arg(long, value_name = "N", default_value_t = HashSettings::DEFAULT.iterations())]
    iterations: u32,
    /// Lanes, computed in parallel.
    #[arg(long, value_name = "N", default_value_t = HashSettings::DEFAULT.parallelism())]
    parallelism: u32,
}

impl SettingsArgs {
    fn hasher(&self) -> Result<Hasher, Error> {
        HashSettings::new(self.memory_kib, self.iterations, self.parallelism).map(Hasher::new)
    }
}

pub fn execute(command: PasswordCommand) -> Result<ExitCode, String> {
    match command {
        PasswordCommand::Hash { settings } => {
            let hasher = settings.hasher().map_err(|e| e.to_string())?;
            let password = read_password()?;
            let phc = hasher.hash(password.expose()).map_err(|e| e.to_string())?;
            out!("{phc}");
            Ok(ExitCode::SUCCESS)
        }
        PasswordCommand::Verify { phc, settings } => {
            let hasher = settings.hasher().map_err(|e| e.to_string())?;
            let password = read_password()?;
            match hasher.verify(password.expose(), &phc) {
                Ok(Verification::Match { rehash_due }) => {
                    out!("match");
                    if rehash_due {
                        eprintln!(
                            "rehash recommended: the hash was not made with argon2id v19 {:?}",
                            hasher.settings()
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Ok(Verification::Mismatch) => {
                    out!("mismatch");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.to_string()),
            }
        }
        PasswordCommand::Check {
            username,
            service_name,
            min_length,
        } => {
            let mut policy = PasswordPolicy::new().with_min_length(min_length);
            if let Some(name) = service_name {
                policy = policy.with_service_name(name);
            }
            let password = read_password()?;
            let context = PolicyContext {
                username: username.as_deref(),
            };
            match policy.check(password.expose(), context) {
                PolicyOutcome::Accepted => {
                    out!("accepted");
                    Ok(ExitCode::SUCCESS)
                }
                PolicyOutcome::Refused(reasons) => {
                    out!("refused");
                    for reason in reasons {
                        out!("- {reason}");
                    }
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

/// Reads one line from stdin. Only the trailing `\n` is removed; nothing
/// else is trimmed. Prompts on stderr when stdin is a terminal.
fn read_password() -> Result<SecretString, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = Vec::new();
    stdin
        .lock()
        .read_until(b'\n', &mut line)
        .map_err(|e| format!("could not read the password from stdin: {e}"))?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    let password = String::from_utf8(line).map_err(|e| {
        let mut bytes = e.into_bytes();
        bytes.zeroize();
        "the password is not valid UTF-8".to_owned()
    })?;
    Ok(SecretString::new(password))
}
