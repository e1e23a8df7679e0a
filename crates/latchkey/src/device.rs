//! When to ask for a mailed code: the policy, what the host tells the
//! flow about the client (its address, its remembered-device tokens), and
//! the host's own risk signals.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::AccountId;

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
    device_tokens: Vec<String>,
    device_label: Option<String>,
}

impl fmt::Debug for ClientContext {
    /// Leaves out the device token (a bearer credential).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientContext")
            .field("client", &self.client)
            .field("device_tokens", &self.device_tokens.len())
            .field("device_label", &self.device_label)
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

    /// A remembered-device token from the client's cookies. A browser
    /// signed in to several accounts has one token per account: give each
    /// (see [`DeviceCookie::tokens`](crate::DeviceCookie::tokens)); the
    /// flow tries at most [`Self::MAX_DEVICE_TOKENS`].
    #[must_use]
    pub fn with_device_token(mut self, token: impl Into<String>) -> Self {
        self.device_tokens.push(token.into());
        self
    }

    /// Every remembered-device token from the client's cookies.
    #[must_use]
    pub fn with_device_tokens(mut self, tokens: impl IntoIterator<Item = String>) -> Self {
        self.device_tokens.extend(tokens);
        self
    }

    /// What to call this device if the sign-in remembers it ("Firefox on
    /// Linux", from the user agent, say); the user can rename it later.
    #[must_use]
    pub fn with_device_label(mut self, label: impl Into<String>) -> Self {
        self.device_label = Some(label.into());
        self
    }

    /// The most device tokens one request may present.
    pub const MAX_DEVICE_TOKENS: usize = 8;

    /// The client, if given.
    #[must_use]
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }

    /// The device tokens given (at most [`Self::MAX_DEVICE_TOKENS`]).
    #[must_use]
    pub fn device_tokens(&self) -> &[String] {
        &self.device_tokens[..self.device_tokens.len().min(Self::MAX_DEVICE_TOKENS)]
    }

    /// The label for a device this sign-in remembers, if given.
    #[must_use]
    pub fn device_label(&self) -> Option<&str> {
        self.device_label.as_deref()
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
    /// sent a token of one of the account's live remembered devices.
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
