//! The [`TicketStore`] conformance cases. Each panics on failure.

use std::sync::Arc;

use latchkey_core::EmailAddress;
use latchkey_recovery::{
    Actor, AuditAction, AuditEntry, Draft, Evidence, Ticket, TicketChange, TicketId, TicketState,
    TicketStore, Topic, Transition, ValidForm,
};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use crate::fresh_name;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

fn ticket() -> Ticket {
    Ticket {
        id: TicketId::generate().expect("id"),
        login: fresh_name("login"),
        account: Some(crate::fresh_account()),
        contact: EmailAddress::parse("contact@example.com").expect("address"),
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

fn review() -> TicketChange {
    TicketChange {
        state: TicketState::InReview,
        approvals: Vec::new(),
        approved_at: None,
    }
}

/// An unknown ticket or draft reads as `Ok(None)`.
pub async fn unknown_ticket_and_draft_are_none(store: Arc<dyn TicketStore>) {
    assert!(
        store
            .get(&TicketId::generate().expect("id"))
            .await
            .expect("get")
            .is_none()
    );
    assert!(store.get_draft(&[9; 16]).await.expect("draft").is_none());
}

/// A ticket reads back whole.
pub async fn tickets_round_trip(store: Arc<dyn TicketStore>) {
    let t = ticket();
    store.insert(t.clone()).await.expect("insert");
    assert_eq!(store.get(&t.id).await.expect("get"), Some(t));
}

/// A transition applies only at the expected version, bumps it and appends
/// its audit entry.
pub async fn transitions_are_compare_and_set_on_the_version(store: Arc<dyn TicketStore>) {
    let t = ticket();
    store.insert(t.clone()).await.expect("insert");
    let moved = entry(AuditAction::Transition(Transition::StartReview));
    assert!(
        store
            .transition(&t.id, 0, review(), moved.clone())
            .await
            .expect("t")
    );
    assert!(
        !store
            .transition(&t.id, 0, review(), moved.clone())
            .await
            .expect("t"),
        "stale version"
    );
    let after = store.get(&t.id).await.expect("get").expect("ticket");
    assert_eq!(
        (after.state, after.version, after.audit.len()),
        (TicketState::InReview, 1, 2)
    );
    assert_eq!(after.audit[1], moved);
    assert!(
        !store
            .transition(&TicketId([0; 16]), 0, review(), moved)
            .await
            .expect("t"),
        "unknown"
    );
}

/// 32 concurrent transitions from the same version: exactly one wins, and
/// exactly its audit entry is added.
pub async fn concurrent_transitions_have_exactly_one_winner(store: Arc<dyn TicketStore>) {
    let t = ticket();
    store.insert(t.clone()).await.expect("insert");
    let mut tasks = JoinSet::new();
    for i in 0..32 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut e = entry(AuditAction::Transition(Transition::StartReview));
            e.actor = Actor::Staff(format!("staff-{i}"));
            store
                .transition(&t.id, 0, review(), e)
                .await
                .expect("transition")
        });
    }
    let wins = tasks.join_all().await.into_iter().filter(|w| *w).count();
    assert_eq!(wins, 1);
    let after = store.get(&t.id).await.expect("get").expect("ticket");
    assert_eq!((after.version, after.audit.len()), (1, 2));
}

/// Notes and transitions racing: every note and every winning transition
/// is in the audit trail, in an order consistent with each writer.
pub async fn the_audit_trail_never_loses_an_entry(store: Arc<dyn TicketStore>) {
    let t = ticket();
    store.insert(t.clone()).await.expect("insert");
    let mut tasks = JoinSet::new();
    for i in 0..48 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut note = entry(AuditAction::Note);
            note.note = Some(format!("note {i}"));
            u32::from(store.append_note(&t.id, note).await.expect("note"))
        });
    }
    for version in 0..16u64 {
        let store = store.clone();
        tasks.spawn(async move {
            let state = if version % 2 == 0 {
                TicketState::InReview
            } else {
                TicketState::Submitted
            };
            let change = TicketChange {
                state,
                approvals: Vec::new(),
                approved_at: None,
            };
            let e = entry(AuditAction::Transition(Transition::StartReview));
            u32::from(
                store
                    .transition(&t.id, version, change, e)
                    .await
                    .expect("t"),
            )
        });
    }
    let written: u32 = tasks.join_all().await.into_iter().sum();
    let after = store.get(&t.id).await.expect("get").expect("ticket");
    assert_eq!(
        after.audit.len(),
        1 + written as usize,
        "one opening entry plus every write"
    );
    assert_eq!(
        after
            .audit
            .iter()
            .filter(|e| e.action == AuditAction::Note)
            .count(),
        48
    );
}

/// A draft is taken by exactly one of many concurrent callers.
pub async fn a_draft_is_taken_once(store: Arc<dyn TicketStore>) {
    let id = TicketId::generate().expect("id").0;
    let draft = Draft {
        id,
        form: ValidForm {
            login: "jane".into(),
            contact: EmailAddress::parse("c@example.com").expect("address"),
            topic: Topic::Other {
                details: "help".into(),
            },
            identities: Vec::new(),
        },
        expires_at: t0() + Duration::minutes(30),
    };
    store.put_draft(draft.clone()).await.expect("put");
    assert_eq!(store.get_draft(&id).await.expect("get"), Some(draft));
    let mut tasks = JoinSet::new();
    for _ in 0..32 {
        let store = store.clone();
        tasks.spawn(async move { store.take_draft(&id).await.expect("take").is_some() });
    }
    assert_eq!(tasks.join_all().await.into_iter().filter(|t| *t).count(), 1);
}

/// Submissions are counted per key up to the cap within the window.
pub async fn submissions_are_capped_per_key_and_window(store: Arc<dyn TicketStore>) {
    let key = fresh_name("contact");
    let day = Duration::hours(24);
    for i in 0..3 {
        assert!(
            store
                .record_submission(&key, t0() + Duration::minutes(i), day, 3)
                .await
                .expect("r")
        );
    }
    assert!(
        !store
            .record_submission(&key, t0() + Duration::hours(1), day, 3)
            .await
            .expect("r")
    );
    assert!(
        store
            .record_submission(&fresh_name("other"), t0(), day, 3)
            .await
            .expect("r"),
        "keys are separate"
    );
    assert!(
        store
            .record_submission(&key, t0() + day + Duration::minutes(1), day, 3)
            .await
            .expect("r")
    );
}
