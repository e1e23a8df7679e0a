//! [`CredentialChecker`] over the in-memory store: equal cost and one
//! answer for unknown logins and wrong passwords (REQ-11, REQ-38),
//! rehash on sign-in (REQ-09) that never overwrites a concurrent change,
//! password changes that need the current password (REQ-06), the policy on
//! register (REQ-01, REQ-04), and errors for malformed stored hashes.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use latchkey_core::{AccountId, SecretString, StoreError};
use latchkey_credentials::{
    ChangeOutcome, CheckOutcome, CredentialChecker, CredentialStore, Error, HashSettings, Hasher,
    PasswordPolicy, Refusal, RegisterOutcome, StoredCredential,
};
use latchkey_store_memory::MemoryStore;

const LOGIN: &str = "jane@example.com";
const PASSWORD: &str = "violet umbrella sky";

/// The fast settings of these tests (below the floor: tests only).
fn weak() -> Hasher {
    Hasher::new(HashSettings::below_floor(64, 1, 1).unwrap())
}

fn account(id: &str) -> AccountId {
    AccountId::new(id).unwrap()
}

/// A checker on a fresh store, with `LOGIN` registered with `PASSWORD`.
async fn registered() -> (Arc<MemoryStore>, CredentialChecker, AccountId) {
    let store = Arc::new(MemoryStore::new());
    let checker = CredentialChecker::new(store.clone(), weak()).unwrap();
    let id = account("1");
    assert_eq!(
        checker
            .register(LOGIN, &id, PASSWORD, &PasswordPolicy::new())
            .await
            .unwrap(),
        RegisterOutcome::Registered
    );
    (store, checker, id)
}

async fn stored_phc(store: &dyn CredentialStore, login: &str) -> String {
    store.find_by_login(login).await.unwrap().unwrap().phc
}

/// Runs `check` and returns its outcome and how many Argon2 runs it cost.
async fn check_counting(
    checker: &CredentialChecker,
    login: &str,
    password: &str,
) -> (CheckOutcome, u64) {
    let before = checker.hasher().runs();
    let outcome = checker.check(login, password).await.unwrap();
    (outcome, checker.hasher().runs() - before)
}

/// REQ-11, REQ-38: a wrong password for a real login and any password for
/// an unknown login each cost exactly one Argon2 run and get the same
/// `Denied`; so do an over-long password (which cannot match) and a login
/// that is empty or over 320 bytes (which is never looked up). A right
/// password also costs one run.
#[tokio::test]
async fn req_11_unknown_login_costs_one_full_hash_like_a_wrong_password() {
    let (_store, checker, id) = registered().await;
    let too_long = "x".repeat(129);
    let huge_input = "y".repeat(10_000);
    let long_login = "a".repeat(321);
    for (login, password, what) in [
        (LOGIN, "wrong password", "wrong password"),
        ("nobody@example.com", "wrong password", "unknown login"),
        (
            "nobody@example.com",
            PASSWORD,
            "unknown login, real password",
        ),
        (LOGIN, too_long.as_str(), "over-long password"),
        (LOGIN, huge_input.as_str(), "over 4096 bytes of password"),
        (
            "nobody@example.com",
            too_long.as_str(),
            "unknown login, over-long password",
        ),
        ("", PASSWORD, "empty login"),
        (long_login.as_str(), PASSWORD, "login over 320 bytes"),
        (LOGIN, "", "empty password"),
    ] {
        assert_eq!(
            check_counting(&checker, login, password).await,
            (CheckOutcome::Denied, 1),
            "{what}"
        );
    }
    assert_eq!(
        check_counting(&checker, LOGIN, PASSWORD).await,
        (
            CheckOutcome::Verified {
                account: id,
                rehashed: false
            },
            1
        )
    );
}

/// REQ-09: a hash made at weaker settings is replaced at the next
/// successful sign-in by one at the checker's settings; the sign-in after
/// that needs no rehash. A failed sign-in never rehashes.
#[tokio::test]
async fn req_09_rehash_on_sign_in_when_settings_were_raised() {
    let (store, _old, id) = registered().await;
    let old_phc = stored_phc(&*store, LOGIN).await;
    assert!(
        old_phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{old_phc}"
    );

    let raised = Hasher::new(HashSettings::below_floor(128, 2, 1).unwrap());
    let checker = CredentialChecker::new(store.clone(), raised.clone()).unwrap();

    assert_eq!(
        checker.check(LOGIN, "wrong password").await.unwrap(),
        CheckOutcome::Denied
    );
    assert_eq!(stored_phc(&*store, LOGIN).await, old_phc);

    assert_eq!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Verified {
            account: id.clone(),
            rehashed: true
        }
    );
    let new_phc = stored_phc(&*store, LOGIN).await;
    assert!(
        new_phc.starts_with("$argon2id$v=19$m=128,t=2,p=1$"),
        "{new_phc}"
    );
    assert!(!raised.needs_rehash(&new_phc).unwrap());

    assert_eq!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Verified {
            account: id,
            rehashed: false
        }
    );
    assert_eq!(stored_phc(&*store, LOGIN).await, new_phc);
}

/// A store that lets someone else change the password right after a
/// lookup: `find_by_login` returns what it read, then (once armed) sets a
/// new hash, so the caller's compare-and-set runs against a changed row.
#[derive(Debug, Default)]
struct RacingStore {
    inner: MemoryStore,
    change_to: Mutex<Option<String>>,
}

impl RacingStore {
    fn arm(&self, phc: String) {
        *self.change_to.lock().unwrap() = Some(phc);
    }
}

#[async_trait]
impl CredentialStore for RacingStore {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        let found = self.inner.find_by_login(login).await?;
        let change = self.change_to.lock().unwrap().take();
        if let (Some(credential), Some(phc)) = (&found, change) {
            assert!(self.inner.set_hash(&credential.account, &phc).await?);
        }
        Ok(found)
    }
    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        self.inner.create(login, account, phc).await
    }
    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        self.inner.set_hash(account, phc).await
    }
    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        self.inner
            .replace_hash_if_unchanged(account, expected, new)
            .await
    }
}

/// REQ-09: a rehash is a compare-and-set against the hash that was
/// verified, so a password change that lands between the check and the
/// rehash is kept, and the outcome says nothing was rehashed.
#[tokio::test]
async fn req_09_rehash_never_overwrites_a_concurrent_password_change() {
    let store = Arc::new(RacingStore::default());
    let id = account("1");
    let old_phc = weak().hash(PASSWORD).unwrap();
    assert!(store.create(LOGIN, &id, &old_phc).await.unwrap());

    let raised = Hasher::new(HashSettings::below_floor(128, 2, 1).unwrap());
    let checker = CredentialChecker::new(store.clone(), raised.clone()).unwrap();
    let changed_phc = raised.hash("amber kettle moon").unwrap();
    store.arm(changed_phc.clone());

    // The old password matched the hash that was read: the sign-in
    // succeeds, but the stale hash is not written over the new one.
    assert_eq!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Verified {
            account: id.clone(),
            rehashed: false
        }
    );
    assert_eq!(stored_phc(&*store, LOGIN).await, changed_phc);

    assert_eq!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Denied
    );
    assert_eq!(
        checker.check(LOGIN, "amber kettle moon").await.unwrap(),
        CheckOutcome::Verified {
            account: id,
            rehashed: false
        }
    );
}

/// REQ-06: a password change racing another change reports `Conflict`
/// and writes nothing.
#[tokio::test]
async fn req_06_change_password_racing_another_change_is_a_conflict() {
    let store = Arc::new(RacingStore::default());
    let checker = CredentialChecker::new(store.clone(), weak()).unwrap();
    let id = account("1");
    assert_eq!(
        checker
            .register(LOGIN, &id, PASSWORD, &PasswordPolicy::new())
            .await
            .unwrap(),
        RegisterOutcome::Registered
    );
    let theirs = weak().hash("amber kettle moon").unwrap();
    store.arm(theirs.clone());
    assert_eq!(
        checker
            .change_password(
                LOGIN,
                &SecretString::from(PASSWORD),
                &SecretString::from("copper lantern tide"),
                &PasswordPolicy::new(),
            )
            .await
            .unwrap(),
        ChangeOutcome::Conflict
    );
    assert_eq!(stored_phc(&*store, LOGIN).await, theirs);
}

/// REQ-06: changing a password needs the current one. A wrong current
/// password (or an unknown login) is `Denied`; a new password the policy
/// refuses is `Refused` with its reasons; neither changes anything. With
/// the right current password the change is made: the new password works
/// and the old one does not.
#[tokio::test]
async fn req_06_change_password_needs_current_password() {
    let (store, checker, id) = registered().await;
    let policy = PasswordPolicy::new();
    let before = stored_phc(&*store, LOGIN).await;
    let new = SecretString::from("copper lantern tide");

    let wrong = SecretString::from("not my password");
    assert_eq!(
        checker
            .change_password(LOGIN, &wrong, &new, &policy)
            .await
            .unwrap(),
        ChangeOutcome::Denied
    );
    assert_eq!(
        checker
            .change_password(
                "nobody@example.com",
                &SecretString::from(PASSWORD),
                &new,
                &policy
            )
            .await
            .unwrap(),
        ChangeOutcome::Denied
    );

    let current = SecretString::from(PASSWORD);
    let ChangeOutcome::Refused(reasons) = checker
        .change_password(LOGIN, &current, &SecretString::from("password"), &policy)
        .await
        .unwrap()
    else {
        panic!("a common password must be refused");
    };
    assert!(reasons.contains(&Refusal::Common), "{reasons:?}");
    let ChangeOutcome::Refused(reasons) = checker
        .change_password(LOGIN, &current, &SecretString::from("abc"), &policy)
        .await
        .unwrap()
    else {
        panic!("a short password must be refused");
    };
    assert!(
        reasons.contains(&Refusal::TooShort { min: 8, actual: 3 }),
        "{reasons:?}"
    );
    assert_eq!(stored_phc(&*store, LOGIN).await, before);

    assert_eq!(
        checker
            .change_password(LOGIN, &current, &new, &policy)
            .await
            .unwrap(),
        ChangeOutcome::Changed
    );
    assert_ne!(stored_phc(&*store, LOGIN).await, before);
    assert_eq!(
        checker.check(LOGIN, new.expose()).await.unwrap(),
        CheckOutcome::Verified {
            account: id,
            rehashed: false
        }
    );
    assert_eq!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Denied
    );
}

/// REQ-01, REQ-04: register applies the policy (length, common passwords,
/// the login itself) and stores nothing when it refuses; a login or an
/// account that already has a credential is `Taken`; an implausible login
/// is an error.
#[tokio::test]
async fn req_04_register_refuses_per_policy_and_reports_taken() {
    let store = Arc::new(MemoryStore::new());
    let checker = CredentialChecker::new(store.clone(), weak()).unwrap();
    let policy = PasswordPolicy::new();
    let id = account("1");

    for (password, reason) in [
        ("short", Refusal::TooShort { min: 8, actual: 5 }),
        ("password", Refusal::Common),
        ("jane@example.com rocks", Refusal::ContainsUsername),
        ("aaaaaaaaaaaa", Refusal::Repetitive),
        ("12345678901", Refusal::Sequential),
    ] {
        let RegisterOutcome::Refused(reasons) = checker
            .register(LOGIN, &id, password, &policy)
            .await
            .unwrap()
        else {
            panic!("{password:?} must be refused");
        };
        assert!(reasons.contains(&reason), "{password:?}: {reasons:?}");
    }
    assert!(store.find_by_login(LOGIN).await.unwrap().is_none());

    assert_eq!(
        checker
            .register(LOGIN, &id, PASSWORD, &policy)
            .await
            .unwrap(),
        RegisterOutcome::Registered
    );
    assert_eq!(
        checker
            .register(LOGIN, &account("2"), "amber kettle moon", &policy)
            .await
            .unwrap(),
        RegisterOutcome::Taken,
        "same login, other account"
    );
    assert_eq!(
        checker
            .register("jane2@example.com", &id, "amber kettle moon", &policy)
            .await
            .unwrap(),
        RegisterOutcome::Taken,
        "same account, other login"
    );
    // The first registration is untouched.
    assert!(matches!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Verified { .. }
    ));
    assert_eq!(
        checker.check(LOGIN, "amber kettle moon").await.unwrap(),
        CheckOutcome::Denied
    );

    for login in [String::new(), "a".repeat(321)] {
        assert!(matches!(
            checker
                .register(&login, &account("3"), PASSWORD, &policy)
                .await,
            Err(Error::InvalidLogin(_))
        ));
    }
}

/// A stored hash latchkey cannot read is an error for the host to see,
/// not a `Denied` (which would hide the corruption) and not a panic; the
/// same for a stored hash over the verifier's cost limits.
#[tokio::test]
async fn malformed_stored_hash_is_an_error_not_a_denial() {
    let store = Arc::new(MemoryStore::new());
    let checker = CredentialChecker::new(store.clone(), weak()).unwrap();
    let cases = [
        ("not a phc string", "malformed"),
        ("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ", "malformed"),
        (
            "$bcrypt$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "malformed",
        ),
        ("", "malformed"),
        (
            "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "too expensive",
        ),
    ];
    for (i, (phc, kind)) in cases.into_iter().enumerate() {
        let login = format!("user{i}@example.com");
        let id = account(&format!("{i}"));
        assert!(store.create(&login, &id, phc).await.unwrap());
        let result = checker.check(&login, PASSWORD).await;
        match kind {
            "malformed" => assert!(
                matches!(result, Err(Error::MalformedHash { .. })),
                "{phc:?}: {result:?}"
            ),
            _ => assert!(
                matches!(result, Err(Error::HashTooExpensive { .. })),
                "{phc:?}: {result:?}"
            ),
        }
        let change = checker
            .change_password(
                &login,
                &SecretString::from(PASSWORD),
                &SecretString::from("copper lantern tide"),
                &PasswordPolicy::new(),
            )
            .await;
        assert!(change.is_err(), "{phc:?}: {change:?}");
        assert_eq!(stored_phc(&*store, &login).await, phc);
    }
}

/// REQ-41: `Debug` of a checker shows no password hash: neither the stored
/// ones (reached through the store) nor the dummy hash for unknown logins.
///
/// Ignored until `CredentialChecker` and `MemoryStore` redact them: both
/// derive `Debug` today, so the dummy PHC string and every stored one are
/// printed.
#[tokio::test]
async fn req_41_debug_never_shows_a_password_hash() {
    let (store, checker, _id) = registered().await;
    for shown in [format!("{checker:?}"), format!("{store:?}")] {
        assert!(!shown.contains("$argon2"), "{shown}");
    }
}

/// Counts the jobs running at once on tokio's blocking pool, and the
/// most ever seen.
#[derive(Debug, Default)]
struct Watching {
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl latchkey_core::executor::BlockingExecutor for Watching {
    async fn run_blocking(
        &self,
        job: latchkey_core::executor::BlockingJob,
    ) -> Result<(), latchkey_core::executor::ExecutorError> {
        use std::sync::atomic::Ordering;
        let running = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(running, Ordering::SeqCst);
        let done = tokio::task::spawn_blocking(job)
            .await
            .map_err(latchkey_core::executor::ExecutorError::new);
        self.now.fetch_sub(1, Ordering::SeqCst);
        done
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_overload_waits_as_futures_never_as_more_jobs_than_hashes_in_flight() {
    let store = Arc::new(MemoryStore::new());
    let watching = Arc::new(Watching::default());
    let hasher = Hasher::new(HashSettings::below_floor(1024, 2, 1).unwrap()).with_max_in_flight(2);
    let checker = CredentialChecker::new(store, hasher)
        .unwrap()
        .with_executor(watching.clone());
    let checks: Vec<_> = (0..32)
        .map(|i| {
            let checker = checker.clone();
            tokio::spawn(async move { checker.check(&format!("nobody{i}"), "guess").await })
        })
        .collect();
    for check in checks {
        assert_eq!(check.await.unwrap().unwrap(), CheckOutcome::Denied);
    }
    let most = watching.most.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (1..=2).contains(&most),
        "32 concurrent checks reached the executor {most} at a time; the bound is 2"
    );
}

/// REQ-09: `store_rehash` says whether it wrote: yes against the hash it
/// was given, no once that hash changed.
#[tokio::test]
async fn req_09_store_rehash_reports_whether_it_wrote() {
    let (store, checker, _) = registered().await;
    let current = store.find_by_login(LOGIN).await.unwrap().unwrap();
    let fresh = weak().hash(PASSWORD).unwrap();
    assert!(checker.store_rehash(&current, &fresh).await.unwrap());
    assert_eq!(stored_phc(&*store, LOGIN).await, fresh);
    let again = weak().hash(PASSWORD).unwrap();
    assert!(
        !checker.store_rehash(&current, &again).await.unwrap(),
        "the hash it was given is gone: nothing written"
    );
    assert_eq!(stored_phc(&*store, LOGIN).await, fresh);
}

/// The checker's `Debug` names its parts and never shows the dummy hash
/// that unknown logins are checked against.
#[tokio::test]
async fn the_checkers_debug_shows_no_hash() {
    let (_, checker, _) = registered().await;
    let shown = format!("{checker:?}");
    assert!(
        shown.starts_with("CredentialChecker {") && shown.contains("hasher"),
        "{shown}"
    );
    assert!(!shown.contains("$argon2"), "{shown}");
}

#[tokio::test]
async fn a_full_hashing_queue_answers_busy_before_any_hash() {
    let id = account("1");
    let checker =
        CredentialChecker::new(Arc::new(MemoryStore::new()), weak().with_max_in_flight(1))
            .unwrap()
            .with_queue_limit(1);
    let policy = PasswordPolicy::new();
    assert_eq!(
        checker
            .register(LOGIN, &id, PASSWORD, &policy)
            .await
            .unwrap(),
        RegisterOutcome::Registered
    );
    // One place running, one waiting: both taken.
    let running = checker.admit().expect("the slot");
    let waiting = checker.admit().expect("the queue's one place");
    assert_eq!(format!("{running:?}"), "Admission");
    let runs = checker.hasher().runs();
    assert_eq!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Busy
    );
    assert_eq!(
        checker
            .register("john", &account("2"), PASSWORD, &policy)
            .await
            .unwrap(),
        RegisterOutcome::Busy
    );
    let (current, new) = (
        SecretString::new(PASSWORD.to_owned()),
        SecretString::new("a new long phrase".to_owned()),
    );
    assert_eq!(
        checker
            .change_password(LOGIN, &current, &new, &policy)
            .await
            .unwrap(),
        ChangeOutcome::Busy
    );
    assert!(matches!(
        checker.verify(None, PASSWORD).await,
        Err(Error::Busy)
    ));
    assert_eq!(checker.hasher().runs(), runs, "nothing was hashed");

    // An admitted caller is never busy; a place freed lets the next in.
    let found = checker.find(LOGIN).await.unwrap();
    let verified = checker
        .verify_admitted(waiting, found, PASSWORD)
        .await
        .unwrap();
    assert_eq!(verified.map(|c| c.account), Some(id));
    drop(running);
    assert!(matches!(
        checker.check(LOGIN, PASSWORD).await.unwrap(),
        CheckOutcome::Verified { .. }
    ));
}
