//! "Try recovering your account" from the login-verification form.

use latchkey_challenge::{ChallengeAttempt, ChallengeId, ChallengeKey};
use latchkey_recovery::{ConfirmOutcome, DraftId, StartOutcome, TicketForm};

use crate::{ClientContext, Error, Recovering, SecurityEvent, SignIn};

impl SignIn {
    /// Starts a support ticket (REQ-31 to REQ-36) while the sign-in's
    /// challenge is live. The ticket never bypasses a remaining factor
    /// (REQ-33): an approved email reset changes the address only, so an
    /// account with 2FA still asks for its authenticator or a recovery
    /// code at sign-in.
    ///
    /// # Errors
    /// Store or mail failures; [`Error::NotConfigured`] without a ticket
    /// store.
    #[tracing::instrument(name = "latchkey.sign_in.recover", skip_all)]
    pub async fn recover(
        &self,
        challenge: &ChallengeId,
        form: &TicketForm,
        ctx: &ClientContext,
    ) -> Result<Recovering, Error> {
        let recovery = self.recovery()?;
        let now = self.clock.now();
        let key = ChallengeKey::sign_in(challenge);
        let record = self
            .challenges
            .get_challenge(&key)
            .await?
            .filter(|r| now < r.expires_at);
        if let Some(at) = self.client_refused(ctx, now, record.as_ref()).await? {
            return Ok(Recovering::Throttled { retry_at: at });
        }
        let Some(record) = record else {
            return Ok(Recovering::Expired);
        };
        // Credentials changed since the challenge was made (REQ-49).
        if record.stamp != self.current_stamp(&record.account).await? {
            return Ok(Recovering::Expired);
        }
        // The ticket is for this sign-in's account, not any login typed.
        let same_account = self
            .checker
            .find(&form.login)
            .await?
            .is_some_and(|c| c.account == record.account);
        if !same_account {
            return Ok(Recovering::OtherAccount);
        }
        // Each start mails the contact address: it spends one of the
        // challenge's attempts, so one challenge cannot mail without end.
        if !matches!(
            self.challenges.reserve_attempt(&key, now).await?,
            ChallengeAttempt::Counted(_)
        ) {
            return Ok(Recovering::Expired);
        }
        let started = recovery.start(form).await?;
        if matches!(started, StartOutcome::CodeSent { .. }) {
            self.emit(SecurityEvent::RecoveryStarted {
                account: record.account,
            });
        }
        Ok(Recovering::Started(started))
    }

    /// Confirms the contact address of a recovery draft with the code
    /// mailed to it, which queues the ticket for staff.
    ///
    /// # Errors
    /// Store or mail failures; [`Error::NotConfigured`] without a ticket
    /// store.
    pub async fn confirm_recovery(
        &self,
        draft: &DraftId,
        code: &str,
    ) -> Result<ConfirmOutcome, Error> {
        let outcome = self.recovery()?.confirm(draft, code).await?;
        if let ConfirmOutcome::Submitted { reference } = &outcome {
            self.emit(SecurityEvent::TicketOpened {
                ticket: reference.short(),
            });
        }
        Ok(outcome)
    }
}
