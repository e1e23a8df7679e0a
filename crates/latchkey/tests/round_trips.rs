//! Store round trips per sign-in step, counted with the testkit's
//! `CountingStore` (each call to a store trait is one round trip to a
//! database). The README's table is this test's output; the test fails if
//! a step makes more round trips than the table says. Run with
//! `cargo test -p latchkey --test round_trips -- --nocapture` to print it.

use std::sync::Arc;

use latchkey::prelude::*;
use latchkey::testing::{Fixture, PASSWORD};
use latchkey::twofactor::ConfirmOutcome;
use latchkey_testkit::{CountingStore, wrong_mailed_code};
use time::Duration;

type Counted = CountingStore<MemoryStore>;

fn fixture() -> (Fixture, Arc<Counted>) {
    let counted = Arc::new(CountingStore::new(Arc::new(MemoryStore::new())));
    let f = Fixture::with(|b| {
        b.store(counted.clone())
            .mailed_code_policy(MailedCodePolicy::Always)
    })
    .expect("fixture");
    (f, counted)
}

/// Runs `step`, returns what it returned and the calls it made.
async fn counted<T>(store: &Counted, step: impl Future<Output = T>) -> (T, u64, String) {
    store.reset();
    let out = step.await;
    let calls: Vec<String> = store
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name} ×{n}"))
        .collect();
    (out, store.total(), calls.join(", "))
}

// The table is this test's output (see `--nocapture` above). Each step
// reads the account's security stamp (one round trip), and a verified
// code also remembers the device (one more).
#[allow(clippy::print_stdout)]
#[tokio::test]
async fn round_trips_per_step_are_at_most_the_readmes_table() {
    let (f, store) = fixture();
    let client = ClientContext::new().with_client("203.0.113.7");
    f.register("jane").await.expect("register");
    let mut table = vec![
        "| step | round trips | calls |".to_owned(),
        "| --- | --- | --- |".to_owned(),
    ];
    let mut row = |step: &str, n: u64, calls: &str, most: u64| {
        table.push(format!("| {step} | {n} | {calls} |"));
        assert!(
            n <= most,
            "{step}: {n} round trips ({calls}), at most {most}"
        );
    };

    let (step, n, calls) = counted(&store, f.flow.start("jane", PASSWORD, &client)).await;
    let SignInStep::MailedCodeSent { challenge, .. } = step.expect("start") else {
        panic!("a mailed code");
    };
    row("start (right password, code mailed)", n, &calls, 9);
    let code = f.mailer.last_code().expect("code");

    let wrong = wrong_mailed_code(&code);
    let (step, n, calls) = counted(
        &store,
        f.flow
            .submit(&challenge, Answer::MailedCode(wrong), &client),
    )
    .await;
    assert!(matches!(step.expect("submit"), Submitted::Wrong { .. }));
    row("wrong mailed code", n, &calls, 6);

    f.clock.advance(Duration::seconds(61));
    let (step, n, calls) = counted(&store, f.flow.resend(&challenge, &client)).await;
    assert!(matches!(step.expect("resend"), Resent::Sent { .. }));
    row("resend", n, &calls, 5);
    let code = f.mailer.last_code().expect("code");

    let (step, n, calls) = counted(
        &store,
        f.flow
            .submit(&challenge, Answer::MailedCode(&code), &client),
    )
    .await;
    let Submitted::SignedIn(done) = step.expect("submit") else {
        panic!("signed in");
    };
    row("right mailed code", n, &calls, 9);

    // 2FA on, then a TOTP sign-in and a recovery-code sign-in.
    let tf = f.flow.two_factor().expect("2FA");
    let enrolment = tf
        .begin_enrolment(&done.account, "jane")
        .await
        .expect("enrol");
    let app = enrolment.uri.totp().expect("totp");
    let first = app.code_at(f.clock.now()).expect("code");
    let Sensitive::Done {
        outcome: ConfirmOutcome::Enabled { recovery_codes },
        ..
    } = f
        .flow
        .confirm_two_factor(&done.authentication, &first)
        .await
        .expect("confirm")
    else {
        panic!("enabled");
    };
    f.clock.advance(Duration::seconds(30));
    let SignInStep::SecondFactorRequired { challenge, .. } = f
        .flow
        .start("jane", PASSWORD, &client)
        .await
        .expect("start")
    else {
        panic!("2FA");
    };
    let totp = app.code_at(f.clock.now()).expect("code");
    let (step, n, calls) = counted(
        &store,
        f.flow.submit(&challenge, Answer::Totp(&totp), &client),
    )
    .await;
    assert!(matches!(step.expect("submit"), Submitted::SignedIn(_)));
    row("TOTP code", n, &calls, 9);

    let SignInStep::SecondFactorRequired { challenge, .. } = f
        .flow
        .start("jane", PASSWORD, &client)
        .await
        .expect("start")
    else {
        panic!("2FA");
    };
    let recovery = recovery_codes.iter().next().expect("a code").to_owned();
    let (step, n, calls) = counted(
        &store,
        f.flow
            .submit(&challenge, Answer::RecoveryCode(&recovery), &client),
    )
    .await;
    assert!(matches!(step.expect("submit"), Submitted::SignedIn(_)));
    row("recovery code", n, &calls, 9);

    println!("{}", table.join("\n"));
}
