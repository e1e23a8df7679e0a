//! `latchkey demo`: the whole sign-in story that npm's help page tells,
//! through the `latchkey` sign-in flow, on embedded defaults. Every mail
//! is printed as it would arrive.
//!
//! Scripted by default (the demo reads the codes out of the mails and
//! moves its own clock); `--interactive` asks a person to type each code,
//! and to scan the QR code with a real authenticator app.

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
use latchkey_store_memory::MemoryStore;
use time::{Duration, OffsetDateTime};

/// How the demo runs.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Ask a person to type each code (from the printed mail, or from an
    /// authenticator app after scanning the QR code) instead of reading
    /// them automatically.
    #[arg(long)]
    interactive: bool,
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

async fn story(args: DemoArgs) -> DemoResult<()> {
    out!("latchkey demo: sign-in verification the way npm does it.");
    out!("Store: in memory. Mail: printed here as it would arrive.");
    if args.interactive {
        out!("Interactive: you type the codes.");
    }
    let mailbox = Arc::new(TerminalMailbox::default());
    let stage = Stage::new(args.interactive, mailbox.clone());
    let store = Arc::new(MemoryStore::new());
    let accounts = Arc::new(InMemoryAccounts::new());
    let flow = SignIn::new(
        Stores::all(store.clone()),
        Host::new(mailbox.clone(), stage.clock.clone(), accounts.clone()),
        Keys::new(
            Pepper::generate()?,
            EncryptionKey::generate(KeyId::new("demo-key")?)?,
        ),
        settings(args.interactive)?,
    )?;
    let login = "jane";
    let jane = AccountId::new("account-1")?;
    let address = EmailAddress::parse("jane@example.com")?;
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
    for attempt in ["password", "jane-rocks-2026", "aaaaaaaaaa", "short"] {
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
    let wrong = "000000";
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
        "Jane can no longer read jane@example.com: \"Try recovering your account\"",
    );
    stage.wait(Duration::minutes(5));
    let library = ClientContext::new().with_client("192.0.2.55");
    let (challenge, _) = start_for_mailed_code(&flow, &stage, login, password, &library).await?;
    out!("  (that code went to jane@example.com, which Jane cannot read)");
    out!("  On the login-verification form: \"Try recovering your account\"");
    out!("  -> \"Start Account Recovery\" -> \"Open a Support Ticket\"");

    step(
        8,
        "A \"Reset my email\" ticket, with her linked GitHub account as evidence",
    );
    out!(
        "  Email: jane@new.example   How can we help? Reset my email   Connect to GitHub: octocat"
    );
    let form = TicketForm {
        login: login.to_owned(),
        contact_email: "jane@new.example".to_owned(),
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
    }) = flow.recover(&challenge, &form).await?
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
        let voided = latchkey::otp::OtpStore::void_all(&*store, account).await?;
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
}

impl TerminalMailbox {
    fn last_code(&self) -> Option<String> {
        let mail = self.kept.last()?;
        let first_line = mail.text.lines().next()?;
        Some(first_line.chars().filter(char::is_ascii_digit).collect())
    }
}

#[async_trait]
impl Mailer for TerminalMailbox {
    async fn send(&self, message: Message) -> Result<(), MailError> {
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
