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
//! A whole sign-in with a mailed code, on the memory store:
//!
//! ```
//! use std::sync::Arc;
//! use latchkey::prelude::*;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let mailer = Arc::new(RecordingMailer::new());
//! let flow = SignIn::builder("Example", Keys::new(Pepper::generate()?))
//!     .store(Arc::new(MemoryStore::new()))
//!     .accounts(Arc::new(InMemoryAccounts::new()))
//!     .mailer(mailer.clone())
//!     .build()?;
//! let _ = flow.register("jane", "jane@example.com", "violet umbrella sky").await?;
//! let client = ClientContext::new();
//! let SignInStep::MailedCodeSent { challenge, .. } =
//!     flow.start("jane", "violet umbrella sky", &client).await? else { panic!("a code is mailed") };
//! let code = mailer.last_code().expect("the mail holds the code");
//! let Submitted::SignedIn(done) =
//!     flow.submit(&challenge, Answer::MailedCode(&code), &client).await? else { panic!("signed in") };
//! # assert_eq!(done.method, Method::MailedCode);
//! # Ok::<(), latchkey::Error>(())
//! # }).unwrap();
//! ```
//!
//! [`SignIn::in_memory`] does the wiring above in one line, for tests and
//! examples. A real host hands the builder its own stores (the SQL ones in
//! `latchkey-store-sqlx`, or its own), its [`Accounts`], an SMTP mailer
//! and keys from its secret manager.
//!
//! From [`SignIn::start`], a mailed-code sign-in goes: the password step
//! (`password.rs`) checks the credential through the
//! [`CredentialChecker`](latchkey_credentials::CredentialChecker), opens a
//! challenge in the [`ChallengeStore`](latchkey_challenge::ChallengeStore)
//! and mails a code through
//! [`MailedCodes`](latchkey_otp::MailedCodes) into the
//! [`OtpStore`](latchkey_otp::OtpStore); [`SignIn::submit`] (`answer.rs`)
//! counts the answer on the challenge and the account's
//! [`ThrottleStore`](latchkey_throttle::ThrottleStore) counter, checks
//! the code and consumes the challenge. `docs/architecture.md` in the
//! repository maps the rest.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod accounts;
mod admin;
mod answer;
mod authentication;
mod builder;
mod challenges;
mod changes;
mod cli_sign_in;
mod cookie;
mod device;
mod email_reset;
mod error;
mod events;
mod executor;
mod flow;
mod keys;
#[cfg(feature = "memory")]
mod memory;
mod outcome;
mod passkey_sign_in;
mod password;
pub mod prelude;
mod reauth;
mod recovering;
mod register;
mod remembered;
mod resend;
mod security_keys;
mod settings;
mod stamp;
#[cfg(feature = "testing")]
pub mod testing;
mod throttling;

pub use accounts::{Accounts, InMemoryAccounts};
pub use authentication::{
    Authentication, MalformedAuthentication, Reauthenticate, Reauthenticated, Sensitive,
};
pub use builder::{AllStores, SignInBuilder};
pub use cli_sign_in::{
    CliLoginBegin, CliLoginDecided, CliLoginRequest, CliLoginStarted, CliLoginStatus,
};
pub use cookie::DeviceCookie;
pub use device::{ClientContext, DeviceTokenOnly, Familiarity, MailedCodePolicy, RiskSignals};
pub use error::Error;
pub use events::{
    EventSink, Method, RecordingSink, SecurityEvent, StampReason, TracingSink, TwoFactorChange,
};
#[cfg(feature = "tokio")]
pub use executor::TokioBlocking;
pub use executor::default_executor;
pub use flow::SignIn;
pub use keys::Keys;
pub use latchkey_challenge::{ChallengeId, MalformedChallengeId};
pub use latchkey_core::executor::{BlockingExecutor, BlockingJob, ExecutorError, Inline};
pub use outcome::{
    Answer, EmailChanged, PasswordChanged, Recovering, Registered, Resent, SignInStep, SignedIn,
    StepUp, StepUpAnswer, Submitted, retry_after_seconds,
};
pub use passkey_sign_in::{PasskeyBegin, PasskeySignIn};
pub use remembered::RememberedDevice;
pub use security_keys::{Factors, KeyAdded, KeyRemoved, SecurityKeyRequest};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;

/// Re-exported for hosts that implement latchkey's traits.
pub use async_trait::async_trait;
/// Sign-in challenges and their store trait.
pub use latchkey_challenge as challenge;
/// Command-line login sessions and their store trait.
pub use latchkey_cli_login as cli_login;
/// The shared vocabulary: ids, addresses, clock, mailer, keys.
pub use latchkey_core as core;
/// Password hashing, policy and the credential checker.
pub use latchkey_credentials as credentials;
/// Remembered devices and their store traits.
pub use latchkey_devices as devices;
/// HOTP/TOTP, otpauth URIs and mailed codes.
pub use latchkey_otp as otp;
/// Account-recovery support tickets.
pub use latchkey_recovery as recovery;
/// Every store in process (feature `memory`, on by default).
#[cfg(feature = "memory")]
pub use latchkey_store_memory as store_memory;
/// Backoff counters, windows and their store trait.
pub use latchkey_throttle as throttle;
/// 2FA with an authenticator app.
pub use latchkey_twofactor as twofactor;
/// Security keys and passkeys (WebAuthn), their store trait and wire
/// types.
pub use latchkey_webauthn as webauthn;
