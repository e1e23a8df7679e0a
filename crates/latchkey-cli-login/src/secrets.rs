//! The two secrets of a login session: the one in the browser's URL and
//! the one the command line polls with. Each is 256 random bits; the
//! store keeps only their SHA-256.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE64URL_NOPAD;
use latchkey_core::random;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The text is not a login session's id or poll token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a command-line login reference")]
pub struct MalformedReference;

/// 32 random bytes as 43 base64url characters; `Debug` hides them.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
struct Opaque([u8; 32]);

impl Opaque {
    fn generate() -> Result<Self, latchkey_core::Error> {
        let mut bytes = [0u8; 32];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }

    fn parse(s: &str) -> Result<Self, MalformedReference> {
        if s.len() != 43 {
            return Err(MalformedReference);
        }
        BASE64URL_NOPAD
            .decode(s.as_bytes())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Self)
            .ok_or(MalformedReference)
    }
}

impl fmt::Display for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE64URL_NOPAD.encode(&self.0))
    }
}

macro_rules! reference {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
        pub struct $name(Opaque);

        impl $name {
            /// SHA-256 of the secret: what the store keeps. (It is 256
            /// random bits, so a plain hash is enough: there is nothing
            /// to guess.)
            #[must_use]
            pub fn digest(&self) -> [u8; 32] {
                self.0.digest()
            }

            pub(crate) fn generate() -> Result<Self, latchkey_core::Error> {
                Opaque::generate().map(Self)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        /// 43 base64url characters, for a URL's path.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = MalformedReference;

            /// Exactly 43 base64url characters.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Opaque::parse(s).map(Self)
            }
        }
    };
}

reference! {
    /// The login session's id in the browser's URL (`loginUrl`). Whoever
    /// opens it may see the request and, once signed in, approve or deny
    /// it; it cannot collect the token.
    ///
    /// ```
    /// use latchkey_cli_login::CliLoginId;
    /// let text = "A".repeat(43);
    /// let id: CliLoginId = text.parse()?;
    /// assert_eq!(id.to_string(), text);
    /// assert_eq!(format!("{id:?}"), "CliLoginId(<redacted>)");
    /// assert!("A".repeat(42).parse::<CliLoginId>().is_err());
    /// assert!("!".repeat(43).parse::<CliLoginId>().is_err());
    /// # Ok::<(), latchkey_cli_login::MalformedReference>(())
    /// ```
    CliLoginId
}

reference! {
    /// The command line's own secret (`doneUrl`): only it polls with it,
    /// and only a poll with it collects the approved account. It never
    /// reaches the browser, so a `loginUrl` seen over a shoulder or in a
    /// synced history is no way to the token.
    ///
    /// ```
    /// use latchkey_cli_login::PollToken;
    /// let token: PollToken = "_-".repeat(21).chars().chain(['A']).collect::<String>().parse()?;
    /// assert_eq!(format!("{token:?}"), "PollToken(<redacted>)");
    /// assert_ne!(token.digest(), [0; 32]);
    /// # Ok::<(), latchkey_cli_login::MalformedReference>(())
    /// ```
    PollToken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_references_round_trip_and_differ() {
        let a = CliLoginId::generate().expect("random");
        let b = CliLoginId::generate().expect("random");
        assert_ne!(a, b);
        let back: CliLoginId = a.to_string().parse().expect("round trip");
        assert_eq!(back.digest(), a.digest());
        assert_eq!(a.to_string().len(), 43);
    }
}
