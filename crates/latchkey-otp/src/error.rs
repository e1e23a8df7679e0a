use std::error::Error as StdError;

use latchkey_core::{MailError, StoreError};

/// A boxed cause, kept as an error's source so that the decoder's error
/// types stay out of our public API.
type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in latchkey-otp. A wrong, expired or used-up code is
/// not an error: it is a [`VerifyOutcome`](crate::VerifyOutcome) or a
/// [`TotpMatch`](crate::TotpMatch).
///
/// No message or `Debug` output holds a secret, not even one character of
/// it: a malformed secret or `otpauth://` parameter is named by its
/// position or its parameter (REQ-41).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A secret's base32 text is malformed.
    #[error("invalid base32 secret: {reason} (at index {position})")]
    InvalidBase32 {
        /// What is wrong.
        reason: &'static str,
        /// The 0-based index, among the characters of the text as given,
        /// of the first one at fault (its length when the text is too
        /// short or too long).
        position: usize,
        /// The base32 decoder's error, when it is the one that refused.
        #[source]
        source: Option<BoxError>,
    },
    /// A secret is shorter than 128 bits (or empty).
    #[error("secret too short: {bits} bits, at least 128 are needed")]
    SecretTooShort {
        /// The secret's length in bits.
        bits: usize,
    },
    /// Digits outside the allowed range.
    #[error("digits must be {min} to {max}, not {got}")]
    InvalidDigits {
        /// Least allowed.
        min: u32,
        /// Most allowed.
        max: u32,
        /// What was asked for.
        got: u32,
    },
    /// A TOTP period of zero.
    #[error("the period must be at least 1 second")]
    InvalidPeriod,
    /// A time before the TOTP epoch, or past what a 64-bit counter holds.
    #[error("time out of range for TOTP")]
    TimeOutOfRange,
    /// An `otpauth://` URI that latchkey cannot accept, and why: the part
    /// at fault is named, and never quoted when it may hold the secret.
    #[error("invalid otpauth URI: {0}")]
    InvalidUri(String),
    /// An unknown hash algorithm name.
    #[error("unknown algorithm {0:?}: expected SHA1, SHA256 or SHA512")]
    UnknownAlgorithm(String),
    /// Settings that do not make sense (a zero attempt budget, say).
    #[error("invalid settings: {0}")]
    InvalidSettings(&'static str),
    /// The OS random generator, or another core failure.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
    /// The code store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The mail carrying a code was not sent; the code was withdrawn.
    #[error("the code was not sent and has been withdrawn")]
    Mail(#[source] MailError),
}
