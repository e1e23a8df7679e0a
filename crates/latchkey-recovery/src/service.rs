//! The recovery service: from "Try recovering your account" to a completed
//! email reset.
//!
//! [`Recovery`] and what its steps share are here. The requester's steps
//! are in `intake`, the ticket's later moves in `lifecycle`; the host's
//! account directory, the settings, the outcomes and the mails each have
//! a module beside them.

mod account;
mod intake;
mod lifecycle;
mod mail;
mod outcome;
mod settings;

use std::fmt;
use std::sync::Arc;

use latchkey_core::{
    AccountId, Clock, EmailAddress, KeyedHmac, Mailer, Message, MessageKind, Pepper,
};
use latchkey_otp::MailedCodes;
use time::OffsetDateTime;

pub use self::account::{AccountDirectory, AccountOnFile};
pub use self::mail::{DefaultRecoveryTemplate, RecoveryMail, RecoveryTemplate};
pub use self::outcome::{
    ActionOutcome, CompleteOutcome, ConfirmOutcome, DraftId, Instruction, StartOutcome,
};
pub use self::settings::RecoverySettings;
use crate::{
    Actor, AuditAction, AuditEntry, Error, LinkedIdentities, Ticket, TicketChange, TicketId,
    TicketStore, Transition,
};

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

    /// A ticket, for staff.
    ///
    /// # Errors
    /// A store failure.
    pub async fn ticket(&self, id: &TicketId) -> Result<Option<Ticket>, Error> {
        Ok(self.store.get(id).await?)
    }
}

/// What the steps share: mails, cancel tokens, and moving a ticket.
impl Recovery {
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

    async fn load(&self, id: &TicketId) -> Result<Option<Ticket>, Error> {
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
}
