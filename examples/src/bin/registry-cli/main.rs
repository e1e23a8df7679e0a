//! `registry-cli`: a small command line for the `web` example registry,
//! the way npm's CLI talks to npm's registry.
//!
//! ```text
//! registry-cli login                          # sign in through the browser
//! registry-cli whoami
//! registry-cli publish NAME VERSION [--otp CODE]
//! registry-cli logout
//! ```
//!
//! `login` asks the registry for a login session, prints the `loginUrl`
//! and a short code to check in the browser, and polls the `doneUrl`
//! until the browser approves or denies it; the token it is handed (once)
//! is saved in a file only you can read. `publish` sends it, with
//! `--otp` when the account asks for a code on every write.
#![forbid(unsafe_code)]

mod config;
mod http;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use axum::http::{Method, StatusCode};
use clap::{Parser, Subcommand};
use latchkey::core::time::{Duration, OffsetDateTime};

use crate::config::Saved;
use crate::http::Registry;

/// A command line for the latchkey `web` example registry.
#[derive(Debug, Parser)]
#[command(name = "registry-cli", version)]
struct Args {
    /// The registry (the `web` example), over plain HTTP on this machine.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    registry: String,
    /// Where the token is kept (default `~/.latchkey-registry.json`).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in through the browser (npm login --auth-type=web).
    Login,
    /// Who the saved token signs in as.
    Whoami,
    /// Publish NAME@VERSION.
    Publish {
        /// The package's name (lowercase letters, digits, '-', '.', '_').
        name: String,
        /// Its version (like 1.0.0).
        version: String,
        /// A fresh code from your authenticator app (or a recovery code),
        /// when the account asks for one on every publish.
        #[arg(long)]
        otp: Option<String>,
    },
    /// Forget the saved token (revoke it on the Account page too).
    Logout,
}

/// One line for the user, flushed at once (a test reads it while the
/// command waits).
#[expect(
    clippy::print_stdout,
    reason = "a command line's output is its interface"
)]
fn say(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry-cli: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let registry = Registry::new(&args.registry)?;
    let path = args.config.unwrap_or_else(config::default_path);
    match args.command {
        Command::Login => login(&registry, &path).await,
        Command::Whoami => {
            let saved = signed_in(&registry, &path)?;
            let bearer = format!("Bearer {}", saved.token);
            let answer = registry
                .call(Method::GET, "/-/whoami", &[("authorization", &bearer)])
                .await?;
            match answer.status {
                StatusCode::OK => {
                    say(answer.text("username").unwrap_or("(unknown)"));
                    Ok(())
                }
                _ => Err(format!("{}: run registry-cli login", answer.error())),
            }
        }
        Command::Publish { name, version, otp } => {
            publish(&registry, &path, &name, &version, otp.as_deref()).await
        }
        Command::Logout => {
            if config::remove(&path)? {
                say("Signed out here. Revoke the token on the registry's Account page too.");
            } else {
                say("Not signed in.");
            }
            Ok(())
        }
    }
}

fn signed_in(registry: &Registry, path: &std::path::Path) -> Result<Saved, String> {
    match config::load(path)? {
        Some(saved) if saved.registry == registry.base() => Ok(saved),
        Some(saved) => Err(format!(
            "the saved token is for {}: run registry-cli login",
            saved.registry
        )),
        None => Err("not signed in: run registry-cli login".to_owned()),
    }
}

async fn login(registry: &Registry, path: &std::path::Path) -> Result<(), String> {
    let begun = registry.call(Method::POST, "/-/v1/login", &[]).await?;
    if begun.status != StatusCode::OK {
        return Err(format!("the registry refused to begin: {}", begun.error()));
    }
    let (Some(login_url), Some(done_url), Some(code)) = (
        begun.text("loginUrl"),
        begun.text("doneUrl"),
        begun.text("userCode"),
    ) else {
        return Err("the registry's answer has no loginUrl, doneUrl or userCode".to_owned());
    };
    let interval = begun
        .body
        .get("interval")
        .and_then(serde_json::Value::as_i64)
        .map_or(Duration::seconds(5), Duration::seconds);
    let expires_at = begun
        .body
        .get("expiresAt")
        .and_then(serde_json::Value::as_i64)
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
    say("Open this address in your browser to sign in:");
    say(&format!("  {login_url}"));
    say(&format!("and check that the page shows the code {code}."));
    say("Waiting for the browser...");
    let mut wait = interval;
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(
            u64::try_from(wait.whole_seconds()).unwrap_or(5).max(1),
        ))
        .await;
        let answer = registry.call(Method::GET, done_url, &[]).await?;
        match answer.status {
            StatusCode::ACCEPTED => wait = answer.retry_after(interval),
            // Too fast (or too many requests): wait what it says, and longer.
            StatusCode::TOO_MANY_REQUESTS => {
                wait = answer.retry_after(interval) + Duration::seconds(1);
            }
            StatusCode::OK => {
                let token = answer
                    .text("token")
                    .ok_or("the registry's answer has no token")?
                    .to_owned();
                let username = answer.text("username").map(str::to_owned);
                config::save(
                    path,
                    &Saved {
                        registry: registry.base().to_owned(),
                        username: username.clone(),
                        token,
                    },
                )?;
                say(&format!(
                    "Signed in as {}. The token is in {}.",
                    username.as_deref().unwrap_or("(unknown)"),
                    path.display()
                ));
                return Ok(());
            }
            StatusCode::FORBIDDEN => return Err("the login was denied in the browser".to_owned()),
            StatusCode::GONE => {
                return Err(match expires_at {
                    Some(at) if OffsetDateTime::now_utc() >= at => {
                        "the login request expired: run registry-cli login again".to_owned()
                    }
                    _ => format!("{}: run registry-cli login again", answer.error()),
                });
            }
            other => return Err(format!("the registry answered {other}: {}", answer.error())),
        }
    }
}

async fn publish(
    registry: &Registry,
    path: &std::path::Path,
    name: &str,
    version: &str,
    otp: Option<&str>,
) -> Result<(), String> {
    let saved = signed_in(registry, path)?;
    let bearer = format!("Bearer {}", saved.token);
    let mut headers = vec![("authorization", bearer.as_str())];
    if let Some(code) = otp {
        headers.push(("npm-otp", code));
    }
    let answer = registry
        .call(
            Method::PUT,
            &format!("/-/v1/packages/{name}/{version}"),
            &headers,
        )
        .await?;
    let asks_for_otp = answer
        .headers
        .get("www-authenticate")
        .is_some_and(|v| v.as_bytes() == b"OTP");
    match answer.status {
        StatusCode::CREATED => {
            say(&format!("Published {name}@{version}."));
            Ok(())
        }
        StatusCode::UNAUTHORIZED if asks_for_otp && otp.is_none() => Err(format!(
            "{}: this account asks for a one-time password on every publish; run again with --otp CODE",
            answer.error()
        )),
        StatusCode::UNAUTHORIZED if asks_for_otp => Err(answer.error()),
        StatusCode::UNAUTHORIZED => Err(format!("{}: run registry-cli login", answer.error())),
        _ => Err(format!(
            "cannot publish {name}@{version}: {}",
            answer.error()
        )),
    }
}
