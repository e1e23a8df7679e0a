//! The recovery service: from "Try recovering your account" to a completed
//! email reset.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use latchkey_core::{
    AccountId, Clock, EmailAddress, KeyedHmac, Mailer, Message, MessageKind, Pepper, StoreError,
    random,
};
use latchkey_otp::{IssueOutcome, MailContent, MailedCodes, Purpose, VerifyOutcome};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::{
    Actor, AuditAction, AuditEntry, Draft, Error, Evidence, FieldError, LinkedIdentities, Ticket,
    TicketChange, TicketForm, TicketId, TicketState, TicketStore, Topic, Transition, validate,
};

/// An account as the host knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountOnFile {
    /// The account.
    pub id: AccountId,
    /// Its address of record.
    pub address: EmailAddress,
}

/// The host's accounts, looked up by login.
#[async_trait]
pub trait AccountDirectory: fmt::Debug + Send + Sync + 'static {
    /// The account a login belongs to, if any.
    async fn find(&self, login: &str) -> Result<Option<AccountOnFile>, StoreError>;
}

/// Settings of the recovery service.
#[derive(Clone, Debug)]
pub struct RecoverySettings {
    /// How recent a connected identity's verification must be (15 min).
    pub identity_freshness: Duration,
    /// How long a draft waits for its contact code (30 min).
    pub draft_ttl: Duration,
    /// Submissions per contact address and per login in the window (3).
    pub submissions_per_window: u32,
    /// The throttling window (24 h).
    pub submission_window: Duration,
    /// Whether an approval needs a second, different reviewer.
    pub two_person_rule: bool,
    /// Time between approval and completion, during which the account's
    /// owner is told and can cancel.
    pub waiting_period: Option<Duration>,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        Self {
            identity_freshness: Duration::minutes(15),
            draft_ttl: Duration::minutes(30),
            submissions_per_window: 3,
            submission_window: Duration::hours(24),
            two_person_rule: false,
            waiting_period: None,
        }
    }
}

/// The requester's view of [`Recovery::start`]. The same answer whether or
/// not the login exists (REQ-31).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum StartOutcome {
    /// The form has problems; show them all.
    Invalid(Vec<FieldError>),
    /// Too many requests for this contact address or login.
    Throttled,
    /// A code went to the contact address; ask for it.
    CodeSent {
        /// The draft to confirm.
        draft: DraftId,
        /// Where the code went, masked.
        masked_contact: String,
    },
}

/// A draft's id, kept by the requester's browser.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DraftId(pub [u8; 16]);

impl fmt::Debug for DraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DraftId(..)")
    }
}

/// The requester's view of [`Recovery::confirm`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ConfirmOutcome {
    /// The ticket is queued; this is its reference (also mailed).
    Submitted {
        /// The ticket's reference.
        reference: TicketId,
    },
    /// Wrong code.
    WrongCode {
        /// Attempts left.
        attempts_left: u32,
    },
    /// The code or the draft lapsed, or was used up; start again.
    Lapsed,
}

/// What a staff or owner action did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ActionOutcome {
    /// Done; the ticket is now in this state.
    Done(TicketState),
    /// Recorded a first approval; a different reviewer must approve too.
    AwaitingSecondApproval,
    /// The same reviewer cannot give both approvals.
    SameReviewer,
    /// The move is not allowed from the ticket's state.
    NotAllowed(TicketState),
    /// Someone else changed the ticket first; reload and decide again.
    Conflict,
    /// No such ticket.
    NotFound,
    /// An email reset for a login that belongs to no account cannot be
    /// approved.
    NoAccount,
    /// The cancel token is wrong.
    WrongToken,
}

/// What the host must do to complete a ticket: the account is the host's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Instruction {
    /// Set the account's address; void its outstanding codes (REQ-36);
    /// end its sessions.
    ResetEmail {
        /// The account.
        account: AccountId,
        /// Its new address.
        new_address: EmailAddress,
        /// Void the account's one-time codes (`OtpStore::void_all`).
        void_codes: bool,
        /// End every session of the account.
        end_sessions: bool,
    },
    /// An "Other" ticket: support handled it; nothing to change here.
    Resolved,
}

/// What [`Recovery::complete`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum CompleteOutcome {
    /// Completed; carry out the instruction.
    Completed(Instruction),
    /// The waiting period has not passed.
    TooEarly {
        /// When it may complete.
        not_before: OffsetDateTime,
    },
    /// Not completed, for this reason.
    Refused(ActionOutcome),
}

/// Mails of the recovery flow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryMail<'a> {
    /// To the contact address: the ticket is queued.
    Acknowledgment {
        /// Its reference.
        reference: &'a TicketId,
    },
    /// To the address of record: someone opened a ticket (REQ-34).
    TicketOpened {
        /// Its reference.
        reference: &'a TicketId,
        /// The token that cancels it.
        cancel_token: &'a str,
    },
    /// To the address of record: the change was approved and happens at
    /// `at` unless cancelled.
    ChangeScheduled {
        /// Its reference.
        reference: &'a TicketId,
        /// When.
        at: OffsetDateTime,
    },
    /// To both addresses: the email was changed (REQ-36).
    EmailChanged {
        /// The new address, masked.
        new_address: String,
    },
    /// To the contact address: the ticket was rejected.
    Rejected {
        /// Its reference.
        reference: &'a TicketId,
    },
}

/// Renders recovery mails; hosts override it for their own wording.
pub trait RecoveryTemplate: fmt::Debug + Send + Sync + 'static {
    /// The mail's content.
    fn render(&self, mail: &RecoveryMail<'_>) -> MailContent;
}

/// latchkey's wording.
#[derive(Clone, Debug, Default)]
pub struct DefaultRecoveryTemplate;

impl RecoveryTemplate for DefaultRecoveryTemplate {
    fn render(&self, mail: &RecoveryMail<'_>) -> MailContent {
        let (subject, text) = match mail {
            RecoveryMail::Acknowledgment { reference } => (
                format!("Support ticket {reference} received"),
                format!(
                    "We received your account-recovery request. Its reference is {reference}.\n\
                     Support will contact you at this address."
                ),
            ),
            RecoveryMail::TicketOpened {
                reference,
                cancel_token,
            } => (
                "Someone asked to recover your account".to_owned(),
                format!(
                    "A support ticket ({reference}) asks to recover your account. Nothing has changed.\n\
                     If this was not you, cancel it with this code: {cancel_token}"
                ),
            ),
            RecoveryMail::ChangeScheduled { reference, at } => (
                "Your account's email will change".to_owned(),
                format!(
                    "Support approved ticket {reference}. Your account's email address changes at {at}.\n\
                     If this was not you, cancel it with the code from our earlier mail."
                ),
            ),
            RecoveryMail::EmailChanged { new_address } => (
                "Your account's email address changed".to_owned(),
                format!(
                    "The email address of your account is now {new_address}. All sessions were ended."
                ),
            ),
            RecoveryMail::Rejected { reference } => (
                format!("Support ticket {reference} closed"),
                "We could not verify that the account is yours, so nothing was changed.".to_owned(),
            ),
        };
        MailContent {
            subject,
            text,
            html: None,
        }
    }
}

/// Account recovery through support tickets (REQ-31 to REQ-36).
///
/// 1. [`Recovery::start`] validates the form, throttles per contact address
///    and per login, keeps a draft and mails a code to the contact address.
/// 2. [`Recovery::confirm`] takes the code (REQ-34), looks the login up,
///    weighs the linked identities (REQ-35), queues the ticket, mails the
///    requester its reference and tells the address of record, with a
///    token to cancel. The requester gets the same answer, after the same
///    work, whether or not the login exists (REQ-31).
/// 3. Staff [`start_review`](Recovery::start_review),
///    [`approve`](Recovery::approve) (optionally two different reviewers)
///    or [`reject`](Recovery::reject); the owner can
///    [`cancel`](Recovery::cancel) until completion.
/// 4. [`Recovery::complete`] (after an optional waiting period) hands the
///    host an [`Instruction`]. Nothing touches the account before that
///    (REQ-32), and staff never see or set a password (REQ-33).
///
/// Every move is a compare-and-set on the ticket's version with an audit
/// entry, so two staff acting at once cannot both win.
///
/// One difference remains for a known login: the address of record is
/// told, so one more mail is sent. A host whose [`Mailer`] delivers while
/// the request waits should queue mail instead (return once the message is
/// enqueued), so the response time does not reveal whether the login
/// exists (REQ-31).
#[derive(Clone)]
pub struct Recovery {
    store: Arc<dyn TicketStore>,
    codes: MailedCodes,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    directory: Arc<dyn AccountDirectory>,
    links: Arc<dyn LinkedIdentities>,
    cancel_key: KeyedHmac,
    settings: RecoverySettings,
    template: Arc<dyn RecoveryTemplate>,
}

impl fmt::Debug for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recovery")
            .field("store", &self.store)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Recovery {
    /// A recovery service. `codes` mails the contact-address codes;
    /// `pepper` keys the owners' cancel tokens.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub fn new(
        store: Arc<dyn TicketStore>,
        codes: MailedCodes,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        directory: Arc<dyn AccountDirectory>,
        links: Arc<dyn LinkedIdentities>,
        pepper: &Pepper,
        settings: RecoverySettings,
    ) -> Self {
        Self {
            store,
            codes,
            mailer,
            clock,
            directory,
            links,
            cancel_key: KeyedHmac::derive(pepper, b"latchkey recovery cancel token v1"),
            settings,
            template: Arc::new(DefaultRecoveryTemplate),
        }
    }

    /// Replaces the mail template.
    #[must_use]
    pub fn with_template(mut self, template: Arc<dyn RecoveryTemplate>) -> Self {
        self.template = template;
        self
    }

    /// The pseudo-account a contact address's codes are issued under.
    fn contact_key(contact: &EmailAddress) -> AccountId {
        let digest = Sha256::digest(contact.normalized().as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        AccountId::new(format!("recovery-contact-{hex}")).unwrap_or_else(|_| unreachable!())
    }

    /// "Submit Support Ticket": validates, throttles, keeps a draft and
    /// mails a code to the contact address.
    ///
    /// # Errors
    /// Store or mail failures.
    pub async fn start(&self, form: &TicketForm) -> Result<StartOutcome, Error> {
        let now = self.clock.now();
        let valid = match validate(form, now, self.settings.identity_freshness) {
            Ok(valid) => valid,
            Err(errors) => return Ok(StartOutcome::Invalid(errors)),
        };
        let s = &self.settings;
        let contact_ok = self
            .store
            .record_submission(
                &format!("contact:{}", valid.contact.normalized()),
                now,
                s.submission_window,
                s.submissions_per_window,
            )
            .await?;
        let login_ok = self
            .store
            .record_submission(
                &format!("login:{}", valid.login),
                now,
                s.submission_window,
                s.submissions_per_window,
            )
            .await?;
        if !(contact_ok && login_ok) {
            return Ok(StartOutcome::Throttled);
        }
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let contact = valid.contact.clone();
        self.store
            .put_draft(Draft {
                id,
                form: valid,
                expires_at: now + s.draft_ttl,
            })
            .await?;
        match self
            .codes
            .issue(
                &Self::contact_key(&contact),
                &contact,
                &Purpose::VERIFY_ADDRESS,
            )
            .await?
        {
            IssueOutcome::Sent { masked_address, .. } => Ok(StartOutcome::CodeSent {
                draft: DraftId(id),
                masked_contact: masked_address,
            }),
            IssueOutcome::CoolingDown { .. } | IssueOutcome::CapReached { .. } => {
                Ok(StartOutcome::Throttled)
            }
        }
    }

    /// Takes the code mailed to the contact address and queues the ticket.
    ///
    /// # Errors
    /// Store, directory or mail failures.
    pub async fn confirm(&self, draft: &DraftId, code: &str) -> Result<ConfirmOutcome, Error> {
        let now = self.clock.now();
        let Some(pending) = self.store.get_draft(&draft.0).await? else {
            return Ok(ConfirmOutcome::Lapsed);
        };
        if now >= pending.expires_at {
            return Ok(ConfirmOutcome::Lapsed);
        }
        let contact_key = Self::contact_key(&pending.form.contact);
        match self
            .codes
            .verify(&contact_key, &Purpose::VERIFY_ADDRESS, code)
            .await?
        {
            VerifyOutcome::Verified => {}
            VerifyOutcome::Wrong { attempts_left } if attempts_left > 0 => {
                return Ok(ConfirmOutcome::WrongCode { attempts_left });
            }
            _ => return Ok(ConfirmOutcome::Lapsed),
        }
        let Some(draft) = self.store.take_draft(&draft.0).await? else {
            return Ok(ConfirmOutcome::Lapsed);
        };
        let form = draft.form;

        // The same work whether or not the login exists (REQ-31): one
        // directory look-up, one links look-up, one ticket, one
        // acknowledgment.
        let found = self.directory.find(&form.login).await?;
        let placeholder =
            AccountId::new("latchkey-no-such-account").unwrap_or_else(|_| unreachable!());
        let links = self
            .links
            .linked(found.as_ref().map_or(&placeholder, |a| &a.id))
            .await?;
        let links = if found.is_some() { links } else { Vec::new() };
        let evidence = Evidence::assess(&form.identities, &links, now);

        let reference = TicketId::generate()?;
        let mut token_bytes = [0u8; 10];
        random::fill(&mut token_bytes)?;
        let cancel_token = data_encoding::BASE32_NOPAD.encode(&token_bytes);
        let ticket = Ticket {
            id: reference,
            login: form.login.clone(),
            account: found.as_ref().map(|a| a.id.clone()),
            contact: form.contact.clone(),
            topic: form.topic.clone(),
            evidence,
            state: TicketState::Submitted,
            version: 0,
            submitted_at: now,
            approvals: Vec::new(),
            approved_at: None,
            cancel_digest: Some(self.cancel_digest(&reference, &cancel_token)),
            audit: vec![AuditEntry {
                at: now,
                actor: Actor::Requester,
                action: AuditAction::Opened,
                note: None,
            }],
        };
        self.store.insert(ticket).await?;
        self.send(
            &form.contact,
            &RecoveryMail::Acknowledgment {
                reference: &reference,
            },
        )
        .await?;
        if let Some(owner) = &found {
            let opened = RecoveryMail::TicketOpened {
                reference: &reference,
                cancel_token: &cancel_token,
            };
            self.send(&owner.address, &opened).await?;
        }
        Ok(ConfirmOutcome::Submitted { reference })
    }

    fn cancel_digest(&self, id: &TicketId, token: &str) -> [u8; 32] {
        let normalized = token.trim().to_ascii_uppercase();
        self.cancel_key.mac(&[&id.0, normalized.as_bytes()])
    }

    async fn send(&self, to: &EmailAddress, mail: &RecoveryMail<'_>) -> Result<(), Error> {
        let content = self.template.render(mail);
        let mut message = Message::new(
            to.clone(),
            content.subject,
            content.text,
            MessageKind::RecoveryTicket,
        );
        message.html = content.html;
        self.mailer.send(message).await.map_err(Error::Mail)
    }

    /// A ticket, for staff.
    ///
    /// # Errors
    /// A store failure.
    pub async fn ticket(&self, id: &TicketId) -> Result<Option<Ticket>, Error> {
        Ok(self.store.get(id).await?)
    }

    /// Moves a ticket by `transition` with a compare-and-set on its version.
    async fn apply(
        &self,
        ticket: &Ticket,
        transition: Transition,
        actor: Actor,
        note: Option<String>,
        approvals: Vec<String>,
        approved_at: Option<OffsetDateTime>,
    ) -> Result<ActionOutcome, Error> {
        let Some(next) = ticket.state.apply(transition) else {
            return Ok(ActionOutcome::NotAllowed(ticket.state));
        };
        let change = TicketChange {
            state: next,
            approvals,
            approved_at,
        };
        let entry = AuditEntry {
            at: self.clock.now(),
            actor,
            action: AuditAction::Transition(transition),
            note,
        };
        Ok(
            if self
                .store
                .transition(&ticket.id, ticket.version, change, entry)
                .await?
            {
                ActionOutcome::Done(next)
            } else {
                ActionOutcome::Conflict
            },
        )
    }

    async fn load(&self, id: &TicketId) -> Result<Option<Ticket>, Error> {
        Ok(self.store.get(id).await?)
    }

    /// Loads a ticket and moves it by `transition`, keeping its approvals;
    /// also returns the ticket as it was before the move.
    async fn load_and_move(
        &self,
        id: &TicketId,
        transition: Transition,
        actor: Actor,
        note: Option<String>,
    ) -> Result<(ActionOutcome, Option<Ticket>), Error> {
        let Some(t) = self.load(id).await? else {
            return Ok((ActionOutcome::NotFound, None));
        };
        let outcome = self
            .apply(
                &t,
                transition,
                actor,
                note,
                t.approvals.clone(),
                t.approved_at,
            )
            .await?;
        Ok((outcome, Some(t)))
    }

    /// A reviewer takes the ticket.
    ///
    /// # Errors
    /// A store failure.
    pub async fn start_review(
        &self,
        id: &TicketId,
        staff: &str,
        note: Option<String>,
    ) -> Result<ActionOutcome, Error> {
        let (outcome, _) = self
            .load_and_move(
                id,
                Transition::StartReview,
                Actor::Staff(staff.to_owned()),
                note,
            )
            .await?;
        Ok(outcome)
    }

    /// A reviewer approves. With the two-person rule, the first approval is
    /// recorded and a second, different reviewer must approve. With a
    /// waiting period, the address of record is told when the change will
    /// happen.
    ///
    /// # Errors
    /// Store or mail failures.
    pub async fn approve(
        &self,
        id: &TicketId,
        staff: &str,
        note: Option<String>,
    ) -> Result<ActionOutcome, Error> {
        let Some(t) = self.load(id).await? else {
            return Ok(ActionOutcome::NotFound);
        };
        if t.topic == Topic::ResetEmail && t.account.is_none() {
            return Ok(ActionOutcome::NoAccount);
        }
        if t.state != TicketState::InReview {
            return Ok(ActionOutcome::NotAllowed(t.state));
        }
        let now = self.clock.now();
        let actor = Actor::Staff(staff.to_owned());
        if t.approvals.iter().any(|a| a == staff) {
            return Ok(ActionOutcome::SameReviewer);
        }
        let mut approvals = t.approvals.clone();
        approvals.push(staff.to_owned());
        if self.settings.two_person_rule && approvals.len() < 2 {
            let change = TicketChange {
                state: t.state,
                approvals,
                approved_at: None,
            };
            let entry = AuditEntry {
                at: now,
                actor,
                action: AuditAction::FirstApproval,
                note,
            };
            return Ok(
                if self
                    .store
                    .transition(&t.id, t.version, change, entry)
                    .await?
                {
                    ActionOutcome::AwaitingSecondApproval
                } else {
                    ActionOutcome::Conflict
                },
            );
        }
        let outcome = self
            .apply(&t, Transition::Approve, actor, note, approvals, Some(now))
            .await?;
        if let (ActionOutcome::Done(_), Some(wait), Some(account)) =
            (&outcome, self.settings.waiting_period, &t.account)
            && let Some(owner) = self.owner_address(&t.login, account).await?
        {
            let mail = RecoveryMail::ChangeScheduled {
                reference: &t.id,
                at: now + wait,
            };
            self.send(&owner, &mail).await?;
        }
        Ok(outcome)
    }

    async fn owner_address(
        &self,
        login: &str,
        account: &AccountId,
    ) -> Result<Option<EmailAddress>, Error> {
        Ok(self
            .directory
            .find(login)
            .await?
            .filter(|a| a.id == *account)
            .map(|a| a.address))
    }

    /// A reviewer rejects; the requester is told.
    ///
    /// # Errors
    /// Store or mail failures.
    pub async fn reject(
        &self,
        id: &TicketId,
        staff: &str,
        note: Option<String>,
    ) -> Result<ActionOutcome, Error> {
        let (outcome, ticket) = self
            .load_and_move(id, Transition::Reject, Actor::Staff(staff.to_owned()), note)
            .await?;
        if let (ActionOutcome::Done(_), Some(t)) = (&outcome, ticket) {
            self.send(&t.contact, &RecoveryMail::Rejected { reference: &t.id })
                .await?;
        }
        Ok(outcome)
    }

    /// The requester withdraws the ticket.
    ///
    /// # Errors
    /// A store failure.
    pub async fn withdraw(&self, id: &TicketId) -> Result<ActionOutcome, Error> {
        let (outcome, _) = self
            .load_and_move(id, Transition::Withdraw, Actor::Requester, None)
            .await?;
        Ok(outcome)
    }

    /// The account's owner cancels with the token from the "ticket opened"
    /// mail (compared in constant time).
    ///
    /// # Errors
    /// A store failure.
    pub async fn cancel(&self, id: &TicketId, token: &str) -> Result<ActionOutcome, Error> {
        let Some(t) = self.load(id).await? else {
            return Ok(ActionOutcome::NotFound);
        };
        let expected = t.cancel_digest.unwrap_or([0; 32]);
        let given = self.cancel_digest(id, token);
        if !bool::from(given.ct_eq(&expected)) || t.cancel_digest.is_none() {
            return Ok(ActionOutcome::WrongToken);
        }
        let note = Some("cancelled by the account's owner".to_owned());
        self.apply(
            &t,
            Transition::Withdraw,
            Actor::AccountOwner,
            note,
            t.approvals.clone(),
            t.approved_at,
        )
        .await
    }

    /// Marks a ticket nobody acted on as expired.
    ///
    /// # Errors
    /// A store failure.
    pub async fn expire(&self, id: &TicketId) -> Result<ActionOutcome, Error> {
        let (outcome, _) = self
            .load_and_move(id, Transition::Expire, Actor::System, None)
            .await?;
        Ok(outcome)
    }

    /// Adds a note to the audit trail.
    ///
    /// # Errors
    /// A store failure.
    pub async fn add_note(&self, id: &TicketId, staff: &str, note: &str) -> Result<bool, Error> {
        let entry = AuditEntry {
            at: self.clock.now(),
            actor: Actor::Staff(staff.to_owned()),
            action: AuditAction::Note,
            note: Some(note.to_owned()),
        };
        Ok(self.store.append_note(id, entry).await?)
    }

    /// Completes an approved ticket once any waiting period has passed, and
    /// returns what the host must do. An email reset tells both addresses
    /// (REQ-36).
    ///
    /// # Errors
    /// Store or mail failures.
    pub async fn complete(&self, id: &TicketId, staff: &str) -> Result<CompleteOutcome, Error> {
        let Some(t) = self.load(id).await? else {
            return Ok(CompleteOutcome::Refused(ActionOutcome::NotFound));
        };
        if let (Some(wait), Some(approved_at)) = (self.settings.waiting_period, t.approved_at) {
            let not_before = approved_at + wait;
            if self.clock.now() < not_before && t.state == TicketState::Approved {
                return Ok(CompleteOutcome::TooEarly { not_before });
            }
        }
        let outcome = self
            .apply(
                &t,
                Transition::Complete,
                Actor::Staff(staff.to_owned()),
                None,
                t.approvals.clone(),
                t.approved_at,
            )
            .await?;
        if !matches!(outcome, ActionOutcome::Done(_)) {
            return Ok(CompleteOutcome::Refused(outcome));
        }
        let instruction = match (&t.topic, &t.account) {
            (Topic::ResetEmail, Some(account)) => {
                let changed = RecoveryMail::EmailChanged {
                    new_address: t.contact.masked(),
                };
                if let Some(old) = self.owner_address(&t.login, account).await? {
                    self.send(&old, &changed).await?;
                }
                self.send(&t.contact, &changed).await?;
                Instruction::ResetEmail {
                    account: account.clone(),
                    new_address: t.contact.clone(),
                    void_codes: true,
                    end_sessions: true,
                }
            }
            _ => Instruction::Resolved,
        };
        Ok(CompleteOutcome::Completed(instruction))
    }
}
