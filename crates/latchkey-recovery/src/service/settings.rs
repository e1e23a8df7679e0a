//! Settings of the recovery service.

use time::Duration;

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
