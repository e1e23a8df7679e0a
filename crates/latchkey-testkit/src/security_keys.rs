//! The [`SecurityKeyStore`] conformance cases. Each panics, saying what
//! broke, on failure.

use std::sync::Arc;

use latchkey_core::AccountId;
use latchkey_webauthn::{
    CeremonyPurpose, CeremonyRecord, KeyUse, SecurityKeyRecord, SecurityKeyStore,
};
use time::{Duration, OffsetDateTime};

use crate::{count, fresh_account, race, t0};

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    latchkey_core::random::fill(&mut bytes).expect("the OS random generator must work");
    bytes
}

/// A ceremony of `account` for `purpose`, live for 5 minutes from `t0()`.
fn ceremony(account: &AccountId, purpose: CeremonyPurpose) -> CeremonyRecord {
    CeremonyRecord {
        id_digest: random(),
        account: account.clone(),
        purpose,
        state: r#"{"challenge":"c29tZSBzdGF0ZQ"}"#.to_owned(),
        expires_at: t0() + Duration::minutes(5),
    }
}

/// A key of `account` made at `created_at`, with a fresh credential id.
fn key(account: &AccountId, created_at: OffsetDateTime) -> SecurityKeyRecord {
    SecurityKeyRecord {
        account: account.clone(),
        credential_id: random::<32>().to_vec(),
        name: "YubiKey 5C".to_owned(),
        passkey: r#"{"cred":{"counter":0}}"#.to_owned(),
        counter: 0,
        backup_eligible: false,
        backed_up: false,
        created_at,
        last_used_at: None,
    }
}

fn used(counter: u32) -> KeyUse {
    KeyUse {
        passkey: format!(r#"{{"cred":{{"counter":{counter}}}}}"#),
        counter,
        backed_up: true,
        backup_eligible: true,
        at: t0() + Duration::minutes(1),
    }
}

async fn insert(store: &Arc<dyn SecurityKeyStore>, record: &CeremonyRecord) -> bool {
    store
        .insert_ceremony(record.clone())
        .await
        .expect("SecurityKeyStore::insert_ceremony failed")
}

async fn take(
    store: &Arc<dyn SecurityKeyStore>,
    record: &CeremonyRecord,
    now: OffsetDateTime,
) -> Option<CeremonyRecord> {
    store
        .take_ceremony(&record.id_digest, now)
        .await
        .expect("SecurityKeyStore::take_ceremony failed")
}

async fn add(store: &Arc<dyn SecurityKeyStore>, record: &SecurityKeyRecord) -> bool {
    store
        .add_security_key(record.clone())
        .await
        .expect("SecurityKeyStore::add_security_key failed")
}

async fn keys(store: &Arc<dyn SecurityKeyStore>, account: &AccountId) -> Vec<SecurityKeyRecord> {
    store
        .security_keys(account)
        .await
        .expect("SecurityKeyStore::security_keys failed")
}

/// Every purpose round-trips; a ceremony is taken once; a taken digest
/// is refused on insert; an unknown one is `None`.
pub async fn a_ceremony_is_taken_once_with_every_field(store: Arc<dyn SecurityKeyStore>) {
    let jane = fresh_account();
    let never = ceremony(&jane, CeremonyPurpose::SecondFactor);
    assert_eq!(take(&store, &never, t0()).await, None);
    for purpose in [
        CeremonyPurpose::Registration {
            name: "iPhone ✓".to_owned(),
        },
        CeremonyPurpose::SecondFactor,
        CeremonyPurpose::StepUp {
            operation: random(),
        },
        CeremonyPurpose::Passwordless,
    ] {
        let record = ceremony(&jane, purpose);
        assert!(insert(&store, &record).await, "a fresh digest is stored");
        assert!(!insert(&store, &record).await, "a taken digest is refused");
        assert_eq!(take(&store, &record, t0()).await, Some(record.clone()));
        assert_eq!(take(&store, &record, t0()).await, None, "taken once");
    }
}

/// A ceremony is live up to the instant before `expires_at`; taking it at
/// or after that instant gives `None`, and it stays gone.
pub async fn a_ceremony_is_dead_at_its_expiry_instant(store: Arc<dyn SecurityKeyStore>) {
    let jane = fresh_account();
    let live = ceremony(&jane, CeremonyPurpose::SecondFactor);
    assert!(insert(&store, &live).await);
    let just_before = live.expires_at - Duration::milliseconds(1);
    assert!(take(&store, &live, just_before).await.is_some());
    let dead = ceremony(&jane, CeremonyPurpose::SecondFactor);
    assert!(insert(&store, &dead).await);
    assert_eq!(take(&store, &dead, dead.expires_at).await, None);
    assert_eq!(
        take(&store, &dead, just_before).await,
        None,
        "and it stays gone"
    );
}

/// Of 64 concurrent takers of one ceremony, exactly one gets it.
pub async fn sixty_four_takers_of_one_ceremony_have_one_winner(store: Arc<dyn SecurityKeyStore>) {
    let record = ceremony(&fresh_account(), CeremonyPurpose::SecondFactor);
    assert!(insert(&store, &record).await);
    let taken = race(64, |_| {
        let (store, digest) = (store.clone(), record.id_digest);
        async move {
            store
                .take_ceremony(&digest, t0())
                .await
                .expect("SecurityKeyStore::take_ceremony failed")
                .is_some()
        }
    })
    .await;
    assert_eq!(
        count(&taken, |t| *t),
        1,
        "exactly one taker gets the ceremony"
    );
}

/// Keys round-trip every field, oldest first, each account its own; a
/// credential id is registered once across every account.
pub async fn keys_round_trip_and_credential_ids_are_unique(store: Arc<dyn SecurityKeyStore>) {
    let (jane, joe) = (fresh_account(), fresh_account());
    let first = key(&jane, t0());
    let mut second = key(&jane, t0() + Duration::seconds(1));
    second.backup_eligible = true;
    second.backed_up = true;
    second.counter = 7;
    second.last_used_at = Some(t0() + Duration::seconds(2));
    assert!(add(&store, &first).await);
    assert!(add(&store, &second).await);
    assert_eq!(keys(&store, &jane).await, [first.clone(), second]);
    let mut stolen = key(&joe, t0());
    stolen.credential_id = first.credential_id.clone();
    assert!(
        !add(&store, &stolen).await,
        "a credential id is registered once"
    );
    assert!(
        keys(&store, &joe).await.is_empty(),
        "a refused add stores nothing"
    );
}

/// Recording a use is compare-and-set on the counter, and only for the
/// account's own key.
pub async fn recording_a_use_is_compare_and_set_on_the_counter(store: Arc<dyn SecurityKeyStore>) {
    let (jane, joe) = (fresh_account(), fresh_account());
    let record = key(&jane, t0());
    assert!(add(&store, &record).await);
    let id = &record.credential_id;
    let record_use = |account: AccountId, seen: u32, update: KeyUse| {
        let store = store.clone();
        let id = id.clone();
        async move {
            store
                .record_key_use(&account, &id, seen, update)
                .await
                .expect("SecurityKeyStore::record_key_use failed")
        }
    };
    assert!(
        !record_use(jane.clone(), 3, used(4)).await,
        "a stale counter"
    );
    assert!(!record_use(joe, 0, used(1)).await, "another account's key");
    assert!(record_use(jane.clone(), 0, used(5)).await);
    let now = keys(&store, &jane).await.remove(0);
    let expected = used(5);
    assert_eq!(
        (
            now.counter,
            now.backed_up,
            now.backup_eligible,
            now.last_used_at,
            now.passkey
        ),
        (5, true, true, Some(expected.at), expected.passkey)
    );
    assert!(!record_use(jane, 0, used(6)).await, "the counter moved on");
}

/// Of 64 concurrent uses checked against one counter, exactly one is
/// recorded.
pub async fn sixty_four_uses_at_one_counter_have_one_winner(store: Arc<dyn SecurityKeyStore>) {
    let jane = fresh_account();
    let record = key(&jane, t0());
    assert!(add(&store, &record).await);
    let won = race(64, |i| {
        let (store, jane, id) = (store.clone(), jane.clone(), record.credential_id.clone());
        async move {
            store
                .record_key_use(&jane, &id, 0, used(u32::try_from(i).unwrap_or(0) + 1))
                .await
                .expect("SecurityKeyStore::record_key_use failed")
        }
    })
    .await;
    assert_eq!(count(&won, |w| *w), 1, "exactly one use is recorded");
}

/// Renaming and removing touch only the account's own key; of 64
/// concurrent removals one wins.
pub async fn rename_and_remove_touch_only_the_accounts_own_key(store: Arc<dyn SecurityKeyStore>) {
    let (jane, joe) = (fresh_account(), fresh_account());
    let record = key(&jane, t0());
    assert!(add(&store, &record).await);
    let id = &record.credential_id;
    let renamed = |account: &AccountId, name: &str| {
        let (store, account, id, name) =
            (store.clone(), account.clone(), id.clone(), name.to_owned());
        async move {
            store
                .rename_security_key(&account, &id, &name)
                .await
                .expect("SecurityKeyStore::rename_security_key failed")
        }
    };
    assert!(!renamed(&joe, "mine now").await);
    assert!(renamed(&jane, "Office key").await);
    assert_eq!(keys(&store, &jane).await[0].name, "Office key");
    assert!(
        !store
            .remove_security_key(&joe, id)
            .await
            .expect("SecurityKeyStore::remove_security_key failed")
    );
    let removed = race(64, |_| {
        let (store, jane, id) = (store.clone(), jane.clone(), id.clone());
        async move {
            store
                .remove_security_key(&jane, &id)
                .await
                .expect("SecurityKeyStore::remove_security_key failed")
        }
    })
    .await;
    assert_eq!(count(&removed, |r| *r), 1, "exactly one removal wins");
    assert!(keys(&store, &jane).await.is_empty());
    assert!(
        add(&store, &record).await,
        "a removed credential may register again"
    );
}

/// Purging removes the ceremonies expired at `now`, and only those.
pub async fn purge_removes_only_expired_ceremonies(store: Arc<dyn SecurityKeyStore>) {
    let jane = fresh_account();
    let old = ceremony(&jane, CeremonyPurpose::SecondFactor);
    let mut young = ceremony(&jane, CeremonyPurpose::SecondFactor);
    young.expires_at = t0() + Duration::minutes(10);
    assert!(insert(&store, &old).await);
    assert!(insert(&store, &young).await);
    let now = t0() + Duration::minutes(5);
    let purged = store
        .purge_expired_ceremonies(now)
        .await
        .expect("SecurityKeyStore::purge_expired_ceremonies failed");
    assert!(purged >= 1, "the expired ceremony goes (purged {purged})");
    assert_eq!(
        take(&store, &old, t0()).await,
        None,
        "purged, even for an earlier now"
    );
    assert!(take(&store, &young, now).await.is_some());
}

/// A key is found by its credential id alone, whoever's it is; an
/// unknown id, or a removed key's, finds nothing.
pub async fn a_key_is_found_by_its_credential_id(store: Arc<dyn SecurityKeyStore>) {
    let (jane, joe) = (fresh_account(), fresh_account());
    let janes = key(&jane, t0());
    let joes = key(&joe, t0());
    assert!(add(&store, &janes).await && add(&store, &joes).await);
    let by_id = |id: Vec<u8>| {
        let store = store.clone();
        async move {
            store
                .security_key_by_credential(&id)
                .await
                .expect("SecurityKeyStore::security_key_by_credential failed")
        }
    };
    assert_eq!(
        by_id(janes.credential_id.clone()).await,
        Some(janes.clone())
    );
    assert_eq!(by_id(joes.credential_id.clone()).await, Some(joes.clone()));
    assert_eq!(
        by_id(random::<32>().to_vec()).await,
        None,
        "an unknown id finds nothing"
    );
    assert!(
        store
            .remove_security_key(&jane, &janes.credential_id)
            .await
            .expect("SecurityKeyStore::remove_security_key failed")
    );
    assert_eq!(
        by_id(janes.credential_id).await,
        None,
        "a removed key is gone"
    );
}
