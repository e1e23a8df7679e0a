//! The whole sign-in flow (`latchkey::SignIn`) on real databases, as two
//! service instances: two `SignIn`s, each over its own store and pool on
//! one database, sharing only the host's keys and mailbox. A challenge
//! started on one is answered on the other, and of concurrent right
//! answers spread over both exactly one signs in.

mod common;

use std::sync::Arc;

use latchkey::credentials::{HashSettings, Hasher, PasswordPolicy};
use latchkey::{
    Answer, ClientContext, Host, InMemoryAccounts, Inline, Keys, SignIn, SignInSettings,
    SignInStep, Stores, Submitted,
};
use latchkey_core::{
    AccountId, Clock, EmailAddress, EncryptionKey, KeyId, ManualClock, Pepper, RecordingMailer,
};
use latchkey_testkit::code_in_last_mail;
use time::{Duration, OffsetDateTime};

const PASSWORD: &str = "violet umbrella sky";

struct Instances {
    a: SignIn,
    b: SignIn,
    mailer: Arc<RecordingMailer>,
    clock: Arc<ManualClock>,
    jane: AccountId,
}

fn instance(
    stores: Stores,
    mailer: &Arc<RecordingMailer>,
    clock: &Arc<ManualClock>,
    accounts: &Arc<InMemoryAccounts>,
) -> SignIn {
    let mut settings = SignInSettings::new("npm");
    // Below the floor only to keep the test quick.
    settings.hasher = Hasher::new(HashSettings::below_floor(256, 1, 1).expect("settings"));
    SignIn::new(
        stores,
        Host::new(mailer.clone(), clock.clone(), accounts.clone()),
        Keys::new(
            Pepper::from_bytes(&[9; 32]).expect("pepper"),
            EncryptionKey::new(KeyId::new("k1").expect("id"), [4; 32]),
        ),
        settings,
    )
    .expect("flow")
    .with_executor(Arc::new(Inline))
}

async fn instances(a: Stores, b: Stores) -> Instances {
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
    ));
    let accounts = Arc::new(InMemoryAccounts::new());
    let jane = latchkey_testkit::fresh_account();
    let login = jane.as_str().to_owned();
    accounts.add(
        &login,
        &jane,
        EmailAddress::parse("jane@example.com").expect("address"),
    );
    let (a, b) = (
        instance(a, &mailer, &clock, &accounts),
        instance(b, &mailer, &clock, &accounts),
    );
    let _ = a
        .checker()
        .register(&login, &jane, PASSWORD, &PasswordPolicy::new())
        .await
        .expect("register");
    Instances {
        a,
        b,
        mailer,
        clock,
        jane,
    }
}

async fn the_flow_spans_instances(w: Instances) {
    let client = ClientContext::new();
    let login = w.jane.as_str().to_owned();
    // Started on A, answered on B.
    let SignInStep::MailedCodeSent { challenge, .. } =
        w.a.start(&login, PASSWORD, &client).await.expect("start")
    else {
        panic!("a mailed code");
    };
    let code = code_in_last_mail(&w.mailer);
    assert!(matches!(
        w.b.submit(&challenge, Answer::MailedCode(&code), &client)
            .await
            .expect("submit"),
        Submitted::SignedIn(_)
    ));

    // Sixteen right answers over both instances: one sign-in.
    w.clock.advance(Duration::minutes(2));
    let SignInStep::MailedCodeSent { challenge, .. } =
        w.b.start(&login, PASSWORD, &client).await.expect("start")
    else {
        panic!("a mailed code");
    };
    let code = code_in_last_mail(&w.mailer);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..16 {
        let flow = if n % 2 == 0 { w.a.clone() } else { w.b.clone() };
        let (challenge, code) = (challenge.clone(), code.clone());
        tasks.spawn(async move {
            flow.submit(&challenge, Answer::MailedCode(&code), &ClientContext::new())
                .await
                .expect("submit")
        });
    }
    let wins = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|s| matches!(s, Submitted::SignedIn(_)))
        .count();
    assert_eq!(wins, 1);

    // 2FA enrolled on A; a TOTP code accepted on B is a replay on A.
    let enrolment =
        w.a.two_factor()
            .begin_enrolment(&w.jane, "jane")
            .await
            .expect("enrol");
    let app = enrolment.uri.totp().expect("totp");
    let first = app.code_at(w.clock.now()).expect("code");
    assert!(matches!(
        w.b.confirm_two_factor(&w.jane, &first)
            .await
            .expect("confirm"),
        latchkey::twofactor::ConfirmOutcome::Enabled { .. }
    ));
    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).expect("code");
    let SignInStep::SecondFactorRequired { challenge, .. } =
        w.a.start(&login, PASSWORD, &client).await.expect("start")
    else {
        panic!("2FA is on");
    };
    assert!(matches!(
        w.b.submit(&challenge, Answer::Totp(&code), &client)
            .await
            .expect("submit"),
        Submitted::SignedIn(_)
    ));
    let SignInStep::SecondFactorRequired { challenge, .. } =
        w.b.start(&login, PASSWORD, &client).await.expect("start")
    else {
        panic!("2FA is on");
    };
    assert!(matches!(
        w.a.submit(&challenge, Answer::Totp(&code), &client)
            .await
            .expect("submit"),
        Submitted::Wrong { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_across_two_instances_on_sqlite() {
    let (url, _cleanup) = common::sqlite_database().await;
    let a = Stores::all(Arc::new(common::sqlite_store(&url).await));
    let b = Stores::all(Arc::new(common::sqlite_store(&url).await));
    the_flow_spans_instances(instances(a, b).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_across_two_instances_on_postgres() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let (schema, _cleanup) = common::postgres_schema(&url).await;
    let a = Stores::all(Arc::new(
        common::postgres_store(&url, &schema, "latchkey-flow-a").await,
    ));
    let b = Stores::all(Arc::new(
        common::postgres_store(&url, &schema, "latchkey-flow-b").await,
    ));
    the_flow_spans_instances(instances(a, b).await).await;
}
