//! `latchkey`: the command-line face of the latchkey libraries.
//!
//! ```text
//! latchkey password hash [--memory-kib N] [--iterations N] [--parallelism N]
//! latchkey password verify --hash PHC
//! latchkey password check [--username U]
//! latchkey demo
//! ```
//!
//! Passwords are read from standard input, one line; only the trailing
//! newline is removed. Run `latchkey --help` for details.
#![forbid(unsafe_code)]
// Printing is this binary's job.
#![allow(clippy::print_stdout)]

mod demo;
mod password;

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
    /// Walk through what latchkey does, on embedded defaults.
    Demo,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Password(command) => password::run(command),
        Command::Demo => demo::run().await,
    }
}
