//! `latchkey totp …` and `latchkey hotp …`: codes as handy as oathtool's.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use latchkey_otp::{Algorithm, Hotp, KeyUri, OtpSecret, Totp, TotpMatch};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgorithmArg {
    Sha1,
    Sha256,
    Sha512,
}

impl From<AlgorithmArg> for Algorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::Sha1 => Algorithm::Sha1,
            AlgorithmArg::Sha256 => Algorithm::Sha256,
            AlgorithmArg::Sha512 => Algorithm::Sha512,
        }
    }
}

/// The secret and code shape shared by every command.
#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The shared secret in base32 (spaces, case and padding forgiven).
    #[arg(long, value_name = "BASE32")]
    secret: String,
    /// The HMAC hash.
    #[arg(long, value_enum, default_value = "sha1")]
    algorithm: AlgorithmArg,
    /// Digits per code (6 to 8).
    #[arg(long, value_name = "N", default_value_t = 6)]
    digits: u32,
}

/// Time options for TOTP.
#[derive(Debug, Args)]
pub struct TimeArgs {
    /// Unix time in seconds (default: now).
    #[arg(long, value_name = "UNIX_SECONDS")]
    time: Option<i64>,
    /// Seconds per step.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    period: u64,
}

#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// Print the TOTP code for a time (now by default).
    Code {
        #[command(flatten)]
        code: CodeArgs,
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Check a TOTP code: prints the matched step and exits 0, or exits 1.
    Verify {
        #[command(flatten)]
        code: CodeArgs,
        #[command(flatten)]
        time: TimeArgs,
        /// The code to check.
        #[arg(long = "code", value_name = "CODE")]
        input: String,
        /// Steps accepted either side of the current one (at most 10).
        #[arg(long, value_name = "N", default_value_t = 1)]
        window: u64,
    },
    /// Make a fresh secret and print its otpauth:// URI for an authenticator app.
    New {
        /// The service's name, shown in the app.
        #[arg(long)]
        issuer: String,
        /// The account's name, shown in the app.
        #[arg(long)]
        account: String,
        /// Also print the URI as a QR code for the terminal.
        #[arg(long)]
        qr: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum HotpCommand {
    /// Print the HOTP code for a counter.
    Code {
        #[command(flatten)]
        code: CodeArgs,
        /// The counter.
        #[arg(long, value_name = "N")]
        counter: u64,
    },
}

fn secret(args: &CodeArgs) -> Result<OtpSecret, String> {
    OtpSecret::from_base32(&args.secret).map_err(|e| e.to_string())
}

fn totp(code: &CodeArgs, time: &TimeArgs) -> Result<(Totp, OffsetDateTime), String> {
    let totp = Totp::new(
        &secret(code)?,
        code.algorithm.into(),
        code.digits,
        time.period,
    )
    .map_err(|e| e.to_string())?;
    let at = match time.time {
        Some(t) => OffsetDateTime::from_unix_timestamp(t).map_err(|e| format!("--time: {e}"))?,
        None => OffsetDateTime::now_utc(),
    };
    Ok((totp, at))
}

pub fn run_totp(command: TotpCommand) -> ExitCode {
    crate::finish(match command {
        TotpCommand::Code { code, time } => totp(&code, &time).and_then(|(totp, at)| {
            out!("{}", totp.code_at(at).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }),
        TotpCommand::Verify {
            code,
            time,
            input,
            window,
        } => totp(&code, &time).and_then(|(totp, at)| {
            match totp.verify(&input, at, window).map_err(|e| e.to_string())? {
                TotpMatch::Matched { step } => {
                    out!("{step}");
                    Ok(ExitCode::SUCCESS)
                }
                TotpMatch::NoMatch => Ok(ExitCode::from(1)),
            }
        }),
        TotpCommand::New {
            issuer,
            account,
            qr,
        } => OtpSecret::generate(Algorithm::Sha1)
            .map_err(|e| e.to_string())
            .map(|secret| {
                let uri = KeyUri::new(issuer, account, secret);
                out!("{uri}");
                if qr {
                    out!("{}", uri.qr_terminal());
                }
                ExitCode::SUCCESS
            }),
    })
}

pub fn run_hotp(command: HotpCommand) -> ExitCode {
    crate::finish(match command {
        HotpCommand::Code { code, counter } => secret(&code)
            .and_then(|s| {
                Hotp::new(&s, code.algorithm.into(), code.digits).map_err(|e| e.to_string())
            })
            .map(|hotp| {
                out!("{}", hotp.code(counter));
                ExitCode::SUCCESS
            }),
    })
}
