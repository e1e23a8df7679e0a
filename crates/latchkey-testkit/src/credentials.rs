//! The [`CredentialStore`] conformance cases. Each panics on failure.

use std::sync::Arc;

use latchkey_credentials::CredentialStore;
use tokio::task::JoinSet;

use crate::{fresh_account, fresh_name};

/// A login that was never created is `Ok(None)`, not an error.
pub async fn unknown_login_is_none(store: Arc<dyn CredentialStore>) {
    let found = store
        .find_by_login(&fresh_name("nobody"))
        .await
        .expect("store answers");
    assert!(found.is_none(), "unknown login must be Ok(None)");
}

/// A created credential is found by its login, with its account and hash.
pub async fn create_then_find(store: Arc<dyn CredentialStore>) {
    let (login, account) = (fresh_name("jane"), fresh_account());
    assert!(
        store
            .create(&login, &account, "$argon2id$h1")
            .await
            .expect("create")
    );
    let found = store
        .find_by_login(&login)
        .await
        .expect("find")
        .expect("created login is found");
    assert_eq!(found.account, account);
    assert_eq!(found.phc, "$argon2id$h1");
}

/// A second credential for the same login or the same account is refused
/// and changes nothing.
pub async fn create_refuses_taken_login_or_account(store: Arc<dyn CredentialStore>) {
    let (login, account) = (fresh_name("jane"), fresh_account());
    assert!(store.create(&login, &account, "$h1").await.expect("create"));
    assert!(
        !store
            .create(&login, &fresh_account(), "$h2")
            .await
            .expect("create"),
        "login taken"
    );
    assert!(
        !store
            .create(&fresh_name("other"), &account, "$h3")
            .await
            .expect("create"),
        "account taken"
    );
    let found = store
        .find_by_login(&login)
        .await
        .expect("find")
        .expect("still there");
    assert_eq!((found.account, found.phc.as_str()), (account, "$h1"));
}

/// `set_hash` replaces unconditionally and reports unknown accounts.
pub async fn set_hash_replaces_and_reports_unknown_accounts(store: Arc<dyn CredentialStore>) {
    let (login, account) = (fresh_name("jane"), fresh_account());
    assert!(store.create(&login, &account, "$h1").await.expect("create"));
    assert!(store.set_hash(&account, "$h2").await.expect("set"));
    let found = store
        .find_by_login(&login)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.phc, "$h2");
    assert!(
        !store.set_hash(&fresh_account(), "$h3").await.expect("set"),
        "unknown account"
    );
}

/// `replace_hash_if_unchanged` writes only when the stored hash is the
/// expected one.
pub async fn replace_if_unchanged_is_compare_and_set(store: Arc<dyn CredentialStore>) {
    let (login, account) = (fresh_name("jane"), fresh_account());
    assert!(store.create(&login, &account, "$h1").await.expect("create"));
    assert!(
        !store
            .replace_hash_if_unchanged(&account, "$stale", "$h2")
            .await
            .expect("cas")
    );
    assert!(
        store
            .replace_hash_if_unchanged(&account, "$h1", "$h2")
            .await
            .expect("cas")
    );
    assert!(
        !store
            .replace_hash_if_unchanged(&account, "$h1", "$h3")
            .await
            .expect("cas")
    );
    let unknown = store
        .replace_hash_if_unchanged(&fresh_account(), "$h1", "$h2")
        .await;
    assert!(!unknown.expect("cas"), "unknown account");
    let found = store
        .find_by_login(&login)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.phc, "$h2");
}

/// 32 concurrent compare-and-sets from the same expected hash: exactly one
/// wins, and the stored hash is the winner's.
pub async fn concurrent_replacements_have_exactly_one_winner(store: Arc<dyn CredentialStore>) {
    let (login, account) = (fresh_name("jane"), fresh_account());
    assert!(store.create(&login, &account, "$h0").await.expect("create"));
    let mut tasks = JoinSet::new();
    for i in 0..32 {
        let (store, account) = (store.clone(), account.clone());
        tasks.spawn(async move {
            let new = format!("$new{i}");
            let won = store
                .replace_hash_if_unchanged(&account, "$h0", &new)
                .await
                .expect("cas");
            won.then_some(new)
        });
    }
    let winners: Vec<String> = tasks.join_all().await.into_iter().flatten().collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one compare-and-set wins: {winners:?}"
    );
    let found = store
        .find_by_login(&login)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.phc, winners[0]);
}

/// A rehash (compare-and-set from the old hash) racing a password change
/// never loses the change, over many rounds: an unconditional change
/// always ends stored; a conditional change either ends stored or was told
/// it lost.
pub async fn rehash_racing_password_change_never_loses_the_change(store: Arc<dyn CredentialStore>) {
    for round in 0..50 {
        let (login, account) = (fresh_name("race"), fresh_account());
        assert!(
            store
                .create(&login, &account, "$old")
                .await
                .expect("create")
        );
        let rehash = {
            let (store, account) = (store.clone(), account.clone());
            tokio::spawn(async move {
                store
                    .replace_hash_if_unchanged(&account, "$old", "$old-rehashed")
                    .await
            })
        };
        let change = {
            let (store, account) = (store.clone(), account.clone());
            let conditional = round % 2 == 1;
            tokio::spawn(async move {
                if conditional {
                    store
                        .replace_hash_if_unchanged(&account, "$old", "$changed")
                        .await
                } else {
                    store.set_hash(&account, "$changed").await
                }
            })
        };
        let rehashed = rehash.await.expect("join").expect("rehash");
        let changed = change.await.expect("join").expect("change");
        let stored = store
            .find_by_login(&login)
            .await
            .expect("find")
            .expect("found")
            .phc;
        if changed {
            assert_eq!(
                stored, "$changed",
                "round {round}: a reported change was lost (rehashed: {rehashed})"
            );
        } else {
            assert_eq!(
                stored, "$old-rehashed",
                "round {round}: nothing else may have written"
            );
        }
        assert!(changed || rehashed, "round {round}: one of them must land");
    }
}
