//! One-time passwords for latchkey.
//!
//! - [`Hotp`] and [`Totp`]: RFC 4226 and RFC 6238 over SHA-1, SHA-256 and
//!   SHA-512, 6 to 8 digits, any period from 1 s, 64-bit counters. Keyed
//!   HMAC state is computed once per secret; verification checks every
//!   step of its window in constant time and returns the matched step, so
//!   callers can refuse replays.
//! - [`OtpSecret`]: generated at the hash's length or imported (at least
//!   128 bits), base32 per RFC 4648, wiped on drop.
//! - [`KeyUri`]: `otpauth://` URIs for authenticator apps, built and
//!   parsed strictly; QR codes behind the `qr` feature.
//! - [`MailedCodes`]: one-time codes mailed for login verification ("OTP
//!   for logging in to your account"), stored only as keyed digests, with
//!   expiry, an attempt budget, single use, a resend cooldown and an
//!   hourly cap, over the [`OtpStore`] contract. A mailed code proves a
//!   mailbox; it is not a second factor (REQ-12).
//!
//! ```
//! use latchkey_otp::{Algorithm, KeyUri, OtpSecret, Totp, TotpMatch};
//! use time::OffsetDateTime;
//!
//! let secret = OtpSecret::generate(Algorithm::Sha1)?;
//! let uri = KeyUri::new("npm", "jane", secret.clone());
//! println!("scan this: {uri}");
//!
//! let totp = Totp::new(&secret, Algorithm::Sha1, 6, 30)?;
//! let now = OffsetDateTime::now_utc();
//! let typed = totp.code_at(now)?; // what the app shows
//! assert!(matches!(totp.verify(&typed, now, 1)?, TotpMatch::Matched { .. }));
//! # Ok::<(), latchkey_otp::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod hotp;
mod mailed;
mod secret;
mod store;
mod totp;
mod uri;

pub use error::Error;
pub use hotp::{Algorithm, Hotp, OtpCode};
pub use mailed::{
    CodeDigester, CodeMailTemplate, DefaultTemplate, IssueOutcome, MailContent, MailedCodeSettings,
    MailedCodes, VerifyOutcome,
};
pub use secret::OtpSecret;
pub use store::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
pub use totp::{Totp, TotpMatch};
pub use uri::KeyUri;
