//! Property tests: random sequences of staff, requester and owner actions
//! only ever move a ticket along the state machine, and every move is in
//! the audit trail; form validation never panics.

use std::sync::Arc;

use async_trait::async_trait;
use latchkey_core::{AccountId, EmailAddress, ManualClock, Pepper, RecordingMailer, StoreError};
use latchkey_otp::MailedCodes;
use latchkey_recovery::{
    AccountDirectory, AccountOnFile, ActionOutcome, CompleteOutcome, ConfirmOutcome, KnownLink,
    LinkedIdentities, LinkedIdentity, Provider, Recovery, RecoverySettings, StartOutcome,
    TicketForm, TicketId, TicketState, Transition, validate,
};
use latchkey_store_memory::MemoryStore;
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

#[derive(Debug)]
struct OneAccount;

#[async_trait]
impl AccountDirectory for OneAccount {
    async fn find(&self, _login: &str) -> Result<Option<AccountOnFile>, StoreError> {
        Ok(Some(AccountOnFile {
            id: AccountId::new("acct").unwrap(),
            address: EmailAddress::parse("owner@example.com").unwrap(),
        }))
    }
}

#[derive(Debug)]
struct NoLinks;

#[async_trait]
impl LinkedIdentities for NoLinks {
    async fn linked(&self, _account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        Ok(Vec::new())
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    StartReview,
    Approve(bool),
    Reject,
    Withdraw,
    Expire,
    Complete,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::StartReview),
        any::<bool>().prop_map(Op::Approve),
        Just(Op::Reject),
        Just(Op::Withdraw),
        Just(Op::Expire),
        Just(Op::Complete),
    ]
}

async fn open_ticket(two_person: bool) -> (Recovery, TicketId) {
    let store = Arc::new(MemoryStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    let pepper = Pepper::from_bytes(&[1; 32]).unwrap();
    let codes = MailedCodes::new(store.clone(), mailer.clone(), clock.clone(), pepper.clone());
    let settings = RecoverySettings {
        two_person_rule: two_person,
        ..RecoverySettings::default()
    };
    let recovery = Recovery::new(
        store,
        codes,
        mailer.clone(),
        clock.clone(),
        Arc::new(OneAccount),
        Arc::new(NoLinks),
        &pepper,
        settings,
    );
    let form = TicketForm {
        login: "jane".into(),
        contact_email: "jane@new.example".into(),
        reset_email: true,
        ..TicketForm::default()
    };
    let StartOutcome::CodeSent { draft, .. } = recovery.start(&form).await.unwrap() else {
        panic!("no code")
    };
    let code = latchkey_testkit::code_in_last_mail(&mailer);
    let ConfirmOutcome::Submitted { reference } = recovery.confirm(&draft, &code).await.unwrap()
    else {
        panic!("not submitted")
    };
    (recovery, reference)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_actions_only_follow_the_state_machine(ops in proptest::collection::vec(op(), 0..14), two_person in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let (recovery, id) = open_ticket(two_person).await;
            let mut expected = TicketState::Submitted;
            let mut audit = 1;
            for op in ops {
                let (transition, outcome) = match op {
                    Op::StartReview => (Transition::StartReview, recovery.start_review(&id, "alice", None).await.unwrap()),
                    Op::Approve(first) => {
                        let who = if first { "alice" } else { "bob" };
                        (Transition::Approve, recovery.approve(&id, who, None).await.unwrap())
                    }
                    Op::Reject => (Transition::Reject, recovery.reject(&id, "alice", None).await.unwrap()),
                    Op::Withdraw => (Transition::Withdraw, recovery.withdraw(&id).await.unwrap()),
                    Op::Expire => (Transition::Expire, recovery.expire(&id).await.unwrap()),
                    Op::Complete => (
                        Transition::Complete,
                        match recovery.complete(&id, "alice").await.unwrap() {
                            CompleteOutcome::Completed(_) => ActionOutcome::Done(TicketState::Completed),
                            CompleteOutcome::Refused(o) => o,
                            CompleteOutcome::TooEarly { .. } => unreachable!("no waiting period"),
                        },
                    ),
                };
                if matches!(op, Op::Withdraw) {
                    // By reference alone, only a queued ticket (the owner's
                    // cancel code is needed later).
                    prop_assert_eq!(
                        matches!(outcome, ActionOutcome::Done(_)),
                        expected == TicketState::Submitted,
                        "withdraw from {:?}: {:?}", expected, outcome
                    );
                }
                match outcome {
                    ActionOutcome::Done(next) => {
                        prop_assert_eq!(expected.apply(transition), Some(next), "{:?} by {:?}", expected, transition);
                        expected = next;
                        audit += 1;
                    }
                    ActionOutcome::AwaitingSecondApproval => {
                        prop_assert!(two_person && expected == TicketState::InReview);
                        audit += 1;
                    }
                    ActionOutcome::NotAllowed(at) => {
                        prop_assert_eq!(at, expected);
                    }
                    ActionOutcome::SameReviewer => prop_assert!(two_person),
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
                let ticket = recovery.ticket(&id).await.unwrap().unwrap();
                prop_assert_eq!(ticket.state, expected);
                prop_assert_eq!(ticket.audit.len(), audit);
            }
            Ok(())
        })?;
    }

    #[test]
    fn validation_never_panics(
        login in ".{0,400}",
        contact in ".{0,80}",
        reset in any::<bool>(),
        details in ".{0,6000}",
        ids in proptest::collection::vec((".{0,300}", ".{0,40}", -100i64..100), 0..4),
    ) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let identities = ids
            .into_iter()
            .map(|(user_id, handle, minutes)| LinkedIdentity {
                provider: Provider::Other(handle.clone()),
                user_id,
                handle,
                verified_at: now - Duration::minutes(minutes),
            })
            .collect();
        let form = TicketForm { login, contact_email: contact, reset_email: reset, details, identities };
        let _ = validate(&form, now, Duration::minutes(15));
    }
}
