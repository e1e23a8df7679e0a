//! Sign-in challenges: what a sign-in waits for between its steps.
//!
//! A [`ChallengeId`] is 128 random bits (REQ-40) that the user's browser
//! holds; stores keep only a [`ChallengeKey`], its SHA-256 within a scope,
//! with a [`ChallengeRecord`]: the account, what the challenge asks for
//! ([`ChallengeKind`]), when it expires and how many answers it allows.
//! [`ChallengeStore`] is the storage contract; each of its methods is one
//! atomic decision.
//!
//! ```
//! use latchkey_challenge::{ChallengeId, ChallengeKey};
//! let id = ChallengeId::generate()?;
//! let text = id.to_string();                     // for the form or the URL
//! assert_eq!(text.parse::<ChallengeId>()?, id);
//! assert_eq!(ChallengeKey::sign_in(&id), ChallengeKey::sign_in(&id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod id;
mod record;
mod store;

pub use id::{ChallengeId, ChallengeKey, MalformedChallengeId};
pub use record::{ChallengeKind, ChallengeRecord};
pub use store::{ChallengeAttempt, ChallengeStore};
