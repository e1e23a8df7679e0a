//! `web`: a real site with npm's sign-in screens, on latchkey.
//!
//! ```text
//! cargo run -p latchkey-examples --bin web [-- --listen 127.0.0.1:8080]
//! ```
//!
//! Its state is a SQLite file, `latchkey-web.sqlite3` in the current
//! directory (or `--database-url postgres://…`), sessions included; its
//! mail is printed on the terminal (or sent with `--smtp-host …`); its
//! keys come from `LATCHKEY_EXAMPLE_PEPPER` and
//! `LATCHKEY_EXAMPLE_ENCRYPTION_KEY` (hex), else from a key file beside
//! the database. When it is ready it prints `listening on http://ADDR`.
#![forbid(unsafe_code)]

mod args;
mod backend;
#[macro_use]
mod book;
mod keys;
mod mail;
mod staff_account;
mod standin;
mod tokens;
mod web;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use latchkey::otp::MailedCodeSettings;
use latchkey::webauthn::RelyingParty;
use latchkey::{EventSink, SecurityEvent, SignIn};

use crate::args::Args;
use crate::backend::Sessions;
use crate::book::Book;
use crate::standin::StandIn;
use crate::tokens::Tokens;
use crate::web::App;

/// The service's name: authenticator apps show it, and passwords may
/// not contain it.
const ISSUER: &str = "latchkey example";

/// How often expired sessions (and latchkey's expired records) are deleted.
const SESSION_SWEEP: std::time::Duration = std::time::Duration::from_secs(600);

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("web: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One line on standard output, flushed (a test waits for the last one).
#[expect(
    clippy::print_stdout,
    reason = "the site's start-up lines are its interface on the terminal"
)]
fn say(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

/// Security events on standard error, one line each (they carry account
/// ids and masked addresses, never a secret). A new security stamp (a
/// password change, 2FA turned on or off, an email reset) also revokes
/// the account's command-line tokens: the host's tokens end with the
/// credentials they were issued under, as latchkey's sessions do.
#[derive(Debug)]
struct StderrEvents {
    tokens: Tokens,
}

impl EventSink for StderrEvents {
    fn record(&self, event: &SecurityEvent) {
        eprintln!("security event: {event:?}");
        if let SecurityEvent::StampChanged { account, .. } = event {
            let (tokens, account) = (self.tokens.clone(), account.clone());
            tokio::spawn(async move {
                if let Err(e) = tokens.revoke_all(&account).await {
                    eprintln!("error: cannot revoke the command-line tokens of {account}: {e}");
                }
            });
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    say("latchkey web example: npm's sign-in screens on latchkey.");
    let url = args.database_url();
    let (db, stores, db_note) = backend::open(&url).await?;
    say(&format!("database: {db_note}"));
    let (keys, key_note) = keys::load(&keys::key_file_for(&url))?;
    say(&format!("keys: {key_note} (never printed)"));
    let (mailer, mail_note) = mail::open(&args)?;
    say(&format!("mail: {mail_note}"));
    let book = Book::open(db.clone())
        .await
        .map_err(|e| format!("cannot create the site's tables: {e}"))?;
    let tokens = Tokens::open(db.clone())
        .await
        .map_err(|e| format!("cannot create the tokens table: {e}"))?;
    let sessions = Sessions::open(&db, SESSION_SWEEP).await?;
    let fresh_window = time::Duration::seconds(i64::from(args.fresh_window));
    // Bound first: the default origin carries the port.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let origin = args.origin(addr.port());
    let rp_id = latchkey::webauthn::Url::parse(&origin)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or_else(|| format!("--origin {origin}: not a URL with a host"))?;
    let relying_party = RelyingParty::new(&rp_id, &origin, ISSUER)
        .map_err(|e| format!("--origin {origin}: {e}"))?;
    say(&format!(
        "security keys: RP id {rp_id}, origin {origin} (open the site there to use them)"
    ));
    let flow = stores
        .apply(SignIn::builder(ISSUER, keys))
        .security_keys(relying_party, stores.security_keys())
        .passkey_sign_in(true)
        .accounts(Arc::new(book.clone()))
        .mailer(mailer)
        .events(Arc::new(StderrEvents {
            tokens: tokens.clone(),
        }))
        .mailed_codes(
            MailedCodeSettings::default()
                .with_cooldown(time::Duration::seconds(i64::from(args.code_cooldown)))
                .map_err(|e| format!("--code-cooldown: {e}"))?,
        )
        .fresh_window(fresh_window)
        .build()
        .map_err(|e| format!("cannot build the sign-in flow: {e}"))?;
    say(&staff_account::ensure(&flow, &book).await?);
    // Expired challenges, devices, command-line logins and idle counters.
    let sweeper = flow.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SESSION_SWEEP);
        loop {
            every.tick().await;
            if let Err(e) = sweeper.purge_expired().await {
                eprintln!("error: the purge failed: {e}");
            }
        }
    });
    let app = Arc::new(App {
        flow,
        book,
        tokens,
        standin: StandIn::default(),
        secure: args.secure_cookies(),
        fresh_window,
    });
    say(&format!("listening on http://{addr}"));
    let service = web::router(app, sessions).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("the server failed: {e}"))
}
