use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A syntactically valid email address (RFC 5321/5322, as checked by the
/// `email_address` crate), with a masked form for display.
///
/// The address is kept as given; [`EmailAddress::normalized`] gives the
/// form with a lower-case domain, for comparisons, and
/// [`EmailAddress::case_folded`] the whole address in lower case, for
/// throttles and caps.
///
/// ```
/// use latchkey_core::EmailAddress;
/// let a = EmailAddress::parse("Jane.Doe@Example.COM")?;
/// assert_eq!(a.masked(), "J***@Example.COM");
/// assert_eq!(a.normalized(), "Jane.Doe@example.com");
/// assert!(EmailAddress::parse("not an address").is_err());
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and validates an address. Display names (`Jane <j@x>`) are
    /// refused: only the bare address is accepted.
    ///
    /// # Errors
    /// [`Error::InvalidEmail`] when the syntax is wrong. Its message says
    /// what is wrong without quoting the input.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let options = email_address::Options::default().without_display_text();
        let parsed =
            email_address::EmailAddress::parse_with_options(input, options).map_err(|e| {
                Error::InvalidEmail {
                    reason: "not an address by RFC 5321/5322",
                    source: Some(Box::new(e)),
                }
            })?;
        if parsed.as_str() != input {
            return Err(Error::InvalidEmail {
                reason: "unexpected text around the address",
                source: None,
            });
        }
        Ok(Self(input.to_owned()))
    }

    /// The address as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the last `@`.
    #[must_use]
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// The part after the last `@`.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// The address with its domain in lower case (domains are
    /// case-insensitive; local parts, strictly, are not).
    #[must_use]
    pub fn normalized(&self) -> String {
        format!(
            "{}@{}",
            self.local_part(),
            self.domain().to_ascii_lowercase()
        )
    }

    /// The whole address in lower case, Unicode-aware, character by
    /// character (so a final `Σ` folds to `σ` wherever it stands, and `ς`
    /// folds to `σ` too): the key for anything that must treat every
    /// spelling of one mailbox as one, such as throttles and caps. Most
    /// providers ignore case in the local part, so `Victim@`, `victim@` and
    /// `VICTIM@` reach one inbox and must share one budget. Mail is still
    /// sent to, and shown as, the address as given ([`EmailAddress::as_str`]).
    ///
    /// ```
    /// use latchkey_core::EmailAddress;
    /// let a = EmailAddress::parse("Victim@Example.COM")?;
    /// let b = EmailAddress::parse("vICTIM@example.com")?;
    /// assert_eq!(a.case_folded(), "victim@example.com");
    /// assert_eq!(a.case_folded(), b.case_folded());
    /// assert_eq!(a.as_str(), "Victim@Example.COM", "the typed form is kept");
    /// let greek = EmailAddress::parse("ΟΔΥΣΣΕΥΣ@example.gr")?;
    /// assert_eq!(greek.case_folded(), EmailAddress::parse("οδυσσευς@example.gr")?.case_folded());
    /// # Ok::<(), latchkey_core::Error>(())
    /// ```
    #[must_use]
    pub fn case_folded(&self) -> String {
        self.0
            .chars()
            .flat_map(char::to_lowercase)
            .map(|c| if c == 'ς' { 'σ' } else { c })
            .collect()
    }

    /// A form safe to show to someone who may not own the address: the
    /// first character of the local part, `***`, and the domain
    /// (`j***@example.com`).
    #[must_use]
    pub fn masked(&self) -> String {
        let first = self.local_part().chars().next().unwrap_or('*');
        format!("{first}***@{}", self.domain())
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EmailAddress").field(&self.0).finish()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EmailAddress {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_refuses_malformed_addresses() {
        for ok in ["a@b.co", "jane.doe+tag@example.com", "用户@例子.广告"] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "@",
            "a@",
            "@b.c",
            "a b@c.d",
            "Jane <j@x.y>",
            "a@b@c",
            "a\n@b.c",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn invalid_address_errors_never_quote_the_input() {
        for bad in [
            "jane.doe.secret-tag",
            "jane@doe@secret-tag.example",
            "Jane Secret <jane@secret-tag.example>",
            "jane secret@tag.example",
        ] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidEmail { .. }),
                "{bad:?}: {err:?}"
            );
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains("secret") && !shown.contains("jane"),
                "{bad:?}: {shown}"
            );
        }
    }

    #[test]
    fn invalid_address_errors_keep_the_parsers_reason_as_their_source() {
        let err = EmailAddress::parse("a b@c.d").unwrap_err();
        let source = std::error::Error::source(&err).expect("a source");
        assert!(!source.to_string().contains("a b"), "{source}");
    }

    #[test]
    fn case_folding_joins_every_spelling_of_one_mailbox() {
        let folded = |s: &str| EmailAddress::parse(s).unwrap().case_folded();
        let victim = folded("victim@example.com");
        for spelling in [
            "Victim@example.com",
            "vIctim@Example.com",
            "VICTIM@EXAMPLE.COM",
        ] {
            assert_eq!(folded(spelling), victim, "{spelling}");
        }
        assert_eq!(folded("ÄNNE@X.ORG"), folded("änne@x.org"));
        assert_eq!(folded("ΣΑΣ@x.gr"), folded("σας@x.gr"));
        assert_ne!(folded("victim@example.com"), folded("victim2@example.com"));
    }

    #[test]
    fn masks_all_but_first_character_and_domain() {
        let a = EmailAddress::parse("jane@example.com").unwrap();
        assert_eq!(a.masked(), "j***@example.com");
        let b = EmailAddress::parse("ü@x.org").unwrap();
        assert_eq!(b.masked(), "ü***@x.org");
    }
}
