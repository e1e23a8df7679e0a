//! What a stored challenge holds.

use latchkey_core::{AccountId, OperationDigest, SecurityStamp};
use time::OffsetDateTime;

use crate::ChallengeKey;

/// What a challenge asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeKind {
    /// The code mailed to the account's address (login verification).
    MailedCode,
    /// A TOTP code or a recovery code (2FA at sign-in).
    SecondFactor,
    /// A TOTP code or a recovery code approving one write (step-up in
    /// auth-and-writes mode), bound to the write's digest.
    StepUp {
        /// SHA-256 of the operation the host described.
        operation: OperationDigest,
    },
}

impl ChallengeKind {
    /// The kind's name as stored: `mailed-code`, `second-factor` or
    /// `step-up`.
    ///
    /// ```
    /// use latchkey_challenge::ChallengeKind;
    /// let kind = ChallengeKind::StepUp { operation: [1; 32] };
    /// assert_eq!(ChallengeKind::from_parts(kind.name(), kind.operation()), Some(kind));
    /// assert_eq!(ChallengeKind::from_parts("step-up", None), None);
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::MailedCode => "mailed-code",
            Self::SecondFactor => "second-factor",
            Self::StepUp { .. } => "step-up",
        }
    }

    /// Rebuilds a kind from its stored name and operation digest; `None`
    /// if they do not fit together.
    #[must_use]
    pub fn from_parts(name: &str, operation: Option<OperationDigest>) -> Option<Self> {
        match (name, operation) {
            ("mailed-code", None) => Some(Self::MailedCode),
            ("second-factor", None) => Some(Self::SecondFactor),
            ("step-up", Some(operation)) => Some(Self::StepUp { operation }),
            _ => None,
        }
    }

    /// The operation digest of a step-up challenge.
    #[must_use]
    pub fn operation(&self) -> Option<OperationDigest> {
        match self {
            Self::StepUp { operation } => Some(*operation),
            _ => None,
        }
    }
}

/// A stored challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// The digest of the challenge id.
    pub key: ChallengeKey,
    /// The account it belongs to.
    pub account: AccountId,
    /// What it asks for.
    pub kind: ChallengeKind,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working: at this instant it is already dead.
    pub expires_at: OffsetDateTime,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Attempts counted so far.
    pub attempts: u32,
    /// The account's security stamp when the challenge was made: once the
    /// account's credentials change (a password change, 2FA turned on), the
    /// challenge is dead (REQ-49).
    pub stamp: SecurityStamp,
}

impl ChallengeRecord {
    /// Attempts left before the challenge is spent.
    #[must_use]
    pub fn attempts_left(&self) -> u32 {
        self.max_attempts.saturating_sub(self.attempts)
    }

    /// Whether it can still be answered at `now`: unexpired, with attempts
    /// left.
    #[must_use]
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at && self.attempts < self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use latchkey_core::{AccountId, SecurityStamp};
    use time::{Duration, OffsetDateTime};

    use super::*;
    use crate::{ChallengeId, ChallengeKey};

    fn record(attempts: u32) -> ChallengeRecord {
        let at = OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time");
        ChallengeRecord {
            key: ChallengeKey::sign_in(&ChallengeId::generate().expect("random")),
            account: AccountId::new("jane").expect("id"),
            kind: ChallengeKind::MailedCode,
            created_at: at,
            expires_at: at + Duration::minutes(10),
            max_attempts: 5,
            attempts,
            stamp: SecurityStamp([0; 16]),
        }
    }

    #[test]
    fn a_challenge_is_live_until_its_expiry_instant_and_its_last_attempt() {
        let fresh = record(0);
        let last_moment = fresh.expires_at - Duration::nanoseconds(1);
        assert!(fresh.is_live(last_moment));
        assert!(
            !fresh.is_live(fresh.expires_at),
            "dead at its expiry instant"
        );
        assert!(!fresh.is_live(fresh.expires_at + Duration::SECOND));
        assert!(record(4).is_live(last_moment), "one attempt left");
        assert!(!record(5).is_live(fresh.created_at), "no attempt left");
        assert!(!record(9).is_live(fresh.created_at));
    }

    #[test]
    fn attempts_left_counts_down_to_zero_and_stays_there() {
        let left: Vec<u32> = (0..8).map(|n| record(n).attempts_left()).collect();
        assert_eq!(left, [5, 4, 3, 2, 1, 0, 0, 0]);
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_parts() {
        for kind in [
            ChallengeKind::MailedCode,
            ChallengeKind::SecondFactor,
            ChallengeKind::StepUp { operation: [7; 32] },
        ] {
            assert_eq!(
                ChallengeKind::from_parts(kind.name(), kind.operation()),
                Some(kind)
            );
        }
        assert_eq!(
            ChallengeKind::from_parts("mailed-code", Some([1; 32])),
            None
        );
        assert_eq!(
            ChallengeKind::from_parts("second-factor", Some([1; 32])),
            None
        );
        assert_eq!(ChallengeKind::from_parts("other", None), None);
    }

    #[test]
    fn a_key_shows_only_its_first_four_bytes() {
        let key = ChallengeKey::sign_in(&ChallengeId::generate().expect("random"));
        let shown = format!("{key:?}");
        assert_eq!(shown.len(), "ChallengeKey(01234567…)".len(), "{shown}");
        assert!(shown.starts_with("ChallengeKey(") && shown.ends_with("…)"));
        assert_eq!(
            &shown["ChallengeKey(".len().."ChallengeKey(".len() + 8],
            data_encoding::HEXLOWER.encode(&key.0[..4])
        );
    }
}
