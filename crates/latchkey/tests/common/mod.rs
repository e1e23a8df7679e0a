//! What several of the flow's test files share: jane's world on the
//! [`Fixture`], a counting executor, and the few steps every file takes.
// Each test file uses its own part of this module.
#![allow(dead_code)]

#[macro_use]
pub mod stores;

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use latchkey::core::{AccountId, Clock};
use latchkey::otp::Totp;
use latchkey::testing::{Fixture, PASSWORD};
use latchkey::twofactor::{ConfirmOutcome, RecoveryCodes};
use latchkey::{
    Answer, Authentication, BlockingExecutor, BlockingJob, ChallengeId, ClientContext,
    ExecutorError, Sensitive, SignInBuilder, SignInStep, SignedIn, Submitted, TokioBlocking,
};
use latchkey_testkit::code_in_last_mail;
use time::Duration;

/// Past the mailed code's resend cooldown (60 s), and two TOTP steps on.
pub const PAST_COOLDOWN: Duration = Duration::seconds(61);

/// Counts the jobs it runs, to prove hashing goes through the executor.
#[derive(Debug, Default)]
pub struct CountingExecutor(AtomicUsize);

impl CountingExecutor {
    /// Jobs run so far.
    pub fn jobs(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[latchkey::async_trait]
impl BlockingExecutor for CountingExecutor {
    async fn run_blocking(&self, job: BlockingJob) -> Result<(), ExecutorError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        TokioBlocking.run_blocking(job).await
    }
}

/// The fixture with jane registered (`login`, normally "jane", with
/// [`PASSWORD`] and `LOGIN@example.com`). Derefs to the [`Fixture`].
///
/// It keeps jane's latest authentication (made on first use by a mailed
/// code sign-in, see [`World::authentication`]) and, once 2FA is on, her
/// authenticator app.
#[derive(Debug)]
pub struct World {
    pub f: Fixture,
    pub jane: AccountId,
    pub login: String,
    auth: Mutex<Option<Authentication>>,
    app: Mutex<Option<Totp>>,
}

impl Deref for World {
    type Target = Fixture;

    fn deref(&self) -> &Fixture {
        &self.f
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl World {
    pub async fn new() -> Self {
        Self::with(|b| b).await
    }

    /// The fixture with `configure` applied to its builder, then jane.
    pub async fn with(configure: impl FnOnce(SignInBuilder) -> SignInBuilder) -> Self {
        Self::with_login(configure, "jane").await
    }

    /// The fixture with `configure` applied to its builder, then jane
    /// under `login` (a fresh one on a database that may serve many runs).
    pub async fn with_login(
        configure: impl FnOnce(SignInBuilder) -> SignInBuilder,
        login: &str,
    ) -> Self {
        let f = Fixture::with(configure).expect("the fixture builds");
        let jane = f.register(login).await.expect("jane registers");
        Self {
            f,
            jane,
            login: login.to_owned(),
            auth: Mutex::new(None),
            app: Mutex::new(None),
        }
    }

    /// The client every request of these tests comes from.
    pub fn client(&self) -> ClientContext {
        ClientContext::new().with_client("203.0.113.7")
    }

    /// Jane's login with her password.
    pub async fn start(&self) -> SignInStep {
        self.start_from(&self.client()).await
    }

    /// Jane's login with her password, from `ctx`.
    pub async fn start_from(&self, ctx: &ClientContext) -> SignInStep {
        self.flow
            .start(&self.login, PASSWORD, ctx)
            .await
            .expect("start")
    }

    pub async fn mailed_challenge(&self) -> ChallengeId {
        match self.start().await {
            SignInStep::MailedCodeSent { challenge, .. } => challenge,
            other => panic!("expected a mailed code, got {other:?}"),
        }
    }

    pub async fn second_factor_challenge(&self) -> ChallengeId {
        match self.start().await {
            SignInStep::SecondFactorRequired { challenge, .. } => challenge,
            other => panic!("expected a second-factor challenge, got {other:?}"),
        }
    }

    pub async fn submit(&self, challenge: &ChallengeId, answer: Answer<'_>) -> Submitted {
        self.flow
            .submit(challenge, answer, &self.client())
            .await
            .expect("submit")
    }

    /// A whole sign-in from `ctx` with the mailed code, or with a code of
    /// jane's app once 2FA is on. The clock first moves [`PAST_COOLDOWN`],
    /// so a code is mailed (or a new TOTP step is due).
    pub async fn sign_in_from(&self, ctx: &ClientContext) -> SignedIn {
        self.clock.advance(PAST_COOLDOWN);
        let (challenge, code, totp) = match self.start_from(ctx).await {
            SignInStep::MailedCodeSent { challenge, .. } => {
                (challenge, code_in_last_mail(&self.mailer), false)
            }
            SignInStep::SecondFactorRequired { challenge, .. } => {
                let app = self.app().expect("2FA is on, so the world has the app");
                let code = app.code_at(self.clock.now()).expect("a code");
                (challenge, code.to_string(), true)
            }
            other => panic!("expected a code to be asked for, got {other:?}"),
        };
        let answer = if totp {
            Answer::Totp(&code)
        } else {
            Answer::MailedCode(&code)
        };
        signed_in(
            self.flow
                .submit(&challenge, answer, ctx)
                .await
                .expect("submit"),
        )
    }

    /// Jane's authentication: the first call signs her in with a mailed
    /// code from [`Self::client`], then moves the clock past the resend
    /// cooldown (so the test's next sign-in mails a code); later calls give
    /// the latest one kept (see [`Self::keep`]).
    pub async fn authentication(&self) -> Authentication {
        if let Some(auth) = lock(&self.auth).clone() {
            return auth;
        }
        let SignInStep::MailedCodeSent { challenge, .. } = self.start().await else {
            panic!("jane's first sign-in gets a mailed code");
        };
        let code = code_in_last_mail(&self.mailer);
        let done = signed_in(self.submit(&challenge, Answer::MailedCode(&code)).await);
        self.clock.advance(PAST_COOLDOWN);
        self.keep(done.authentication.clone());
        done.authentication
    }

    /// Keeps `auth` as jane's session from now on (after a change renewed
    /// it, say).
    pub fn keep(&self, auth: Authentication) {
        *lock(&self.auth) = Some(auth);
    }

    /// Jane's app, once 2FA is on.
    pub fn app(&self) -> Option<Totp> {
        lock(&self.app).clone()
    }

    /// Forgets jane's app (2FA was turned off).
    pub fn forget_app(&self) {
        *lock(&self.app) = None;
    }

    /// Enables 2FA for jane through the flow, with her kept authentication
    /// (renewed and kept again); returns her app and recovery codes.
    pub async fn enable_two_factor(&self) -> (Totp, RecoveryCodes) {
        let auth = self.authentication().await;
        let (app, codes, renewed) = enable_two_factor(&self.f, &auth).await;
        self.keep(renewed);
        *lock(&self.app) = Some(app.clone());
        (app, codes)
    }
}

/// Enables 2FA for `auth`'s account through `f`'s flow; returns the app,
/// the recovery codes and the renewed authentication.
pub async fn enable_two_factor(
    f: &Fixture,
    auth: &Authentication,
) -> (Totp, RecoveryCodes, Authentication) {
    let (enrolment, _) = done(
        f.flow
            .begin_two_factor(auth, "jane")
            .await
            .expect("enrolment"),
    );
    let app = enrolment.uri.totp().expect("a TOTP uri");
    let code = app.code_at(f.clock.now()).expect("a code");
    match done(
        f.flow
            .confirm_two_factor(auth, &code)
            .await
            .expect("confirm"),
    ) {
        (ConfirmOutcome::Enabled { recovery_codes }, renewed) => (app, recovery_codes, renewed),
        (other, _) => panic!("enrolment failed: {other:?}"),
    }
}

pub fn signed_in(outcome: Submitted) -> SignedIn {
    match outcome {
        Submitted::SignedIn(done) => done,
        other => panic!("expected a sign-in, got {other:?}"),
    }
}

/// A sensitive change that was tried: its outcome and the session's
/// authentication from now on.
pub fn done<T: std::fmt::Debug>(answer: Sensitive<T>) -> (T, Authentication) {
    match answer {
        Sensitive::Done {
            outcome,
            authentication,
        } => (outcome, authentication),
        Sensitive::NeedsFreshAuthentication => {
            panic!("expected the change to be tried, got NeedsFreshAuthentication")
        }
    }
}

/// Whether the flow asked for a fresh authentication.
pub fn needs_fresh<T>(answer: &Sensitive<T>) -> bool {
    matches!(answer, Sensitive::NeedsFreshAuthentication)
}
