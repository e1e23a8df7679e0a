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

    /// The requester withdraws the ticket, by its reference alone, while it
    /// is still queued ([`TicketState::Submitted`]); once a reviewer took
    /// it the answer is [`ActionOutcome::NotAllowed`], and only the owner's
    /// cancel code ([`Recovery::cancel`]) stops it. The move is a
    /// compare-and-set on the version read, so a review that starts at the
    /// same time wins or loses as a whole ([`ActionOutcome::Conflict`]).
    ///
    /// # Errors
    /// A store failure.
    pub async fn withdraw(&self, id: &TicketId) -> Result<ActionOutcome, Error> {
        let Some(t) = self.load(id).await? else {
            return Ok(ActionOutcome::NotFound);
        };
        if t.state != TicketState::Submitted {
            return Ok(ActionOutcome::NotAllowed(t.state));
        }
        self.apply(
            &t,
            Transition::Withdraw,
            Actor::Requester,
            None,
            t.approvals.clone(),
            t.approved_at,
        )
        .await
    }

    /// The account's owner cancels with the code from the "ticket opened"
    /// mail, sent to the address of record, at any point before completion
    /// (queued, in review or approved). The code's keyed digest is compared
    /// with the ticket's in constant time.
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
    /// With a [`CompletionHook`](super::CompletionHook), the hook is called
    /// once, with the account and the instruction, after the ticket moved
    /// to completed and before the mails go out and this returns.
    ///
    /// # Errors
    /// Store or mail failures, and [`Error::Completion`] when the hook
    /// failed: **the ticket stays completed** (it is not moved back and the
    /// hook is not called again for it), no "address changed" mail was
    /// sent, and the error carries the instruction for the host to carry
    /// out.
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
        // The address of record as it is before the change, read before the
        // move so that a failed read leaves the ticket approved, and before
        // the hook changes it.
        let old = match (&t.topic, &t.account, t.state) {
            (Topic::ResetEmail, Some(account), TicketState::Approved) => {
                self.owner_address(&t.login, account).await?
            }
            _ => None,
        };
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
            (Topic::ResetEmail, Some(account)) => Instruction::ResetEmail {
                account: account.clone(),
                new_address: t.contact.clone(),
                void_codes: true,
                end_sessions: true,
            },
            _ => Instruction::Resolved,
        };
        if let Some(hook) = &self.completion
            && let Err(source) = hook.completed(t.account.as_ref(), &instruction).await
        {
            return Err(Error::Completion {
                instruction: Box::new(instruction),
                source,
            });
        }
        if let Instruction::ResetEmail { new_address, .. } = &instruction {
            let changed = RecoveryMail::EmailChanged {
                new_address: new_address.masked(),
            };
            if let Some(old) = old {
                self.send(&old, &changed).await?;
            }
            self.send(new_address, &changed).await?;
        }
        Ok(CompleteOutcome::Completed(instruction))
    }
}
