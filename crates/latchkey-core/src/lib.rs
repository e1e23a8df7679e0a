//! The shared vocabulary of latchkey.
//!
//! Every other latchkey crate speaks in these types: an [`AccountId`], a
//! validated [`EmailAddress`] (with a masked form for display), the
//! [`Clock`] through which all time is read, the [`Mailer`] trait and its
//! [`Message`], secret keys ([`Pepper`], [`EncryptionKey`]) that zeroize on
//! drop and never print, and the [`StoreError`] that storage backends
//! return.
//!
//! ```
//! use latchkey_core::{AccountId, Clock, EmailAddress, ManualClock, Pepper};
//! use time::{Duration, OffsetDateTime};
//!
//! let account = AccountId::new("user-42")?;
//! let address = EmailAddress::parse("jane@example.com")?;
//! assert_eq!(address.masked(), "j***@example.com");
//!
//! let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
//! clock.advance(Duration::minutes(10));
//! assert_eq!(clock.now().unix_timestamp(), 600);
//!
//! let pepper = Pepper::generate()?;
//! assert_eq!(format!("{pepper:?}"), "Pepper(<redacted>)");
//! # let _ = account;
//! # Ok::<(), latchkey_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod clock;
mod email;
mod error;
pub mod executor;
mod keyed;
mod mail;
pub mod random;
mod secret;
mod stamp;

pub use account::AccountId;
pub use clock::{Clock, ManualClock, SystemClock};
pub use email::EmailAddress;
pub use error::{Error, MailError, StoreError};
pub use keyed::KeyedHmac;
pub use mail::{ConsoleMailer, Mailer, Message, MessageKind, RecordingMailer};
pub use secret::{EncryptionKey, KeyId, Pepper, SecretString};
pub use stamp::SecurityStamp;

/// The digest of one write a second factor approves (a package tarball's
/// SHA-256, say), computed by the host.
pub type OperationDigest = [u8; 32];

/// Re-exported so that hosts name the same `time` types as latchkey.
pub use time;
