//! `latchkey demo`: the whole sign-in story that npm's help page tells,
//! through the `latchkey` sign-in flow, on embedded defaults. Every mail
//! is printed as it would arrive.
//!
//! Scripted by default (the demo reads the codes out of the mails and
//! moves its own clock); `--interactive` asks a person to type each code,
//! and to scan the QR code with a real authenticator app. The security
//! key is a software one (kanidm's `SoftPasskey`) in both modes: a
//! terminal has no browser to reach a real key through.
//!
//! Storage is a SQLite file (created on the first run, its path printed),
//! or any `--database-url`; mail goes to the terminal, or over SMTP with
//! `--smtp-host`.

mod chapters;
mod devices;
mod security_key;
mod stage;

use std::process::ExitCode;
use std::sync::Arc;

use latchkey::recovery::{KnownLink, Provider};
use latchkey::webauthn::RelyingParty;
use latchkey::{InMemoryAccounts, Keys, SignIn};
use latchkey_core::{AccountId, EmailAddress, EncryptionKey, KeyId, Pepper};
use latchkey_otp::MailedCodeSettings;
use time::Duration;

use chapters::Jane;
use stage::{Stage, open_mailer, open_store};

/// The default database: a SQLite file in the current directory.
pub const DEFAULT_DATABASE: &str = "latchkey-demo.sqlite3";

/// How the demo runs.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Ask a person to type each code (from the printed mail, or from an
    /// authenticator app after scanning the QR code) instead of reading
    /// them automatically.
    #[arg(long)]
    interactive: bool,
    /// Where latchkey keeps its state: `sqlite://FILE` (created if
    /// missing), `postgres://user@host/db`, or `memory`. Default: the
    /// SQLite file latchkey-demo.sqlite3 in the current directory.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Keep the short-lived state (mailed codes, challenges, throttling,
    /// remembered devices) in Redis, e.g. redis://127.0.0.1:6379; the rest
    /// stays in the database.
    #[arg(long, value_name = "URL")]
    redis_url: Option<String>,
    /// Send mail over SMTP to this server instead of printing it.
    #[arg(long, value_name = "HOST")]
    smtp_host: Option<String>,
    /// The SMTP port (default: 587 for starttls, 465 for tls, 25 for plain).
    #[arg(long, value_name = "PORT", requires = "smtp_host")]
    smtp_port: Option<u16>,
    /// How the SMTP connection is protected. `plain` is for a relay on
    /// this machine only.
    #[arg(long, value_enum, default_value = "starttls", requires = "smtp_host")]
    smtp_security: SmtpSecurity,
    /// The sender address of the demo's mail.
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = "latchkey-demo@localhost",
        requires = "smtp_host"
    )]
    smtp_from: String,
    /// SMTP user name; the password is read from the environment variable
    /// LATCHKEY_SMTP_PASSWORD (never from the command line).
    #[arg(long, value_name = "USER", requires = "smtp_host")]
    smtp_username: Option<String>,
}

/// `--smtp-security`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SmtpSecurity {
    /// STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: a local relay only.
    Plain,
}

pub async fn run(args: DemoArgs) -> ExitCode {
    match story(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latchkey demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) type DemoResult<T> = Result<T, Box<dyn std::error::Error>>;

pub(crate) fn step(n: u32, title: &str) {
    out!("\n== {n}. {title}");
}

async fn story(args: DemoArgs) -> DemoResult<()> {
    out!("latchkey demo: sign-in verification the way npm does it.");
    let (store, mut store_text) = open_store(args.database_url.as_deref()).await?;
    let redis = match &args.redis_url {
        Some(url) => {
            // A prefix per run: this run's keys are its own.
            let mut run = [0u8; 3];
            latchkey_core::random::fill(&mut run)?;
            let prefix = format!("latchkey-demo-{:02x}{:02x}{:02x}", run[0], run[1], run[2]);
            let redis = latchkey_store_redis::RedisStore::connect(url, &prefix).await?;
            store_text.push_str("; short-lived state in Redis");
            Some(Arc::new(redis))
        }
        None => None,
    };
    let (mailer, mailbox, mail_text) = open_mailer(&args)?;
    out!("Store: {store_text}. Mail: {mail_text}.");
    if args.interactive {
        out!("Interactive: you type the codes.");
    }
    let stage = Stage::new(args.interactive, mailbox.clone());
    let accounts = Arc::new(InMemoryAccounts::new());
    let keys = Keys::new(Pepper::generate()?)
        .with_encryption_key(EncryptionKey::generate(KeyId::new("demo-key")?)?);
    let mut builder = store.apply(SignIn::builder("npm", keys));
    if let Some(redis) = redis {
        builder = builder
            .otp_store(redis.clone())
            .challenge_store(redis.clone())
            .throttle_store(redis.clone())
            .device_store(redis);
    }
    let flow = builder
        .accounts(accounts.clone())
        .mailer(mailer)
        .clock(stage.clock.clone())
        .mailed_codes(mailed_codes(args.interactive)?)
        .security_keys(
            RelyingParty::new(security_key::RP_ID, security_key::ORIGIN, "npm")?,
            store.security_keys(),
        )
        .build()?;
    // A database kept from an earlier run already has Jane: this run's
    // Jane gets a fresh login, account and addresses.
    let run = if store.credentials().find_by_login("jane").await?.is_some() {
        let mut bytes = [0u8; 3];
        latchkey_core::random::fill(&mut bytes)?;
        format!("-{:02x}{:02x}{:02x}", bytes[0], bytes[1], bytes[2])
    } else {
        String::new()
    };
    let jane = Jane {
        login: format!("jane{run}"),
        account: AccountId::new(if run.is_empty() {
            "account-1".to_owned()
        } else {
            format!("account{run}")
        })?,
        address: EmailAddress::parse(&format!("jane{run}@example.com"))?,
        new_address: format!("jane{run}@new.example"),
        password: "violet umbrella sky".to_owned(),
    };
    accounts.link(
        &jane.account,
        KnownLink {
            provider: Provider::GitHub,
            user_id: "583231".to_owned(),
            linked_at: stage.clock.now() - Duration::days(700),
        },
    );
    chapters::sign_up(&flow, &store, &jane).await?;
    let laptop = chapters::sign_in(&flow, &stage, &jane).await?;
    let (laptop, password) = devices::devices(&flow, &stage, &jane, laptop).await?;
    let jane = Jane { password, ..jane };
    chapters::two_factor(&flow, &stage, &jane, laptop.authentication).await?;
    let signed_in = chapters::recovery(&flow, &stage, &accounts, &jane).await?;
    security_key::security_key(&flow, &stage, &jane, signed_in.authentication).await
}

/// The defaults, but in interactive mode (a real clock) a 5-second resend
/// cooldown instead of 60, so a person is not kept waiting between steps.
fn mailed_codes(interactive: bool) -> DemoResult<MailedCodeSettings> {
    let settings = MailedCodeSettings::default();
    Ok(if interactive {
        settings.with_cooldown(Duration::seconds(5))?
    } else {
        settings
    })
}
