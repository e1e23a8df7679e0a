//! The requester's side: "Submit Support Ticket" ([`Recovery::start`]),
//! then the contact address's code ([`Recovery::confirm`]) queues the
//! ticket, with the same answer and work whether or not the login exists
//! (REQ-31, REQ-34, REQ-35).
//!
//! Every throttle here, and the pseudo-account the contact code is issued
//! under, is keyed on the case-folded address
//! ([`EmailAddress::case_folded`]): `Victim@`, `victim@` and `VICTIM@`
//! reach one inbox and share one cap and one cooldown (REQ-17). Mail goes
//! to the address as typed.

use latchkey_core::{AccountId, EmailAddress, random};
use latchkey_otp::{IssueOutcome, Purpose, VerifyOutcome};
use sha2::{Digest, Sha256};

use super::{BackgroundJob, ConfirmOutcome, DraftId, Recovery, RecoveryMail, StartOutcome, render};
use crate::{
    Actor, AuditAction, AuditEntry, Draft, Error, Evidence, Ticket, TicketForm, TicketId,
    TicketState, validate,
};

impl Recovery {
    /// The pseudo-account a contact address's codes are issued under: one
    /// for every spelling of the address.
    fn contact_key(contact: &EmailAddress) -> AccountId {
        let digest = Sha256::digest(contact.case_folded().as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        AccountId::new(format!("recovery-contact-{hex}")).unwrap_or_else(|_| unreachable!())
    }

    /// "Submit Support Ticket": validates, throttles, keeps a draft and
    /// mails a code to the contact address. The submission caps count per
    /// case-folded contact address and per case-folded login; the code's
    /// cooldown and cap per case-folded contact address.
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
                &format!("contact:{}", valid.contact.case_folded()),
                now,
                s.submission_window,
                s.submissions_per_window,
            )
            .await?;
        let login_ok = self
            .store
            .record_submission(
                &format!("login:{}", valid.login.to_lowercase()),
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
    /// The evidence is weighed as of the draft's start (REQ-35): an
    /// identity linked after [`Recovery::start`] counts as linked after the
    /// ticket. The start is the draft's expiry less
    /// [`RecoverySettings::draft_ttl`](super::RecoverySettings::draft_ttl).
    ///
    /// The owner's "a ticket was opened" notice is handed to the
    /// [`Background`](super::Background) (or, without one, sent inline);
    /// its failure is never returned (REQ-31).
    ///
    /// # Errors
    /// Store or directory failures, or the acknowledgment to the contact
    /// address not being sent; never the owner's notice.
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
        // The draft's start: links made since then prove nothing (REQ-35).
        let started_at = (draft.expires_at - self.settings.draft_ttl).min(now);
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
        let evidence = Evidence::assess(&form.identities, &links, started_at);

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
        // Off the request path, and the same hand-off for an unknown login
        // (REQ-31): the requester's answer never waits for, or hears of,
        // the owner's notice.
        let job: BackgroundJob = match found {
            Some(owner) => {
                let (mailer, template) = (self.mailer.clone(), self.template.clone());
                Box::pin(async move {
                    let opened = RecoveryMail::TicketOpened {
                        reference: &reference,
                        cancel_token: &cancel_token,
                    };
                    let message = render(&*template, &owner.address, &opened);
                    // Dropped on purpose: a failure here must not tell the
                    // requester that the login exists.
                    let _ = mailer.send(message).await;
                })
            }
            None => Box::pin(async {}),
        };
        self.hand_off(job).await;
        Ok(ConfirmOutcome::Submitted { reference })
    }
}
