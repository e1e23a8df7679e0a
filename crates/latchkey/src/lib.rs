//! latchkey: sign-in verification the way npm's help page describes it.
//!
//! 1. A user signs in with a login and password.
//! 2. Without 2FA, the service may ask for a one-time password mailed to
//!    the account's address (subject "OTP for logging in to your
//!    account").
//! 3. With 2FA, a code from an authenticator app (or a recovery code)
//!    replaces the mailed code.
//! 4. A user who cannot reach the mailbox chooses "Try recovering your
//!    account" and opens a support ticket.
//!
//! This crate is the facade: [`SignIn`] joins the domain crates (re-exported
//! below) into that flow, with its own stores for challenges
//! ([`ChallengeStore`]) and throttling ([`ThrottleStore`]), security
//! events ([`EventSink`], and `tracing` spans named `latchkey.sign_in.*`),
//! device recognition ([`DeviceTokens`]) and a [`BlockingExecutor`] so
//! Argon2 never runs on the async executor.
//!
//! See [`SignIn`] for a whole sign-in with a mailed code.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod accounts;
mod device;
mod error;
mod events;
mod executor;
mod flow;
pub mod store;

pub use accounts::{AccountAddresses, InMemoryAccounts};
pub use device::{
    ClientContext, DeviceTokenOnly, DeviceTokens, Familiarity, MailedCodePolicy, RiskSignals,
};
pub use error::Error;
pub use events::{
    EventSink, Factor, Method, RecordingSink, SecurityEvent, TracingSink, TwoFactorChange,
};
#[cfg(feature = "tokio")]
pub use executor::TokioBlocking;
pub use executor::{BlockingExecutor, BlockingJob, ExecutorError, Inline, default_executor};
pub use flow::{
    Answer, ChallengeId, Host, Keys, MalformedChallengeId, Recovering, Resent, SignIn,
    SignInSettings, SignInStep, SignedIn, StepUp, Stores, Submitted,
};
pub use store::{
    AttemptPolicy, ChallengeAttempt, ChallengeKey, ChallengeKind, ChallengeRecord, ChallengeStore,
    ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};

/// The shared vocabulary: ids, addresses, clock, mailer, keys.
pub use latchkey_core as core;
/// Password hashing, policy and the credential checker.
pub use latchkey_credentials as credentials;
/// HOTP/TOTP, otpauth URIs and mailed codes.
pub use latchkey_otp as otp;
/// Account-recovery support tickets.
pub use latchkey_recovery as recovery;
/// 2FA with an authenticator app.
pub use latchkey_twofactor as twofactor;
