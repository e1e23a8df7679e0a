//! How many attempts a counter allows, and how long it waits between them.

use time::Duration;

/// How many attempts a counter gets (REQ-24, REQ-37): `free` attempts,
/// then a wait that doubles from `first_wait` up to `max_wait` before each
/// further one, and a lock after `lock_after` consecutive uncleared
/// attempts.
///
/// The default is 5 free attempts, 30 s doubling to 1 h, and a lock after
/// 100 (REQ-37's bound).
///
/// ```
/// use latchkey_throttle::AttemptPolicy;
/// use time::Duration;
/// let p = AttemptPolicy::default();
/// assert_eq!(p.wait_after(4), Duration::ZERO);
/// assert_eq!(p.wait_after(5), Duration::seconds(30));
/// assert_eq!(p.wait_after(6), Duration::seconds(60));
/// assert_eq!(p.wait_after(40), Duration::hours(1));
/// assert!(p.check().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptPolicy {
    /// Attempts with no wait (5).
    pub free: u32,
    /// The first wait (30 s).
    pub first_wait: Duration,
    /// The longest wait (1 h).
    pub max_wait: Duration,
    /// Attempts after which the counter is locked until cleared (100, the
    /// most REQ-37 allows).
    pub lock_after: u32,
}

impl Default for AttemptPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The policy does not make sense (see [`AttemptPolicy::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid attempt policy: {0}")]
pub struct InvalidPolicy(pub &'static str);

impl AttemptPolicy {
    /// The default policy.
    pub const DEFAULT: Self = Self {
        free: 5,
        first_wait: Duration::seconds(30),
        max_wait: Duration::hours(1),
        lock_after: Self::MAX_LOCK_AFTER,
    };

    /// The most consecutive failures REQ-37 allows before a lock.
    pub const MAX_LOCK_AFTER: u32 = 100;

    /// The wait before the next attempt, after `attempts` uncleared ones.
    #[must_use]
    pub fn wait_after(&self, attempts: u32) -> Duration {
        if attempts < self.free {
            return Duration::ZERO;
        }
        let doublings = (attempts - self.free).min(30);
        let wait = self.first_wait.saturating_mul(1_i32 << doublings);
        wait.min(self.max_wait)
    }

    /// Checks that the policy holds REQ-37: a lock after 1 to 100
    /// attempts, at most `lock_after` free ones, and positive waits that
    /// grow.
    ///
    /// # Errors
    /// [`InvalidPolicy`] saying which part is wrong.
    ///
    /// ```
    /// use latchkey_throttle::AttemptPolicy;
    /// let p = AttemptPolicy { lock_after: 101, ..AttemptPolicy::default() };
    /// assert!(p.check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), InvalidPolicy> {
        if self.lock_after == 0 || self.lock_after > Self::MAX_LOCK_AFTER {
            return Err(InvalidPolicy("lock_after must be 1 to 100 (REQ-37)"));
        }
        if self.free > self.lock_after {
            return Err(InvalidPolicy("free must be at most lock_after"));
        }
        if !self.first_wait.is_positive() || self.max_wait < self.first_wait {
            return Err(InvalidPolicy(
                "first_wait must be positive and max_wait at least first_wait",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::AttemptPolicy;

    #[test]
    fn check_accepts_the_bounds_and_refuses_one_past_each() {
        let base = AttemptPolicy::default();
        let ok = |p: AttemptPolicy| p.check().is_ok();
        assert!(ok(base));
        assert!(
            ok(AttemptPolicy {
                lock_after: 100,
                ..base
            }),
            "100 is the bound"
        );
        assert!(!ok(AttemptPolicy {
            lock_after: 101,
            ..base
        }));
        assert!(ok(AttemptPolicy {
            lock_after: 1,
            free: 1,
            ..base
        }));
        assert!(!ok(AttemptPolicy {
            lock_after: 0,
            free: 0,
            ..base
        }));
        assert!(
            ok(AttemptPolicy {
                free: base.lock_after,
                ..base
            }),
            "free may equal lock_after"
        );
        assert!(!ok(AttemptPolicy {
            free: base.lock_after + 1,
            ..base
        }));
        assert!(
            ok(AttemptPolicy {
                max_wait: base.first_wait,
                ..base
            }),
            "a flat wait"
        );
        assert!(!ok(AttemptPolicy {
            max_wait: base.first_wait - Duration::SECOND,
            ..base
        }));
        assert!(!ok(AttemptPolicy {
            first_wait: Duration::ZERO,
            ..base
        }));
        assert!(!ok(AttemptPolicy {
            first_wait: Duration::seconds(-1),
            max_wait: Duration::seconds(-1),
            ..base
        }));
    }
}
