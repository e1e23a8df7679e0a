//! `latchkey`: the command-line face of the latchkey libraries.
//!
//! ```text
//! latchkey password hash [--memory-kib N] [--iterations N] [--parallelism N]
//! latchkey password verify --hash PHC
//! latchkey password check [--username U]
//! latchkey totp code --secret BASE32 [--time UNIX_SECONDS] [--algorithm A] [--digits N] [--period S]
//! latchkey totp verify --secret BASE32 --code CODE [--time UNIX_SECONDS] [--window N]
//! latchkey totp new --issuer I --account A [--qr]
//! latchkey hotp code --secret BASE32 --counter N [--algorithm A] [--digits N]
//! latchkey demo [--interactive]
//! latchkey migrate --database-url URL
//! ```
//!
//! Passwords are read from standard input, one line; only the trailing
//! newline is removed. Run `latchkey --help` for details.
#![forbid(unsafe_code)]

/// `println!` that ends the program quietly when stdout is closed (as in
/// `latchkey demo | head`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(&e);
        }
    }};
}

mod demo;
mod migrate;
mod otp;
mod password;

/// Ends the program after a failed write to stdout: quietly for a closed
/// pipe, with a message otherwise.
fn stdout_failed(error: &std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("latchkey: cannot write to standard output: {error}");
    std::process::exit(i32::from(EXIT_ERROR));
}

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sign-in verification the way npm does it: passwords, mailed one-time
/// codes, two-factor authentication and account recovery.
#[derive(Debug, Parser)]
#[command(name = "latchkey", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Hash, verify and check passwords (Argon2id, PHC strings).
    #[command(subcommand)]
    Password(password::PasswordCommand),
    /// TOTP codes (RFC 6238): print, verify, and make new secrets.
    #[command(subcommand)]
    Totp(otp::TotpCommand),
    /// HOTP codes (RFC 4226).
    #[command(subcommand)]
    Hotp(otp::HotpCommand),
    /// Walk through the whole sign-in story on embedded defaults: a mailed
    /// code, 2FA, a recovery code, and account recovery with a ticket.
    Demo(demo::DemoArgs),
    /// Create or update latchkey's tables in a SQLite or PostgreSQL database.
    Migrate(migrate::MigrateArgs),
}

/// Exit code for a usage or input error (a malformed hash or secret).
const EXIT_ERROR: u8 = 2;

/// Turns a command's result into its exit code, printing errors.
fn finish(result: Result<ExitCode, String>) -> ExitCode {
    result.unwrap_or_else(|message| {
        eprintln!("latchkey: {message}");
        ExitCode::from(EXIT_ERROR)
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Password(command) => finish(password::execute(command)),
        Command::Totp(command) => otp::run_totp(command),
        Command::Hotp(command) => otp::run_hotp(command),
        Command::Demo(args) => demo::run(args).await,
        Command::Migrate(args) => finish(migrate::run(args).await),
    }
}
