//! The recovery flow end to end with the memory store, a manual clock and a
//! recording mailer: REQ-31 to REQ-36, throttling, the two-person rule and
//! racing staff.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use latchkey_core::{AccountId, EmailAddress, ManualClock, Pepper, RecordingMailer, StoreError};
use latchkey_otp::MailedCodes;
use latchkey_recovery::{
    AccountDirectory, AccountOnFile, ActionOutcome, AuditEntry, CompleteOutcome, ConfirmOutcome,
    Draft, Finding, Instruction, KnownLink, LinkedIdentities, LinkedIdentity, Provider, Recovery,
    RecoverySettings, StartOutcome, Ticket, TicketChange, TicketForm, TicketId, TicketState,
    TicketStore,
};
use latchkey_store_memory::MemoryStore;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Default)]
struct Directory {
    lookups: AtomicUsize,
}

#[async_trait]
impl AccountDirectory for Directory {
    async fn find(&self, login: &str) -> Result<Option<AccountOnFile>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        Ok((login == "jane").then(|| AccountOnFile {
            id: AccountId::new("account-jane").unwrap(),
            address: EmailAddress::parse("jane@old.example").unwrap(),
        }))
    }
}

#[derive(Debug, Default)]
struct Links {
    lookups: AtomicUsize,
}

#[async_trait]
impl LinkedIdentities for Links {
    async fn linked(&self, account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        Ok(if account.as_str() == "account-jane" {
            vec![KnownLink {
                provider: Provider::GitHub,
                user_id: "583231".into(),
                linked_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            }]
        } else {
            Vec::new()
        })
    }
}

struct Fixture {
    recovery: Recovery,
    mailer: Arc<RecordingMailer>,
    clock: Arc<ManualClock>,
    directory: Arc<Directory>,
    links: Arc<Links>,
}

impl Fixture {
    fn new(settings: RecoverySettings) -> Self {
        let store = Arc::new(MemoryStore::new());
        let mailer = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let pepper = Pepper::from_bytes(&[9; 32]).unwrap();
        let codes = MailedCodes::new(store.clone(), mailer.clone(), clock.clone(), pepper.clone());
        let directory = Arc::new(Directory::default());
        let links = Arc::new(Links::default());
        let recovery = Recovery::new(
            store,
            codes,
            mailer.clone(),
            clock.clone(),
            directory.clone(),
            links.clone(),
            &pepper,
            settings,
        );
        Self {
            recovery,
            mailer,
            clock,
            directory,
            links,
        }
    }

    fn form(&self, login: &str, contact: &str) -> TicketForm {
        TicketForm {
            login: login.into(),
            contact_email: contact.into(),
            reset_email: true,
            details: String::new(),
            identities: vec![LinkedIdentity {
                provider: Provider::GitHub,
                user_id: "583231".into(),
                handle: "jane-gh".into(),
                verified_at: latchkey_core::Clock::now(&*self.clock),
            }],
        }
    }

    fn last_code(&self) -> String {
        latchkey_testkit::code_in_last_mail(&self.mailer)
    }

    /// Starts and confirms; returns the reference.
    async fn submit(&self, login: &str, contact: &str) -> TicketId {
        let StartOutcome::CodeSent { draft, .. } = self
            .recovery
            .start(&self.form(login, contact))
            .await
            .unwrap()
        else {
            panic!("no code sent")
        };
        let code = self.last_code();
        match self.recovery.confirm(&draft, &code).await.unwrap() {
            ConfirmOutcome::Submitted { reference } => reference,
            other => panic!("{other:?}"),
        }
    }

    fn mails_to(&self, address: &str) -> Vec<String> {
        self.mailer
            .messages()
            .into_iter()
            .filter(|m| m.to.as_str() == address)
            .map(|m| m.subject)
            .collect()
    }
}

#[tokio::test]
async fn req_34_no_ticket_until_the_contact_address_answers_its_code() {
    let f = Fixture::new(RecoverySettings::default());
    let StartOutcome::CodeSent {
        draft,
        masked_contact,
    } = f
        .recovery
        .start(&f.form("jane", "jane@new.example"))
        .await
        .unwrap()
    else {
        panic!("no code")
    };
    assert_eq!(masked_contact, "j***@new.example");
    assert_eq!(
        f.mailer.last().unwrap().subject,
        "Verify your email address"
    );
    let code = f.last_code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        f.recovery.confirm(&draft, wrong).await.unwrap(),
        ConfirmOutcome::WrongCode { attempts_left: 4 }
    );
    assert_eq!(
        f.mails_to("jane@old.example").len(),
        0,
        "nobody told yet: no ticket"
    );
    let ConfirmOutcome::Submitted { reference } = f.recovery.confirm(&draft, &code).await.unwrap()
    else {
        panic!("not submitted")
    };
    assert_eq!(
        f.recovery.confirm(&draft, &code).await.unwrap(),
        ConfirmOutcome::Lapsed,
        "once"
    );
    let ticket = f.recovery.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Submitted);
    assert_eq!(
        f.mails_to("jane@new.example").last().unwrap(),
        &format!("Support ticket {}… received", reference.short())
    );
    assert_eq!(
        f.mails_to("jane@old.example"),
        vec!["Someone asked to recover your account"]
    );
}

#[tokio::test]
async fn req_31_same_answer_and_same_work_for_an_unknown_login() {
    let f = Fixture::new(RecoverySettings::default());
    let known = f.submit("jane", "a@new.example").await;
    let work_known = (
        f.directory.lookups.load(Ordering::SeqCst),
        f.links.lookups.load(Ordering::SeqCst),
    );
    let unknown = f.submit("nobody", "b@new.example").await;
    let work_unknown = (
        f.directory.lookups.load(Ordering::SeqCst) - work_known.0,
        f.links.lookups.load(Ordering::SeqCst) - work_known.1,
    );
    assert_eq!(
        work_known, work_unknown,
        "one directory and one links look-up each"
    );
    let (a, b) = (f.mails_to("a@new.example"), f.mails_to("b@new.example"));
    assert_eq!(a.len(), b.len());
    let same = |subject: &str, id: &TicketId| {
        subject
            .replace(&id.to_string(), "REF")
            .replace(&id.short(), "REF")
    };
    assert_eq!(same(&a[1], &known), same(&b[1], &unknown));
    let unknown_ticket = f.recovery.ticket(&unknown).await.unwrap().unwrap();
    assert_eq!(unknown_ticket.account, None, "staff see it");
    assert!(
        unknown_ticket
            .evidence
            .items
            .iter()
            .all(|i| i.finding == Finding::NoMatch)
    );
}

#[tokio::test]
async fn req_35_evidence_matches_the_immutable_id_linked_before_the_ticket() {
    let f = Fixture::new(RecoverySettings::default());
    let reference = f.submit("jane", "jane@new.example").await;
    let ticket = f.recovery.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(
        ticket.evidence.items[0].finding,
        Finding::Matches {
            linked_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
        }
    );
    assert_eq!(ticket.evidence.matches(), 1);
}

#[tokio::test]
async fn req_36_completion_hands_the_host_an_instruction_and_tells_both_addresses() {
    let f = Fixture::new(RecoverySettings::default());
    let id = f.submit("jane", "jane@new.example").await;
    assert_eq!(
        f.recovery.start_review(&id, "alice", None).await.unwrap(),
        ActionOutcome::Done(TicketState::InReview)
    );
    assert_eq!(
        f.recovery
            .approve(&id, "alice", Some("GitHub id matches".into()))
            .await
            .unwrap(),
        ActionOutcome::Done(TicketState::Approved)
    );
    let CompleteOutcome::Completed(instruction) = f.recovery.complete(&id, "alice").await.unwrap()
    else {
        panic!("not completed")
    };
    assert_eq!(
        instruction,
        Instruction::ResetEmail {
            account: AccountId::new("account-jane").unwrap(),
            new_address: EmailAddress::parse("jane@new.example").unwrap(),
            void_codes: true,
            end_sessions: true,
        }
    );
    for address in ["jane@old.example", "jane@new.example"] {
        assert_eq!(
            f.mails_to(address).last().unwrap(),
            "Your account's email address changed",
            "{address}"
        );
    }
    let ticket = f.recovery.ticket(&id).await.unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Completed);
    assert_eq!(ticket.audit.len(), 4, "opened, review, approve, complete");
    assert_eq!(ticket.audit[2].note.as_deref(), Some("GitHub id matches"));
}

#[tokio::test]
async fn req_32_nothing_changes_before_completion_and_the_owner_can_cancel_in_the_waiting_period() {
    let settings = RecoverySettings {
        waiting_period: Some(Duration::days(3)),
        ..RecoverySettings::default()
    };
    let f = Fixture::new(settings);
    let id = f.submit("jane", "jane@new.example").await;
    let opened = f
        .mailer
        .messages()
        .into_iter()
        .find(|m| m.to.as_str() == "jane@old.example")
        .unwrap();
    let token = opened.text.rsplit(' ').next().unwrap().trim().to_owned();
    let _ = f.recovery.start_review(&id, "alice", None).await.unwrap();
    let _ = f.recovery.approve(&id, "alice", None).await.unwrap();
    assert_eq!(
        f.mails_to("jane@old.example").last().unwrap(),
        "Your account's email will change"
    );
    let early = f.recovery.complete(&id, "alice").await.unwrap();
    assert!(
        matches!(early, CompleteOutcome::TooEarly { .. }),
        "{early:?}"
    );
    assert_eq!(
        f.recovery.cancel(&id, "WRONGTOKEN").await.unwrap(),
        ActionOutcome::WrongToken
    );
    assert_eq!(
        f.recovery.cancel(&id, &token.to_lowercase()).await.unwrap(),
        ActionOutcome::Done(TicketState::Withdrawn)
    );
    f.clock.advance(Duration::days(4));
    assert!(matches!(
        f.recovery.complete(&id, "alice").await.unwrap(),
        CompleteOutcome::Refused(ActionOutcome::NotAllowed(TicketState::Withdrawn))
    ));
}

#[tokio::test]
async fn two_person_rule_needs_a_second_different_reviewer() {
    let f = Fixture::new(RecoverySettings {
        two_person_rule: true,
        ..RecoverySettings::default()
    });
    let id = f.submit("jane", "jane@new.example").await;
    let _ = f.recovery.start_review(&id, "alice", None).await.unwrap();
    assert_eq!(
        f.recovery.approve(&id, "alice", None).await.unwrap(),
        ActionOutcome::AwaitingSecondApproval
    );
    assert_eq!(
        f.recovery.approve(&id, "alice", None).await.unwrap(),
        ActionOutcome::SameReviewer
    );
    assert_eq!(
        f.recovery.approve(&id, "bob", None).await.unwrap(),
        ActionOutcome::Done(TicketState::Approved)
    );
    assert_eq!(
        f.recovery.ticket(&id).await.unwrap().unwrap().approvals,
        vec!["alice", "bob"]
    );
}

#[tokio::test]
async fn an_email_reset_for_an_unknown_login_cannot_be_approved_and_rejection_tells_the_requester()
{
    let f = Fixture::new(RecoverySettings::default());
    let id = f.submit("nobody", "x@new.example").await;
    let _ = f.recovery.start_review(&id, "alice", None).await.unwrap();
    assert_eq!(
        f.recovery.approve(&id, "alice", None).await.unwrap(),
        ActionOutcome::NoAccount
    );
    assert_eq!(
        f.recovery.reject(&id, "alice", None).await.unwrap(),
        ActionOutcome::Done(TicketState::Rejected)
    );
    assert_eq!(
        f.mails_to("x@new.example").last().unwrap(),
        &format!("Support ticket {}… closed", id.short())
    );
}

#[tokio::test]
async fn submissions_are_throttled_per_contact_address_and_per_login() {
    let f = Fixture::new(RecoverySettings::default());
    for i in 0..3 {
        f.clock.advance(Duration::minutes(2));
        let outcome = f
            .recovery
            .start(&f.form(&format!("user{i}"), "same@new.example"))
            .await
            .unwrap();
        assert!(
            matches!(outcome, StartOutcome::CodeSent { .. }),
            "{outcome:?}"
        );
    }
    f.clock.advance(Duration::minutes(2));
    assert_eq!(
        f.recovery
            .start(&f.form("user9", "same@new.example"))
            .await
            .unwrap(),
        StartOutcome::Throttled
    );
    for i in 0..3 {
        f.clock.advance(Duration::minutes(2));
        let _ = f
            .recovery
            .start(&f.form("target", &format!("c{i}@new.example")))
            .await
            .unwrap();
    }
    assert_eq!(
        f.recovery
            .start(&f.form("target", "c9@new.example"))
            .await
            .unwrap(),
        StartOutcome::Throttled
    );
}

/// A ticket store whose reads wait until two callers have read, so both
/// staff decide on the same version before either writes.
#[derive(Debug)]
struct ReadTogether {
    inner: MemoryStore,
    barrier: tokio::sync::Barrier,
    armed: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl TicketStore for ReadTogether {
    async fn record_submission(
        &self,
        k: &str,
        n: OffsetDateTime,
        w: Duration,
        c: u32,
    ) -> Result<bool, StoreError> {
        self.inner.record_submission(k, n, w, c).await
    }
    async fn put_draft(&self, d: Draft) -> Result<(), StoreError> {
        self.inner.put_draft(d).await
    }
    async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.inner.get_draft(id).await
    }
    async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
        self.inner.take_draft(id).await
    }
    async fn insert(&self, t: Ticket) -> Result<(), StoreError> {
        self.inner.insert(t).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        let ticket = self.inner.get(id).await;
        if self.armed.load(Ordering::SeqCst) {
            self.barrier.wait().await;
        }
        ticket
    }
    async fn transition(
        &self,
        id: &TicketId,
        v: u64,
        c: TicketChange,
        e: AuditEntry,
    ) -> Result<bool, StoreError> {
        self.inner.transition(id, v, c, e).await
    }
    async fn append_note(&self, id: &TicketId, e: AuditEntry) -> Result<bool, StoreError> {
        self.inner.append_note(id, e).await
    }
}

#[tokio::test]
async fn two_staff_acting_at_once_cannot_both_win() {
    let store = Arc::new(ReadTogether {
        inner: MemoryStore::new(),
        barrier: tokio::sync::Barrier::new(2),
        armed: std::sync::atomic::AtomicBool::new(false),
    });
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    let pepper = Pepper::from_bytes(&[9; 32]).unwrap();
    let otp_store = Arc::new(MemoryStore::new());
    let codes = MailedCodes::new(otp_store, mailer.clone(), clock.clone(), pepper.clone());
    let recovery = Recovery::new(
        store.clone(),
        codes,
        mailer.clone(),
        clock.clone(),
        Arc::new(Directory::default()),
        Arc::new(Links::default()),
        &pepper,
        RecoverySettings::default(),
    );
    let f = Fixture::new(RecoverySettings::default());
    let StartOutcome::CodeSent { draft, .. } = recovery
        .start(&f.form("jane", "jane@new.example"))
        .await
        .unwrap()
    else {
        panic!("no code")
    };
    let code = latchkey_testkit::code_in_last_mail(&mailer);
    let ConfirmOutcome::Submitted { reference: id } =
        recovery.confirm(&draft, &code).await.unwrap()
    else {
        panic!("not submitted")
    };
    let _ = recovery.start_review(&id, "alice", None).await.unwrap();

    store.armed.store(true, Ordering::SeqCst);
    let (a, b) = tokio::join!(
        recovery.approve(&id, "alice", None),
        recovery.reject(&id, "bob", None)
    );
    store.armed.store(false, Ordering::SeqCst);
    let outcomes = [a.unwrap(), b.unwrap()];
    let wins = outcomes
        .iter()
        .filter(|o| matches!(o, ActionOutcome::Done(_)))
        .count();
    assert_eq!(wins, 1, "{outcomes:?}");
    assert!(outcomes.contains(&ActionOutcome::Conflict), "{outcomes:?}");
    let ticket = recovery.ticket(&id).await.unwrap().unwrap();
    assert_eq!(ticket.audit.len(), 3, "opened, review, and the one winner");
}

#[tokio::test]
async fn invalid_forms_come_back_with_every_problem() {
    let f = Fixture::new(RecoverySettings::default());
    let mut form = f.form("", "bad");
    form.reset_email = false;
    let StartOutcome::Invalid(errors) = f.recovery.start(&form).await.unwrap() else {
        panic!("accepted")
    };
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        f.mailer.messages().is_empty(),
        "nothing mailed for an invalid form"
    );
}

#[tokio::test]
async fn req_32_the_waiting_period_ends_exactly_when_the_owner_was_told() {
    use latchkey_core::Clock;
    let wait = Duration::days(3);
    let f = Fixture::new(RecoverySettings {
        waiting_period: Some(wait),
        ..RecoverySettings::default()
    });
    let id = f.submit("jane", "jane@new.example").await;
    let _ = f.recovery.start_review(&id, "alice", None).await.unwrap();
    let approved_at = f.clock.now();
    let _ = f.recovery.approve(&id, "alice", None).await.unwrap();
    let told = f
        .mailer
        .messages()
        .into_iter()
        .rfind(|m| m.to.as_str() == "jane@old.example")
        .unwrap();
    assert!(
        told.text.contains(&(approved_at + wait).to_string()),
        "the owner is told when: {}",
        told.text
    );
    f.clock.advance(wait - Duration::SECOND);
    let CompleteOutcome::TooEarly { not_before } = f.recovery.complete(&id, "alice").await.unwrap()
    else {
        panic!("a second before the end of the waiting period is too early");
    };
    assert_eq!(not_before, approved_at + wait);
    f.clock.advance(Duration::SECOND);
    assert!(
        matches!(
            f.recovery.complete(&id, "alice").await.unwrap(),
            CompleteOutcome::Completed(_)
        ),
        "at its end the ticket completes"
    );
}

#[tokio::test]
async fn a_note_goes_on_an_existing_tickets_trail_only() {
    let f = Fixture::new(RecoverySettings::default());
    let id = f.submit("jane", "jane@new.example").await;
    assert!(
        f.recovery
            .add_note(&id, "alice", "called the owner")
            .await
            .unwrap()
    );
    let ticket = f.recovery.ticket(&id).await.unwrap().unwrap();
    assert_eq!(
        ticket.audit.last().unwrap().note.as_deref(),
        Some("called the owner")
    );
    let unknown = TicketId::generate().unwrap();
    assert!(
        !f.recovery
            .add_note(&unknown, "alice", "nobody")
            .await
            .unwrap()
    );
}
