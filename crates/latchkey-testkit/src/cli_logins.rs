//! The [`CliLoginStore`] conformance cases. Each panics, saying what
//! broke, on failure.

use std::sync::Arc;

use latchkey_cli_login::{
    CliLoginDecision, CliLoginPoll, CliLoginRecord, CliLoginStore, NewCliLogin,
};
use time::{Duration, OffsetDateTime};

use crate::{count, fresh_account, fresh_stamp, race, t0};

/// How long the cases' sessions live.
const LIFETIME: Duration = Duration::minutes(10);

/// A fresh session made at `t0()`.
fn session() -> CliLoginRecord {
    NewCliLogin::generate(t0(), LIFETIME, Some("registry-cli 0.1 on a laptop"))
        .expect("the OS random generator must work")
        .record
}

fn approve() -> CliLoginDecision {
    CliLoginDecision::Approve {
        account: fresh_account(),
        stamp: fresh_stamp(),
    }
}

async fn insert(store: &Arc<dyn CliLoginStore>, record: &CliLoginRecord) -> bool {
    store
        .insert_cli_login(record.clone())
        .await
        .expect("CliLoginStore::insert_cli_login failed")
}

async fn inserted(store: &Arc<dyn CliLoginStore>) -> CliLoginRecord {
    let record = session();
    assert!(
        insert(store, &record).await,
        "insert_cli_login of fresh digests must succeed"
    );
    record
}

async fn pending(
    store: &Arc<dyn CliLoginStore>,
    record: &CliLoginRecord,
    now: OffsetDateTime,
) -> Option<CliLoginRecord> {
    store
        .pending_cli_login(&record.id_digest, now)
        .await
        .expect("CliLoginStore::pending_cli_login failed")
}

async fn decide(
    store: &Arc<dyn CliLoginStore>,
    record: &CliLoginRecord,
    decision: &CliLoginDecision,
    now: OffsetDateTime,
) -> bool {
    store
        .decide_cli_login(&record.id_digest, decision, now)
        .await
        .expect("CliLoginStore::decide_cli_login failed")
}

async fn poll(
    store: &Arc<dyn CliLoginStore>,
    record: &CliLoginRecord,
    now: OffsetDateTime,
    min_gap: Duration,
) -> CliLoginPoll {
    store
        .poll_cli_login(&record.poll_digest, now, min_gap)
        .await
        .expect("CliLoginStore::poll_cli_login failed")
}

/// An unknown digest is not pending, cannot be decided and polls `Gone`;
/// the id's digest is no poll digest.
pub async fn unknown_session_is_gone(store: Arc<dyn CliLoginStore>) {
    let never = session();
    assert_eq!(pending(&store, &never, t0()).await, None);
    assert!(!decide(&store, &never, &approve(), t0()).await);
    assert_eq!(
        poll(&store, &never, t0(), Duration::ZERO).await,
        CliLoginPoll::Gone
    );
    let record = inserted(&store).await;
    let crossed = store
        .poll_cli_login(&record.id_digest, t0(), Duration::ZERO)
        .await
        .expect("CliLoginStore::poll_cli_login failed");
    assert_eq!(
        crossed,
        CliLoginPoll::Gone,
        "the browser's id must not poll"
    );
    let crossed = store
        .pending_cli_login(&record.poll_digest, t0())
        .await
        .expect("CliLoginStore::pending_cli_login failed");
    assert_eq!(
        crossed, None,
        "the poll token must not open the browser's page"
    );
}

/// Every field comes back from `pending_cli_login`; a taken id digest or
/// poll digest is refused and changes nothing.
pub async fn sessions_round_trip_and_digests_are_unique(store: Arc<dyn CliLoginStore>) {
    let record = inserted(&store).await;
    assert_eq!(pending(&store, &record, t0()).await, Some(record.clone()));
    assert!(!insert(&store, &record).await, "the same session twice");
    let mut same_id = session();
    same_id.id_digest = record.id_digest;
    assert!(!insert(&store, &same_id).await, "a taken id digest");
    let mut same_poll = session();
    same_poll.poll_digest = record.poll_digest;
    assert!(!insert(&store, &same_poll).await, "a taken poll digest");
    assert_eq!(
        pending(&store, &same_poll, t0()).await,
        None,
        "a refused insert must store nothing"
    );
    let mut unlabelled = session();
    unlabelled.client = None;
    assert!(insert(&store, &unlabelled).await);
    assert_eq!(pending(&store, &unlabelled, t0()).await, Some(unlabelled));
}

/// A session is live up to the instant before `expires_at` and dead from
/// it on, for every operation.
pub async fn a_session_is_dead_at_its_expiry_instant(store: Arc<dyn CliLoginStore>) {
    let record = inserted(&store).await;
    let end = record.expires_at;
    let just_before = end - Duration::milliseconds(1);
    assert!(pending(&store, &record, just_before).await.is_some());
    assert_eq!(pending(&store, &record, end).await, None);
    assert!(!decide(&store, &record, &approve(), end).await);
    assert_eq!(
        poll(&store, &record, end, Duration::ZERO).await,
        CliLoginPoll::Gone
    );
    assert_eq!(
        poll(&store, &record, just_before, Duration::ZERO).await,
        CliLoginPoll::Waiting
    );

    let approved = inserted(&store).await;
    assert!(decide(&store, &approved, &approve(), just_before).await);
    assert_eq!(
        poll(&store, &approved, end, Duration::ZERO).await,
        CliLoginPoll::Gone,
        "an approval not collected by the expiry must die with the session"
    );
}

/// Waiting until decided; the approval (account and stamp) exactly once;
/// then `Claimed`. A decided session is no longer pending and cannot be
/// decided again.
pub async fn an_approval_is_collected_once(store: Arc<dyn CliLoginStore>) {
    let record = inserted(&store).await;
    let gap = Duration::seconds(5);
    assert_eq!(
        poll(&store, &record, t0(), gap).await,
        CliLoginPoll::Waiting
    );
    let decision = approve();
    assert!(decide(&store, &record, &decision, t0() + Duration::seconds(1)).await);
    assert_eq!(
        pending(&store, &record, t0() + Duration::seconds(1)).await,
        None
    );
    assert!(!decide(&store, &record, &CliLoginDecision::Deny, t0()).await);
    let CliLoginDecision::Approve { account, stamp } = decision else {
        unreachable!("approve() approves")
    };
    assert_eq!(
        poll(&store, &record, t0() + gap, gap).await,
        CliLoginPoll::Approved { account, stamp }
    );
    assert_eq!(
        poll(&store, &record, t0() + gap * 2, gap).await,
        CliLoginPoll::Claimed
    );
}

/// A denial answers `Denied` to every later poll.
pub async fn a_denial_is_reported_to_every_poll(store: Arc<dyn CliLoginStore>) {
    let record = inserted(&store).await;
    assert!(decide(&store, &record, &CliLoginDecision::Deny, t0()).await);
    assert!(!decide(&store, &record, &approve(), t0()).await);
    for n in 0..3 {
        assert_eq!(
            poll(&store, &record, t0() + Duration::seconds(n), Duration::ZERO).await,
            CliLoginPoll::Denied
        );
    }
}

/// A poll less than the gap after the previous one is `TooSoon` (and
/// counts as the previous one); exactly the gap later is in time. The
/// first poll is always in time.
pub async fn a_poll_sooner_than_the_gap_is_too_soon(store: Arc<dyn CliLoginStore>) {
    let record = inserted(&store).await;
    let gap = Duration::seconds(5);
    assert_eq!(
        poll(&store, &record, t0(), gap).await,
        CliLoginPoll::Waiting
    );
    let early = t0() + gap - Duration::milliseconds(1);
    assert_eq!(
        poll(&store, &record, early, gap).await,
        CliLoginPoll::TooSoon
    );
    assert_eq!(
        poll(
            &store,
            &record,
            early + gap - Duration::milliseconds(1),
            gap
        )
        .await,
        CliLoginPoll::TooSoon,
        "the refused poll must count as the previous one"
    );
    let last = early + gap - Duration::milliseconds(1);
    assert!(decide(&store, &record, &approve(), last).await);
    assert!(
        matches!(
            poll(&store, &record, last + gap, gap).await,
            CliLoginPoll::Approved { .. }
        ),
        "a poll exactly the gap later must be in time"
    );
}

/// Of 64 concurrent polls after an approval, exactly one collects it.
pub async fn sixty_four_polls_after_an_approval_have_one_winner(store: Arc<dyn CliLoginStore>) {
    let record = inserted(&store).await;
    assert!(decide(&store, &record, &approve(), t0()).await);
    let outcomes = race(64, |_| {
        let (store, digest) = (store.clone(), record.poll_digest);
        async move {
            store
                .poll_cli_login(&digest, t0() + Duration::seconds(1), Duration::ZERO)
                .await
                .expect("CliLoginStore::poll_cli_login failed")
        }
    })
    .await;
    assert_eq!(
        count(&outcomes, |o| matches!(o, CliLoginPoll::Approved { .. })),
        1,
        "exactly one poll must collect the approval: {outcomes:?}"
    );
    assert_eq!(count(&outcomes, |o| *o == CliLoginPoll::Claimed), 63);
}

/// Of 64 concurrent decisions (approvals for different accounts and
/// denials), exactly one is recorded, and the poll reports that one.
pub async fn sixty_four_decisions_have_one_winner(store: Arc<dyn CliLoginStore>) {
    let record = inserted(&store).await;
    let decisions: Vec<CliLoginDecision> = (0..64)
        .map(|i| {
            if i % 2 == 0 {
                approve()
            } else {
                CliLoginDecision::Deny
            }
        })
        .collect();
    let won = race(64, |i| {
        let (store, digest, decision) = (store.clone(), record.id_digest, decisions[i].clone());
        async move {
            store
                .decide_cli_login(&digest, &decision, t0())
                .await
                .expect("CliLoginStore::decide_cli_login failed")
        }
    })
    .await;
    assert_eq!(
        count(&won, |w| *w),
        1,
        "exactly one decision must be recorded"
    );
    let winner = &decisions[won.iter().position(|w| *w).unwrap_or_default()];
    let expected = match winner {
        CliLoginDecision::Approve { account, stamp } => CliLoginPoll::Approved {
            account: account.clone(),
            stamp: *stamp,
        },
        CliLoginDecision::Deny => CliLoginPoll::Denied,
    };
    assert_eq!(poll(&store, &record, t0(), Duration::ZERO).await, expected);
}

/// Purging removes the sessions expired at `now` in every state, and
/// only those.
pub async fn purge_removes_only_expired_sessions(store: Arc<dyn CliLoginStore>) {
    let old = inserted(&store).await;
    let claimed = inserted(&store).await;
    assert!(decide(&store, &claimed, &approve(), t0()).await);
    assert!(matches!(
        poll(&store, &claimed, t0(), Duration::ZERO).await,
        CliLoginPoll::Approved { .. }
    ));
    let mut young = session();
    young.expires_at = t0() + LIFETIME * 2;
    assert!(insert(&store, &young).await);
    let now = t0() + LIFETIME;
    let purged = store
        .purge_expired_cli_logins(now)
        .await
        .expect("CliLoginStore::purge_expired_cli_logins failed");
    assert!(
        purged >= 2,
        "both expired sessions must go (purged {purged})"
    );
    assert_eq!(pending(&store, &young, now).await, Some(young.clone()));
    assert_eq!(
        poll(&store, &old, t0(), Duration::ZERO).await,
        CliLoginPoll::Gone,
        "a purged session must be gone even for a poll dated before its expiry"
    );
    assert!(
        insert(&store, &old).await,
        "a purged session's digests must be free again"
    );
}
