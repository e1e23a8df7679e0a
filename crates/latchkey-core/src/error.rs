use std::error::Error as StdError;

/// A boxed error from a backend, kept as the source of a [`StoreError`] or
/// [`MailError`].
type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in latchkey-core: malformed input and unavailable
/// randomness. User outcomes (a wrong code, say) are never errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a valid email address. The message says what is
    /// wrong without quoting the text.
    #[error("invalid email address: {reason}")]
    InvalidEmail {
        /// What is wrong with it.
        reason: &'static str,
        /// The `email_address` crate's error, when it is the one that
        /// refused.
        #[source]
        source: Option<BoxError>,
    },
    /// The text is not a valid account id.
    #[error("invalid account id: {0}")]
    InvalidAccountId(&'static str),
    /// A key or pepper has the wrong length.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Random(#[source] getrandom::Error),
}

/// A storage backend failed: the database is down, a query failed, a
/// stored record is corrupt.
///
/// Store traits return `Ok(None)` for "not found" and `Ok(false)` for a
/// compare-and-set that lost; `StoreError` means the backend itself could
/// not answer. The backend's own error is kept as the [`source`].
///
/// ```
/// use latchkey_core::StoreError;
/// let io = std::io::Error::other("connection reset");
/// let e = StoreError::unavailable(io);
/// assert_eq!(e.to_string(), "storage backend unavailable");
/// assert!(std::error::Error::source(&e).is_some());
/// ```
///
/// [`source`]: std::error::Error::source
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not be reached or the operation failed in it.
    #[error("storage backend unavailable")]
    Unavailable(#[source] BoxError),
    /// A stored record could not be read back (wrong shape or encoding).
    #[error("stored record is corrupt: {what}")]
    Corrupt {
        /// Which record or field, without any secret.
        what: String,
        /// The decoding error, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl StoreError {
    /// Wraps a backend's error as [`StoreError::Unavailable`].
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self::Unavailable(source.into())
    }

    /// A [`StoreError::Corrupt`] naming what could not be read.
    pub fn corrupt(what: impl Into<String>) -> Self {
        Self::Corrupt {
            what: what.into(),
            source: None,
        }
    }
}

/// A [`Mailer`](crate::Mailer) could not deliver a message.
///
/// ```
/// use latchkey_core::MailError;
/// let e = MailError::new("relay refused recipient", std::io::Error::other("550"));
/// assert_eq!(e.to_string(), "mail not sent: relay refused recipient");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("mail not sent: {reason}")]
pub struct MailError {
    reason: String,
    #[source]
    source: Option<BoxError>,
}

impl MailError {
    /// A failure with a reason (no secrets, no message body) and the
    /// transport's error.
    pub fn new(reason: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            reason: reason.into(),
            source: Some(source.into()),
        }
    }

    /// A failure with a reason only.
    pub fn msg(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            source: None,
        }
    }

    /// Why the mail was not sent.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
