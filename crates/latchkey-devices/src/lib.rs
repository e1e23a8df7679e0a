//! Remembered devices and security stamps.
//!
//! - A [`SecurityStamp`] is 128 random bits per account that change
//!   whenever its credentials do: a password change, a factor added,
//!   removed or changed, a completed email reset (REQ-49). Whatever was
//!   made under the old stamp (device tokens, challenges, fresh
//!   authentications, a host's sessions) stops working.
//! - A remembered device is a server-side [`DeviceRecord`] (REQ-48): the
//!   owner and staff can list, rename and revoke it. The browser keeps an
//!   opaque [`DeviceToken`]: a record id and a 128-bit secret, of which
//!   the store keeps only the SHA-256. It carries no account id.
//!
//! ```
//! use latchkey_devices::{DeviceToken, SecurityStamp};
//! let (token, digest) = DeviceToken::generate()?;
//! let text = token.to_string();
//! let back: DeviceToken = text.parse()?;
//! assert!(back.matches(&digest));
//! assert_eq!(format!("{token:?}"), "DeviceToken(<redacted>)");
//! assert_ne!(SecurityStamp::generate()?, SecurityStamp::generate()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod record;
mod store;
mod token;

pub use latchkey_core::SecurityStamp;
pub use record::{DeviceId, DeviceRecord};
pub use store::{DeviceStore, StampStore};
pub use token::{DeviceToken, MalformedDeviceToken};
