//! When to ask for a mailed code: the policy, device recognition with a
//! signed token the host keeps in a cookie, and the host's own risk
//! signals.

use std::fmt;

use async_trait::async_trait;
use data_encoding::BASE64URL_NOPAD;
use latchkey_core::{AccountId, KeyedHmac, Pepper};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

/// Whether a sign-in with the right password, on an account without 2FA,
/// must also give a code mailed to the account's address.
///
/// A mailed code proves control of the mailbox; it is not a second factor
/// (REQ-12). Accounts that want one enable 2FA, which replaces it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MailedCodePolicy {
    /// Every sign-in.
    Always,
    /// Never: the password alone signs in.
    Never,
    /// When the device or the host's risk signals are unfamiliar.
    #[default]
    WhenUnfamiliar,
}

/// What the host tells the flow about the client making a request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientContext {
    client: Option<String>,
    device_token: Option<String>,
}

impl fmt::Debug for ClientContext {
    /// Leaves out the device token (a bearer credential).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientContext")
            .field("client", &self.client)
            .field(
                "device_token",
                &self.device_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ClientContext {
    /// No client information.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Who is asking, for the per-client budget: an IP address or
    /// network prefix, say. Requests without one share no budget.
    #[must_use]
    pub fn with_client(mut self, client: impl Into<String>) -> Self {
        self.client = Some(client.into());
        self
    }

    /// The device token from the client's cookie, if it sent one.
    #[must_use]
    pub fn with_device_token(mut self, token: impl Into<String>) -> Self {
        self.device_token = Some(token.into());
        self
    }

    /// The client, if given.
    #[must_use]
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }

    /// The device token, if given.
    #[must_use]
    pub fn device_token(&self) -> Option<&str> {
        self.device_token.as_deref()
    }
}

/// Signs and checks device tokens: `v1.<account>.<issued>.<tag>`, where
/// the tag is an HMAC-SHA256 under a key derived from the host's pepper.
/// A token says "this browser completed a verified sign-in to this
/// account at this time"; it carries no secret of the account.
///
/// ```
/// use latchkey::DeviceTokens;
/// use latchkey_core::{AccountId, Pepper};
/// use time::{Duration, OffsetDateTime};
/// let tokens = DeviceTokens::new(&Pepper::generate()?, Duration::days(90));
/// let jane = AccountId::new("jane")?;
/// let now = OffsetDateTime::now_utc();
/// let token = tokens.issue(&jane, now);
/// assert!(tokens.recognizes(&token, &jane, now + Duration::days(1)));
/// assert!(!tokens.recognizes(&token, &AccountId::new("joe")?, now));
/// assert!(!tokens.recognizes(&token, &jane, now + Duration::days(91)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DeviceTokens {
    key: KeyedHmac,
    ttl: Duration,
}

impl fmt::Debug for DeviceTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceTokens")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl DeviceTokens {
    /// Tokens keyed by `pepper` that are recognized for `ttl`.
    #[must_use]
    pub fn new(pepper: &Pepper, ttl: Duration) -> Self {
        Self {
            key: KeyedHmac::derive(pepper, b"latchkey device token v1"),
            ttl,
        }
    }

    fn tag(&self, account: &AccountId, issued: i64) -> [u8; 32] {
        self.key
            .mac(&[account.as_str().as_bytes(), &issued.to_be_bytes()])
    }

    /// A token for `account`, issued at `now`.
    #[must_use]
    pub fn issue(&self, account: &AccountId, now: OffsetDateTime) -> String {
        let issued = now.unix_timestamp();
        format!(
            "v1.{}.{issued}.{}",
            BASE64URL_NOPAD.encode(account.as_str().as_bytes()),
            BASE64URL_NOPAD.encode(&self.tag(account, issued))
        )
    }

    /// Whether `token` is one of ours, for `account`, issued no later
    /// than `now` and less than the lifetime ago. Malformed tokens are
    /// simply not recognized.
    #[must_use]
    pub fn recognizes(&self, token: &str, account: &AccountId, now: OffsetDateTime) -> bool {
        let mut parts = token.split('.');
        let (Some("v1"), Some(who), Some(issued), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return false;
        };
        let Ok(issued) = issued.parse::<i64>() else {
            return false;
        };
        let (Ok(who), Ok(tag)) = (
            BASE64URL_NOPAD.decode(who.as_bytes()),
            BASE64URL_NOPAD.decode(tag.as_bytes()),
        ) else {
            return false;
        };
        let Ok(issued_at) = OffsetDateTime::from_unix_timestamp(issued) else {
            return false;
        };
        let fresh = issued_at <= now && now - issued_at < self.ttl;
        let same_account = who == account.as_str().as_bytes();
        let genuine: bool = self.tag(account, issued).ct_eq(tag.as_slice()).into();
        fresh && same_account && genuine
    }
}

/// What the host's signals say about a sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Familiarity {
    /// Looks like the account's owner as usual.
    Familiar,
    /// Something is new: ask for the mailed code.
    Unfamiliar,
}

/// The host's own risk signals (IP reputation, geography, impossible
/// travel...), asked after the password matched on an account without
/// 2FA, under [`MailedCodePolicy::WhenUnfamiliar`].
#[async_trait]
pub trait RiskSignals: fmt::Debug + Send + Sync + 'static {
    /// Judges this sign-in; `device_recognized` says whether the client
    /// sent a valid device token for the account.
    async fn assess(
        &self,
        account: &AccountId,
        client: &ClientContext,
        device_recognized: bool,
    ) -> Familiarity;
}

/// The default: familiar exactly when the device token is recognized.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceTokenOnly;

#[async_trait]
impl RiskSignals for DeviceTokenOnly {
    async fn assess(
        &self,
        _account: &AccountId,
        _client: &ClientContext,
        device_recognized: bool,
    ) -> Familiarity {
        if device_recognized {
            Familiarity::Familiar
        } else {
            Familiarity::Unfamiliar
        }
    }
}
