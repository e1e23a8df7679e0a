//! Two-factor authentication with a device, for latchkey.
//!
//! An account enrols an authenticator app (it scans an `otpauth://` URI
//! as a QR code and confirms with a first code), receives 10 recovery
//! codes, and picks npm's mode: codes at sign-in only (`auth-only`) or also
//! for writes such as publishing (`auth-and-writes`). A 2FA code replaces
//! the mailed sign-in code.
//!
//! What this crate gets right, and tests:
//! - a TOTP code is accepted at most once, atomically in the store, even
//!   when two instances race (REQ-23);
//! - recovery codes are stored as keyed digests and work once (REQ-29,
//!   REQ-30);
//! - TOTP secrets are encrypted at rest with a rotating host key (REQ-25);
//! - disabling, new recovery codes and mode changes need a fresh factor
//!   and mail a notice (REQ-28);
//! - a code can approve one write operation only.
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_core::{AccountId, Clock, EmailAddress, EncryptionKey, KeyId, ManualClock, Pepper, RecordingMailer};
//! use latchkey_otp::TotpMatch;
//! use latchkey_store_memory::MemoryStore;
//! use latchkey_twofactor::*;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
//! let store = Arc::new(MemoryStore::new());
//! let two_factor = TwoFactor::new(
//!     store.clone(),
//!     store,
//!     Arc::new(RecordingMailer::new()),
//!     clock.clone(),
//!     SecretSealer::new(EncryptionKey::generate(KeyId::new("k1")?)?),
//!     &Pepper::generate()?,
//!     TwoFactorSettings::new("npm"),
//! );
//! let jane = AccountId::new("jane")?;
//! let address = EmailAddress::parse("jane@example.com")?;
//!
//! // The app scans this URI; here we compute its code ourselves.
//! let enrolment = two_factor.begin_enrolment(&jane, "jane@example.com").await?;
//! let app = enrolment.uri.totp()?;
//! let code = app.code_at(clock.now())?;
//! let ConfirmOutcome::Enabled { recovery_codes } =
//!     two_factor.confirm_enrolment(&jane, &address, &code).await?
//! else { panic!("not enabled") };
//! assert_eq!(recovery_codes.len(), 10);
//!
//! // The same code never works twice.
//! let again = two_factor.verify(&jane, &address, SecondFactor::Totp(&code)).await?;
//! assert_eq!(again, FactorOutcome::Replayed);
//!
//! // The next step's code does.
//! clock.advance(time::Duration::seconds(30));
//! let next = app.code_at(clock.now())?;
//! assert!(two_factor.verify(&jane, &address, SecondFactor::Totp(&next)).await?.is_accepted());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod hook;
mod mode;
mod notice;
mod recovery;
mod sealing;
mod service;
mod store;

pub use error::Error;
pub use hook::{FactorChange, FactorChanges, NoListener};
pub use mode::{Action, Mode, UnknownMode};
pub use notice::{DefaultNotices, Notice, NoticeTemplate};
pub use recovery::{RECOVERY_CODE_COUNT, RecoveryCodes, normalize_recovery_code};
pub use sealing::{SealedSecret, SecretSealer};
pub use service::{
    Approval, ChangeOutcome, ConfirmOutcome, Enrolment, FactorOutcome, OperationDigest,
    SecondFactor, TwoFactor, TwoFactorSettings,
};
pub use store::{
    Authenticator, FactorKind, PendingEnrolment, RecoveryDigest, TwoFactorState, TwoFactorStore,
};
