//! 2FA in auth-and-writes mode: a fresh code approves one write (npm's
//! "publish" with `--otp`), bound to that write's digest, once.
//!
//! `cargo run -p latchkey-examples --example step_up`
#![allow(clippy::print_stdout, reason = "an example says what it does")]

use latchkey::prelude::*;
use latchkey::twofactor::{ChangeOutcome, ConfirmOutcome, Mode};
use sha2::{Digest, Sha256};
use time::Duration;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run().await
}

async fn run() -> Result<(), Error> {
    let clock = std::sync::Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let mail = std::sync::Arc::new(RecordingMailer::new());
    let flow = SignIn::builder("Example", Keys::ephemeral()?)
        .store(std::sync::Arc::new(MemoryStore::new()))
        .accounts(std::sync::Arc::new(InMemoryAccounts::new()))
        .mailer(mail.clone())
        .clock(clock.clone())
        .build()?;
    let _ = flow
        .register("jane", "jane@example.com", "violet umbrella sky")
        .await?;
    let client = ClientContext::new();
    let SignInStep::MailedCodeSent { challenge, .. } =
        flow.start("jane", "violet umbrella sky", &client).await?
    else {
        return Err(Error::InvalidSettings("a mailed code first"));
    };
    let code = mail.last_code().unwrap_or_default();
    let Submitted::SignedIn(jane) = flow
        .submit(&challenge, Answer::MailedCode(&code), &client)
        .await?
    else {
        return Err(Error::InvalidSettings("signed in"));
    };

    // Jane enrols an authenticator app (here we compute its codes).
    let Sensitive::Done {
        outcome: enrolment,
        authentication,
    } = flow.begin_two_factor(&jane.authentication, "jane").await?
    else {
        return Err(Error::InvalidSettings("fresh"));
    };
    let app = enrolment.uri.totp().map_err(Error::Otp)?;
    let first = app.code_at(clock.now()).map_err(Error::Otp)?;
    let Sensitive::Done {
        outcome: ConfirmOutcome::Enabled { .. },
        ..
    } = flow.confirm_two_factor(&authentication, &first).await?
    else {
        return Err(Error::InvalidSettings("2FA on"));
    };

    // ...and asks for codes on writes too (a fresh code proves it is her).
    clock.advance(Duration::seconds(30));
    let next = app.code_at(clock.now()).map_err(Error::Otp)?;
    let address = EmailAddress::parse("jane@example.com")?;
    let ChangeOutcome::Done(()) = flow
        .two_factor()?
        .set_mode(
            &jane.account,
            &address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&next),
        )
        .await?
    else {
        return Err(Error::InvalidSettings("mode changed"));
    };

    // Publishing: the write is described by its digest.
    let tarball = b"left-pad-1.3.0.tgz contents";
    let digest: [u8; 32] = Sha256::digest(tarball).into();
    let StepUp::Challenge { challenge, .. } = flow.step_up(&jane.account, &digest).await? else {
        return Err(Error::InvalidSettings("auth-and-writes asks for a code"));
    };
    clock.advance(Duration::seconds(30));
    let otp = app.code_at(clock.now()).map_err(Error::Otp)?;
    let StepUpAnswer::Approved(approval) = flow
        .submit_step_up(
            &challenge,
            Answer::Totp(&otp),
            &client,
            &jane.account,
            &digest,
        )
        .await?
    else {
        return Err(Error::InvalidSettings("the fresh code approves the write"));
    };
    // Redeem right before the write: it works once, for this write only.
    let two_factor = flow.two_factor()?;
    let first_use = two_factor
        .redeem_approval(&approval, &jane.account, &digest)
        .await?;
    let again = two_factor
        .redeem_approval(&approval, &jane.account, &digest)
        .await?;
    println!("publish approved: {first_use}; the same approval again: {again}");
    if first_use && !again {
        Ok(())
    } else {
        Err(Error::InvalidSettings("an approval works once"))
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_fresh_code_approves_one_write_once() {
        super::run().await.expect("the step-up example runs");
    }
}
