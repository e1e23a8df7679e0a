//! Throttling in the flow: which counter each step counts against, the
//! per-client window, and the events a refusal raises.

use latchkey_challenge::ChallengeRecord;
use latchkey_core::AccountId;
use latchkey_throttle::{DeviceLane, ThrottleKey, ThrottleReservation};
use time::OffsetDateTime;

use crate::{ClientContext, Error, SecurityEvent, SignIn};

/// A refused attempt: when to try again, `None` when locked.
pub(crate) type Refused = Option<OffsetDateTime>;

impl SignIn {
    /// The password-stage counter. For a login that leads to an account it
    /// is the account's, whatever the spelling (username or email, any
    /// case the host's lookup accepts), so an account has one budget
    /// (REQ-37); for a login that leads nowhere it is the login's as
    /// typed, so unknown logins are throttled like known ones. Devices
    /// that present a valid device token count in a lane of their own, so
    /// a stranger's wrong guesses cannot lock the owner out of her own
    /// devices.
    ///
    /// What this reveals: someone who locks one spelling of a login can
    /// see that another spelling is locked too, and so that the two are
    /// one account. Finding that out costs the backoff itself (five free
    /// guesses, then waits) and says nothing about the password; an
    /// unlimited budget per spelling would be far worse.
    pub(crate) fn password_key(
        &self,
        login: &str,
        account: Option<&AccountId>,
        lane: DeviceLane,
    ) -> ThrottleKey {
        self.throttle_keys.sign_in_password(login, account, lane)
    }

    /// An account's counter for the code stage (answers to challenges),
    /// shared with 2FA's own count. It is separate from the password
    /// counter, which a right password clears (so a user who remembers
    /// her password after a few tries is not made to wait before typing
    /// the code); only a completed sign-in clears this one, so knowing the
    /// password does not reset the backoff on guessing codes.
    pub(crate) fn codes_key(&self, account: &AccountId) -> ThrottleKey {
        self.throttle_keys.account_codes(account)
    }

    /// Counts a request against the client's budget; `Some(retry_at)` when
    /// it is spent.
    pub(crate) async fn client_over_budget(
        &self,
        ctx: &ClientContext,
        now: OffsetDateTime,
        account: Option<&AccountId>,
    ) -> Result<Option<OffsetDateTime>, Error> {
        let Some(client) = ctx.client() else {
            return Ok(None);
        };
        let key = self.throttle_keys.client(client);
        let window = self
            .throttle
            .hit(&key, now, self.settings.client_window)
            .await?;
        if window.count <= self.settings.client_budget {
            return Ok(None);
        }
        self.emit(SecurityEvent::Throttled {
            account: account.cloned(),
            per_client: true,
        });
        Ok(Some(window.resets_at))
    }

    /// Counts an attempt against a backoff counter (a login's or an
    /// account's); the consecutive count, or when to retry.
    pub(crate) async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        account: Option<&AccountId>,
    ) -> Result<Result<u32, Refused>, Error> {
        let refused = match self
            .throttle
            .reserve(key, now, self.settings.backoff)
            .await?
        {
            ThrottleReservation::Allowed { attempts } => return Ok(Ok(attempts)),
            ThrottleReservation::RetryAt { at } => Some(at),
            ThrottleReservation::Locked => None,
        };
        self.emit(SecurityEvent::Throttled {
            account: account.cloned(),
            per_client: false,
        });
        Ok(Err(refused))
    }

    /// Reports a lockout when a failed attempt was the last one allowed.
    pub(crate) fn after_failure(&self, account: Option<&AccountId>, attempts: u32) {
        if let Some(account) = account
            && attempts >= self.settings.backoff.lock_after
        {
            self.emit(SecurityEvent::LockedOut {
                account: account.clone(),
            });
        }
    }

    /// Counts a request on a challenge against the client's budget, naming
    /// the challenge's account in the event when there is one.
    pub(crate) async fn client_refused(
        &self,
        ctx: &ClientContext,
        now: OffsetDateTime,
        record: Option<&ChallengeRecord>,
    ) -> Result<Option<OffsetDateTime>, Error> {
        self.client_over_budget(ctx, now, record.map(|r| &r.account))
            .await
    }
}
