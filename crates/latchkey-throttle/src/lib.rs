//! Throttling for latchkey: one store trait and one policy, used by every
//! crate that counts attempts (the sign-in flow's password and code
//! stages, 2FA, recovery).
//!
//! - [`AttemptPolicy`]: a few free attempts, then a doubling wait, then a
//!   lock (REQ-24, REQ-37).
//! - [`ThrottleStore`]: the counters, shared by every instance; each call
//!   is one atomic decision.
//! - [`ThrottleKeys`]: the keyed digests counters live under, so a store
//!   never sees a login, an address or a client as typed.
//!
//! ```
//! use latchkey_core::{AccountId, Pepper};
//! use latchkey_throttle::{AttemptPolicy, ThrottleKeys};
//! use time::Duration;
//!
//! let keys = ThrottleKeys::new(&Pepper::generate()?);
//! let jane = AccountId::new("1")?;
//! // The same account always has the same key; the key hides the account.
//! assert_eq!(keys.account_codes(&jane), keys.account_codes(&jane));
//! assert_ne!(keys.account_codes(&jane), keys.client("1"));
//! assert_eq!(format!("{:?}", keys.account_codes(&jane)).len(), "ThrottleKey(01234567…)".len());
//!
//! let policy = AttemptPolicy::default();
//! assert_eq!(policy.wait_after(5), Duration::seconds(30));
//! # Ok::<(), latchkey_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod keys;
mod policy;
mod store;

pub use keys::{DeviceLane, ThrottleKey, ThrottleKeys};
pub use policy::{AttemptPolicy, InvalidPolicy};
pub use store::{ThrottleReservation, ThrottleStore, WindowCount};
