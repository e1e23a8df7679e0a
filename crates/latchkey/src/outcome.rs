//! What each step of the flow answers: values, never errors.

use std::fmt;

use latchkey_challenge::ChallengeId;
use latchkey_core::AccountId;
use latchkey_credentials::Refusal;
use latchkey_recovery::StartOutcome;
use latchkey_twofactor::Approval;
use time::{Duration, OffsetDateTime};

use crate::{Authentication, Factors, Method, SecurityKeyRequest};
use latchkey_webauthn::{CeremonyId, PublicKeyCredential};

/// Seconds from `now` until `retry_at`, rounded up and at least 1: the
/// value of an HTTP `Retry-After` header for a throttled answer.
///
/// ```
/// use latchkey::retry_after_seconds;
/// use time::{Duration, OffsetDateTime};
/// let now = OffsetDateTime::UNIX_EPOCH;
/// assert_eq!(retry_after_seconds(now + Duration::milliseconds(29_500), now), 30);
/// assert_eq!(retry_after_seconds(now - Duration::SECOND, now), 1);
/// ```
#[must_use]
pub fn retry_after_seconds(retry_at: OffsetDateTime, now: OffsetDateTime) -> u64 {
    let wait = retry_at - now;
    let whole = wait.whole_seconds();
    let rounded = if wait > Duration::seconds(whole) {
        whole + 1
    } else {
        whole
    };
    u64::try_from(rounded.max(1)).unwrap_or(1)
}

/// A completed sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who signed in.
    pub account: AccountId,
    /// How.
    pub method: Method,
    /// A remembered-device token for the host to keep in a cookie (see
    /// [`DeviceCookie`](crate::DeviceCookie)), when this sign-in verified a
    /// code (never for the password alone, so a stolen token is not
    /// renewed with the password). The device is a server-side record the
    /// owner can list and revoke; the token is not rotated on use, since
    /// it only ever skips the mailed code (the password is still asked
    /// for), and rotating it would send two tabs racing, or a lost
    /// response, back to the mailed code. With it,
    /// [`MailedCodePolicy::WhenUnfamiliar`](crate::MailedCodePolicy::WhenUnfamiliar) skips the mailed code next time.
    pub device_token: Option<String>,
    /// Device tokens the request presented that name no live device
    /// (revoked, expired or forgotten): clear their cookies
    /// ([`DeviceCookie::clear`](crate::DeviceCookie::clear)).
    pub stale_device_tokens: Vec<String>,
    /// For a recovery code: unused codes left.
    pub recovery_codes_left: Option<u32>,
    /// What this sign-in proves, and when: keep it in the session (see
    /// [`Authentication`]).
    pub authentication: Authentication,
}

impl fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedIn")
            .field("account", &self.account)
            .field("method", &self.method)
            .field(
                "device_token",
                &self.device_token.as_ref().map(|_| "<redacted>"),
            )
            .field("stale_device_tokens", &self.stale_device_tokens.len())
            .field("recovery_codes_left", &self.recovery_codes_left)
            .field("authentication", &self.authentication)
            .finish()
    }
}

/// What [`SignIn::start`](crate::SignIn::start) decided.
#[derive(Debug)]
#[must_use]
pub enum SignInStep {
    /// The password alone was enough.
    SignedIn(SignedIn),
    /// A code went to the account's address; ask for it ("OTP for logging
    /// in to your account").
    MailedCodeSent {
        /// Send this back with the code.
        challenge: ChallengeId,
        /// Where the code went, masked for display.
        masked_address: String,
        /// When the challenge stops working.
        expires_at: OffsetDateTime,
    },
    /// The account has 2FA: ask for one of its `factors` (a code from the
    /// authenticator app, the security key, or a recovery code).
    SecondFactorRequired {
        /// Send this back with the answer.
        challenge: ChallengeId,
        /// When the challenge stops working.
        expires_at: OffsetDateTime,
        /// What the account can answer with; for a security key, the
        /// browser's options (a ceremony already started).
        factors: Factors,
    },
    /// Unknown login or wrong password: one answer for both (REQ-38).
    Denied,
    /// The right password again while a code mailed moments ago is still
    /// cooling down (a double submit, or a lost response): no new code was
    /// sent. Ask the user to use the code already sent to
    /// `masked_address`, or to sign in again from `resend_at` for a new one.
    CodeRecentlySent {
        /// Where the code went, masked.
        masked_address: String,
        /// When a new code can be sent (the mailed code's resend cooldown,
        /// 60 s by default, or the hourly cap).
        resend_at: OffsetDateTime,
    },
    /// Too many attempts. `retry_at` is when to try again; `None` means
    /// locked until the host unlocks the account
    /// ([`SignIn::unlock`](crate::SignIn::unlock)). See
    /// [`retry_after_seconds`] for `Retry-After`.
    Throttled {
        /// When the next attempt is allowed.
        retry_at: Option<OffsetDateTime>,
    },
    /// The service is overloaded: every hashing slot is taken and the
    /// queue before them is full
    /// ([`hash_queue_limit`](crate::SignInBuilder::hash_queue_limit)).
    /// Nothing was looked up, checked nor counted; ask the user to try
    /// again at `retry_at` (HTTP 503 with `Retry-After`).
    Busy {
        /// When to try again (a second from now).
        retry_at: OffsetDateTime,
    },
}

/// An answer to a challenge, as the user typed it.
#[derive(Clone, Copy)]
pub enum Answer<'a> {
    /// The mailed code.
    MailedCode(&'a str),
    /// A code from the authenticator app.
    Totp(&'a str),
    /// A recovery code.
    RecoveryCode(&'a str),
    /// A security key's assertion (parse the browser's JSON with
    /// [`parse_assertion`](latchkey_webauthn::parse_assertion)) for the
    /// ceremony the options came with.
    SecurityKey {
        /// The ceremony of the [`SecurityKeyRequest`].
        ceremony: &'a CeremonyId,
        /// The browser's answer.
        credential: &'a PublicKeyCredential,
    },
}

impl fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MailedCode(_) => "MailedCode(<redacted>)",
            Self::Totp(_) => "Totp(<redacted>)",
            Self::RecoveryCode(_) => "RecoveryCode(<redacted>)",
            Self::SecurityKey { .. } => "SecurityKey(<redacted>)",
        })
    }
}

/// What [`SignIn::submit`](crate::SignIn::submit) decided.
#[derive(Debug)]
#[must_use]
pub enum Submitted {
    /// The sign-in is complete.
    SignedIn(SignedIn),
    /// Wrong (or replayed) code. At zero attempts left the challenge is
    /// dead: start again.
    Wrong {
        /// Attempts left on this challenge.
        attempts_left: u32,
    },
    /// The challenge is unknown, expired, used or spent: start again.
    Expired,
    /// Too many attempts; see [`SignInStep::Throttled`].
    Throttled {
        /// When the next attempt is allowed; `None` when locked.
        retry_at: Option<OffsetDateTime>,
    },
}

/// What [`SignIn::submit_step_up`](crate::SignIn::submit_step_up)
/// decided for a write.
#[derive(Debug)]
#[must_use]
pub enum StepUpAnswer {
    /// The write is approved. Redeem the approval with
    /// [`TwoFactor::redeem_approval`](latchkey_twofactor::TwoFactor::redeem_approval)
    /// right before the write: it works once.
    Approved(Approval),
    /// Wrong (or replayed) code. At zero attempts left the challenge is
    /// dead: ask for a new one.
    Wrong {
        /// Attempts left on this challenge.
        attempts_left: u32,
    },
    /// The challenge is unknown, expired, used, spent, or for another
    /// account or write.
    Expired,
    /// Too many attempts; see [`SignInStep::Throttled`].
    Throttled {
        /// When the next attempt is allowed; `None` when locked.
        retry_at: Option<OffsetDateTime>,
    },
}

/// What [`SignIn::resend`](crate::SignIn::resend) did.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Resent {
    /// A new code went out; the earlier one no longer works.
    Sent {
        /// Where, masked.
        masked_address: String,
    },
    /// Too soon, or too many sends this hour: try again after this.
    TooSoon {
        /// How long to wait.
        retry_after: Duration,
    },
    /// The challenge is unknown, expired, or not a mailed-code challenge.
    Expired,
}

/// What [`SignIn::recover`](crate::SignIn::recover) did.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Recovering {
    /// The recovery service's answer: problems with the form, throttled,
    /// or a code sent to the contact address (confirm it with
    /// [`SignIn::confirm_recovery`](crate::SignIn::confirm_recovery)).
    Started(StartOutcome),
    /// The challenge is unknown, expired or spent: start again.
    Expired,
    /// The form's login is not the account this sign-in is for.
    OtherAccount,
    /// The client's request budget is spent; try again at `retry_at`.
    Throttled {
        /// When the window ends.
        retry_at: OffsetDateTime,
    },
}

/// What [`SignIn::step_up`](crate::SignIn::step_up) decided for a write.
#[derive(Debug)]
#[must_use]
pub enum StepUp {
    /// The account's mode does not ask for a code on writes.
    NotRequired,
    /// Ask for a TOTP or recovery code, or the security key, and answer
    /// with [`SignIn::submit_step_up`](crate::SignIn::submit_step_up).
    Challenge {
        /// Send this back with the answer.
        challenge: ChallengeId,
        /// When the challenge stops working.
        expires_at: OffsetDateTime,
        /// When the account has security keys: options bound to this
        /// write.
        security_key: Option<Box<SecurityKeyRequest>>,
    },
}

/// What [`SignIn::register`](crate::SignIn::register) did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Registered {
    /// The account exists, with its login, password and address.
    Created {
        /// The new account's id.
        account: AccountId,
    },
    /// The password policy refused the password, for these reasons (show
    /// them).
    Refused(Vec<Refusal>),
    /// The login is taken (or the account id already has a login).
    LoginTaken,
    /// The login is empty or longer than 320 bytes.
    InvalidLogin,
    /// The email address is not a valid address.
    InvalidEmail,
    /// The hashing queue is full (see [`SignInStep::Busy`]): nothing was
    /// stored; try again in a moment.
    Busy,
}

/// What [`SignIn::change_password`](crate::SignIn::change_password) did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum PasswordChanged {
    /// The new password is stored.
    Changed,
    /// The current password was wrong (it counted against the backoff).
    Denied,
    /// The policy refused the new password, for these reasons.
    Refused(Vec<Refusal>),
    /// A concurrent change won: nothing was written; try again.
    Conflict,
    /// Too many wrong passwords; see [`SignInStep::Throttled`].
    Throttled {
        /// When the next attempt is allowed; `None` when locked.
        retry_at: Option<OffsetDateTime>,
    },
    /// The login is not the signed-in account's.
    OtherAccount,
    /// The hashing queue is full (see [`SignInStep::Busy`]): nothing was
    /// checked nor written; try again in a moment.
    Busy,
}

/// What [`SignIn::change_email`](crate::SignIn::change_email) did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum EmailChanged {
    /// The address of record changed: both addresses were told, codes
    /// outstanding for the account were voided, and every other session
    /// and remembered device ended.
    Changed {
        /// The new address, masked.
        masked_address: String,
    },
    /// The new address is not a valid address.
    InvalidEmail,
}
