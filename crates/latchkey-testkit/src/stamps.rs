//! The [`StampStore`] conformance cases. Each panics, saying what broke,
//! on failure.

use std::sync::Arc;

use latchkey_core::{AccountId, SecurityStamp};
use latchkey_devices::StampStore;

use crate::{fresh_account, fresh_stamp, race};

async fn stamp(
    store: &Arc<dyn StampStore>,
    account: &AccountId,
    fresh: SecurityStamp,
) -> SecurityStamp {
    store
        .stamp(account, fresh)
        .await
        .expect("StampStore::stamp failed")
}

async fn rotate(store: &Arc<dyn StampStore>, account: &AccountId, new: SecurityStamp) {
    store
        .rotate_stamp(account, new)
        .await
        .expect("StampStore::rotate_stamp failed");
}

/// The first call stores `fresh`; later calls return it, whatever `fresh`
/// they pass.
pub async fn the_first_stamp_is_kept_whatever_fresh_is_passed(store: Arc<dyn StampStore>) {
    let account = fresh_account();
    let first = fresh_stamp();
    assert_eq!(
        stamp(&store, &account, first).await,
        first,
        "the first stamp() of an account must store and return `fresh`"
    );
    for n in 2..=3 {
        assert_eq!(
            stamp(&store, &account, fresh_stamp()).await,
            first,
            "call {n} of stamp() must return the stored stamp, not its `fresh`"
        );
    }
}

/// 64 concurrent first calls, each with its own `fresh`: every one gets
/// the same stamp, one of the 64, and it stays.
pub async fn sixty_four_first_callers_get_one_stamp(store: Arc<dyn StampStore>) {
    let account = fresh_account();
    let offered: Vec<SecurityStamp> = (0..64).map(|_| fresh_stamp()).collect();
    let got = race(64, |i| {
        let (store, account, fresh) = (store.clone(), account.clone(), offered[i]);
        async move { stamp(&store, &account, fresh).await }
    })
    .await;
    let winner = got[0];
    assert!(
        got.iter().all(|s| *s == winner),
        "64 concurrent first calls of stamp() must all get the same stamp, got {got:?}"
    );
    assert!(
        offered.contains(&winner),
        "the stamp stored by concurrent first calls must be one of their `fresh` stamps"
    );
    assert_eq!(
        stamp(&store, &account, fresh_stamp()).await,
        winner,
        "the stamp the race stored must stay"
    );
}

/// Rotating replaces the stamp: the next `stamp()` returns the new one,
/// every time.
pub async fn rotate_replaces_the_stamp(store: Arc<dyn StampStore>) {
    let account = fresh_account();
    let old = fresh_stamp();
    assert_eq!(
        stamp(&store, &account, old).await,
        old,
        "the first stamp() of an account must store and return `fresh`"
    );
    for n in 1..=2 {
        let new = fresh_stamp();
        rotate(&store, &account, new).await;
        assert_eq!(
            stamp(&store, &account, fresh_stamp()).await,
            new,
            "after rotation {n} stamp() must return the new stamp"
        );
        assert_eq!(
            stamp(&store, &account, old).await,
            new,
            "after rotation {n} stamp() must not go back to an old stamp"
        );
    }
}

/// Each account has its own stamp: storing or rotating one leaves the
/// others.
pub async fn accounts_have_independent_stamps(store: Arc<dyn StampStore>) {
    let (jane, joe) = (fresh_account(), fresh_account());
    let (janes, joes) = (fresh_stamp(), fresh_stamp());
    assert_eq!(
        stamp(&store, &jane, janes).await,
        janes,
        "the first stamp() of one account must store its `fresh`"
    );
    assert_eq!(
        stamp(&store, &joe, joes).await,
        joes,
        "another account's first stamp() must store its own `fresh`"
    );
    let rotated = fresh_stamp();
    rotate(&store, &jane, rotated).await;
    assert_eq!(
        stamp(&store, &joe, fresh_stamp()).await,
        joes,
        "rotating one account's stamp must not change another's"
    );
    assert_eq!(
        stamp(&store, &jane, fresh_stamp()).await,
        rotated,
        "the rotated account must have its new stamp"
    );
}

/// 32 rotations racing 32 reads of one account never fail; every read
/// sees the stamp before or one of the rotated ones, and afterwards the
/// account has one of the rotated ones.
pub async fn rotations_racing_reads_leave_one_of_the_new_stamps(store: Arc<dyn StampStore>) {
    let account = fresh_account();
    let old = fresh_stamp();
    assert_eq!(
        stamp(&store, &account, old).await,
        old,
        "the first stamp() of an account must store and return `fresh`"
    );
    let new: Vec<SecurityStamp> = (0..32).map(|_| fresh_stamp()).collect();
    let seen = race(64, |i| {
        let (store, account) = (store.clone(), account.clone());
        let rotation = new.get(i / 2).copied().filter(|_| i % 2 == 0);
        async move {
            match rotation {
                Some(new) => {
                    rotate(&store, &account, new).await;
                    None
                }
                None => Some(stamp(&store, &account, fresh_stamp()).await),
            }
        }
    })
    .await;
    assert!(
        seen.iter().flatten().all(|s| *s == old || new.contains(s)),
        "a read racing rotations must see the old stamp or a rotated one, got {seen:?}"
    );
    let last = stamp(&store, &account, fresh_stamp()).await;
    assert!(
        new.contains(&last),
        "after 32 rotations the account must have one of the rotated stamps, got {last:?}"
    );
}
