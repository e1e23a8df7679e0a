//! The sign-in flow end to end, on the memory store, with a manual clock
//! and a recording mailer: every code is read out of the mail it came in.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use latchkey::core::{
    AccountId, Clock, EmailAddress, EncryptionKey, KeyId, ManualClock, MessageKind, Pepper,
    RecordingMailer,
};
use latchkey::credentials::{HashSettings, Hasher, PasswordPolicy, RegisterOutcome};
use latchkey::otp::Totp;
use latchkey::recovery::{ConfirmOutcome, LinkedIdentity, Provider, StartOutcome, TicketForm};
use latchkey::twofactor::{Mode, RecoveryCodes, SecondFactor};
use latchkey::*;
use latchkey_store_memory::MemoryStore;
use latchkey_testkit::{code_in_last_mail, wrong_mailed_code, wrong_totp_code};
use time::{Duration, OffsetDateTime};

const PASSWORD: &str = "violet umbrella sky";

/// Counts the jobs it runs, to prove hashing goes through the executor.
#[derive(Debug, Default)]
struct CountingExecutor(AtomicUsize);

#[async_trait]
impl BlockingExecutor for CountingExecutor {
    async fn run_blocking(&self, job: BlockingJob) -> Result<(), ExecutorError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        TokioBlocking.run_blocking(job).await
    }
}

struct World {
    flow: SignIn,
    store: Arc<MemoryStore>,
    mailer: Arc<RecordingMailer>,
    clock: Arc<ManualClock>,
    events: Arc<RecordingSink>,
    executor: Arc<CountingExecutor>,
    accounts: Arc<InMemoryAccounts>,
    jane: AccountId,
}

fn cheap_hasher() -> Hasher {
    // Below the floor only to keep 100-attempt tests quick.
    Hasher::new(HashSettings::below_floor(256, 1, 1).unwrap())
}

fn settings() -> SignInSettings {
    let mut s = SignInSettings::new("npm");
    s.hasher = cheap_hasher();
    s
}

impl World {
    async fn new() -> Self {
        Self::with(settings()).await
    }

    async fn with(settings: SignInSettings) -> Self {
        let store = Arc::new(MemoryStore::new());
        let mailer = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let accounts = Arc::new(InMemoryAccounts::new());
        let events = Arc::new(RecordingSink::new());
        let executor = Arc::new(CountingExecutor::default());
        let flow = SignIn::new(
            Stores::all(store.clone()),
            Host::new(mailer.clone(), clock.clone(), accounts.clone()),
            Keys::new(
                Pepper::from_bytes(&[9; 32]).unwrap(),
                EncryptionKey::new(KeyId::new("k1").unwrap(), [4; 32]),
            ),
            settings,
        )
        .unwrap()
        .with_events(events.clone())
        .with_executor(executor.clone());
        let jane = AccountId::new("1").unwrap();
        accounts.add(
            "jane",
            &jane,
            EmailAddress::parse("jane@example.com").unwrap(),
        );
        let registered = flow
            .checker()
            .register("jane", &jane, PASSWORD, &PasswordPolicy::new())
            .await
            .unwrap();
        assert_eq!(registered, RegisterOutcome::Registered);
        Self {
            flow,
            store,
            mailer,
            clock,
            events,
            executor,
            accounts,
            jane,
        }
    }

    fn client(&self) -> ClientContext {
        ClientContext::new().with_client("203.0.113.7")
    }

    async fn start(&self) -> SignInStep {
        self.flow
            .start("jane", PASSWORD, &self.client())
            .await
            .unwrap()
    }

    async fn mailed_challenge(&self) -> ChallengeId {
        match self.start().await {
            SignInStep::MailedCodeSent { challenge, .. } => challenge,
            other => panic!("expected a mailed code, got {other:?}"),
        }
    }

    async fn submit(&self, challenge: &ChallengeId, answer: Answer<'_>) -> Submitted {
        self.flow
            .submit(challenge, answer, &self.client())
            .await
            .unwrap()
    }

    /// Enables 2FA for jane; returns her app and recovery codes.
    async fn enable_two_factor(&self) -> (Totp, RecoveryCodes) {
        let enrolment = self
            .flow
            .two_factor()
            .begin_enrolment(&self.jane, "jane")
            .await
            .unwrap();
        let app = enrolment.uri.totp().unwrap();
        let code = app.code_at(self.clock.now()).unwrap();
        match self
            .flow
            .confirm_two_factor(&self.jane, &code)
            .await
            .unwrap()
        {
            twofactor::ConfirmOutcome::Enabled { recovery_codes } => (app, recovery_codes),
            other => panic!("enrolment failed: {other:?}"),
        }
    }

    async fn second_factor_challenge(&self) -> ChallengeId {
        match self.start().await {
            SignInStep::SecondFactorRequired { challenge, .. } => challenge,
            other => panic!("expected a second-factor challenge, got {other:?}"),
        }
    }
}

fn signed_in(outcome: Submitted) -> SignedIn {
    match outcome {
        Submitted::SignedIn(done) => done,
        other => panic!("expected a sign-in, got {other:?}"),
    }
}

#[tokio::test]
async fn a_mailed_code_completes_the_sign_in_and_the_mail_is_npms() {
    let w = World::new().await;
    let SignInStep::MailedCodeSent {
        challenge,
        masked_address,
        ..
    } = w.start().await
    else {
        panic!("an unfamiliar device gets a mailed code");
    };
    assert_eq!(masked_address, "j***@example.com");
    let mail = w.mailer.last().unwrap();
    assert!(
        mail.subject
            .starts_with("OTP for logging in to your account")
    );
    assert_eq!(mail.kind, MessageKind::SignInCode);
    assert_eq!(mail.to.as_str(), "jane@example.com");
    let code = code_in_last_mail(&w.mailer);
    let done = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    assert_eq!(done.account, w.jane);
    assert_eq!(done.method, Method::MailedCode);
    // The challenge is used up.
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
    let events = w.events.events();
    assert!(events.contains(&SecurityEvent::CodeSent {
        account: w.jane.clone(),
        masked_address: "j***@example.com".into()
    }));
    assert!(events.contains(&SecurityEvent::SignedIn {
        account: w.jane.clone(),
        method: Method::MailedCode
    }));
}

#[tokio::test]
async fn unknown_login_and_wrong_password_get_one_answer_at_one_hash_each() {
    let w = World::new().await;
    let runs = w.flow.checker().hasher().runs();
    let unknown = w.flow.start("nobody", PASSWORD, &w.client()).await.unwrap();
    let after_unknown = w.flow.checker().hasher().runs();
    let wrong = w
        .flow
        .start("jane", "wrong password", &w.client())
        .await
        .unwrap();
    let after_wrong = w.flow.checker().hasher().runs();
    assert!(matches!(unknown, SignInStep::Denied));
    assert!(matches!(wrong, SignInStep::Denied));
    assert_eq!(format!("{unknown:?}"), format!("{wrong:?}"));
    assert_eq!(after_unknown - runs, 1, "an unknown login costs one hash");
    assert_eq!(
        after_wrong - after_unknown,
        1,
        "a wrong password costs one hash"
    );
    assert!(w.mailer.messages().is_empty(), "a denial mails nothing");
    // Both hashes ran on the blocking executor.
    assert_eq!(w.executor.0.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unknown_and_known_logins_are_throttled_alike() {
    let w = World::new().await;
    let mut answers = Vec::new();
    for login in ["jane", "nobody"] {
        let mut seq = Vec::new();
        for _ in 0..7 {
            let step = w
                .flow
                .start(login, "wrong", &ClientContext::new())
                .await
                .unwrap();
            seq.push(match step {
                SignInStep::Denied => "denied".to_owned(),
                SignInStep::Throttled { retry_at } => {
                    format!("throttled {:?}", retry_at.map(|at| at - w.clock.now()))
                }
                other => panic!("{other:?}"),
            });
        }
        answers.push(seq);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0][4], "denied");
    assert_eq!(
        answers[0][5],
        format!("throttled {:?}", Some(Duration::seconds(30)))
    );
}

#[tokio::test]
async fn backoff_releases_after_its_wait_and_lockout_holds_at_the_bound() {
    let w = World::new().await;
    let c = ClientContext::new();
    // 5 free failures, then a 30 s wait.
    for _ in 0..5 {
        assert!(matches!(
            w.flow.start("jane", "wrong", &c).await.unwrap(),
            SignInStep::Denied
        ));
    }
    let SignInStep::Throttled { retry_at: Some(at) } =
        w.flow.start("jane", PASSWORD, &c).await.unwrap()
    else {
        panic!("throttled after the free attempts");
    };
    assert_eq!(at, w.clock.now() + Duration::seconds(30));
    // Released after the backoff: the right password works again, and
    // clears the password count, so the code can be typed at once.
    w.clock.set(at);
    let SignInStep::MailedCodeSent { challenge, .. } =
        w.flow.start("jane", PASSWORD, &c).await.unwrap()
    else {
        panic!("released after the backoff");
    };
    let code = code_in_last_mail(&w.mailer);
    signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    for _ in 0..5 {
        assert!(matches!(
            w.flow.start("jane", "wrong", &c).await.unwrap(),
            SignInStep::Denied
        ));
    }

    // Keep failing, waiting out each backoff: locked at the 100th.
    let mut failures = 5;
    loop {
        w.clock.advance(Duration::hours(1));
        match w.flow.start("jane", "wrong", &c).await.unwrap() {
            SignInStep::Denied => failures += 1,
            SignInStep::Throttled { retry_at: None } => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(failures, 100);
    assert!(w.events.events().contains(&SecurityEvent::LockedOut {
        account: w.jane.clone()
    }));
    // Locked however long one waits, even with the right password...
    w.clock.advance(Duration::days(30));
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &c).await.unwrap(),
        SignInStep::Throttled { retry_at: None }
    ));
    // ...until the host unlocks the login.
    w.flow.unlock_login("jane").await.unwrap();
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &c).await.unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
}

#[tokio::test]
async fn mailed_code_failures_count_against_the_account_across_challenges() {
    let w = World::new().await;
    // Three wrong codes on one challenge...
    let first = w.mailed_challenge().await;
    let wrong = wrong_mailed_code(&code_in_last_mail(&w.mailer));
    for left in [4, 3, 2] {
        assert!(matches!(
            w.submit(&first, Answer::MailedCode(wrong)).await,
            Submitted::Wrong { attempts_left } if attempts_left == left
        ));
    }
    // ...and two on a new one (the password again, which does not reset
    // the count of code failures) reach the five free attempts.
    w.clock.advance(Duration::seconds(60));
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    for left in [4, 3] {
        assert!(matches!(
            w.submit(&challenge, Answer::MailedCode(wrong_mailed_code(&code))).await,
            Submitted::Wrong { attempts_left } if attempts_left == left
        ));
    }
    let Submitted::Throttled { retry_at: Some(at) } =
        w.submit(&challenge, Answer::MailedCode(&code)).await
    else {
        panic!("code failures back off");
    };
    assert_eq!(at, w.clock.now() + Duration::seconds(30));
    assert!(w.events.events().iter().any(|e| matches!(
        e,
        SecurityEvent::CodeFailed {
            factor: Factor::MailedCode,
            ..
        }
    )));
    // After the wait the right code signs in and clears the count.
    w.clock.set(at);
    signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
}

#[tokio::test]
async fn challenges_expire() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    w.clock.advance(Duration::minutes(15));
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
    assert!(matches!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::Expired
    ));
    assert_eq!(w.flow.purge_expired().await.unwrap(), 1);
}

#[tokio::test]
async fn a_code_for_one_challenge_fails_on_another() {
    let w = World::new().await;
    let first = w.mailed_challenge().await;
    let first_code = code_in_last_mail(&w.mailer);
    w.clock.advance(Duration::minutes(2)); // past the resend cooldown
    let second = w.mailed_challenge().await;
    let second_code = code_in_last_mail(&w.mailer);
    assert_ne!(first_code, second_code);
    assert!(matches!(
        w.submit(&second, Answer::MailedCode(&first_code)).await,
        Submitted::Wrong { .. }
    ));
    assert!(matches!(
        w.submit(&first, Answer::MailedCode(&second_code)).await,
        Submitted::Wrong { .. }
    ));
    // Each still takes its own code.
    signed_in(w.submit(&first, Answer::MailedCode(&first_code)).await);
    signed_in(w.submit(&second, Answer::MailedCode(&second_code)).await);
}

#[tokio::test]
async fn a_code_for_another_account_fails() {
    let w = World::new().await;
    let joe = AccountId::new("2").unwrap();
    w.accounts
        .add("joe", &joe, EmailAddress::parse("joe@example.com").unwrap());
    let _ = w
        .flow
        .checker()
        .register("joe", &joe, "orange kettle drum", &PasswordPolicy::new())
        .await
        .unwrap();
    let jane = w.mailed_challenge().await;
    let SignInStep::MailedCodeSent { .. } = w
        .flow
        .start("joe", "orange kettle drum", &w.client())
        .await
        .unwrap()
    else {
        panic!()
    };
    let joes_code = code_in_last_mail(&w.mailer);
    assert!(matches!(
        w.submit(&jane, Answer::MailedCode(&joes_code)).await,
        Submitted::Wrong { .. }
    ));
}

#[tokio::test]
async fn resend_honours_the_cooldown_and_voids_the_old_code() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let old = code_in_last_mail(&w.mailer);
    assert!(matches!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::TooSoon { retry_after } if retry_after == Duration::seconds(60)
    ));
    w.clock.advance(Duration::seconds(60));
    assert_eq!(
        w.flow.resend(&challenge, &w.client()).await.unwrap(),
        Resent::Sent {
            masked_address: "j***@example.com".into()
        }
    );
    let new = code_in_last_mail(&w.mailer);
    if old != new {
        assert!(matches!(
            w.submit(&challenge, Answer::MailedCode(&old)).await,
            Submitted::Wrong { .. }
        ));
    }
    signed_in(w.submit(&challenge, Answer::MailedCode(&new)).await);
}

#[tokio::test]
async fn a_failed_mail_leaves_no_challenge_and_no_code() {
    let w = World::new().await;
    w.mailer.set_failing(true);
    assert!(w.flow.start("jane", PASSWORD, &w.client()).await.is_err());
    let far = w.clock.now() + Duration::days(1);
    assert_eq!(
        ChallengeStore::purge_expired_challenges(&*w.store, far)
            .await
            .unwrap(),
        0,
        "no challenge is left behind"
    );
    // The cooldown was released: the next try mails at once.
    w.mailer.set_failing(false);
    assert!(matches!(w.start().await, SignInStep::MailedCodeSent { .. }));
}

#[tokio::test]
async fn mailed_code_policy_and_device_tokens() {
    // WhenUnfamiliar (the default): a recognized device skips the code.
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let token = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await)
        .device_token
        .expect("a verified sign-in gets a device token");
    let with_token = w.client().with_device_token(token.clone());
    let sent = w.mailer.messages().len();
    let SignInStep::SignedIn(done) = w.flow.start("jane", PASSWORD, &with_token).await.unwrap()
    else {
        panic!("a familiar device signs in with the password");
    };
    assert_eq!(done.method, Method::Password);
    assert_eq!(
        done.device_token, None,
        "the password alone renews no token"
    );
    assert_eq!(w.mailer.messages().len(), sent, "no mail");
    // A forged or foreign token is not recognized.
    w.clock.advance(Duration::seconds(60)); // past the resend cooldown
    let forged = ClientContext::new().with_device_token(token.replace("v1.", "v1.x"));
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &forged).await.unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
    // Expired after its lifetime.
    w.clock.advance(Duration::days(91));
    assert!(
        !w.flow
            .device_tokens()
            .recognizes(&token, &w.jane, w.clock.now())
    );
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &with_token).await.unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));

    // Always: even a recognized device gets a code.
    let mut always = settings();
    always.mailed_code_policy = MailedCodePolicy::Always;
    let w = World::with(always).await;
    let token = w.flow.device_tokens().issue(&w.jane, w.clock.now());
    assert!(matches!(
        w.flow
            .start(
                "jane",
                PASSWORD,
                &ClientContext::new().with_device_token(token)
            )
            .await
            .unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));

    // Never: the password alone, and no device token for it.
    let mut never = settings();
    never.mailed_code_policy = MailedCodePolicy::Never;
    let w = World::with(never).await;
    let SignInStep::SignedIn(done) = w.start().await else {
        panic!()
    };
    assert_eq!(done.method, Method::Password);
    assert_eq!(done.device_token, None);
}

#[derive(Debug)]
struct AlwaysRisky;

#[async_trait]
impl RiskSignals for AlwaysRisky {
    async fn assess(&self, _: &AccountId, _: &ClientContext, _: bool) -> Familiarity {
        Familiarity::Unfamiliar
    }
}

#[tokio::test]
async fn the_hosts_risk_signals_can_ask_for_a_code_despite_a_device_token() {
    let w = World::new().await;
    let flow = w.flow.clone().with_risk_signals(Arc::new(AlwaysRisky));
    let token = flow.device_tokens().issue(&w.jane, w.clock.now());
    assert!(matches!(
        flow.start(
            "jane",
            PASSWORD,
            &ClientContext::new().with_device_token(token)
        )
        .await
        .unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
}

#[tokio::test]
async fn two_factor_replaces_the_mailed_code() {
    let w = World::new().await;
    let (app, codes) = w.enable_two_factor().await;
    assert!(
        w.events
            .events()
            .contains(&SecurityEvent::TwoFactorChanged {
                account: w.jane.clone(),
                change: TwoFactorChange::Enabled
            })
    );
    let sent = w.mailer.messages().len();
    let challenge = w.second_factor_challenge().await;
    assert_eq!(w.mailer.messages().len(), sent, "no code is mailed");
    // A mailed-code answer does not fit a second-factor challenge.
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode("123456")).await,
        Submitted::Wrong { .. }
    ));
    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).unwrap();
    let done = signed_in(w.submit(&challenge, Answer::Totp(&code)).await);
    assert_eq!(done.method, Method::Totp);

    // The same code again, on a new challenge, is a replay: refused, and
    // reported as one.
    let challenge = w.second_factor_challenge().await;
    assert!(matches!(
        w.submit(&challenge, Answer::Totp(&code)).await,
        Submitted::Wrong { .. }
    ));
    assert!(w.events.events().contains(&SecurityEvent::CodeReplayed {
        account: w.jane.clone()
    }));

    // A recovery code works once, and says how many are left.
    let recovery = codes.iter().next().unwrap().to_owned();
    let done = signed_in(w.submit(&challenge, Answer::RecoveryCode(&recovery)).await);
    assert_eq!(done.method, Method::RecoveryCode);
    assert_eq!(done.recovery_codes_left, Some(9));
    assert!(
        w.events
            .events()
            .contains(&SecurityEvent::RecoveryCodeUsed {
                account: w.jane.clone(),
                remaining: 9
            })
    );
    let challenge = w.second_factor_challenge().await;
    assert!(matches!(
        w.submit(&challenge, Answer::RecoveryCode(&recovery)).await,
        Submitted::Wrong { .. }
    ));
}

#[tokio::test]
async fn of_sixteen_concurrent_right_answers_one_signs_in() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (flow, challenge, code) = (w.flow.clone(), challenge.clone(), code.clone());
        tasks.spawn(async move {
            flow.submit(&challenge, Answer::MailedCode(&code), &ClientContext::new())
                .await
                .unwrap()
        });
    }
    let wins = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|o| matches!(o, Submitted::SignedIn(_)))
        .count();
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn the_client_budget_applies_across_logins() {
    let mut s = settings();
    s.client_budget = 3;
    let w = World::with(s).await;
    let c = w.client();
    for login in ["a", "b", "c"] {
        assert!(matches!(
            w.flow.start(login, "x", &c).await.unwrap(),
            SignInStep::Denied
        ));
    }
    assert!(matches!(
        w.flow.start("d", "x", &c).await.unwrap(),
        SignInStep::Throttled { retry_at: Some(_) }
    ));
    assert!(w.events.events().contains(&SecurityEvent::Throttled {
        account: None,
        per_client: true
    }));
    // Another client is unaffected; the window ends.
    assert!(matches!(
        w.flow
            .start("d", "x", &ClientContext::new().with_client("198.51.100.1"))
            .await
            .unwrap(),
        SignInStep::Denied
    ));
    w.clock.advance(Duration::minutes(15));
    assert!(matches!(
        w.flow.start("d", "x", &c).await.unwrap(),
        SignInStep::Denied
    ));
}

#[tokio::test]
async fn try_recovering_your_account_opens_a_ticket() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let form = TicketForm {
        login: "jane".into(),
        contact_email: "jane.new@example.org".into(),
        reset_email: true,
        details: String::new(),
        identities: vec![LinkedIdentity {
            provider: Provider::GitHub,
            user_id: "583231".into(),
            handle: "jane".into(),
            verified_at: w.clock.now(),
        }],
    };
    // The form must be for this sign-in's account.
    let other = TicketForm {
        login: "somebody-else".into(),
        ..form.clone()
    };
    assert_eq!(
        w.flow
            .recover(&challenge, &other, &w.client())
            .await
            .unwrap(),
        Recovering::OtherAccount
    );
    let Recovering::Started(StartOutcome::CodeSent { draft, .. }) = w
        .flow
        .recover(&challenge, &form, &w.client())
        .await
        .unwrap()
    else {
        panic!("a code goes to the contact address");
    };
    assert_eq!(w.mailer.last().unwrap().to.as_str(), "jane.new@example.org");
    let code = code_in_last_mail(&w.mailer);
    let ConfirmOutcome::Submitted { reference } =
        w.flow.confirm_recovery(&draft, &code).await.unwrap()
    else {
        panic!("the ticket is queued");
    };
    let events = w.events.events();
    assert!(events.contains(&SecurityEvent::RecoveryStarted {
        account: w.jane.clone()
    }));
    assert!(events.contains(&SecurityEvent::TicketOpened { ticket: reference }));
    // From a dead challenge, no.
    w.clock.advance(Duration::minutes(16));
    assert_eq!(
        w.flow
            .recover(&challenge, &form, &w.client())
            .await
            .unwrap(),
        Recovering::Expired
    );
}

#[tokio::test]
async fn step_up_approves_one_write_in_auth_and_writes_mode() {
    let w = World::new().await;
    let operation = [42u8; 32];
    assert!(matches!(
        w.flow.step_up(&w.jane, &operation).await.unwrap(),
        StepUp::NotRequired
    ));
    let (app, _) = w.enable_two_factor().await;
    // Auth-only (the default after enrolment) needs no code for writes.
    assert!(matches!(
        w.flow.step_up(&w.jane, &operation).await.unwrap(),
        StepUp::NotRequired
    ));
    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).unwrap();
    let address = EmailAddress::parse("jane@example.com").unwrap();
    let _ = w
        .flow
        .two_factor()
        .set_mode(
            &w.jane,
            &address,
            Mode::AuthAndWrites,
            SecondFactor::Totp(&code),
        )
        .await
        .unwrap();
    let StepUp::Challenge { challenge, .. } = w.flow.step_up(&w.jane, &operation).await.unwrap()
    else {
        panic!("writes need a code");
    };
    w.clock.advance(Duration::seconds(30));
    let code = app.code_at(w.clock.now()).unwrap();
    // Only submit_step_up, for this account and operation, answers it.
    assert!(matches!(
        w.submit(&challenge, Answer::Totp(&code)).await,
        Submitted::Expired
    ));
    let joe = AccountId::new("2").unwrap();
    for (who, op) in [(&joe, &operation), (&w.jane, &[0u8; 32])] {
        assert!(matches!(
            w.flow
                .submit_step_up(&challenge, Answer::Totp(&code), &w.client(), who, op)
                .await
                .unwrap(),
            Submitted::Expired
        ));
    }
    // A sign-in challenge cannot approve a write.
    let sign_in = w.second_factor_challenge().await;
    assert!(matches!(
        w.flow
            .submit_step_up(
                &sign_in,
                Answer::Totp(&code),
                &w.client(),
                &w.jane,
                &operation
            )
            .await
            .unwrap(),
        Submitted::Expired
    ));
    let Submitted::Approved(approval) = w
        .flow
        .submit_step_up(
            &challenge,
            Answer::Totp(&code),
            &w.client(),
            &w.jane,
            &operation,
        )
        .await
        .unwrap()
    else {
        panic!("the code approves the write");
    };
    let tf = w.flow.two_factor();
    assert!(
        !tf.redeem_approval(&approval, &w.jane, &[0; 32])
            .await
            .unwrap()
    );
    assert!(
        tf.redeem_approval(&approval, &w.jane, &operation)
            .await
            .unwrap()
    );
    assert!(
        !tf.redeem_approval(&approval, &w.jane, &operation)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn no_secret_reaches_events_or_debug() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let done = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    let _ = w
        .flow
        .start("jane", "hunter2 wrong", &w.client())
        .await
        .unwrap();
    let token = done.device_token.clone().unwrap();
    let dumped = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        w.events.events(),
        done,
        challenge,
        w.flow,
        w.client().with_device_token(token.clone())
    );
    for secret in [PASSWORD, "hunter2", &code, &challenge.to_string(), &token] {
        assert!(!dumped.contains(secret), "{secret:?} leaked into {dumped}");
    }
}

#[test]
fn settings_out_of_range_are_refused() {
    let mut s = settings();
    s.account_backoff.lock_after = 101;
    let store = Arc::new(MemoryStore::new());
    let err = SignIn::new(
        Stores::all(store),
        Host::new(
            Arc::new(RecordingMailer::new()),
            Arc::new(ManualClock::default()),
            Arc::new(InMemoryAccounts::new()),
        ),
        Keys::new(
            Pepper::from_bytes(&[9; 32]).unwrap(),
            EncryptionKey::new(KeyId::new("k1").unwrap(), [4; 32]),
        ),
        s,
    )
    .unwrap_err();
    assert!(err.to_string().contains("REQ-37"), "{err}");
}

#[tokio::test]
async fn a_strangers_failures_do_not_lock_the_owner_out_of_her_device() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let token = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await)
        .device_token
        .unwrap();
    let laptop = ClientContext::new().with_device_token(token);
    // A stranger fails until the login is locked for new devices.
    loop {
        w.clock.advance(Duration::hours(1));
        match w
            .flow
            .start("jane", "guess", &ClientContext::new())
            .await
            .unwrap()
        {
            SignInStep::Denied => {}
            SignInStep::Throttled { retry_at: None } => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        w.flow
            .start("jane", PASSWORD, &ClientContext::new())
            .await
            .unwrap(),
        SignInStep::Throttled { retry_at: None }
    ));
    // Jane's laptop, with its device token, counts on its own.
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &laptop).await.unwrap(),
        SignInStep::SignedIn(_)
    ));
}

#[tokio::test]
async fn a_late_duplicate_of_a_right_code_finds_the_challenge_used() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    // The late duplicate finds the challenge used.
    assert!(matches!(
        w.submit(&challenge, Answer::MailedCode(&code)).await,
        Submitted::Expired
    ));
}

#[tokio::test]
async fn unlock_clears_the_code_backoff_and_two_factors_own_count() {
    let w = World::new().await;
    let (app, _) = w.enable_two_factor().await;
    let challenge = w.second_factor_challenge().await;
    let wrong = wrong_totp_code(&app, w.clock.now());
    for _ in 0..5 {
        assert!(matches!(
            w.submit(&challenge, Answer::Totp(&wrong)).await,
            Submitted::Wrong { .. }
        ));
    }
    let challenge = w.second_factor_challenge().await;
    // The next step's code (the ±1 window takes it; the current step was
    // used to confirm the enrolment).
    let code = app.code_at(w.clock.now() + Duration::seconds(30)).unwrap();
    assert!(matches!(
        w.submit(&challenge, Answer::Totp(&code)).await,
        Submitted::Throttled { retry_at: Some(_) }
    ));
    w.flow.unlock(&w.jane).await.unwrap();
    signed_in(w.submit(&challenge, Answer::Totp(&code)).await);
}
