//! The recovery service: from "Try recovering your account" to a completed
//! email reset.
//!
//! [`Recovery`] and what its steps share are here. The requester's steps
//! are in `intake`, the ticket's later moves in `lifecycle`; the host's
//! account directory, the settings, the outcomes and the mails each have
//! a module beside them.

mod account;
mod background;
mod completion;
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
pub use self::background::{Background, BackgroundJob};
pub use self::completion::CompletionHook;
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
/// For a known login the address of record is told, so one more mail is
/// sent. That notice goes through the [`Background`] installed with
/// [`Recovery::with_background`]: `confirm` only hands it off (and hands
/// off an empty job for an unknown login, the same work), and a failure
/// of that mail is never returned to the requester (REQ-31).
///
/// **Without a [`Background`], `confirm` sends the owner's notice inline
/// and waits for it**, because this crate assumes no async runtime: the
/// answer is still the same (a failure of the notice is dropped, never
/// returned), but its timing can still reveal that the login exists. Every
/// host should install one; the `latchkey` facade installs one on tokio.
///
/// With a [`CompletionHook`] ([`Recovery::with_completion`]),
/// [`Recovery::complete`] carries out the ticket's [`Instruction`] itself
/// instead of trusting every caller to.
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
    background: Option<Arc<dyn Background>>,
    completion: Option<Arc<dyn CompletionHook>>,
}

impl fmt::Debug for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recovery")
            .field("store", &self.store)
            .field("settings", &self.settings)
            .field("background", &self.background)
            .field("completion", &self.completion)
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
            background: None,
            completion: None,
        }
    }

    /// Replaces the mail template.
    #[must_use]
    pub fn with_template(mut self, template: Arc<dyn RecoveryTemplate>) -> Self {
        self.template = template;
        self
    }

    /// Sends the owner's "a ticket was opened" notice through `background`,
    /// off the request path (REQ-31). Without it the notice is sent inline:
    /// see [`Recovery`].
    #[must_use]
    pub fn with_background(mut self, background: Arc<dyn Background>) -> Self {
        self.background = Some(background);
        self
    }

    /// Has [`Recovery::complete`] call `hook` with the account and the
    /// [`Instruction`] once the ticket completed, before it returns.
    #[must_use]
    pub fn with_completion(mut self, hook: Arc<dyn CompletionHook>) -> Self {
        self.completion = Some(hook);
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

/// A recovery mail as a message to `to`.
fn render(template: &dyn RecoveryTemplate, to: &EmailAddress, mail: &RecoveryMail<'_>) -> Message {
    let content = template.render(mail);
    let mut message = Message::new(
        to.clone(),
        content.subject,
        content.text,
        MessageKind::RecoveryTicket,
    );
    message.html = content.html;
    message
}

/// What the steps share: mails, cancel tokens, and moving a ticket.
impl Recovery {
    fn cancel_digest(&self, id: &TicketId, token: &str) -> [u8; 32] {
        let normalized = token.trim().to_ascii_uppercase();
        self.cancel_key.mac(&[&id.0, normalized.as_bytes()])
    }

    fn message(&self, to: &EmailAddress, mail: &RecoveryMail<'_>) -> Message {
        render(&*self.template, to, mail)
    }

    async fn send(&self, to: &EmailAddress, mail: &RecoveryMail<'_>) -> Result<(), Error> {
        let message = self.message(to, mail);
        self.mailer.send(message).await.map_err(Error::Mail)
    }

    /// Hands `job` to the background, or, without one, runs it here.
    async fn hand_off(&self, job: BackgroundJob) {
        match &self.background {
            Some(background) => background.spawn(job),
            None => job.await,
        }
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
