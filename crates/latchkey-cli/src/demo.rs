//! `latchkey demo`: what latchkey does, step by step, on embedded defaults.
//!
//! Today it shows the credentials layer (the sign-in flow with mailed
//! codes, 2FA and recovery joins it as those crates land): a password
//! refused by policy with the reasons, one accepted and hashed, sign-ins
//! that succeed and fail, an unknown login that costs the same as a wrong
//! password and gets the same answer, and a hash upgraded on sign-in.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use latchkey_core::{
    AccountId, Clock, ConsoleMailer, EmailAddress, EncryptionKey, KeyId, MailError, Mailer,
    ManualClock, Message, Pepper, RecordingMailer,
};
use latchkey_credentials::{
    CheckOutcome, CredentialChecker, CredentialStore, HashSettings, Hasher, PasswordPolicy,
    PolicyContext, RegisterOutcome,
};
use latchkey_otp::{IssueOutcome, MailedCodes, Purpose, VerifyOutcome};
use latchkey_recovery::{
    AccountDirectory, AccountOnFile, CompleteOutcome, ConfirmOutcome as TicketConfirmed, Finding,
    Instruction, KnownLink, LinkedIdentities, LinkedIdentity, Provider, Recovery, RecoverySettings,
    StartOutcome, TicketForm,
};
use latchkey_store_memory::MemoryStore;
use latchkey_twofactor::{
    ConfirmOutcome, SecondFactor, SecretSealer, TwoFactor, TwoFactorSettings,
};
use time::{Duration, OffsetDateTime};

pub async fn run() -> ExitCode {
    match story().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latchkey demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn step(n: u32, title: &str) {
    out!("\n== {n}. {title}");
}

async fn story() -> Result<(), Box<dyn std::error::Error>> {
    out!("latchkey demo: sign-in verification the way npm does it.");
    out!(
        "Store: in memory. Password hashing: Argon2id, {:?}.",
        HashSettings::DEFAULT
    );

    let store = Arc::new(MemoryStore::new());
    let hasher = Hasher::new(HashSettings::DEFAULT);
    let checker = CredentialChecker::new(store.clone(), hasher.clone())?;
    let policy = PasswordPolicy::new().with_service_name("npm");
    let login = "jane";
    let account = AccountId::new("account-1")?;

    step(
        1,
        "Jane picks a password; the policy refuses weak ones and says why",
    );
    for attempt in [
        "password",
        "jane-rocks-2026",
        "aaaaaaaaaa",
        "12345678",
        "npm-login!",
        "short",
    ] {
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
    out!("  {password:<20} accepted");

    step(
        2,
        "The accepted password is hashed and stored (a PHC string)",
    );
    let outcome = checker.register(login, &account, password, &policy).await?;
    assert_eq!(outcome, RegisterOutcome::Registered);
    let stored = store
        .find_by_login(login)
        .await?
        .ok_or("registered login not found")?;
    out!("  stored: {}", stored.phc);

    step(
        3,
        "Sign-ins: one answer for a wrong password and an unknown login",
    );
    for (who, pw) in [
        (login, password),
        (login, "violet umbrella SKY"),
        ("nobody", password),
    ] {
        let runs = hasher.runs();
        let started = Instant::now();
        let outcome = checker.check(who, pw).await?;
        let took = started.elapsed();
        let answer = match outcome {
            CheckOutcome::Verified { account, .. } => format!("verified as {account}"),
            CheckOutcome::Denied => "denied: wrong login or password".to_owned(),
        };
        out!(
            "  login {who:<7} password {pw:<20} -> {answer:<32} ({} Argon2 run, {} ms)",
            hasher.runs() - runs,
            took.as_millis()
        );
    }

    step(
        4,
        "Settings are raised; the next sign-in upgrades the stored hash",
    );
    let stronger = HashSettings::new(HashSettings::DEFAULT.memory_kib(), 3, 1)?;
    let upgraded = CredentialChecker::new(store.clone(), Hasher::new(stronger))?;
    if let CheckOutcome::Verified { rehashed, .. } = upgraded.check(login, password).await? {
        out!("  verified; rehashed to {stronger:?}: {rehashed}");
    }
    let stored = store.find_by_login(login).await?.ok_or("login vanished")?;
    out!("  stored: {}", stored.phc);

    step(
        5,
        "Login verification: a one-time password is mailed to Jane",
    );
    let mailbox = Arc::new(TerminalMailbox::default());
    // The demo's own clock, so it can skip ahead to the next TOTP step.
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let pepper = Pepper::generate()?;
    let codes = MailedCodes::new(
        store.clone(),
        mailbox.clone(),
        clock.clone(),
        pepper.clone(),
    );
    let address = EmailAddress::parse("jane@example.com")?;
    if let IssueOutcome::Sent { masked_address, .. } =
        codes.issue(&account, &address, &Purpose::SIGN_IN).await?
    {
        out!("  (the sign-in form says: we sent a code to {masked_address})");
    }
    let code = mailbox.last_code().ok_or("no code arrived")?;

    step(6, "Jane types the digits");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    out!(
        "  typed {wrong}: {:?}",
        codes.verify(&account, &Purpose::SIGN_IN, wrong).await?
    );
    let outcome = codes.verify(&account, &Purpose::SIGN_IN, &code).await?;
    out!("  typed {code}: {outcome:?}");
    if outcome == VerifyOutcome::Verified {
        out!("  signed in.");
    }
    out!(
        "  typed {code} again: {:?} (codes work once)",
        codes.verify(&account, &Purpose::SIGN_IN, &code).await?
    );

    step(
        7,
        "Jane enables 2FA with an authenticator app instead of mailed codes",
    );
    let two_factor = TwoFactor::new(
        store.clone(),
        mailbox.clone(),
        clock.clone(),
        SecretSealer::new(EncryptionKey::generate(KeyId::new("demo-key")?)?),
        &pepper,
        TwoFactorSettings::new("npm"),
    );
    let enrolment = two_factor
        .begin_enrolment(&account, address.as_str())
        .await?;
    out!("  scan this in the app: {}", enrolment.uri);
    out!("{}", enrolment.uri.qr_terminal());
    let app = enrolment.uri.totp()?;
    let first = app.code_at(clock.now())?;
    out!("  the app shows {first}; Jane types it to confirm");
    let ConfirmOutcome::Enabled { recovery_codes } = two_factor
        .confirm_enrolment(&account, &address, &first)
        .await?
    else {
        return Err("enrolment was not confirmed".into());
    };
    out!("  2FA is on. Recovery codes (shown once; only digests are stored):");
    for code in recovery_codes.iter() {
        out!("    {code}");
    }

    step(8, "Signing in with a code from the app (30 seconds later)");
    clock.advance(Duration::seconds(30));
    let code = app.code_at(clock.now())?;
    out!(
        "  typed {code}: {:?}",
        two_factor
            .verify(&account, &address, SecondFactor::Totp(&code))
            .await?
    );
    out!(
        "  typed {code} again: {:?} (a code works once; Jane is told)",
        two_factor
            .verify(&account, &address, SecondFactor::Totp(&code))
            .await?
    );

    step(9, "Phone lost: signing in with a recovery code");
    let recovery = recovery_codes
        .iter()
        .next()
        .ok_or("no recovery codes")?
        .to_owned();
    out!(
        "  typed {recovery}: {:?}",
        two_factor
            .verify(&account, &address, SecondFactor::RecoveryCode(&recovery))
            .await?
    );

    step(
        10,
        "Jane cannot reach her mailbox: \"Try recovering your account\"",
    );
    clock.advance(Duration::minutes(5));
    let _ = codes.issue(&account, &address, &Purpose::SIGN_IN).await?;
    out!("  (that code went to jane@example.com, which Jane can no longer read)");
    out!("  \"Start Account Recovery\" -> \"Open a Support Ticket\":");
    out!(
        "    Email: jane@new.example   How can we help? Reset my email   Connect to GitHub: octocat"
    );
    let recovery = Recovery::new(
        store.clone(),
        codes.clone(),
        mailbox.clone(),
        clock.clone(),
        Arc::new(DemoAccounts {
            address: address.clone(),
        }),
        Arc::new(DemoLinks {
            since: clock.now() - Duration::days(700),
        }),
        &pepper,
        RecoverySettings::default(),
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
            verified_at: clock.now(),
        }],
    };
    let StartOutcome::CodeSent {
        draft,
        masked_contact,
    } = recovery.start(&form).await?
    else {
        return Err("the ticket form was refused".into());
    };
    out!("  (the form says: we sent a code to {masked_contact})");

    step(
        11,
        "Jane proves the new address with its code; the ticket is queued",
    );
    let code = mailbox.last_code().ok_or("no code arrived")?;
    let TicketConfirmed::Submitted { reference } = recovery.confirm(&draft, &code).await? else {
        return Err("the contact code was refused".into());
    };
    out!("  \"Submit Support Ticket\" -> ticket {reference}");

    step(
        12,
        "Support reviews the evidence, approves, and the address changes",
    );
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
        let voided = latchkey_otp::OtpStore::void_all(&*store, account).await?;
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

    out!("\nNext in latchkey: the sign-in flow joining it all, SQL storage and SMTP.");
    Ok(())
}

/// The demo's one account, as the host's directory would answer.
#[derive(Debug)]
struct DemoAccounts {
    address: EmailAddress,
}

#[async_trait]
impl AccountDirectory for DemoAccounts {
    async fn find(&self, login: &str) -> Result<Option<AccountOnFile>, latchkey_core::StoreError> {
        Ok((login == "jane").then(|| AccountOnFile {
            id: AccountId::new("account-1").unwrap_or_else(|_| unreachable!()),
            address: self.address.clone(),
        }))
    }
}

/// Jane linked her GitHub account long ago.
#[derive(Debug)]
struct DemoLinks {
    since: OffsetDateTime,
}

#[async_trait]
impl LinkedIdentities for DemoLinks {
    async fn linked(
        &self,
        _account: &AccountId,
    ) -> Result<Vec<KnownLink>, latchkey_core::StoreError> {
        Ok(vec![KnownLink {
            provider: Provider::GitHub,
            user_id: "583231".to_owned(),
            linked_at: self.since,
        }])
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
