//! The whole sign-in flow (`latchkey::SignIn`) on real databases, as two
//! service instances: two flows, each over its own store and pool on one
//! database, sharing only the host's keys, accounts, clock and mailbox. A
//! challenge started on one is answered on the other, and of concurrent
//! right answers spread over both exactly one signs in.

use std::sync::Arc;

use latchkey::core::Clock;
use latchkey::testing::{Fixture, PASSWORD};
use latchkey::twofactor::ConfirmOutcome;
use latchkey::{
    AllStores, Answer, ClientContext, Inline, Sensitive, SignIn, SignInBuilder, SignInStep,
    Submitted,
};
use latchkey_store_sqlx::testing;
use latchkey_testkit::code_in_last_mail;
use time::Duration;

/// Instance A is a fixture; instance B shares its accounts, clock and
/// mailbox (the fixture's own parts of B go unused).
struct Instances {
    a: Fixture,
    b: SignIn,
    login: String,
}

async fn instances<S: AllStores>(a: Arc<S>, b: Arc<S>) -> Instances {
    instances_with(move |x| x.store(a), move |x| x.store(b)).await
}

/// Two instances, each with its stores set by its own `configure`.
async fn instances_with(
    configure_a: impl FnOnce(SignInBuilder) -> SignInBuilder,
    configure_b: impl FnOnce(SignInBuilder) -> SignInBuilder,
) -> Instances {
    let a = Fixture::with(|builder| configure_a(builder).executor(Arc::new(Inline))).expect("A");
    let (accounts, clock, mailer) = (a.accounts.clone(), a.clock.clone(), a.mailer.clone());
    let b = Fixture::with(|builder| {
        configure_b(builder)
            .accounts(accounts)
            .clock(clock)
            .mailer(mailer)
            .executor(Arc::new(Inline))
    })
    .expect("B")
    .flow;
    // A fresh login, so one database may serve many runs.
    let login = latchkey_testkit::fresh_name("jane");
    assert!(matches!(
        a.flow
            .register(&login, "jane@example.com", PASSWORD)
            .await
            .expect("register"),
        latchkey::Registered::Created { .. }
    ));
    Instances { a, b, login }
}

async fn the_flow_spans_instances(w: Instances) {
    let client = ClientContext::new();
    let (a, b, login) = (&w.a.flow, &w.b, w.login.as_str());
    // Started on A, answered on B.
    let SignInStep::MailedCodeSent { challenge, .. } =
        a.start(login, PASSWORD, &client).await.expect("start")
    else {
        panic!("a mailed code");
    };
    let code = code_in_last_mail(&w.a.mailer);
    let Submitted::SignedIn(done) = b
        .submit(&challenge, Answer::MailedCode(&code), &client)
        .await
        .expect("submit")
    else {
        panic!("signed in on B");
    };
    let jane = done.account.clone();

    // Sixteen right answers over both instances: one sign-in.
    w.a.clock.advance(Duration::minutes(2));
    let SignInStep::MailedCodeSent { challenge, .. } =
        b.start(login, PASSWORD, &client).await.expect("start")
    else {
        panic!("a mailed code");
    };
    let code = code_in_last_mail(&w.a.mailer);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..16 {
        let flow = if n % 2 == 0 { a.clone() } else { b.clone() };
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
    let enrolment = a
        .two_factor()
        .expect("2FA")
        .begin_enrolment(&jane, "jane")
        .await
        .expect("enrol");
    let app = enrolment.uri.totp().expect("totp");
    let first = app.code_at(w.a.clock.now()).expect("code");
    // Confirmed on B, with the session of the first sign-in.
    assert!(matches!(
        b.confirm_two_factor(&done.authentication, &first)
            .await
            .expect("confirm"),
        Sensitive::Done {
            outcome: ConfirmOutcome::Enabled { .. },
            ..
        }
    ));
    w.a.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.a.clock.now()).expect("code");
    let SignInStep::SecondFactorRequired { challenge, .. } =
        a.start(login, PASSWORD, &client).await.expect("start")
    else {
        panic!("2FA is on");
    };
    assert!(matches!(
        b.submit(&challenge, Answer::Totp(&code), &client)
            .await
            .expect("submit"),
        Submitted::SignedIn(_)
    ));
    let SignInStep::SecondFactorRequired { challenge, .. } =
        b.start(login, PASSWORD, &client).await.expect("start")
    else {
        panic!("2FA is on");
    };
    assert!(matches!(
        a.submit(&challenge, Answer::Totp(&code), &client)
            .await
            .expect("submit"),
        Submitted::Wrong { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_across_two_instances_on_sqlite() {
    let (url, _cleanup) = testing::sqlite_database().await;
    let a = Arc::new(testing::sqlite_store(&url).await);
    let b = Arc::new(testing::sqlite_store(&url).await);
    the_flow_spans_instances(instances(a, b).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_across_two_instances_on_postgres() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (schema, _cleanup) = testing::postgres_schema(&url).await;
    let a = Arc::new(testing::postgres_store(&url, &schema, "latchkey-flow-a").await);
    let b = Arc::new(testing::postgres_store(&url, &schema, "latchkey-flow-b").await);
    the_flow_spans_instances(instances(a, b).await).await;
}

/// PostgreSQL for the durable records, Redis for the short-lived ones
/// (mailed codes, challenges, throttling, devices), shared by both
/// instances: one code is accepted once, and one account's password budget
/// holds across both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_across_two_instances_on_postgres_and_redis() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let Some(redis_url) = latchkey_store_redis::testing::redis_url() else {
        return;
    };
    let (schema, _cleanup) = testing::postgres_schema(&url).await;
    let prefix = latchkey_store_redis::testing::fresh_prefix();
    let _redis_cleanup = latchkey_store_redis::testing::Cleanup::new(&redis_url, &prefix);
    let sql = |name: &'static str| {
        let (url, schema) = (url.clone(), schema.clone());
        async move { Arc::new(testing::postgres_store(&url, &schema, name).await) }
    };
    let redis = |prefix: String| {
        let url = redis_url.clone();
        async move {
            Arc::new(
                latchkey_store_redis::RedisStore::connect(&url, &prefix)
                    .await
                    .expect("redis"),
            )
        }
    };
    let (sql_a, sql_b) = (sql("latchkey-flow-a").await, sql("latchkey-flow-b").await);
    let (redis_a, redis_b) = (redis(prefix.clone()).await, redis(prefix.clone()).await);
    let with_redis = |b: SignInBuilder, r: Arc<latchkey_store_redis::RedisStore>| {
        b.otp_store(r.clone())
            .challenge_store(r.clone())
            .throttle_store(r.clone())
            .device_store(r)
    };
    let w = instances_with(
        |b| with_redis(b.store(sql_a), redis_a),
        |b| with_redis(b.store(sql_b), redis_b),
    )
    .await;

    // One account's budget across both instances: five free wrong
    // passwords in all, alternating, then a wait on either.
    let client = ClientContext::new();
    for n in 0..5 {
        let flow = if n % 2 == 0 { &w.a.flow } else { &w.b };
        assert!(matches!(
            flow.start(&w.login, "wrong", &client).await.expect("start"),
            SignInStep::Denied
        ));
    }
    for flow in [&w.a.flow, &w.b] {
        assert!(matches!(
            flow.start(&w.login, PASSWORD, &client)
                .await
                .expect("start"),
            SignInStep::Throttled { retry_at: Some(_) }
        ));
    }
    w.a.clock.advance(Duration::minutes(1));
    the_flow_spans_instances(w).await;
}
