//! Fresh authentication (REQ-39): what a completed sign-in proves, for how
//! long, and re-authenticating before a sensitive change.

use std::fmt;
use std::str::FromStr;

use data_encoding::{BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};
use latchkey_core::{AccountId, KeyedHmac, SecurityStamp};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::Method;

/// What a completed sign-in (or a re-authentication) proves: this
/// account, by this method, at this time, under the account's security
/// stamp of then. Keep it in the server-side session and hand it back to
/// the flow's sensitive calls; they refuse it once it is older than the
/// fresh window (10 minutes by default) or once the account's stamp has
/// changed. [`SignIn::is_current`](crate::SignIn::is_current) tells a host
/// when to end a session (a password changed elsewhere, say).
///
/// It is tagged with an HMAC under the pepper, so a host cannot make one
/// up by accident or a client by design. Its text form
/// (`Display`/`FromStr`) is for session storage; it names the account,
/// so keep it out of client-side cookies.
#[derive(Clone, PartialEq, Eq)]
pub struct Authentication {
    pub(crate) account: AccountId,
    pub(crate) method: Method,
    pub(crate) at: OffsetDateTime,
    pub(crate) stamp: SecurityStamp,
    pub(crate) tag: [u8; 32],
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authentication")
            .field("account", &self.account)
            .field("method", &self.method)
            .field("at", &self.at)
            .field("stamp", &self.stamp)
            .finish_non_exhaustive()
    }
}

impl Authentication {
    /// Whose.
    #[must_use]
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// How the user last proved it was them.
    #[must_use]
    pub fn method(&self) -> Method {
        self.method
    }

    /// When.
    #[must_use]
    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// The account's stamp it was made under.
    #[must_use]
    pub fn stamp(&self) -> SecurityStamp {
        self.stamp
    }

    pub(crate) fn issue(
        key: &KeyedHmac,
        account: AccountId,
        method: Method,
        at: OffsetDateTime,
        stamp: SecurityStamp,
    ) -> Self {
        let tag = Self::mac(key, &account, method, at, &stamp);
        Self {
            account,
            method,
            at,
            stamp,
            tag,
        }
    }

    fn mac(
        key: &KeyedHmac,
        account: &AccountId,
        method: Method,
        at: OffsetDateTime,
        stamp: &SecurityStamp,
    ) -> [u8; 32] {
        key.mac(&[
            account.as_str().as_bytes(),
            method_name(method).as_bytes(),
            &at.unix_timestamp_nanos().to_be_bytes(),
            &stamp.0,
        ])
    }

    /// Whether the tag is ours (constant time).
    pub(crate) fn genuine(&self, key: &KeyedHmac) -> bool {
        let expected = Self::mac(key, &self.account, self.method, self.at, &self.stamp);
        expected.ct_eq(&self.tag).into()
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Password => "password",
        Method::MailedCode => "mailed-code",
        Method::Totp => "totp",
        Method::RecoveryCode => "recovery-code",
        Method::SecurityKey => "security-key",
    }
}

fn method_from(name: &str) -> Option<Method> {
    [
        Method::Password,
        Method::MailedCode,
        Method::Totp,
        Method::RecoveryCode,
        Method::SecurityKey,
    ]
    .into_iter()
    .find(|m| method_name(*m) == name)
}

impl fmt::Display for Authentication {
    /// `lka1.<account, base64url>.<method>.<unix nanos>.<stamp hex>.<tag>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lka1.{}.{}.{}.{}.{}",
            BASE64URL_NOPAD.encode(self.account.as_str().as_bytes()),
            method_name(self.method),
            self.at.unix_timestamp_nanos(),
            data_encoding::HEXLOWER.encode(&self.stamp.0),
            BASE64URL_NOPAD.encode(&self.tag),
        )
    }
}

/// The text is not an authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a latchkey authentication")]
pub struct MalformedAuthentication;

impl FromStr for Authentication {
    type Err = MalformedAuthentication;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |_| MalformedAuthentication;
        let mut parts = s.split('.');
        let (Some("lka1"), Some(account), Some(method), Some(at), Some(stamp), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(MalformedAuthentication);
        };
        let account = BASE64URL_NOPAD.decode(account.as_bytes()).map_err(bad)?;
        let account = String::from_utf8(account).map_err(|_| MalformedAuthentication)?;
        let account = AccountId::new(account).map_err(|_| MalformedAuthentication)?;
        let method = method_from(method).ok_or(MalformedAuthentication)?;
        let at: i128 = at.parse().map_err(|_| MalformedAuthentication)?;
        let at =
            OffsetDateTime::from_unix_timestamp_nanos(at).map_err(|_| MalformedAuthentication)?;
        let stamp: [u8; 16] = HEXLOWER_PERMISSIVE
            .decode(stamp.as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(MalformedAuthentication)?;
        let tag: [u8; 32] = BASE64URL_NOPAD
            .decode(tag.as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(MalformedAuthentication)?;
        Ok(Self {
            account,
            method,
            at,
            stamp: SecurityStamp(stamp),
            tag,
        })
    }
}

/// The answer of a sensitive change (REQ-39): an email change, a password
/// change, 2FA turned on or off, recovery codes regenerated, every device
/// revoked.
#[derive(Debug)]
#[must_use]
pub enum Sensitive<T> {
    /// The change was tried: `outcome` says how it went. `authentication`
    /// is the session's from now on: renewed under the account's new
    /// stamp when the change rotated it (so this session goes on while
    /// every other one ends).
    Done {
        /// The change's own answer.
        outcome: T,
        /// Keep this in the session in place of the old one.
        authentication: Authentication,
    },
    /// The authentication is older than the fresh window, or no longer
    /// current (its stamp changed): re-authenticate with
    /// [`SignIn::reauthenticate`](crate::SignIn::reauthenticate), then try
    /// again.
    NeedsFreshAuthentication,
}

/// How a signed-in user proves again that it is them.
#[derive(Clone, Copy)]
pub enum Reauthenticate<'a> {
    /// The login and password.
    Password {
        /// The login as typed.
        login: &'a str,
        /// The password as typed.
        password: &'a str,
    },
    /// A second factor (TOTP or recovery code), for accounts with 2FA.
    SecondFactor(latchkey_twofactor::SecondFactor<'a>),
    /// A security key's assertion for a ceremony from
    /// [`SignIn::reauthentication_key_request`](crate::SignIn::reauthentication_key_request).
    SecurityKey {
        /// The ceremony the options came with.
        ceremony: &'a latchkey_webauthn::CeremonyId,
        /// The browser's answer.
        credential: &'a latchkey_webauthn::PublicKeyCredential,
    },
}

impl fmt::Debug for Reauthenticate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Password { .. } => "Password(<redacted>)",
            Self::SecondFactor(_) => "SecondFactor(<redacted>)",
            Self::SecurityKey { .. } => "SecurityKey(<redacted>)",
        })
    }
}

/// What [`SignIn::reauthenticate`](crate::SignIn::reauthenticate) decided.
#[derive(Debug)]
#[must_use]
pub enum Reauthenticated {
    /// Proven again: keep this authentication in the session.
    Fresh(Authentication),
    /// Wrong password or code (it counted against the account's backoff).
    Denied,
    /// The session's authentication is no longer current: end the session.
    Ended,
    /// Too many attempts; see [`SignInStep::Throttled`](crate::SignInStep::Throttled).
    Throttled {
        /// When the next attempt is allowed; `None` when locked.
        retry_at: Option<OffsetDateTime>,
    },
}
