//! A queued ticket's moves: staff review, approve (optionally two
//! reviewers and a waiting period), reject and complete; the requester
//! withdraws; the account's owner cancels; nobody acting expires it. Each
//! move is a compare-and-set with an audit entry.

use subtle::ConstantTimeEq;

use super::{ActionOutcome, CompleteOutcome, Instruction, Recovery, RecoveryMail};
use crate::{
    Actor, AuditAction, AuditEntry, Error, TicketChange, TicketId, TicketState, Topic, Transition,
};

impl Recovery {
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
