//! `latchkey demo`: the whole sign-in story that npm's help page tells,
//! through the `latchkey` sign-in flow, on embedded defaults. Every mail
//! is printed as it would arrive.
//!
//! Scripted by default (the demo reads the codes out of the mails and
//! moves its own clock); `--interactive` asks a person to type each code,
//! and to scan the QR code with a real authenticator app.
//!
//! Storage is a SQLite file (created on the first run, its path printed),
//! or any `--database-url`; mail goes to the terminal, or over SMTP with
//! `--smtp-host`.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;
use latchkey::credentials::{PasswordPolicy, PolicyContext, RegisterOutcome};
use latchkey::recovery::{
    CompleteOutcome, ConfirmOutcome as TicketConfirmed, Finding, Instruction, KnownLink,
    LinkedIdentity, Provider, StartOutcome, TicketForm,
};
use latchkey::twofactor::{ChangeOutcome, ConfirmOutcome, SecondFactor};
use latchkey::{
    Answer, ChallengeId, ClientContext, Host, InMemoryAccounts, Keys, Recovering, SignIn,
    SignInSettings, SignInStep, SignedIn, Stores, Submitted,
};
use latchkey_core::{
    AccountId, Clock, ConsoleMailer, EmailAddress, EncryptionKey, KeyId, MailError, Mailer,
    ManualClock, Message, Pepper, RecordingMailer, SystemClock,
};
use latchkey_mail_smtp::{Security, SmtpMailer, SmtpSettings};
use latchkey_store_memory::MemoryStore;
use latchkey_store_sqlx::{PostgresStore, SqliteStore};
use time::{Duration, OffsetDateTime};

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

type DemoResult<T> = Result<T, Box<dyn std::error::Error>>;

fn step(n: u32, title: &str) {
    out!("\n== {n}. {title}");
}

/// The clock and the person at the keyboard: scripted or real.
struct Stage {
    interactive: bool,
    manual: Option<Arc<ManualClock>>,
    clock: Arc<dyn Clock>,
    mailbox: Arc<TerminalMailbox>,
    lines: Mutex<std::io::Lines<std::io::StdinLock<'static>>>,
}

impl Stage {
    fn new(interactive: bool, mailbox: Arc<TerminalMailbox>) -> Self {
        let (manual, clock): (Option<Arc<ManualClock>>, Arc<dyn Clock>) = if interactive {
            (None, Arc::new(SystemClock))
        } else {
            let manual = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
            (Some(manual.clone()), manual)
        };
        Self {
            interactive,
            manual,
            clock,
            mailbox,
            lines: Mutex::new(std::io::stdin().lock().lines()),
        }
    }

    /// Moves the scripted clock on (a person's clock moves by itself).
    fn wait(&self, by: Duration) {
        if let Some(manual) = &self.manual {
            manual.advance(by);
        }
    }

    fn ask(&self, prompt: &str) -> DemoResult<String> {
        out!("  {prompt}");
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        match lines.next() {
            Some(line) => Ok(line?.trim().to_owned()),
            None => Err("standard input ended; nothing to type".into()),
        }
    }

    /// The code Jane types from the last mail.
    fn code_from_mail(&self) -> DemoResult<String> {
        if self.interactive {
            return self.ask("Type the code from the mail above:");
        }
        let code = self.mailbox.last_code().ok_or("no code arrived")?;
        out!("  Jane types {code}");
        Ok(code)
    }
}

/// Opens (and migrates) the demo's store; says where it is.
async fn open_store(url: Option<&str>) -> DemoResult<(Stores, String)> {
    let url = url.map_or_else(|| format!("sqlite://{DEFAULT_DATABASE}"), str::to_owned);
    if url == "memory" {
        return Ok((
            Stores::all(Arc::new(MemoryStore::new())),
            "in memory (nothing is kept)".to_owned(),
        ));
    }
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let file = path.split('?').next().unwrap_or_default();
        if file.is_empty() || file == ":memory:" {
            return Err("a sqlite URL for the demo names a file: sqlite://FILE".into());
        }
        let existed = std::path::Path::new(file).exists();
        let options = SqliteStore::connect_options(&url)?.create_if_missing(true);
        let pool = latchkey_store_sqlx::sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot open {file}: {e}"))?;
        let store = SqliteStore::from_pool(pool);
        store.migrate().await?;
        let shown = std::fs::canonicalize(file)
            .map_or_else(|_| file.to_owned(), |p| p.display().to_string());
        let state = if existed {
            "kept from earlier runs"
        } else {
            "created now"
        };
        return Ok((
            Stores::all(Arc::new(store)),
            format!("SQLite file {shown} ({state})"),
        ));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(&url).await?;
        store.migrate().await?;
        return Ok((Stores::all(Arc::new(store)), "PostgreSQL".to_owned()));
    }
    Err("--database-url takes sqlite://FILE, postgres://... or memory".into())
}

/// The mailer: the terminal, or SMTP (keeping a copy so the scripted demo
/// can read the codes).
fn open_mailer(args: &DemoArgs) -> DemoResult<(Arc<dyn Mailer>, Arc<TerminalMailbox>, String)> {
    let Some(host) = &args.smtp_host else {
        let terminal = Arc::new(TerminalMailbox::default());
        return Ok((
            terminal.clone(),
            terminal,
            "printed here as it would arrive".to_owned(),
        ));
    };
    let security = match args.smtp_security {
        SmtpSecurity::Starttls => Security::StartTls,
        SmtpSecurity::Tls => Security::Tls,
        SmtpSecurity::Plain => Security::Plain,
    };
    let mut settings = SmtpSettings::new(host.clone(), EmailAddress::parse(&args.smtp_from)?)
        .with_security(security);
    if let Some(port) = args.smtp_port {
        settings = settings.with_port(port);
    }
    if let Some(user) = &args.smtp_username {
        let password = std::env::var("LATCHKEY_SMTP_PASSWORD")
            .map_err(|_| "--smtp-username needs the password in LATCHKEY_SMTP_PASSWORD")?;
        settings = settings.with_credentials(user.clone(), password);
    }
    let port = settings.port();
    let smtp = SmtpMailer::new(settings)?;
    let kept = Arc::new(TerminalMailbox::quiet());
    let tee = Arc::new(Tee {
        smtp,
        kept: kept.clone(),
    });
    Ok((tee, kept, format!("sent over SMTP to {host}:{port}")))
}

/// Sends over SMTP, then keeps a copy.
#[derive(Debug)]
struct Tee {
    smtp: SmtpMailer,
    kept: Arc<TerminalMailbox>,
}

#[async_trait]
impl Mailer for Tee {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let to = message.to.clone();
        let subject = message.subject.clone();
        self.smtp.send(message.clone()).await?;
        out!("  [mail to {to} over SMTP: \"{subject}\"]");
        self.kept.send(message).await
    }
}

async fn story(args: DemoArgs) -> DemoResult<()> {
    out!("latchkey demo: sign-in verification the way npm does it.");
    let (stores, store_text) = open_store(args.database_url.as_deref()).await?;
    let (mailer, mailbox, mail_text) = open_mailer(&args)?;
    out!("Store: {store_text}. Mail: {mail_text}.");
    if args.interactive {
        out!("Interactive: you type the codes.");
    }
    let stage = Stage::new(args.interactive, mailbox.clone());
    let codes_store = stores.codes.clone();
    let accounts = Arc::new(InMemoryAccounts::new());
    let flow = SignIn::new(
        stores,
        Host::new(mailer, stage.clock.clone(), accounts.clone()),
        Keys::new(
            Pepper::generate()?,
            EncryptionKey::generate(KeyId::new("demo-key")?)?,
        ),
        settings(args.interactive)?,
    )?;
    // A database kept from an earlier run already has Jane: this run's
    // Jane gets a fresh login, account and addresses.
    let run = if flow.checker().find("jane").await?.is_some() {
        let mut bytes = [0u8; 3];
        latchkey_core::random::fill(&mut bytes)?;
        format!("-{:02x}{:02x}{:02x}", bytes[0], bytes[1], bytes[2])
    } else {
        String::new()
    };
    let login = format!("jane{run}");
    let login = login.as_str();
    let jane = AccountId::new(if run.is_empty() {
        "account-1".to_owned()
    } else {
        format!("account{run}")
    })?;
    let address = EmailAddress::parse(&format!("jane{run}@example.com"))?;
    let new_address = format!("jane{run}@new.example");
    accounts.add(login, &jane, address.clone());
    accounts.link(
        &jane,
        KnownLink {
            provider: Provider::GitHub,
            user_id: "583231".to_owned(),
            linked_at: stage.clock.now() - Duration::days(700),
        },
    );

    step(
        0,
        "Jane signs up; the policy refuses weak passwords and says why",
    );
    let policy = PasswordPolicy::new().with_service_name("npm");
    let with_name = format!("{login}-rocks-2026");
    for attempt in ["password", with_name.as_str(), "aaaaaaaaaa", "short"] {
        let outcome = policy.check(
            attempt,
            PolicyContext {
                username: Some(login),
            },
        );
        let reasons: Vec<String> = outcome.reasons().iter().map(ToString::to_string).collect();
        out!("  {attempt:<20} refused: {}", reasons.join("; "));
    }
    let password = "violet umbrella sky";
    let registered = flow
        .checker()
        .register(login, &jane, password, &policy)
        .await?;
    if registered != RegisterOutcome::Registered {
        return Err(format!("registration failed: {registered:?}").into());
    }
    let phc = flow
        .checker()
        .find(login)
        .await?
        .ok_or("registered login not found")?
        .phc;
    out!("  {password:<20} accepted; stored as {phc}");

    step(1, "Jane signs in with her login and password");
    let laptop = ClientContext::new().with_client("203.0.113.7");
    let hasher = flow.checker().hasher().clone();
    for (who, pw) in [(login, "violet umbrella SKY"), ("nobody", password)] {
        let (runs, started) = (hasher.runs(), Instant::now());
        let answer = flow.start(who, pw, &laptop).await?;
        out!(
            "  login {who:<7} password {pw:<20} -> {answer:?} ({} Argon2 run, {} ms)",
            hasher.runs() - runs,
            started.elapsed().as_millis()
        );
    }
    out!("  (one answer, and one hash, for a wrong password and an unknown login)");

    step(
        2,
        "The right password on a new device: a code is mailed to Jane",
    );
    let (challenge, masked_address) =
        start_for_mailed_code(&flow, &stage, login, password, &laptop).await?;
    out!("  the form says: we sent a one-time password to {masked_address}");

    step(3, "Jane types the digits and is signed in");
    // Any code but the one mailed (a fixed one would be right once in a
    // million runs).
    let wrong = if stage.mailbox.last_code().as_deref() == Some("000000") {
        "111111"
    } else {
        "000000"
    };
    out!(
        "  typed {wrong}: {:?}",
        flow.submit(&challenge, Answer::MailedCode(wrong), &laptop)
            .await?
    );
    let done = answer_mailed_code(&flow, &stage, &challenge, &laptop).await?;
    out!(
        "  signed in as {} by {:?}; the laptop keeps a device token, so next time no code is needed",
        done.account,
        done.method
    );
    let laptop = laptop.with_device_token(done.device_token.ok_or("no device token")?);
    match flow.start(login, password, &laptop).await? {
        SignInStep::SignedIn(again) => out!(
            "  signing in again on the laptop: signed in by {:?}, no mail",
            again.method
        ),
        other => return Err(format!("the laptop should be recognized: {other:?}").into()),
    }

    step(
        4,
        "Jane enables 2FA with an authenticator app (it replaces the mailed code)",
    );
    let enrolment = flow
        .two_factor()
        .begin_enrolment(&jane, address.as_str())
        .await?;
    out!("  scan this in the app: {}", enrolment.uri);
    out!("{}", enrolment.uri.qr_terminal());
    let app = enrolment.uri.totp()?;
    let recovery_codes = loop {
        let first = if stage.interactive {
            stage.ask("Scan the QR code with your app and type the code it shows:")?
        } else {
            let first = app.code_at(stage.clock.now())?.to_string();
            out!("  the app shows {first}; Jane types it to confirm");
            first
        };
        match flow.confirm_two_factor(&jane, &first).await? {
            ConfirmOutcome::Enabled { recovery_codes } => break recovery_codes,
            ConfirmOutcome::WrongCode if stage.interactive => out!("  wrong code; try again"),
            other => return Err(format!("enrolment was not confirmed: {other:?}").into()),
        }
    };
    out!("  2FA is on. Recovery codes (shown once; only digests are stored):");
    for code in recovery_codes.iter() {
        out!("    {code}");
    }

    step(5, "Signing in with a code from the app");
    stage.wait(Duration::seconds(30));
    let phone = ClientContext::new().with_client("198.51.100.20");
    let challenge = second_factor_challenge(&flow, login, password, &phone).await?;
    let code = loop {
        let code = if stage.interactive {
            stage.ask(
                "Type the next code your app shows (each code works once: wait for it to change):",
            )?
        } else {
            let code = app.code_at(stage.clock.now())?.to_string();
            out!("  Jane types {code} from the app");
            code
        };
        match flow.submit(&challenge, Answer::Totp(&code), &phone).await? {
            Submitted::SignedIn(done) => {
                out!("  signed in by {:?}", done.method);
                break code;
            }
            Submitted::Wrong { attempts_left } if stage.interactive && attempts_left > 0 => {
                out!("  wrong code ({attempts_left} attempts left); try again");
            }
            other => return Err(format!("the app's code was refused: {other:?}").into()),
        }
    };
    let challenge = second_factor_challenge(&flow, login, password, &phone).await?;
    out!(
        "  the same code again: {:?} (a code works once; Jane is told)",
        flow.submit(&challenge, Answer::Totp(&code), &phone).await?
    );

    step(6, "Phone lost: signing in with a recovery code");
    let recovery = recovery_codes
        .iter()
        .next()
        .ok_or("no recovery codes")?
        .to_owned();
    let recovery = if stage.interactive {
        stage.ask("Type one of the recovery codes above:")?
    } else {
        out!("  Jane types {recovery}");
        recovery
    };
    let done = match flow
        .submit(&challenge, Answer::RecoveryCode(&recovery), &phone)
        .await?
    {
        Submitted::SignedIn(done) => done,
        other => return Err(format!("the recovery code was refused: {other:?}").into()),
    };
    out!(
        "  signed in by {:?}; {} recovery codes left",
        done.method,
        done.recovery_codes_left.unwrap_or_default()
    );
    let off = flow
        .disable_two_factor(
            &jane,
            SecondFactor::RecoveryCode(&next_recovery_code(&recovery_codes, &recovery)),
        )
        .await?;
    out!(
        "  with no phone, Jane turns 2FA off with another recovery code: {}",
        match off {
            ChangeOutcome::Done(()) => "done".to_owned(),
            ChangeOutcome::Refused(why) => format!("refused ({why:?})"),
        }
    );

    step(
        7,
        &format!("Jane can no longer read {address}: \"Try recovering your account\""),
    );
    stage.wait(Duration::minutes(5));
    let library = ClientContext::new().with_client("192.0.2.55");
    let (challenge, _) = start_for_mailed_code(&flow, &stage, login, password, &library).await?;
    out!("  (that code went to {address}, which Jane cannot read)");
    out!("  On the login-verification form: \"Try recovering your account\"");
    out!("  -> \"Start Account Recovery\" -> \"Open a Support Ticket\"");

    step(
        8,
        "A \"Reset my email\" ticket, with her linked GitHub account as evidence",
    );
    out!("  Email: {new_address}   How can we help? Reset my email   Connect to GitHub: octocat");
    let form = TicketForm {
        login: login.to_owned(),
        contact_email: new_address.clone(),
        reset_email: true,
        details: String::new(),
        identities: vec![LinkedIdentity {
            provider: Provider::GitHub,
            user_id: "583231".to_owned(),
            handle: "octocat".to_owned(),
            verified_at: stage.clock.now(),
        }],
    };
    let Recovering::Started(StartOutcome::CodeSent {
        draft,
        masked_contact,
    }) = flow.recover(&challenge, &form, &library).await?
    else {
        return Err("the ticket form was refused".into());
    };
    out!("  the form says: we sent a code to {masked_contact} to prove the address");
    let code = stage.code_from_mail()?;
    let TicketConfirmed::Submitted { reference } = flow.confirm_recovery(&draft, &code).await?
    else {
        return Err("the contact code was refused".into());
    };
    out!("  \"Submit Support Ticket\" -> ticket {reference}");

    step(9, "Support approves the ticket and the address changes");
    let recovery = flow.recovery();
    let ticket = recovery
        .ticket(&reference)
        .await?
        .ok_or("ticket vanished")?;
    for item in &ticket.evidence.items {
        let finding = match &item.finding {
            Finding::Matches { linked_at } => {
                format!("matches the account's link since {}", linked_at.date())
            }
            other => format!("{other:?}"),
        };
        out!(
            "  evidence: {} id {} (@{}): {finding}",
            item.offered.provider,
            item.offered.user_id,
            item.offered.handle
        );
    }
    out!(
        "  start review: {:?}",
        recovery
            .start_review(&reference, "support-alice", None)
            .await?
    );
    let note = Some("GitHub id matches a link made long before the ticket".to_owned());
    out!(
        "  approve:      {:?}",
        recovery.approve(&reference, "support-alice", note).await?
    );
    let CompleteOutcome::Completed(instruction) =
        recovery.complete(&reference, "support-alice").await?
    else {
        return Err("the ticket did not complete".into());
    };
    if let Instruction::ResetEmail {
        account,
        new_address,
        ..
    } = &instruction
    {
        accounts.set_address(account, new_address.clone());
        let voided = codes_store.void_all(account).await?;
        out!(
            "  the host sets {account}'s address to {new_address}, voids {voided} outstanding codes, ends sessions"
        );
    }
    let ticket = recovery
        .ticket(&reference)
        .await?
        .ok_or("ticket vanished")?;
    let audit: Vec<String> = ticket
        .audit
        .iter()
        .map(|e| format!("{:?} by {:?}", e.action, e.actor))
        .collect();
    out!("  audit trail: {}", audit.join(" -> "));

    step(
        10,
        "Jane signs in again: the code now goes to her new address",
    );
    stage.wait(Duration::minutes(2));
    let (challenge, masked_address) =
        start_for_mailed_code(&flow, &stage, login, password, &library).await?;
    out!("  the form says: we sent a one-time password to {masked_address}");
    let done = answer_mailed_code(&flow, &stage, &challenge, &library).await?;
    out!(
        "  signed in as {} by {:?}. The end.",
        done.account,
        done.method
    );
    Ok(())
}

/// The defaults, but in interactive mode (a real clock) a 5-second resend
/// cooldown instead of 60, so a person is not kept waiting between steps.
fn settings(interactive: bool) -> DemoResult<SignInSettings> {
    let mut settings = SignInSettings::new("npm");
    if interactive {
        settings.mailed_codes = settings.mailed_codes.with_cooldown(Duration::seconds(5))?;
    }
    Ok(settings)
}

/// Signs in where a mailed code is expected. On a real clock a sign-in
/// within the resend cooldown is throttled: wait it out and try again.
async fn start_for_mailed_code(
    flow: &SignIn,
    stage: &Stage,
    login: &str,
    password: &str,
    client: &ClientContext,
) -> DemoResult<(ChallengeId, String)> {
    loop {
        match flow.start(login, password, client).await? {
            SignInStep::MailedCodeSent {
                challenge,
                masked_address,
                ..
            } => return Ok((challenge, masked_address)),
            SignInStep::Throttled { retry_at: Some(at) } if stage.interactive => {
                let wait = (at - stage.clock.now()).max(Duration::ZERO);
                out!(
                    "  (a code was mailed moments ago: waiting {} s to send another)",
                    wait.whole_seconds() + 1
                );
                tokio::time::sleep(std::time::Duration::from_secs(
                    wait.whole_seconds().unsigned_abs() + 1,
                ))
                .await;
            }
            other => {
                return Err(format!("a new device should get a mailed code, got {other:?}").into());
            }
        }
    }
}

/// The recovery code after `used` in the list (the demo's second one).
fn next_recovery_code(codes: &latchkey::twofactor::RecoveryCodes, used: &str) -> String {
    codes
        .iter()
        .find(|c| *c != used)
        .map(str::to_owned)
        .unwrap_or_default()
}

async fn second_factor_challenge(
    flow: &SignIn,
    login: &str,
    password: &str,
    client: &ClientContext,
) -> DemoResult<ChallengeId> {
    match flow.start(login, password, client).await? {
        SignInStep::SecondFactorRequired { challenge, .. } => {
            out!("  password accepted; the form asks for a code from the app (or a recovery code)");
            Ok(challenge)
        }
        other => Err(format!("expected a second-factor challenge, got {other:?}").into()),
    }
}

/// Reads the mailed code (from the mail, or from the person) until the
/// challenge signs in.
async fn answer_mailed_code(
    flow: &SignIn,
    stage: &Stage,
    challenge: &ChallengeId,
    client: &ClientContext,
) -> DemoResult<SignedIn> {
    loop {
        let code = stage.code_from_mail()?;
        match flow
            .submit(challenge, Answer::MailedCode(&code), client)
            .await?
        {
            Submitted::SignedIn(done) => return Ok(done),
            Submitted::Wrong { attempts_left } if stage.interactive && attempts_left > 0 => {
                out!("  wrong code ({attempts_left} attempts left); try again");
            }
            other => return Err(format!("the mailed code was refused: {other:?}").into()),
        }
    }
}

/// Prints each mail on the terminal, as it would arrive, and keeps it so
/// the demo can read the code the way Jane would.
#[derive(Debug, Default)]
struct TerminalMailbox {
    kept: RecordingMailer,
    quiet: bool,
}

impl TerminalMailbox {
    /// Keeps mail without printing it (it went out over SMTP).
    fn quiet() -> Self {
        Self {
            kept: RecordingMailer::new(),
            quiet: true,
        }
    }

    fn last_code(&self) -> Option<String> {
        let mail = self.kept.last()?;
        let first_line = mail.text.lines().next()?;
        Some(first_line.chars().filter(char::is_ascii_digit).collect())
    }
}

#[async_trait]
impl Mailer for TerminalMailbox {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        if self.quiet {
            return self.kept.send(message).await;
        }
        if let Err(e) = ConsoleMailer.send(message.clone()).await {
            // The terminal is gone (`latchkey demo | head`): stop quietly.
            let io = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>());
            match io {
                Some(io) => crate::stdout_failed(io),
                None => return Err(e),
            }
        }
        self.kept.send(message).await
    }
}
