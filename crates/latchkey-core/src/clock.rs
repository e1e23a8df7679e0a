use std::fmt;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// The one way latchkey reads the time.
///
/// Every expiry, window and cooldown asks a `Clock`, so tests drive time
/// with a [`ManualClock`] instead of sleeping. Production uses
/// [`SystemClock`].
///
/// ```
/// use latchkey_core::{Clock, SystemClock};
/// let now = SystemClock.now();
/// assert!(now.year() >= 2024);
/// ```
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to, for tests and demos.
///
/// ```
/// use latchkey_core::{Clock, ManualClock};
/// use time::{Duration, OffsetDateTime};
///
/// let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
/// clock.advance(Duration::seconds(90));
/// assert_eq!(clock.now().unix_timestamp(), 90);
/// clock.set(OffsetDateTime::UNIX_EPOCH + Duration::days(1));
/// assert_eq!(clock.now().unix_timestamp(), 86_400);
/// ```
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock that reads `start` until moved.
    #[must_use]
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock by `by` (backwards when negative).
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = to;
    }
}

impl Default for ManualClock {
    /// Starts at the Unix epoch.
    fn default() -> Self {
        Self::new(OffsetDateTime::UNIX_EPOCH)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}
