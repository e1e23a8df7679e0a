//! The story's chapters: sign-up, sign-in with a mailed code, 2FA, and
//! account recovery (devices and security keys have files of their own).

use std::time::Instant;

use latchkey::recovery::{
    CompleteOutcome, ConfirmOutcome as TicketConfirmed, Finding, Instruction, LinkedIdentity,
    Provider, StartOutcome, TicketForm,
};
use latchkey::twofactor::{ChangeOutcome, ConfirmOutcome, SecondFactor};
use latchkey::{
    Accounts, Answer, Authentication, ChallengeId, ClientContext, InMemoryAccounts, Reauthenticate,
    Reauthenticated, Recovering, Registered, Sensitive, SignIn, SignInStep, SignedIn, Submitted,
};
use latchkey_core::{AccountId, Clock, EmailAddress};
use time::Duration;

use super::stage::{DemoStore, Stage};
use super::{DemoResult, step};

/// This run's Jane.
pub(super) struct Jane {
    pub(super) login: String,
    pub(super) account: AccountId,
    pub(super) address: EmailAddress,
    pub(super) new_address: String,
    pub(super) password: String,
}

/// 0. Sign-up, with the policy's refusals.
pub(super) async fn sign_up(flow: &SignIn, store: &DemoStore, jane: &Jane) -> DemoResult<()> {
    step(
        0,
        "Jane signs up; the policy refuses weak passwords and says why",
    );
    let (login, password) = (jane.login.as_str(), jane.password.as_str());
    let address = jane.address.as_str();
    let with_name = format!("{login}-rocks-2026");
    for attempt in ["password", with_name.as_str(), "aaaaaaaaaa", "short"] {
        let Registered::Refused(reasons) = flow
            .register_as(&jane.account, login, address, attempt)
            .await?
        else {
            return Err(format!("{attempt:?} should be refused").into());
        };
        let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        out!("  {attempt:<20} refused: {}", reasons.join("; "));
    }
    let registered = flow
        .register_as(&jane.account, login, address, password)
        .await?;
    if !matches!(registered, Registered::Created { .. }) {
        return Err(format!("registration failed: {registered:?}").into());
    }
    let phc = store
        .credentials()
        .find_by_login(login)
        .await?
        .ok_or("registered login not found")?
        .phc;
    out!("  {password:<20} accepted; stored as {phc}");

    Ok(())
}

/// 1 to 3. The password, then the mailed code, then the remembered
/// device; returns the laptop's sign-in.
pub(super) async fn sign_in(flow: &SignIn, stage: &Stage, jane: &Jane) -> DemoResult<SignedIn> {
    step(1, "Jane signs in with her login and password");
    let laptop = ClientContext::new()
        .with_client("203.0.113.7")
        .with_device_label("Firefox on the laptop");
    let (login, password) = (jane.login.as_str(), jane.password.as_str());
    let hasher = flow.hasher().clone();
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
        start_for_mailed_code(flow, stage, login, password, &laptop).await?;
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
    let done = answer_mailed_code(flow, stage, &challenge, &laptop).await?;
    out!(
        "  signed in as {} by {:?}; the laptop keeps a device token, so next time no code is needed",
        done.account,
        done.method
    );
    let token = done.device_token.clone().ok_or("no device token")?;
    let laptop = laptop.with_device_token(token);
    match flow.start(login, password, &laptop).await? {
        SignInStep::SignedIn(again) => out!(
            "  signing in again on the laptop: signed in by {:?}, no mail",
            again.method
        ),
        other => return Err(format!("the laptop should be recognized: {other:?}").into()),
    }
    Ok(done)
}

/// 5 to 7. 2FA with an authenticator app, and its recovery codes.
pub(super) async fn two_factor(
    flow: &SignIn,
    stage: &Stage,
    jane: &Jane,
    session: Authentication,
) -> DemoResult<()> {
    step(
        5,
        "Jane enables 2FA with an authenticator app (it replaces the mailed code)",
    );
    let (login, password) = (jane.login.as_str(), jane.password.as_str());
    let mut session = fresh(flow, jane, session).await?;
    let Sensitive::Done {
        outcome: enrolment, ..
    } = flow
        .begin_two_factor(&session, jane.address.as_str())
        .await?
    else {
        return Err("a fresh authentication was refused".into());
    };
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
        let Sensitive::Done {
            outcome,
            authentication,
        } = flow.confirm_two_factor(&session, &first).await?
        else {
            return Err("a fresh authentication was refused".into());
        };
        session = authentication;
        match outcome {
            ConfirmOutcome::Enabled { recovery_codes } => break recovery_codes,
            ConfirmOutcome::WrongCode if stage.interactive => out!("  wrong code; try again"),
            other => return Err(format!("enrolment was not confirmed: {other:?}").into()),
        }
    };
    let _ = session;
    out!("  2FA is on. Recovery codes (shown once; only digests are stored):");
    for code in recovery_codes.iter() {
        out!("    {code}");
    }

    step(6, "Signing in with a code from the app");
    stage.wait(Duration::seconds(30));
    let phone = ClientContext::new().with_client("198.51.100.20");
    let challenge = second_factor_challenge(flow, login, password, &phone).await?;
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
    let challenge = second_factor_challenge(flow, login, password, &phone).await?;
    out!(
        "  the same code again: {:?} (a code works once; Jane is told)",
        flow.submit(&challenge, Answer::Totp(&code), &phone).await?
    );

    step(7, "Phone lost: signing in with a recovery code");
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
            &done.authentication,
            SecondFactor::RecoveryCode(&next_recovery_code(&recovery_codes, &recovery)),
        )
        .await?;
    out!(
        "  with no phone, Jane turns 2FA off with another recovery code: {}",
        match off {
            Sensitive::Done {
                outcome: ChangeOutcome::Done(()),
                ..
            } => "done".to_owned(),
            Sensitive::Done {
                outcome: ChangeOutcome::Refused(why),
                ..
            } => format!("refused ({why:?})"),
            Sensitive::NeedsFreshAuthentication => "refused (not fresh)".to_owned(),
        }
    );

    Ok(())
}

/// 8 to 11. A lost mailbox: the recovery ticket, approved; returns the
/// sign-in at the new address.
pub(super) async fn recovery(
    flow: &SignIn,
    stage: &Stage,
    accounts: &InMemoryAccounts,
    jane: &Jane,
) -> DemoResult<SignedIn> {
    step(
        8,
        &format!(
            "Jane can no longer read {}: \"Try recovering your account\"",
            jane.address
        ),
    );
    let (login, password, address) = (jane.login.as_str(), jane.password.as_str(), &jane.address);
    let new_address = &jane.new_address;
    stage.wait(Duration::minutes(5));
    let library = ClientContext::new().with_client("192.0.2.55");
    let (challenge, _) = start_for_mailed_code(flow, stage, login, password, &library).await?;
    out!("  (that code went to {address}, which Jane cannot read)");
    out!("  On the login-verification form: \"Try recovering your account\"");
    out!("  -> \"Start Account Recovery\" -> \"Open a Support Ticket\"");

    step(
        9,
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

    step(10, "Support approves the ticket and the address changes");
    let recovery = flow.recovery()?;
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
        let now_on_file = accounts.address(account).await?;
        out!(
            "  completing it set {account}'s address to {}, voided its outstanding codes and changed its security stamp, so every session ends",
            now_on_file
                .as_ref()
                .map_or_else(|| "?".to_owned(), ToString::to_string)
        );
        debug_assert_eq!(now_on_file.as_ref(), Some(new_address));
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
        11,
        "Jane signs in again: the code now goes to her new address",
    );
    stage.wait(Duration::minutes(2));
    let (challenge, masked_address) =
        start_for_mailed_code(flow, stage, login, password, &library).await?;
    out!("  the form says: we sent a one-time password to {masked_address}");
    let done = answer_mailed_code(flow, stage, &challenge, &library).await?;
    out!("  signed in as {} by {:?}.", done.account, done.method);
    Ok(done)
}

/// Signs in where a mailed code is expected. On a real clock a sign-in
/// within the resend cooldown sends no new code: wait it out and try again.
pub(super) async fn start_for_mailed_code(
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
            SignInStep::CodeRecentlySent { resend_at, .. } if stage.interactive => {
                let wait = (resend_at - stage.clock.now()).max(Duration::ZERO);
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
pub(super) async fn answer_mailed_code(
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

/// The session's authentication, re-authenticated with the password when
/// it is older than the fresh window (a person took their time).
pub(super) async fn fresh(
    flow: &SignIn,
    jane: &Jane,
    session: Authentication,
) -> DemoResult<Authentication> {
    if flow.now() - session.at() < Duration::minutes(9) {
        return Ok(session);
    }
    let proof = Reauthenticate::Password {
        login: &jane.login,
        password: &jane.password,
    };
    match flow.reauthenticate(&session, proof).await? {
        Reauthenticated::Fresh(fresh) => {
            out!("  (asked for the password again: the last sign-in was over 10 minutes ago)");
            Ok(fresh)
        }
        other => Err(format!("re-authentication failed: {other:?}").into()),
    }
}
