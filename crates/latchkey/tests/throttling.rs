//! Throttling: the per-account backoff and lockout for passwords and codes
//! (REQ-37), one answer for unknown and known logins, the per-client
//! budget, and the owner's own devices.

mod common;

use std::sync::Arc;

use common::{World, done, signed_in};
use latchkey::async_trait;
use latchkey::core::{AccountId, Clock, SecretString, StoreError};
use latchkey::credentials::{CredentialStore, StoredCredential};
use latchkey::store_memory::MemoryStore;
use latchkey::testing::PASSWORD;
use latchkey::{
    Answer, ClientContext, Method, PasswordChanged, SecurityEvent, SignInStep, Submitted,
};
use latchkey_testkit::{code_in_last_mail, wrong_mailed_code};
use time::Duration;

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
            method: Method::MailedCode,
            ..
        }
    )));
    // After the wait the right code signs in and clears the count.
    w.clock.set(at);
    signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
}

#[tokio::test]
async fn the_client_budget_applies_across_logins() {
    let w = World::with(|b| b.client_budget(3, Duration::minutes(15))).await;
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

/// The host's lookup takes the username or the address of record
/// (`LOGIN@example.com`), as npm's sign-in does: two spellings of one
/// login. (The memory store keeps one login per account, so the second
/// spelling comes from the lookup rather than a second `create`.)
#[derive(Debug)]
struct UsernameOrEmail(Arc<MemoryStore>);

#[async_trait]
impl CredentialStore for UsernameOrEmail {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        let username = login.strip_suffix("@example.com").unwrap_or(login);
        self.0.find_by_login(username).await
    }

    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        self.0.create(login, account, phc).await
    }

    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        self.0.set_hash(account, phc).await
    }

    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        self.0
            .replace_hash_if_unchanged(account, expected, new)
            .await
    }
}

/// REQ-37 per account: every spelling of a known login shares the
/// account's one budget and they lock together at 100; unknown logins
/// count per login as typed.
#[tokio::test]
async fn every_spelling_of_a_login_shares_the_accounts_budget_and_lock() {
    let store = Arc::new(MemoryStore::new());
    let lookup = Arc::new(UsernameOrEmail(store.clone()));
    let w = World::with(|b| b.store(store).credential_store(lookup)).await;
    let c = ClientContext::new();
    let spellings = ["jane", "jane@example.com"];
    // Five free failures in all: three under one spelling, two under the
    // other.
    for n in 0..5 {
        assert!(matches!(
            w.flow.start(spellings[n % 2], "wrong", &c).await.unwrap(),
            SignInStep::Denied
        ));
    }
    // The sixth waits, under either spelling, right password or not.
    for login in spellings {
        let SignInStep::Throttled { retry_at: Some(at) } =
            w.flow.start(login, PASSWORD, &c).await.unwrap()
        else {
            panic!("{login} shares the account's budget");
        };
        assert_eq!(at, w.clock.now() + Duration::seconds(30));
    }

    // Keep failing, alternating, waiting out each backoff: both are
    // locked at the 100th failure in all.
    let mut failures = 5;
    loop {
        w.clock.advance(Duration::hours(1));
        match w
            .flow
            .start(spellings[failures % 2], "wrong", &c)
            .await
            .unwrap()
        {
            SignInStep::Denied => failures += 1,
            SignInStep::Throttled { retry_at: None } => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(failures, 100);
    assert!(w.events.events().contains(&SecurityEvent::LockedOut {
        account: w.jane.clone()
    }));
    for login in spellings {
        assert!(
            matches!(
                w.flow.start(login, PASSWORD, &c).await.unwrap(),
                SignInStep::Throttled { retry_at: None }
            ),
            "{login} is locked with the account"
        );
    }

    // Unknown logins count per login as typed: "nobody" spends its own
    // budget, and "nobody@example.com" (which leads nowhere either) has
    // its own.
    for _ in 0..5 {
        assert!(matches!(
            w.flow.start("nobody", "wrong", &c).await.unwrap(),
            SignInStep::Denied
        ));
    }
    assert!(matches!(
        w.flow.start("nobody", "wrong", &c).await.unwrap(),
        SignInStep::Throttled { retry_at: Some(_) }
    ));
    assert!(matches!(
        w.flow
            .start("nobody@example.com", "wrong", &c)
            .await
            .unwrap(),
        SignInStep::Denied
    ));

    // Unlocking one spelling unlocks the account: both work again.
    w.flow.unlock_login("jane@example.com").await.unwrap();
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &c).await.unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
    w.clock.advance(Duration::seconds(60)); // past the resend cooldown
    assert!(matches!(
        w.flow
            .start("jane@example.com", PASSWORD, &c)
            .await
            .unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
}

/// REQ-06 and REQ-37: a wrong current password at a password change
/// counts against the account's password backoff exactly like a wrong
/// password at sign-in, so a stolen session cannot guess without limit.
#[tokio::test]
async fn a_wrong_current_password_at_change_counts_against_the_sign_in_backoff() {
    let w = World::new().await;
    // Jane's session (its sign-in moved the clock past the resend
    // cooldown).
    let auth = w.authentication().await;
    let c = ClientContext::new();
    let wrong = SecretString::from("wrong password");
    let new = SecretString::from("orange kettle drum");
    let current = SecretString::from(PASSWORD);
    // Five free failures in all: two at sign-in, three at change.
    for _ in 0..2 {
        assert!(matches!(
            w.flow.start("jane", "wrong password", &c).await.unwrap(),
            SignInStep::Denied
        ));
    }
    for _ in 0..3 {
        assert_eq!(
            done(
                w.flow
                    .change_password(&auth, "jane", &wrong, &new)
                    .await
                    .unwrap()
            )
            .0,
            PasswordChanged::Denied
        );
    }
    let denied = w
        .events
        .events()
        .iter()
        .filter(|e| {
            **e == SecurityEvent::SignInDenied {
                account: Some(w.jane.clone()),
            }
        })
        .count();
    assert_eq!(denied, 5, "each wrong password is reported");
    // The sixth waits, at change and at sign-in, right password or not.
    let wait = w.clock.now() + Duration::seconds(30);
    assert_eq!(
        done(
            w.flow
                .change_password(&auth, "jane", &current, &new)
                .await
                .unwrap()
        )
        .0,
        PasswordChanged::Throttled {
            retry_at: Some(wait)
        }
    );
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &c).await.unwrap(),
        SignInStep::Throttled { retry_at: Some(at) } if at == wait
    ));
    // After the wait the right current password changes it.
    w.clock.set(wait);
    assert_eq!(
        done(
            w.flow
                .change_password(&auth, "jane", &current, &new)
                .await
                .unwrap()
        )
        .0,
        PasswordChanged::Changed
    );
    assert!(matches!(
        w.flow.start("jane", PASSWORD, &c).await.unwrap(),
        SignInStep::Denied
    ));
    assert!(matches!(
        w.flow.start("jane", new.expose(), &c).await.unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
}
