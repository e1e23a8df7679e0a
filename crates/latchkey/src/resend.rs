//! "Send another code".

use latchkey_challenge::{ChallengeId, ChallengeKey, ChallengeKind};
use latchkey_otp::IssueOutcome;

use crate::challenges::purpose;
use crate::{ClientContext, Error, Resent, SecurityEvent, SignIn};

impl SignIn {
    /// Mails a new code for a mailed-code challenge (the old one stops
    /// working), subject to the resend cooldown (60 s by default) and the
    /// hourly cap (10).
    ///
    /// # Errors
    /// Store or mail failures (a failed mail leaves no usable code).
    #[tracing::instrument(name = "latchkey.sign_in.resend", skip_all)]
    pub async fn resend(
        &self,
        challenge: &ChallengeId,
        ctx: &ClientContext,
    ) -> Result<Resent, Error> {
        let now = self.clock.now();
        let key = ChallengeKey::sign_in(challenge);
        let record = self
            .challenges
            .get_challenge(&key)
            .await?
            .filter(|r| r.is_live(now) && r.kind == ChallengeKind::MailedCode);
        if let Some(at) = self.client_refused(ctx, now, record.as_ref()).await? {
            return Ok(Resent::TooSoon {
                retry_after: at - now,
            });
        }
        let Some(record) = record else {
            return Ok(Resent::Expired);
        };
        // Credentials changed since the challenge was made: no new code.
        if record.stamp != self.current_stamp(&record.account).await? {
            return Ok(Resent::Expired);
        }
        let address = self.address_of(&record.account).await?;
        match self
            .codes
            .issue(&record.account, &address, &purpose(&key))
            .await?
        {
            IssueOutcome::Sent { masked_address, .. } => {
                self.emit(SecurityEvent::CodeSent {
                    account: record.account,
                    masked_address: masked_address.clone(),
                });
                Ok(Resent::Sent { masked_address })
            }
            IssueOutcome::CoolingDown { retry_after }
            | IssueOutcome::CapReached { retry_after } => Ok(Resent::TooSoon { retry_after }),
        }
    }
}
