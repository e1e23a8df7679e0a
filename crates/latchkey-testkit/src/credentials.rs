//! The [`CredentialStore`] conformance cases. Each panics, saying what
//! broke, on failure.

use std::sync::Arc;

use latchkey_credentials::{CredentialStore, StoredCredential};

use crate::{fresh_account, fresh_name, race};

async fn find(store: &Arc<dyn CredentialStore>, login: &str) -> Option<StoredCredential> {
    store
        .find_by_login(login)
        .await
        .expect("CredentialStore::find_by_login failed")
}

async fn stored_hash(store: &Arc<dyn CredentialStore>, login: &str) -> String {
    find(store, login)
        .await
        .expect("find_by_login must find a created login")
        .phc
}

async fn create(
    store: &Arc<dyn CredentialStore>,
    login: &str,
    phc: &str,
) -> latchkey_core::AccountId {
    let account = fresh_account();
    let created = store
        .create(login, &account, phc)
        .await
        .expect("CredentialStore::create failed");
    assert!(created, "create of a fresh login and account must succeed");
    account
}

/// A login that was never created is `Ok(None)`, not an error, also
/// when other credentials exist (a store may read one of them as a
/// stand-in, to do a hit's work on a miss, but must never return it).
pub async fn unknown_login_is_none(store: Arc<dyn CredentialStore>) {
    let found = find(&store, &fresh_name("nobody")).await;
    assert!(
        found.is_none(),
        "an unknown login must be Ok(None), got {found:?}"
    );
    let _ = create(&store, &fresh_name("somebody"), "$argon2id$h1").await;
    let _ = create(&store, &fresh_name("someone"), "$argon2id$h2").await;
    for _ in 0..5 {
        let found = find(&store, &fresh_name("nobody")).await;
        assert!(
            found.is_none(),
            "an unknown login must be Ok(None) beside other credentials, got {found:?}"
        );
    }
}

/// A created credential is found by its login, with its account and hash.
pub async fn create_then_find(store: Arc<dyn CredentialStore>) {
    let login = fresh_name("jane");
    let account = create(&store, &login, "$argon2id$h1").await;
    let found = find(&store, &login)
        .await
        .expect("find_by_login after create must find the login");
    assert_eq!(
        found.account, account,
        "find_by_login must return the created account"
    );
    assert_eq!(
        found.phc, "$argon2id$h1",
        "find_by_login must return the created hash"
    );
}

/// Logins match exactly as given: another case or surrounding spaces is
/// another login (hosts normalize before calling).
pub async fn logins_match_exactly(store: Arc<dyn CredentialStore>) {
    let login = fresh_name("jane");
    create(&store, &login, "$h1").await;
    for other in [
        login.to_uppercase(),
        format!(" {login}"),
        format!("{login} "),
    ] {
        assert!(
            find(&store, &other).await.is_none(),
            "login {other:?} must not match {login:?}: logins match exactly"
        );
    }
    let upper = create(&store, &login.to_uppercase(), "$h2").await;
    assert_eq!(
        find(&store, &login.to_uppercase()).await.map(|c| c.account),
        Some(upper),
        "a login differing only in case is a separate login"
    );
}

/// A second credential for the same login or the same account is refused
/// and changes nothing.
pub async fn create_refuses_taken_login_or_account(store: Arc<dyn CredentialStore>) {
    let login = fresh_name("jane");
    let account = create(&store, &login, "$h1").await;
    let again = store.create(&login, &fresh_account(), "$h2").await;
    assert!(
        !again.expect("CredentialStore::create failed"),
        "create must refuse a taken login"
    );
    let second = store.create(&fresh_name("other"), &account, "$h3").await;
    assert!(
        !second.expect("CredentialStore::create failed"),
        "create must refuse an account that already has a credential"
    );
    let found = find(&store, &login)
        .await
        .expect("a refused create must leave the first credential");
    assert_eq!(
        (found.account, found.phc.as_str()),
        (account, "$h1"),
        "a refused create must change nothing"
    );
}

/// `set_hash` replaces unconditionally and reports unknown accounts.
pub async fn set_hash_replaces_and_reports_unknown_accounts(store: Arc<dyn CredentialStore>) {
    let login = fresh_name("jane");
    let account = create(&store, &login, "$h1").await;
    let set = store.set_hash(&account, "$h2").await;
    assert!(
        set.expect("CredentialStore::set_hash failed"),
        "set_hash on a known account must report true"
    );
    assert_eq!(
        stored_hash(&store, &login).await,
        "$h2",
        "set_hash must store the new hash"
    );
    let unknown = store.set_hash(&fresh_account(), "$h3").await;
    assert!(
        !unknown.expect("CredentialStore::set_hash failed"),
        "set_hash on an unknown account must report false"
    );
}

/// `replace_hash_if_unchanged` writes only when the stored hash is the
/// expected one.
pub async fn replace_if_unchanged_is_compare_and_set(store: Arc<dyn CredentialStore>) {
    let login = fresh_name("jane");
    let account = create(&store, &login, "$h1").await;
    let cas = |expected: &'static str, new: &'static str| {
        let (store, account) = (store.clone(), account.clone());
        async move {
            store
                .replace_hash_if_unchanged(&account, expected, new)
                .await
                .expect("CredentialStore::replace_hash_if_unchanged failed")
        }
    };
    assert!(
        !cas("$stale", "$h2").await,
        "a stale expected hash must not replace"
    );
    assert!(
        cas("$h1", "$h2").await,
        "the current expected hash must replace"
    );
    assert!(!cas("$h1", "$h3").await, "the replaced hash is stale now");
    let unknown = store
        .replace_hash_if_unchanged(&fresh_account(), "$h1", "$h2")
        .await;
    assert!(
        !unknown.expect("CredentialStore::replace_hash_if_unchanged failed"),
        "an unknown account must report false"
    );
    assert_eq!(
        stored_hash(&store, &login).await,
        "$h2",
        "only the winning replace lands"
    );
}

/// 64 concurrent compare-and-sets from the same expected hash: exactly one
/// wins, and the stored hash is the winner's.
pub async fn concurrent_replacements_have_exactly_one_winner(store: Arc<dyn CredentialStore>) {
    let login = fresh_name("jane");
    let account = create(&store, &login, "$h0").await;
    let outcomes = race(64, |i| {
        let (store, account) = (store.clone(), account.clone());
        async move {
            let new = format!("$new{i}");
            let won = store
                .replace_hash_if_unchanged(&account, "$h0", &new)
                .await
                .expect("CredentialStore::replace_hash_if_unchanged failed under concurrency");
            won.then_some(new)
        }
    })
    .await;
    let winners: Vec<String> = outcomes.into_iter().flatten().collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one compare-and-set must win: {winners:?}"
    );
    assert_eq!(
        stored_hash(&store, &login).await,
        winners[0],
        "the stored hash must be the winner's"
    );
}

/// A rehash (compare-and-set from the old hash) racing a password change
/// never loses the change, over many rounds: an unconditional change
/// always ends stored; a conditional change either ends stored or was told
/// it lost.
pub async fn rehash_racing_password_change_never_loses_the_change(store: Arc<dyn CredentialStore>) {
    for round in 0..50u32 {
        let login = fresh_name("race");
        let account = create(&store, &login, "$old").await;
        let conditional = !round.is_multiple_of(2);
        let landed = race(2, |i| {
            let (store, account) = (store.clone(), account.clone());
            async move {
                let result = match (i, conditional) {
                    (0, _) => {
                        store
                            .replace_hash_if_unchanged(&account, "$old", "$old-rehashed")
                            .await
                    }
                    (_, true) => {
                        store
                            .replace_hash_if_unchanged(&account, "$old", "$changed")
                            .await
                    }
                    (_, false) => store.set_hash(&account, "$changed").await,
                };
                result.expect("a rehash or a password change failed under concurrency")
            }
        })
        .await;
        let (rehashed, changed) = (landed[0], landed[1]);
        let stored = stored_hash(&store, &login).await;
        if changed {
            assert_eq!(
                stored, "$changed",
                "round {round}: a reported change was lost (rehashed: {rehashed})"
            );
        } else {
            assert_eq!(
                stored, "$old-rehashed",
                "round {round}: the change lost, so only the rehash may have written"
            );
        }
        assert!(changed || rehashed, "round {round}: one of them must land");
    }
}
