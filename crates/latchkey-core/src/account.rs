use std::fmt;

use crate::Error;

/// The host's identifier for an account.
///
/// latchkey never invents account ids: the host hands them in (a database
/// key, a UUID, a username) and gets them back. An id is 1 to 255 bytes of
/// text without control characters, so it is safe to store and to log.
///
/// ```
/// use latchkey_core::AccountId;
/// let id = AccountId::new("42")?;
/// assert_eq!(id.as_str(), "42");
/// assert!(AccountId::new("").is_err());
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// The longest id accepted, in bytes.
    pub const MAX_LEN: usize = 255;

    /// Validates and wraps an id.
    ///
    /// # Errors
    /// [`Error::InvalidAccountId`] when the id is empty, longer than
    /// [`AccountId::MAX_LEN`] bytes, or holds a control character.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        if id.is_empty() {
            return Err(Error::InvalidAccountId("it is empty"));
        }
        if id.len() > Self::MAX_LEN {
            return Err(Error::InvalidAccountId("it is longer than 255 bytes"));
        }
        if id.chars().any(char::is_control) {
            return Err(Error::InvalidAccountId("it contains a control character"));
        }
        Ok(Self(id))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccountId").field(&self.0).finish()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AccountId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_long_and_control_characters() {
        assert!(AccountId::new("").is_err());
        assert!(AccountId::new("a".repeat(256)).is_err());
        assert!(AccountId::new("a\nb").is_err());
        assert!(AccountId::new("a".repeat(255)).is_ok());
        assert_eq!(
            AccountId::new("ü-1").map(|a| a.to_string()).ok(),
            Some("ü-1".into())
        );
    }
}
