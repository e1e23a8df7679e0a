//! The storage contract for mailed codes.

use std::borrow::Cow;
use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use time::{Duration, OffsetDateTime};

/// What a mailed code is for. A code issued for one purpose never verifies
/// for another (REQ-15).
///
/// ```
/// use latchkey_otp::Purpose;
/// assert_eq!(Purpose::SIGN_IN.as_str(), "sign-in");
/// let custom = Purpose::new("confirm-delete");
/// assert_ne!(custom, Purpose::SIGN_IN);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purpose(Cow<'static, str>);

impl Purpose {
    /// Login verification: "OTP for logging in to your account".
    pub const SIGN_IN: Self = Self(Cow::Borrowed("sign-in"));
    /// Proving control of a contact address (account recovery).
    pub const VERIFY_ADDRESS: Self = Self(Cow::Borrowed("verify-address"));

    /// A purpose of the host's own.
    #[must_use]
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self(name.into())
    }

    /// The purpose's name, as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same purpose narrowed to one scope (`sign-in/ab12`), so codes
    /// of different scopes are separate records, each bound to its scope
    /// by the digest. Mail templates treat it as its [`family`](Self::family).
    ///
    /// ```
    /// use latchkey_otp::Purpose;
    /// let scoped = Purpose::SIGN_IN.scoped("ab12");
    /// assert_eq!(scoped.as_str(), "sign-in/ab12");
    /// assert!(scoped.is_a(&Purpose::SIGN_IN));
    /// assert!(!scoped.is_a(&Purpose::VERIFY_ADDRESS));
    /// ```
    #[must_use]
    pub fn scoped(&self, scope: &str) -> Self {
        Self(Cow::Owned(format!("{}/{scope}", self.family())))
    }

    /// The purpose without its scope: the name before the first `/`.
    #[must_use]
    pub fn family(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }

    /// Whether this purpose, scoped or not, belongs to `family`'s.
    #[must_use]
    pub fn is_a(&self, family: &Purpose) -> bool {
        self.family() == family.family()
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One outstanding mailed code, as stored: only a keyed digest of the code
/// (REQ-16), never the code.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeRecord {
    /// A random id for this code: the store's compare-and-set key, and the
    /// digest's salt.
    pub id: [u8; 16],
    /// Whose code it is.
    pub account: AccountId,
    /// What it is for.
    pub purpose: Purpose,
    /// HMAC-SHA256 under the pepper, bound to id, account, purpose and code.
    pub digest: [u8; 32],
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// Failed attempts allowed before the code is dead.
    pub max_attempts: u32,
    /// Failed attempts so far.
    pub failed_attempts: u32,
}

impl fmt::Debug for CodeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeRecord")
            .field("account", &self.account)
            .field("purpose", &self.purpose)
            .field("digest", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("max_attempts", &self.max_attempts)
            .field("failed_attempts", &self.failed_attempts)
            .finish_non_exhaustive()
    }
}

/// The answer to [`OtpStore::reserve_send`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendReservation {
    /// The send is recorded; go ahead.
    Reserved,
    /// The last send was too recent; try again at `until`.
    CoolingDown {
        /// When the cooldown ends.
        until: OffsetDateTime,
    },
    /// The hourly cap is reached; try again at `until`.
    CapReached {
        /// When the oldest send of the last hour leaves the window.
        until: OffsetDateTime,
    },
}

/// The answer to [`OtpStore::record_failure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureCount {
    /// The failure was counted; this many failures so far.
    Counted {
        /// Failed attempts including this one.
        failed_attempts: u32,
    },
    /// The budget was already spent; nothing counted.
    Exhausted,
    /// The record is gone or was replaced; nothing counted.
    Gone,
}

/// Where mailed codes live. Every method is one atomic operation, so two
/// service instances sharing a database can never both accept one code,
/// nor together spend more than the attempt budget.
///
/// Records are keyed by `(account, purpose)`: at most one code per pair.
#[async_trait]
pub trait OtpStore: fmt::Debug + Send + Sync + 'static {
    /// Atomically checks the account's resend cooldown and hourly cap at
    /// `now` and, if both allow, records a send at `now`.
    ///
    /// The hour is `(now - 1 h, now]`: a send exactly one hour old no
    /// longer counts toward `hourly_cap` (so `CapReached { until }`, the
    /// oldest counted send plus an hour, is the first instant a send is
    /// allowed), and a send exactly at the end of the cooldown is allowed.
    async fn reserve_send(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        cooldown: Duration,
        hourly_cap: u32,
    ) -> Result<SendReservation, StoreError>;

    /// Releases the cooldown of the send recorded at `sent_at` (the mail
    /// failed), so the user may ask again at once. The send still counts
    /// toward the hourly cap: a failure may be ambiguous (a relay that
    /// timed out after accepting), and the cap is what keeps an inbox from
    /// being flooded. A send that is not recorded, or already released,
    /// is fine: nothing changes.
    async fn release_send(
        &self,
        account: &AccountId,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Stores a record whole, replacing any record for the same account
    /// and purpose (a resend voids the old code, REQ-15).
    async fn put(&self, record: CodeRecord) -> Result<(), StoreError>;

    /// The current record for an account and purpose. It decides nothing:
    /// a record whose attempts are spent, or whose expiry has passed, is
    /// still returned; `Ok(None)` only when there is none.
    async fn get(
        &self,
        account: &AccountId,
        purpose: &Purpose,
    ) -> Result<Option<CodeRecord>, StoreError>;

    /// Counts one failed attempt against record `id`, only if it is still
    /// the current record and its budget is not spent (whatever its
    /// expiry): [`FailureCount::Gone`] for another id, and
    /// [`FailureCount::Exhausted`], counting nothing, once
    /// `failed_attempts` has reached `max_attempts`; of concurrent calls no
    /// more than the budget are counted.
    async fn record_failure(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<FailureCount, StoreError>;

    /// Deletes record `id` and returns `true` only if it is still current,
    /// unexpired at `now` (at `expires_at` the code is already dead) and
    /// within its attempt budget: the one success, of concurrent callers
    /// exactly one.
    async fn consume(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Deletes record `id` if it is still current (a code whose mail
    /// failed); a missing or replaced record is fine, and left alone.
    async fn withdraw(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<(), StoreError>;

    /// Deletes every code of an account, of every purpose (its address
    /// changed, REQ-36), and no other account's; returns how many.
    async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError>;
}
