//! Command-line sign-in through the browser, the way `npm login
//! --auth-type=web` works.
//!
//! 1. The command line asks the host to begin a login session: it gets a
//!    `loginUrl` (carrying a [`CliLoginId`]), a `doneUrl` (carrying a
//!    [`PollToken`]), a short [`UserCode`] and an expiry.
//! 2. The user opens the `loginUrl`, signs in fully in that browser, sees
//!    the same user code as in the terminal and chooses "Allow this command
//!    line to sign in" (or "Deny").
//! 3. The command line polls the `doneUrl`: "not yet" (with the interval
//!    to wait), "slow down", "denied", "expired", or, exactly once, the
//!    approved account, for which the host mints its own token.
//!
//! This crate holds the session's types and its [`CliLoginStore`]; the
//! flow's `SignIn::begin_cli_login`, `approve_cli_login` and
//! `poll_cli_login` (crate `latchkey`) drive it. The two secrets are
//! separate on purpose: the one in the browser's address bar can approve
//! but never collect. The store keeps only their SHA-256.
//!
//! ```
//! use latchkey_cli_login::NewCliLogin;
//! use time::{Duration, OffsetDateTime};
//!
//! let now = OffsetDateTime::now_utc();
//! let new = NewCliLogin::generate(now, Duration::minutes(10), Some("registry-cli 0.1"))?;
//! assert_eq!(new.record.id_digest, new.id.digest());
//! assert_eq!(new.record.poll_digest, new.poll.digest());
//! assert_ne!(new.record.id_digest, new.record.poll_digest);
//! assert_eq!(new.record.expires_at, now + Duration::minutes(10));
//! # Ok::<(), latchkey_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod record;
mod secrets;
mod store;
mod user_code;

use time::{Duration, OffsetDateTime};

pub use record::{CliLoginDecision, CliLoginPoll, CliLoginRecord};
pub use secrets::{CliLoginId, MalformedReference, PollToken};
pub use store::CliLoginStore;
pub use user_code::{MalformedUserCode, UserCode};

/// The longest client label kept, in characters.
pub const CLIENT_LABEL_MAX: usize = 100;

/// A login session just made: its two secrets (hand `id` to the browser's
/// URL and `poll` to the command line only) and the record to store.
#[derive(Debug)]
pub struct NewCliLogin {
    /// For the `loginUrl`.
    pub id: CliLoginId,
    /// For the `doneUrl`.
    pub poll: PollToken,
    /// What the store keeps.
    pub record: CliLoginRecord,
}

impl NewCliLogin {
    /// Two fresh secrets and a user code, for a session that lives
    /// `lifetime` from `now`. `client` is what the command line says it
    /// is; it goes through [`client_label`].
    ///
    /// # Errors
    /// When the OS random generator fails.
    pub fn generate(
        now: OffsetDateTime,
        lifetime: Duration,
        client: Option<&str>,
    ) -> Result<Self, latchkey_core::Error> {
        let id = CliLoginId::generate()?;
        let poll = PollToken::generate()?;
        let record = CliLoginRecord {
            id_digest: id.digest(),
            poll_digest: poll.digest(),
            user_code: UserCode::generate()?,
            client: client.and_then(client_label),
            created_at: now,
            expires_at: now + lifetime,
        };
        Ok(Self { id, poll, record })
    }
}

/// A command line's self-description fit to show on a page: control
/// characters dropped, spaces trimmed, at most [`CLIENT_LABEL_MAX`]
/// characters; `None` when nothing is left.
///
/// ```
/// use latchkey_cli_login::client_label;
/// assert_eq!(client_label(" npm/10.9\u{1b}[31m "), Some("npm/10.9[31m".to_owned()));
/// assert_eq!(client_label("\n\t"), None);
/// assert_eq!(client_label(&"x".repeat(500)).map(|l| l.len()), Some(100));
/// ```
#[must_use]
pub fn client_label(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(CLIENT_LABEL_MAX)
        .collect();
    let kept = kept.trim_end().to_owned();
    (!kept.is_empty()).then_some(kept)
}
