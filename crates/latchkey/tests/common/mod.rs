//! What several of the flow's test files share: jane's world on the
//! [`Fixture`], a counting executor, and the few steps every file takes.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};

use latchkey::core::{AccountId, Clock};
use latchkey::otp::Totp;
use latchkey::testing::{Fixture, PASSWORD};
use latchkey::twofactor::{ConfirmOutcome, RecoveryCodes};
use latchkey::{
    Answer, BlockingExecutor, BlockingJob, ChallengeId, ClientContext, ExecutorError,
    SignInBuilder, SignInStep, SignedIn, Submitted, TokioBlocking,
};

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

/// The fixture with jane registered ("jane", [`PASSWORD`],
/// jane@example.com). Derefs to the [`Fixture`].
#[derive(Debug)]
pub struct World {
    pub f: Fixture,
    pub jane: AccountId,
}

impl Deref for World {
    type Target = Fixture;

    fn deref(&self) -> &Fixture {
        &self.f
    }
}

impl World {
    pub async fn new() -> Self {
        Self::with(|b| b).await
    }

    /// The fixture with `configure` applied to its builder, then jane.
    pub async fn with(configure: impl FnOnce(SignInBuilder) -> SignInBuilder) -> Self {
        let f = Fixture::with(configure).expect("the fixture builds");
        let jane = f.register("jane").await.expect("jane registers");
        Self { f, jane }
    }

    /// The client every request of these tests comes from.
    pub fn client(&self) -> ClientContext {
        ClientContext::new().with_client("203.0.113.7")
    }

    /// Jane's login with her password.
    pub async fn start(&self) -> SignInStep {
        self.flow
            .start("jane", PASSWORD, &self.client())
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

    /// Enables 2FA for jane; returns her app and recovery codes.
    pub async fn enable_two_factor(&self) -> (Totp, RecoveryCodes) {
        enable_two_factor(&self.f, &self.jane).await
    }
}

/// Enables 2FA for `account` through `f`'s flow; returns the app and the
/// recovery codes.
pub async fn enable_two_factor(f: &Fixture, account: &AccountId) -> (Totp, RecoveryCodes) {
    let enrolment = f
        .flow
        .two_factor()
        .expect("the fixture has 2FA")
        .begin_enrolment(account, "jane")
        .await
        .expect("enrolment");
    let app = enrolment.uri.totp().expect("a TOTP uri");
    let code = app.code_at(f.clock.now()).expect("a code");
    match f
        .flow
        .confirm_two_factor(account, &code)
        .await
        .expect("confirm")
    {
        ConfirmOutcome::Enabled { recovery_codes } => (app, recovery_codes),
        other => panic!("enrolment failed: {other:?}"),
    }
}

pub fn signed_in(outcome: Submitted) -> SignedIn {
    match outcome {
        Submitted::SignedIn(done) => done,
        other => panic!("expected a sign-in, got {other:?}"),
    }
}
