//! Password credentials for latchkey: Argon2id hashing to PHC strings,
//! verification with rehash-on-upgrade, a password policy, the
//! [`CredentialStore`] contract, and a [`CredentialChecker`] that answers
//! a sign-in without revealing whether the login exists.
//!
//! The three calls most hosts need:
//!
//! ```
//! use latchkey_credentials::{Hasher, HashSettings, PasswordPolicy, PolicyContext, Verification};
//!
//! // 1. Is this an acceptable new password? (REQ-01 to REQ-05)
//! let policy = PasswordPolicy::new();
//! assert!(policy.check("violet umbrella sky", PolicyContext::default()).is_accepted());
//!
//! // 2. Hash it (Argon2id, m=19456 KiB, t=2, p=1, random 16-byte salt).
//! let hasher = Hasher::new(HashSettings::default());
//! let phc = hasher.hash("violet umbrella sky")?;
//!
//! // 3. Verify at sign-in; upgrade the hash when `rehash_due`.
//! match hasher.verify("violet umbrella sky", &phc)? {
//!     Verification::Match { rehash_due } => assert!(!rehash_due),
//!     Verification::Mismatch => unreachable!(),
//! }
//! # Ok::<(), latchkey_credentials::Error>(())
//! ```
//!
//! Requirements covered: REQ-01 to REQ-11 and REQ-38 of
//! `docs/security.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod checker;
mod error;
mod hasher;
mod password;
mod policy;
mod settings;
mod store;

pub use checker::{
    Admission, ChangeOutcome, CheckOutcome, CredentialChecker, DEFAULT_QUEUE_PER_SLOT,
    RegisterOutcome,
};
pub use error::Error;
pub use hasher::{Hasher, SALT_LEN, Verification, VerifyLimits};
pub use password::{MAX_PASSWORD_CHARS, MAX_PASSWORD_INPUT_BYTES, normalize_password};
pub use policy::{
    BreachCheckError, BreachedPasswords, PasswordPolicy, PolicyContext, PolicyOutcome, Refusal,
};
pub use settings::HashSettings;
pub use store::{CredentialStore, StoredCredential};

// The README's examples run as doc tests of the `latchkey` facade, whose
// dependencies they use (`ReadmeExamples` in crates/latchkey/src/lib.rs).
