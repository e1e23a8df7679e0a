//! A local stand-in for GitHub's and Twitter's OAuth, served by the site
//! itself: the user types a handle and approves, the provider redirects
//! back with a one-time code, and the site exchanges the code (server
//! side, never through the browser) for the provider's name and the
//! account's immutable user id. A real host does the same round trip
//! with the real provider's authorize and token endpoints.

use std::sync::{Mutex, PoisonError};

use latchkey::core::random;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

/// How long a code lives between the redirect and the exchange.
const CODE_TTL: Duration = Duration::seconds(60);
/// At most this many codes wait at once (older ones are dropped).
const MAX_WAITING: usize = 1_000;

/// A provider the stand-in plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandInProvider {
    /// "Connect to GitHub".
    GitHub,
    /// "Connect to Twitter".
    Twitter,
}

impl StandInProvider {
    /// From the path segment (`github`, `twitter`).
    pub fn from_slug(slug: &str) -> Option<Self> {
        match slug {
            "github" => Some(Self::GitHub),
            "twitter" => Some(Self::Twitter),
            _ => None,
        }
    }

    /// The path segment.
    pub fn slug(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::Twitter => "twitter",
        }
    }

    /// The provider's name, as latchkey's `Provider` displays it.
    pub fn name(self) -> &'static str {
        match self {
            Self::GitHub => "GitHub",
            Self::Twitter => "Twitter",
        }
    }
}

/// What the exchange of a code yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderIdentity {
    /// Which provider vouches for it.
    pub provider: StandInProvider,
    /// The provider's immutable user id.
    pub user_id: String,
    /// The handle (display only: handles change hands).
    pub handle: String,
}

struct Grant {
    digest: [u8; 32],
    identity: ProviderIdentity,
    expires_at: OffsetDateTime,
}

/// The stand-in's one-time codes, in memory.
#[derive(Default)]
pub struct StandIn {
    grants: Mutex<Vec<Grant>>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn").finish_non_exhaustive()
    }
}

fn digest(code: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(code.as_bytes()).into()
}

impl StandIn {
    /// A one-time code for `identity`, after the user approved.
    pub fn issue(&self, identity: ProviderIdentity, now: OffsetDateTime) -> Result<String, String> {
        let mut bytes = [0u8; 16];
        random::fill(&mut bytes).map_err(|e| e.to_string())?;
        let code = data_encoding::BASE64URL_NOPAD.encode(&bytes);
        let mut grants = self.grants.lock().unwrap_or_else(PoisonError::into_inner);
        grants.retain(|g| now < g.expires_at);
        if grants.len() >= MAX_WAITING {
            grants.remove(0);
        }
        grants.push(Grant {
            digest: digest(&code),
            identity,
            expires_at: now + CODE_TTL,
        });
        Ok(code)
    }

    /// Exchanges a code for the identity it was issued for: once, for
    /// that provider, before it expires.
    pub fn exchange(
        &self,
        provider: StandInProvider,
        code: &str,
        now: OffsetDateTime,
    ) -> Option<ProviderIdentity> {
        let wanted = digest(code);
        let mut grants = self.grants.lock().unwrap_or_else(PoisonError::into_inner);
        let at = grants
            .iter()
            .position(|g| bool::from(g.digest.ct_eq(&wanted)))?;
        let grant = grants.remove(at);
        (now < grant.expires_at && grant.identity.provider == provider).then_some(grant.identity)
    }
}

/// A fresh immutable id for a handle seen for the first time.
pub fn fresh_user_id() -> Result<String, String> {
    let n = random::uniform_below(&mut random::SysRng, 90_000_000).map_err(|e| e.to_string())?;
    Ok((n + 10_000_000).to_string())
}

/// The waiting codes, for the test below.
#[cfg(test)]
impl StandIn {
    fn waiting(&self) -> usize {
        self.grants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Handles as a provider allows them: 1 to 39 letters, digits, `-`, `_`.
pub fn valid_handle(handle: &str) -> bool {
    (1..=39).contains(&handle.len())
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn octocat() -> ProviderIdentity {
        ProviderIdentity {
            provider: StandInProvider::GitHub,
            user_id: "583231".into(),
            handle: "octocat".into(),
        }
    }

    #[test]
    fn a_code_is_exchanged_once_for_its_provider_before_it_expires() {
        let standin = StandIn::default();
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let code = standin.issue(octocat(), now).expect("issued");
        assert_eq!(
            standin.exchange(StandInProvider::Twitter, &code, now),
            None,
            "a GitHub code is not Twitter's"
        );
        let code = standin.issue(octocat(), now).expect("issued");
        assert_eq!(
            standin.exchange(StandInProvider::GitHub, &code, now),
            Some(octocat())
        );
        assert_eq!(
            standin.exchange(StandInProvider::GitHub, &code, now),
            None,
            "a code works once"
        );
        let late = standin.issue(octocat(), now).expect("issued");
        assert_eq!(
            standin.exchange(StandInProvider::GitHub, &late, now + CODE_TTL),
            None,
            "an expired code works never"
        );
        assert_eq!(standin.waiting(), 0, "used and expired codes are gone");
    }

    #[test]
    fn handles_are_plain() {
        assert!(valid_handle("octocat"));
        assert!(valid_handle("jane-doe_2"));
        assert!(!valid_handle(""));
        assert!(!valid_handle("a b"));
        assert!(!valid_handle("<script>"));
        assert!(!valid_handle(&"x".repeat(40)));
    }
}
