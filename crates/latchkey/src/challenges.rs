//! Opening challenges, and the mailed code bound to each.

use latchkey_challenge::{ChallengeId, ChallengeKey, ChallengeKind, ChallengeRecord};
use latchkey_core::{AccountId, SecurityStamp};
use latchkey_otp::Purpose;
use time::OffsetDateTime;

use crate::{Error, SignIn};

/// The key a challenge id is stored under, within its kind's scope: a
/// step-up challenge is found only with its account and write.
pub(crate) fn key_for(id: &ChallengeId, account: &AccountId, kind: ChallengeKind) -> ChallengeKey {
    match kind {
        ChallengeKind::StepUp { operation } => ChallengeKey::step_up(id, account, &operation),
        ChallengeKind::MailedCode | ChallengeKind::SecondFactor => ChallengeKey::sign_in(id),
    }
}

/// The mailed code of one challenge: its own record, bound to the
/// challenge by the digest, so a code never works on another challenge.
pub(crate) fn purpose(key: &ChallengeKey) -> Purpose {
    Purpose::SIGN_IN.scoped(&data_encoding::HEXLOWER.encode(&key.0[..8]))
}

impl SignIn {
    /// Stores a new challenge for `account`; returns its id and expiry.
    pub(crate) async fn new_challenge(
        &self,
        account: &AccountId,
        kind: ChallengeKind,
        now: OffsetDateTime,
        stamp: SecurityStamp,
    ) -> Result<(ChallengeId, OffsetDateTime), Error> {
        let expires_at = now + self.settings.challenge_ttl;
        loop {
            let id = ChallengeId::generate()?;
            let inserted = self
                .challenges
                .insert_challenge(ChallengeRecord {
                    key: key_for(&id, account, kind),
                    account: account.clone(),
                    kind,
                    created_at: now,
                    expires_at,
                    max_attempts: self.settings.challenge_attempts,
                    attempts: 0,
                    stamp,
                })
                .await?;
            if inserted {
                return Ok((id, expires_at));
            }
        }
    }
}
