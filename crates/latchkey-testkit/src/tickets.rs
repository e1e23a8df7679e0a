//! The [`TicketStore`] conformance cases (account-recovery tickets). Each
//! panics, saying what broke, on failure.

use std::sync::Arc;

use latchkey_core::EmailAddress;
use latchkey_recovery::{
    Actor, AuditAction, AuditEntry, Draft, Evidence, Ticket, TicketChange, TicketId, TicketState,
    TicketStore, Topic, Transition, ValidForm,
};
use time::{Duration, OffsetDateTime};

use crate::{count, fresh_account, fresh_name, race, t0};

fn address(text: &str) -> EmailAddress {
    EmailAddress::parse(text).expect("a valid test address")
}

fn ticket() -> Ticket {
    Ticket {
        id: TicketId::generate().expect("the OS random generator must work"),
        login: fresh_name("login"),
        account: Some(fresh_account()),
        contact: address("contact@example.com"),
        topic: Topic::ResetEmail,
        evidence: Evidence::default(),
        state: TicketState::Submitted,
        version: 0,
        submitted_at: t0(),
        approvals: Vec::new(),
        approved_at: None,
        cancel_digest: Some([3; 32]),
        audit: vec![entry(AuditAction::Opened)],
    }
}

fn entry(action: AuditAction) -> AuditEntry {
    AuditEntry {
        at: t0(),
        actor: Actor::Staff("alice".into()),
        action,
        note: Some("n".into()),
    }
}

fn change(state: TicketState) -> TicketChange {
    TicketChange {
        state,
        approvals: Vec::new(),
        approved_at: None,
    }
}

async fn inserted(store: &Arc<dyn TicketStore>) -> Ticket {
    let t = ticket();
    store
        .insert(t.clone())
        .await
        .expect("TicketStore::insert failed");
    t
}

async fn get(store: &Arc<dyn TicketStore>, id: &TicketId) -> Ticket {
    store
        .get(id)
        .await
        .expect("TicketStore::get failed")
        .expect("get after insert must find the ticket")
}

async fn transition(
    store: &Arc<dyn TicketStore>,
    id: &TicketId,
    version: u64,
    e: AuditEntry,
) -> bool {
    store
        .transition(id, version, change(TicketState::InReview), e)
        .await
        .expect("TicketStore::transition failed")
}

/// An unknown ticket or draft reads as `Ok(None)`, and a note on an
/// unknown ticket reports `false`.
pub async fn unknown_ticket_and_draft_are_none(store: Arc<dyn TicketStore>) {
    let id = TicketId::generate().expect("the OS random generator must work");
    let got = store.get(&id).await.expect("TicketStore::get failed");
    assert!(got.is_none(), "an unknown ticket must be Ok(None)");
    let draft = store
        .get_draft(&id.0)
        .await
        .expect("TicketStore::get_draft failed");
    assert!(draft.is_none(), "an unknown draft must be Ok(None)");
    let taken = store
        .take_draft(&id.0)
        .await
        .expect("TicketStore::take_draft failed");
    assert!(taken.is_none(), "taking an unknown draft must be Ok(None)");
    let noted = store
        .append_note(&id, entry(AuditAction::Note))
        .await
        .expect("TicketStore::append_note failed");
    assert!(!noted, "a note on an unknown ticket must report false");
}

/// A ticket reads back whole.
pub async fn tickets_round_trip(store: Arc<dyn TicketStore>) {
    let t = inserted(&store).await;
    assert_eq!(
        get(&store, &t.id).await,
        t,
        "get after insert must return the ticket whole"
    );
}

/// A transition applies only at the expected version, bumps it and appends
/// its audit entry.
pub async fn transitions_are_compare_and_set_on_the_version(store: Arc<dyn TicketStore>) {
    let t = inserted(&store).await;
    let moved = entry(AuditAction::Transition(Transition::StartReview));
    assert!(
        transition(&store, &t.id, 0, moved.clone()).await,
        "a transition at the current version must apply"
    );
    assert!(
        !transition(&store, &t.id, 0, moved.clone()).await,
        "a transition at a stale version must be refused"
    );
    let after = get(&store, &t.id).await;
    assert_eq!(
        (after.state, after.version, after.audit.len()),
        (TicketState::InReview, 1, 2),
        "one transition must change the state, bump the version and add one entry"
    );
    assert_eq!(
        after.audit[1], moved,
        "the transition's entry must be appended whole"
    );
    let unknown = TicketId::generate().expect("the OS random generator must work");
    assert!(
        !transition(&store, &unknown, 0, moved).await,
        "a transition of an unknown ticket must report false"
    );
}

/// 64 concurrent transitions from the same version: exactly one wins, and
/// exactly its audit entry is added.
pub async fn concurrent_transitions_have_exactly_one_winner(store: Arc<dyn TicketStore>) {
    let t = inserted(&store).await;
    let wins = race(64, |i| {
        let store = store.clone();
        async move {
            let mut e = entry(AuditAction::Transition(Transition::StartReview));
            e.actor = Actor::Staff(format!("staff-{i}"));
            transition(&store, &t.id, 0, e).await
        }
    })
    .await;
    assert_eq!(
        count(&wins, |w| *w),
        1,
        "exactly one of 64 transitions from one version must win"
    );
    let after = get(&store, &t.id).await;
    assert_eq!(
        (after.version, after.audit.len()),
        (1, 2),
        "only the winner may bump the version and add its entry"
    );
}

/// 48 notes and 16 transitions racing: every note and every winning
/// transition is in the audit trail.
pub async fn the_audit_trail_never_loses_an_entry(store: Arc<dyn TicketStore>) {
    let t = inserted(&store).await;
    let written = race(64, |i| {
        let store = store.clone();
        async move {
            if i < 48 {
                let mut note = entry(AuditAction::Note);
                note.note = Some(format!("note {i}"));
                store
                    .append_note(&t.id, note)
                    .await
                    .expect("TicketStore::append_note failed under concurrency")
            } else {
                let version = (i - 48) as u64;
                let state = if version.is_multiple_of(2) {
                    TicketState::InReview
                } else {
                    TicketState::Submitted
                };
                let e = entry(AuditAction::Transition(Transition::StartReview));
                store
                    .transition(&t.id, version, change(state), e)
                    .await
                    .expect("TicketStore::transition failed under concurrency")
            }
        }
    })
    .await;
    let after = get(&store, &t.id).await;
    assert_eq!(
        after.audit.len(),
        1 + count(&written, |w| *w),
        "the trail must hold the opening entry plus every write that reported true"
    );
    assert_eq!(
        count(&after.audit, |e| e.action == AuditAction::Note),
        48,
        "every one of the 48 notes must be in the trail"
    );
}

/// A draft reads back whole and is taken by exactly one of 64 concurrent
/// callers; afterwards it is gone.
pub async fn a_draft_is_taken_once(store: Arc<dyn TicketStore>) {
    let id = TicketId::generate()
        .expect("the OS random generator must work")
        .0;
    let draft = Draft {
        id,
        form: ValidForm {
            login: "jane".into(),
            contact: address("c@example.com"),
            topic: Topic::Other {
                details: "help".into(),
            },
            identities: Vec::new(),
        },
        expires_at: t0() + Duration::minutes(30),
    };
    store
        .put_draft(draft.clone())
        .await
        .expect("TicketStore::put_draft failed");
    let got = store
        .get_draft(&id)
        .await
        .expect("TicketStore::get_draft failed");
    assert_eq!(
        got,
        Some(draft),
        "get_draft after put_draft must return the draft whole"
    );
    let taken = race(64, |_| {
        let store = store.clone();
        async move {
            store
                .take_draft(&id)
                .await
                .expect("TicketStore::take_draft failed under concurrency")
                .is_some()
        }
    })
    .await;
    assert_eq!(
        count(&taken, |t| *t),
        1,
        "exactly one of 64 callers must take the draft"
    );
    let after = store
        .get_draft(&id)
        .await
        .expect("TicketStore::get_draft failed");
    assert!(after.is_none(), "a taken draft must be gone");
}

/// Submissions are counted per key up to the cap within the window
/// `(now - window, now]`: one exactly `window` old no longer counts.
pub async fn submissions_are_capped_per_key_and_window(store: Arc<dyn TicketStore>) {
    let key = fresh_name("contact");
    let day = Duration::hours(24);
    let submit = |key: String, at: OffsetDateTime| {
        let store = store.clone();
        async move {
            store
                .record_submission(&key, at, day, 3)
                .await
                .expect("TicketStore::record_submission failed")
        }
    };
    for i in 0..3 {
        let at = t0() + Duration::minutes(i);
        assert!(
            submit(key.clone(), at).await,
            "submission {i} of a cap of 3 must count"
        );
    }
    assert!(
        !submit(key.clone(), t0() + Duration::hours(1)).await,
        "a submission over the cap must be refused"
    );
    assert!(
        submit(fresh_name("other"), t0()).await,
        "another key must count separately"
    );
    let just_before = t0() + day - Duration::nanoseconds(1_000);
    assert!(
        !submit(key.clone(), just_before).await,
        "a submission just under a window old must still count"
    );
    assert!(
        submit(key.clone(), t0() + day).await,
        "a submission exactly one window old must no longer count"
    );
    assert!(
        !submit(key, t0() + day).await,
        "the new submission must count: the cap is full again"
    );
}
