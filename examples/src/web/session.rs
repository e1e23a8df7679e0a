//! What the site keeps in the server-side session, under which key. The
//! browser holds only the session's id (and remembered-device cookies):
//! challenge ids, draft ids and the signed-in `Authentication` stay here,
//! never in a URL or a page.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::page::AppError;

/// The signed-in `Authentication`, as text (`lka1.…`).
pub const AUTH: &str = "auth";
/// The CSRF synchronizer token.
pub const CSRF: &str = "csrf";
/// A one-time notice for the next page.
pub const NOTICE: &str = "notice";
/// A sign-in waiting for its code ([`Pending`]).
pub const PENDING: &str = "pending";
/// The support-ticket form being filled in ([`TicketDraft`]).
pub const TICKET: &str = "ticket";
/// The recovery draft waiting for the contact address's code.
pub const RECOVERY_DRAFT: &str = "recovery_draft";
/// An OAuth round trip with the stand-in provider ([`OauthState`]).
pub const OAUTH: &str = "oauth";
/// Where to go after "Confirm it's you".
pub const NEXT: &str = "next";
/// Where to go once signed in: the command-line login page that sent the
/// visitor to sign in (a path on this site, `/login/cli/…`).
pub const AFTER_SIGN_IN: &str = "after_sign_in";
/// A security-key ceremony in flight (`CeremonyId` text): registering a
/// key on the Account page, or answering "Use a security key".
pub const KEY_CEREMONY: &str = "key_ceremony";
/// A passkey sign-in's ceremony (`CeremonyId` text), made with each Sign
/// In page.
pub const PASSKEY_CEREMONY: &str = "passkey_ceremony";
/// A publish waiting for its step-up code ([`PendingPublish`]).
pub const PUBLISH: &str = "publish";

/// A sign-in that passed the password and waits for a code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    /// The challenge id (`ChallengeId` text).
    pub challenge: String,
    /// The login it is for (the username, also for a sign-in by email).
    pub login: String,
    /// The account has 2FA: the code is the authenticator's.
    pub second_factor: bool,
    /// Where a mailed code went, masked.
    pub masked: Option<String>,
    /// The account (with 2FA) has a security key.
    #[serde(default)]
    pub security_key: bool,
    /// The account (with 2FA) has an authenticator app.
    #[serde(default)]
    pub authenticator_app: bool,
}

/// A connected identity on the ticket form.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Connected {
    /// "GitHub" or "Twitter".
    pub provider: String,
    /// The provider's immutable id.
    pub user_id: String,
    /// The handle.
    pub handle: String,
    /// When the round trip verified it (unix seconds).
    pub verified_at: i64,
}

/// The "Open a Support Ticket" form so far (kept across the round trip
/// to the provider).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TicketDraft {
    /// "Email".
    pub contact: String,
    /// "Reset my email" (else "Other").
    pub reset_email: bool,
    /// "Additional Details".
    pub details: String,
    /// "Connect to GitHub" / "Connect to Twitter".
    pub connected: Vec<Connected>,
}

/// The recovery draft whose contact code is awaited.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecoveryDraft {
    /// The draft id, hex.
    pub draft: String,
    /// Where the code went, masked.
    pub masked: String,
}

/// Why the site sent the user to the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OauthPurpose {
    /// Linking an identity on the Account page.
    Link,
    /// "Connect to GitHub" on the ticket form.
    Ticket,
}

/// An OAuth round trip in flight.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OauthState {
    /// The `state` parameter sent, checked on the way back.
    pub state: String,
    /// The provider's slug.
    pub provider: String,
    /// Why.
    pub purpose: OauthPurpose,
}

/// A publish that asked for a step-up code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingPublish {
    /// The step-up challenge id.
    pub challenge: String,
    /// The package.
    pub name: String,
    /// The version.
    pub version: String,
}

/// Reads a value.
pub async fn get<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Result<Option<T>, AppError> {
    Ok(session.get(key).await?)
}

/// Stores a value.
pub async fn put(session: &Session, key: &str, value: impl Serialize) -> Result<(), AppError> {
    Ok(session.insert(key, value).await?)
}

/// Removes and returns a value.
pub async fn take<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Result<Option<T>, AppError> {
    Ok(session.remove(key).await?)
}

/// Leaves a notice for the next page.
pub async fn notice(session: &Session, text: impl Into<String>) -> Result<(), AppError> {
    put(session, NOTICE, text.into()).await
}
