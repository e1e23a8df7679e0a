//! The [`DeviceStore`] conformance cases. Each panics, saying what broke,
//! on failure.

use std::sync::Arc;

use latchkey_core::AccountId;
use latchkey_devices::{DeviceId, DeviceRecord, DeviceStore};
use time::{Duration, OffsetDateTime};

use crate::{count, fresh_account, fresh_stamp, race, t0};

/// A random id, so one database may serve many runs.
fn fresh_id() -> DeviceId {
    let mut id = [0u8; 16];
    latchkey_core::random::fill(&mut id).expect("the OS random generator must work");
    DeviceId(id)
}

/// A record of `account` made at `created_at`, never used, for 90 days.
fn device(account: &AccountId, created_at: OffsetDateTime) -> DeviceRecord {
    let mut secret_digest = [0u8; 32];
    latchkey_core::random::fill(&mut secret_digest).expect("the OS random generator must work");
    DeviceRecord {
        id: fresh_id(),
        account: account.clone(),
        secret_digest,
        stamp: fresh_stamp(),
        label: "Firefox on Linux".to_owned(),
        created_at,
        last_used_at: None,
        last_client: None,
        expires_at: created_at + Duration::days(90),
    }
}

async fn insert(store: &Arc<dyn DeviceStore>, record: DeviceRecord) -> bool {
    store
        .insert_device(record)
        .await
        .expect("DeviceStore::insert_device failed")
}

async fn inserted(store: &Arc<dyn DeviceStore>, record: DeviceRecord) -> DeviceRecord {
    assert!(
        insert(store, record.clone()).await,
        "insert_device of a fresh id must succeed"
    );
    record
}

async fn get(store: &Arc<dyn DeviceStore>, id: &DeviceId) -> Option<DeviceRecord> {
    store
        .get_device(id)
        .await
        .expect("DeviceStore::get_device failed")
}

async fn list(store: &Arc<dyn DeviceStore>, account: &AccountId) -> Vec<DeviceRecord> {
    store
        .list_devices(account)
        .await
        .expect("DeviceStore::list_devices failed")
}

async fn touch(
    store: &Arc<dyn DeviceStore>,
    id: &DeviceId,
    now: OffsetDateTime,
    client: Option<&str>,
) -> bool {
    store
        .touch_device(id, now, client)
        .await
        .expect("DeviceStore::touch_device failed")
}

async fn rename(
    store: &Arc<dyn DeviceStore>,
    account: &AccountId,
    id: &DeviceId,
    label: &str,
) -> bool {
    store
        .rename_device(account, id, label)
        .await
        .expect("DeviceStore::rename_device failed")
}

async fn revoke(store: &Arc<dyn DeviceStore>, account: &AccountId, id: &DeviceId) -> bool {
    store
        .revoke_device(account, id)
        .await
        .expect("DeviceStore::revoke_device failed")
}

async fn revoke_all(store: &Arc<dyn DeviceStore>, account: &AccountId) -> u64 {
    store
        .revoke_all_devices(account)
        .await
        .expect("DeviceStore::revoke_all_devices failed")
}

/// An unknown id reads as `None` and can be neither touched, renamed nor
/// revoked; an account without devices lists none and revokes none.
pub async fn unknown_device_is_none_and_untouchable(store: Arc<dyn DeviceStore>) {
    let (id, account) = (fresh_id(), fresh_account());
    assert_eq!(
        get(&store, &id).await,
        None,
        "an unknown device must be Ok(None)"
    );
    assert!(
        !touch(&store, &id, t0(), Some("203.0.113.7")).await,
        "touching an unknown device must report false"
    );
    assert!(
        !rename(&store, &account, &id, "mine").await,
        "renaming an unknown device must report false"
    );
    assert!(
        !revoke(&store, &account, &id).await,
        "revoking an unknown device must report false"
    );
    assert!(
        list(&store, &account).await.is_empty(),
        "an account without devices must list none"
    );
    assert_eq!(
        revoke_all(&store, &account).await,
        0,
        "revoking all of an account without devices must count 0"
    );
}

/// A record comes back from `get_device` and `list_devices` exactly as
/// inserted, every field (a used one with its client, a sub-second time,
/// a label in Unicode; and one never used).
pub async fn devices_round_trip_every_field(store: Arc<dyn DeviceStore>) {
    let account = fresh_account();
    let made = t0() + Duration::microseconds(123_456);
    let used = DeviceRecord {
        label: "Jane’s Firefox — Linux".to_owned(),
        last_used_at: Some(made + Duration::hours(5) + Duration::microseconds(7)),
        last_client: Some("2001:db8::7".to_owned()),
        expires_at: made + Duration::days(30),
        ..device(&account, made)
    };
    let fresh = device(&account, made + Duration::seconds(1));
    for rec in [&used, &fresh] {
        inserted(&store, rec.clone()).await;
        assert_eq!(
            get(&store, &rec.id).await.as_ref(),
            Some(rec),
            "get_device after insert_device must return the record whole: {rec:?}"
        );
    }
    assert_eq!(
        list(&store, &account).await,
        [used, fresh],
        "list_devices must return the records whole"
    );
}

/// An id taken once is refused, storing nothing and changing nothing,
/// even when the second record is another account's.
pub async fn a_taken_id_is_refused(store: Arc<dyn DeviceStore>) {
    let (jane, mallory) = (fresh_account(), fresh_account());
    let first = inserted(&store, device(&jane, t0())).await;
    let second = DeviceRecord {
        id: first.id,
        label: "a second record".to_owned(),
        ..device(&mallory, t0() + Duration::seconds(1))
    };
    assert!(
        !insert(&store, second).await,
        "insert_device of a taken id must report false"
    );
    assert_eq!(
        get(&store, &first.id).await,
        Some(first.clone()),
        "a refused insert must not change the stored record"
    );
    assert_eq!(
        list(&store, &jane).await,
        [first],
        "a refused insert must not add to the owner's list"
    );
    assert!(
        list(&store, &mallory).await.is_empty(),
        "a refused insert must store nothing for its account"
    );
}

/// 64 concurrent inserts of one id (64 different records): exactly one is
/// stored, and it is the one whose insert reported `true`.
pub async fn sixty_four_inserts_of_one_id_have_one_winner(store: Arc<dyn DeviceStore>) {
    let id = fresh_id();
    let records: Vec<DeviceRecord> = (0..64)
        .map(|_| DeviceRecord {
            id,
            ..device(&fresh_account(), t0())
        })
        .collect();
    let wins = race(64, |i| {
        let (store, record) = (store.clone(), records[i].clone());
        async move { insert(&store, record).await }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 inserts of one id must succeed"
    );
    let winner = wins.iter().position(|w| *w).unwrap_or_default();
    assert_eq!(
        get(&store, &id).await.as_ref(),
        Some(&records[winner]),
        "the stored record must be the one whose insert succeeded"
    );
}

/// An account lists its own records only, oldest first, whatever the
/// order they were inserted in.
pub async fn list_is_the_accounts_own_oldest_first(store: Arc<dyn DeviceStore>) {
    let (jane, other) = (fresh_account(), fresh_account());
    let newest = inserted(&store, device(&jane, t0() + Duration::seconds(2))).await;
    let oldest = inserted(&store, device(&jane, t0())).await;
    let theirs = inserted(&store, device(&other, t0() + Duration::seconds(1))).await;
    let middle = inserted(&store, device(&jane, t0() + Duration::seconds(1))).await;
    assert_eq!(
        list(&store, &jane).await,
        [oldest, middle, newest],
        "list_devices must return the account's records only, oldest first"
    );
    assert_eq!(
        list(&store, &other).await,
        [theirs],
        "list_devices must return the other account's record only"
    );
}

/// Renaming changes the label of the account's own record and nothing
/// else; another account's id is refused and left as it was.
pub async fn rename_touches_only_the_accounts_own_record(store: Arc<dyn DeviceStore>) {
    let (jane, mallory) = (fresh_account(), fresh_account());
    let janes = inserted(&store, device(&jane, t0())).await;
    let mallorys = inserted(&store, device(&mallory, t0())).await;
    assert!(
        !rename(&store, &mallory, &janes.id, "pwned").await,
        "renaming another account's device must report false"
    );
    assert_eq!(
        get(&store, &janes.id).await,
        Some(janes.clone()),
        "a refused rename must not change the record"
    );
    assert!(
        rename(&store, &jane, &janes.id, "Work laptop").await,
        "renaming the account's own device must report true"
    );
    let renamed = DeviceRecord {
        label: "Work laptop".to_owned(),
        ..janes
    };
    assert_eq!(
        get(&store, &renamed.id).await,
        Some(renamed),
        "a rename must change the label and nothing else"
    );
    assert_eq!(
        get(&store, &mallorys.id).await,
        Some(mallorys),
        "a rename must not change another account's record"
    );
}

/// Revoking deletes the account's own record; another account's id is
/// refused and the record kept; a revoked record is revoked once.
pub async fn revoke_touches_only_the_accounts_own_record(store: Arc<dyn DeviceStore>) {
    let (jane, mallory) = (fresh_account(), fresh_account());
    let janes = inserted(&store, device(&jane, t0())).await;
    let kept = inserted(&store, device(&jane, t0() + Duration::seconds(1))).await;
    assert!(
        !revoke(&store, &mallory, &janes.id).await,
        "revoking another account's device must report false"
    );
    assert_eq!(
        get(&store, &janes.id).await,
        Some(janes.clone()),
        "a refused revoke must keep the record"
    );
    assert!(
        revoke(&store, &jane, &janes.id).await,
        "revoking the account's own device must report true"
    );
    assert_eq!(
        get(&store, &janes.id).await,
        None,
        "a revoked device must be gone"
    );
    assert!(
        !revoke(&store, &jane, &janes.id).await,
        "a device must be revoked only once"
    );
    assert!(
        !rename(&store, &jane, &janes.id, "back").await,
        "a revoked device must not be renamed"
    );
    assert_eq!(
        list(&store, &jane).await,
        [kept],
        "revoking one device must keep the account's others"
    );
}

/// Revoking all of an account's devices deletes those and counts them,
/// and leaves every other account's.
pub async fn revoke_all_removes_only_that_accounts_devices(store: Arc<dyn DeviceStore>) {
    let (jane, other) = (fresh_account(), fresh_account());
    for s in 0..3 {
        inserted(&store, device(&jane, t0() + Duration::seconds(s))).await;
    }
    let theirs = vec![
        inserted(&store, device(&other, t0())).await,
        inserted(&store, device(&other, t0() + Duration::seconds(1))).await,
    ];
    assert_eq!(
        revoke_all(&store, &jane).await,
        3,
        "revoke_all_devices must delete and count the account's 3 devices"
    );
    assert!(
        list(&store, &jane).await.is_empty(),
        "after revoke_all_devices the account must list none"
    );
    assert_eq!(
        list(&store, &other).await,
        theirs,
        "revoke_all_devices must leave another account's devices"
    );
    assert_eq!(
        revoke_all(&store, &jane).await,
        0,
        "a second revoke_all_devices must count 0"
    );
}

/// 64 concurrent revocations of one record: exactly one reports `true`.
pub async fn sixty_four_revokers_of_one_device_have_one_winner(store: Arc<dyn DeviceStore>) {
    let account = fresh_account();
    let rec = inserted(&store, device(&account, t0())).await;
    let wins = race(64, |_| {
        let (store, account, id) = (store.clone(), account.clone(), rec.id);
        async move { revoke(&store, &account, &id).await }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 revocations of one device must report true"
    );
    assert_eq!(
        get(&store, &rec.id).await,
        None,
        "the device must be gone after the race"
    );
}

/// A touch records the use (time and client, a missing client too) and
/// changes nothing else, `expires_at` least of all; a revoked record
/// cannot be touched.
pub async fn touch_records_the_use_and_never_extends_expiry(store: Arc<dyn DeviceStore>) {
    let account = fresh_account();
    let rec = inserted(&store, device(&account, t0())).await;
    let first = t0() + Duration::days(10);
    assert!(
        touch(&store, &rec.id, first, Some("203.0.113.7")).await,
        "touching a stored device must report true"
    );
    let touched = DeviceRecord {
        last_used_at: Some(first),
        last_client: Some("203.0.113.7".to_owned()),
        ..rec.clone()
    };
    assert_eq!(
        get(&store, &rec.id).await,
        Some(touched),
        "a touch must set last_used_at and last_client and change nothing else"
    );
    let second = first + Duration::days(60);
    assert!(
        touch(&store, &rec.id, second, None).await,
        "touching a stored device again must report true"
    );
    let again = get(&store, &rec.id)
        .await
        .expect("a touched device must still be stored");
    assert_eq!(
        (again.last_used_at, again.last_client.as_deref()),
        (Some(second), None),
        "a touch without a client must record the time and no client"
    );
    assert_eq!(
        again.expires_at, rec.expires_at,
        "a touch must never change expires_at"
    );
    assert!(
        revoke(&store, &account, &rec.id).await,
        "revoking the account's own device must report true"
    );
    assert!(
        !touch(&store, &rec.id, second, Some("203.0.113.7")).await,
        "touching a revoked device must report false"
    );
    assert_eq!(
        get(&store, &rec.id).await,
        None,
        "touching a revoked device must not bring it back"
    );
}

/// Expired records stay readable until purged; a purge at `now` deletes
/// exactly those with `expires_at <= now` and keeps one that expires a
/// microsecond later.
pub async fn purge_removes_exactly_the_expired_devices(store: Arc<dyn DeviceStore>) {
    let account = fresh_account();
    let now = t0() + Duration::days(1);
    let long_gone = inserted(
        &store,
        DeviceRecord {
            expires_at: now - Duration::seconds(1),
            ..device(&account, t0())
        },
    )
    .await;
    let at_now = inserted(
        &store,
        DeviceRecord {
            expires_at: now,
            ..device(&account, t0() + Duration::seconds(1))
        },
    )
    .await;
    let live = inserted(
        &store,
        DeviceRecord {
            expires_at: now + Duration::microseconds(1),
            ..device(&account, t0() + Duration::seconds(2))
        },
    )
    .await;
    assert_eq!(
        get(&store, &long_gone.id).await,
        Some(long_gone.clone()),
        "get_device must still return an expired device until it is purged"
    );
    assert_eq!(
        list(&store, &account).await.len(),
        3,
        "list_devices must include expired devices until they are purged"
    );
    let purged = store
        .purge_expired_devices(now)
        .await
        .expect("DeviceStore::purge_expired_devices failed");
    assert!(
        purged >= 2,
        "the 2 devices expired at now must be purged and counted, got {purged}"
    );
    assert_eq!(
        get(&store, &long_gone.id).await,
        None,
        "a device expired before now must be purged"
    );
    assert_eq!(
        get(&store, &at_now.id).await,
        None,
        "a device expiring exactly at now must be purged"
    );
    assert_eq!(
        list(&store, &account).await,
        [live],
        "a device expiring after now must be kept"
    );
}
