//! The demo's stage: the clock and the person at the keyboard, the store
//! and the mailbox.

use std::io::BufRead;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use latchkey::SignInBuilder;
use latchkey::credentials::CredentialStore;
use latchkey_core::{
    Clock, ConsoleMailer, EmailAddress, MailError, Mailer, ManualClock, Message, RecordingMailer,
    SystemClock,
};
use latchkey_mail_smtp::{Security, SmtpMailer, SmtpSettings};
use latchkey_store_memory::MemoryStore;
use latchkey_store_sqlx::{PostgresStore, SqliteStore};
use time::{Duration, OffsetDateTime};

use super::{DEFAULT_DATABASE, DemoArgs, DemoResult, SmtpSecurity};

/// The clock and the person at the keyboard: scripted or real.
pub(super) struct Stage {
    pub(super) interactive: bool,
    manual: Option<Arc<ManualClock>>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) mailbox: Arc<TerminalMailbox>,
    lines: Mutex<std::io::Lines<std::io::StdinLock<'static>>>,
}

impl Stage {
    pub(super) fn new(interactive: bool, mailbox: Arc<TerminalMailbox>) -> Self {
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
    pub(super) fn wait(&self, by: Duration) {
        if let Some(manual) = &self.manual {
            manual.advance(by);
        }
    }

    pub(super) fn ask(&self, prompt: &str) -> DemoResult<String> {
        out!("  {prompt}");
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        match lines.next() {
            Some(line) => Ok(line?.trim().to_owned()),
            None => Err("standard input ended; nothing to type".into()),
        }
    }

    /// The code Jane types from the last mail.
    pub(super) fn code_from_mail(&self) -> DemoResult<String> {
        if self.interactive {
            return self.ask("Type the code from the mail above:");
        }
        let code = self.mailbox.last_code().ok_or("no code arrived")?;
        out!("  Jane types {code}");
        Ok(code)
    }
}

/// The demo's store: whichever backend the URL named.
pub(super) enum DemoStore {
    Memory(Arc<MemoryStore>),
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

impl DemoStore {
    /// Hands every store to the flow's builder.
    pub(super) fn apply(&self, builder: SignInBuilder) -> SignInBuilder {
        match self {
            Self::Memory(s) => builder.store(s.clone()),
            Self::Sqlite(s) => builder.store(s.clone()),
            Self::Postgres(s) => builder.store(s.clone()),
        }
    }

    /// Where security keys and their ceremonies live.
    pub(super) fn security_keys(&self) -> Arc<dyn latchkey::webauthn::SecurityKeyStore> {
        match self {
            Self::Memory(s) => s.clone(),
            Self::Sqlite(s) => s.clone(),
            Self::Postgres(s) => s.clone(),
        }
    }

    /// The credentials, for looking at what was stored.
    pub(super) fn credentials(&self) -> Arc<dyn CredentialStore> {
        match self {
            Self::Memory(s) => s.clone(),
            Self::Sqlite(s) => s.clone(),
            Self::Postgres(s) => s.clone(),
        }
    }
}

/// Opens (and migrates) the demo's store; says where it is.
pub(super) async fn open_store(url: Option<&str>) -> DemoResult<(DemoStore, String)> {
    let url = url.map_or_else(|| format!("sqlite://{DEFAULT_DATABASE}"), str::to_owned);
    if url == "memory" {
        return Ok((
            DemoStore::Memory(Arc::new(MemoryStore::new())),
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
            DemoStore::Sqlite(Arc::new(store)),
            format!("SQLite file {shown} ({state})"),
        ));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(&url).await?;
        store.migrate().await?;
        return Ok((
            DemoStore::Postgres(Arc::new(store)),
            "PostgreSQL".to_owned(),
        ));
    }
    Err("--database-url takes sqlite://FILE, postgres://... or memory".into())
}

/// The mailer: the terminal, or SMTP (keeping a copy so the scripted demo
/// can read the codes).
pub(super) fn open_mailer(
    args: &DemoArgs,
) -> DemoResult<(Arc<dyn Mailer>, Arc<TerminalMailbox>, String)> {
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

/// Prints each mail on the terminal, as it would arrive, and keeps it so
/// the demo can read the code the way Jane would.
#[derive(Debug, Default)]
pub(super) struct TerminalMailbox {
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

    pub(super) fn last_code(&self) -> Option<String> {
        self.kept.last_code()
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
