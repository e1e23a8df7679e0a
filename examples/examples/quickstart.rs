//! The shortest sign-in with a mailed code, on the memory store.
//!
//! `cargo run -p latchkey-examples --example quickstart`
#![allow(clippy::print_stdout, reason = "an example says what it does")]

use latchkey::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run().await
}

async fn run() -> Result<(), Error> {
    // A whole flow in memory; `mail` keeps every mail it "sends".
    let (flow, mail) = SignIn::in_memory("Example")?;
    let registered = flow
        .register("jane", "jane@example.com", "violet umbrella sky")
        .await?;
    println!("sign-up: {registered:?}");

    // The right password on a new device: a code goes to Jane's mailbox.
    let client = ClientContext::new().with_client("203.0.113.7");
    let SignInStep::MailedCodeSent {
        challenge,
        masked_address,
        ..
    } = flow.start("jane", "violet umbrella sky", &client).await?
    else {
        return Err(Error::InvalidSettings("a new device gets a mailed code"));
    };
    println!("enter the one-time password we sent to {masked_address}");

    // Jane types the digits from the mail.
    let code = mail.last_code().unwrap_or_default();
    match flow
        .submit(&challenge, Answer::MailedCode(&code), &client)
        .await?
    {
        Submitted::SignedIn(done) => {
            println!("signed in as {} by {:?}", done.account, done.method);
            Ok(())
        }
        other => {
            println!("not signed in: {other:?}");
            Err(Error::InvalidSettings("the mailed code should sign in"))
        }
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_quickstart_signs_in_with_a_mailed_code() {
        super::run().await.expect("the quickstart signs in");
    }
}
