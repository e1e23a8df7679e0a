//! Password policy on set or change (REQ-01 to REQ-05).

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;

use crate::error::BoxError;
use crate::password::{MAX_PASSWORD_CHARS, normalize_password};

/// The 10,000 most common passwords, most common first (from the zxcvbn
/// frequency lists, MIT licence; see `data/common-passwords.LICENSE`).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().filter(|l| !l.is_empty()).collect())
}

/// Why a password was refused. Each has a sentence for the user
/// (`Display`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Fewer code points than the minimum (REQ-01).
    TooShort {
        /// The minimum.
        min: usize,
        /// How many the password has.
        actual: usize,
    },
    /// More code points than the maximum (REQ-02).
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// One of the 10,000 most common passwords (REQ-04).
    Common,
    /// Contains the username (REQ-04).
    ContainsUsername,
    /// Contains the service's name (REQ-04).
    ContainsServiceName,
    /// Mostly one character repeated, or a short pattern repeated (REQ-04).
    Repetitive,
    /// Mostly a run of sequential characters such as `12345678` or
    /// `abcdefgh` (REQ-04).
    Sequential,
    /// Found in a breached-password corpus by the host's service (REQ-04).
    Breached,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min, actual } => write!(
                f,
                "it is too short: {actual} characters, at least {min} are needed"
            ),
            Self::TooLong { max } => {
                write!(f, "it is too long: at most {max} characters are accepted")
            }
            Self::Common => f.write_str("it is one of the most common passwords"),
            Self::ContainsUsername => f.write_str("it contains the username"),
            Self::ContainsServiceName => f.write_str("it contains the name of this service"),
            Self::Repetitive => f.write_str("it is mostly repeated characters"),
            Self::Sequential => f.write_str("it is mostly a sequence such as 1234 or abcd"),
            Self::Breached => f.write_str("it appears in a known data breach"),
        }
    }
}

/// The policy's answer: accepted, or refused with every reason.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum PolicyOutcome {
    /// The password may be set.
    Accepted,
    /// The password may not be set, for these reasons (never empty).
    Refused(Vec<Refusal>),
}

impl PolicyOutcome {
    /// Whether the password was accepted.
    #[must_use]
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted)
    }

    /// The reasons for a refusal (empty when accepted).
    #[must_use]
    pub fn reasons(&self) -> &[Refusal] {
        match self {
            Self::Accepted => &[],
            Self::Refused(reasons) => reasons,
        }
    }

    fn from_reasons(reasons: Vec<Refusal>) -> Self {
        if reasons.is_empty() {
            Self::Accepted
        } else {
            Self::Refused(reasons)
        }
    }
}

/// A host's breached-password service (for example a k-anonymity range
/// API that is sent only a hash prefix). Plugged into
/// [`PasswordPolicy::with_breach_check`].
///
/// ```
/// use async_trait::async_trait;
/// use latchkey_credentials::{BreachCheckError, BreachedPasswords};
///
/// #[derive(Debug)]
/// struct Never;
/// #[async_trait]
/// impl BreachedPasswords for Never {
///     async fn is_breached(&self, _password: &str) -> Result<bool, BreachCheckError> {
///         Ok(false)
///     }
/// }
/// ```
#[async_trait]
pub trait BreachedPasswords: fmt::Debug + Send + Sync + 'static {
    /// Whether the (NFKC-normalized) password is known to be breached.
    async fn is_breached(&self, password: &str) -> Result<bool, BreachCheckError>;
}

/// The breached-password service could not answer.
///
/// The service's own error (a failed HTTP request, say) is kept as the
/// [`source`]; the reason says what failed and never holds the password.
///
/// ```
/// use latchkey_credentials::BreachCheckError;
/// let e = BreachCheckError::new("the range API timed out", std::io::Error::other("timeout"));
/// assert_eq!(
///     e.to_string(),
///     "breached-password service unavailable: the range API timed out"
/// );
/// assert!(std::error::Error::source(&e).is_some());
/// assert!(std::error::Error::source(&BreachCheckError::msg("no answer")).is_none());
/// ```
///
/// [`source`]: std::error::Error::source
#[derive(Debug, thiserror::Error)]
#[error("breached-password service unavailable: {reason}")]
pub struct BreachCheckError {
    reason: String,
    #[source]
    source: Option<BoxError>,
}

impl BreachCheckError {
    /// A failure with a reason (never the password) and the service's
    /// error.
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

    /// What failed.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Who the password is for, so the policy can refuse the username.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicyContext<'a> {
    /// The account's username or login, if any.
    pub username: Option<&'a str>,
}

/// Rules for new passwords (REQ-01 to REQ-05): a minimum length (default
/// 8), at most 128 code points, counted after NFKC; not one of the 10,000
/// most common passwords; not containing the username or service name; not
/// mostly repeated or sequential characters; optionally not breached.
/// There are no composition rules and no expiry (REQ-05).
///
/// The default minimum of 8 suits a flow with a second step (mailed code or
/// 2FA); a service where the password is the only factor should raise it
/// to 15 (NIST SP 800-63B rev 4) with [`PasswordPolicy::with_min_length`].
///
/// ```
/// use latchkey_credentials::{PasswordPolicy, PolicyContext, Refusal};
/// let policy = PasswordPolicy::new().with_service_name("npm");
/// let ctx = PolicyContext { username: Some("jane") };
/// assert!(policy.check("violet umbrella sky", ctx).is_accepted());
/// let refused = policy.check("password", ctx);
/// assert!(refused.reasons().contains(&Refusal::Common));
/// assert!(policy.check("jane-is-great", ctx).reasons().contains(&Refusal::ContainsUsername));
/// ```
#[derive(Clone, Debug)]
pub struct PasswordPolicy {
    min_length: usize,
    service_name: Option<String>,
    breached: Option<Arc<dyn BreachedPasswords>>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordPolicy {
    /// The default minimum length, in code points (REQ-01).
    pub const DEFAULT_MIN_LENGTH: usize = 8;

    /// The default policy.
    #[must_use]
    pub fn new() -> Self {
        Self {
            min_length: Self::DEFAULT_MIN_LENGTH,
            service_name: None,
            breached: None,
        }
    }

    /// Sets the minimum length (clamped to 1..=128).
    #[must_use]
    pub fn with_min_length(mut self, min: usize) -> Self {
        self.min_length = min.clamp(1, MAX_PASSWORD_CHARS);
        self
    }

    /// Refuses passwords that contain this name (case-insensitive).
    #[must_use]
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a breached-password service, consulted by
    /// [`PasswordPolicy::check_with_breaches`].
    #[must_use]
    pub fn with_breach_check(mut self, service: Arc<dyn BreachedPasswords>) -> Self {
        self.breached = Some(service);
        self
    }

    /// The minimum length in code points.
    #[must_use]
    pub fn min_length(&self) -> usize {
        self.min_length
    }

    /// Applies every local rule and returns every reason for refusal.
    /// Never panics, whatever the input.
    pub fn check(&self, password: &str, context: PolicyContext<'_>) -> PolicyOutcome {
        PolicyOutcome::from_reasons(self.local_reasons(password, context))
    }

    /// [`PasswordPolicy::check`], then the breached-password service if one
    /// is configured (only when the local rules pass, so the service never
    /// sees a password refused anyway).
    ///
    /// # Errors
    /// The service's [`BreachCheckError`]: the caller decides whether to
    /// fail open or closed.
    pub async fn check_with_breaches(
        &self,
        password: &str,
        context: PolicyContext<'_>,
    ) -> Result<PolicyOutcome, BreachCheckError> {
        let reasons = self.local_reasons(password, context);
        if !reasons.is_empty() {
            return Ok(PolicyOutcome::Refused(reasons));
        }
        if let (Some(service), Ok(normalized)) = (&self.breached, normalize_password(password))
            && service.is_breached(&normalized).await?
        {
            return Ok(PolicyOutcome::Refused(vec![Refusal::Breached]));
        }
        Ok(PolicyOutcome::Accepted)
    }

    fn local_reasons(&self, password: &str, context: PolicyContext<'_>) -> Vec<Refusal> {
        let Ok(normalized) = normalize_password(password) else {
            return vec![Refusal::TooLong {
                max: MAX_PASSWORD_CHARS,
            }];
        };
        let chars: Vec<char> = normalized.chars().collect();
        let mut reasons = Vec::new();
        if chars.len() < self.min_length {
            reasons.push(Refusal::TooShort {
                min: self.min_length,
                actual: chars.len(),
            });
        }
        let folded = normalized.to_lowercase();
        if common_passwords().contains(folded.as_str()) {
            reasons.push(Refusal::Common);
        }
        if contains_name(&folded, context.username) {
            reasons.push(Refusal::ContainsUsername);
        }
        if contains_name(&folded, self.service_name.as_deref()) {
            reasons.push(Refusal::ContainsServiceName);
        }
        let folded_chars: Vec<char> = folded.chars().collect();
        if is_repetitive(&folded_chars) {
            reasons.push(Refusal::Repetitive);
        }
        if is_sequential(&folded_chars) {
            reasons.push(Refusal::Sequential);
        }
        reasons
    }
}

/// Whether `password` (lower-cased) contains `name` (lower-cased, at least
/// 3 characters, so a one-letter username does not refuse everything).
fn contains_name(password: &str, name: Option<&str>) -> bool {
    let Some(name) = name else { return false };
    let name = name.trim().to_lowercase();
    name.chars().count() >= 3 && password.contains(&name)
}

/// The length that a "mostly" rule must cover: half the password, and at
/// least 4 characters.
fn dominant(len: usize) -> usize {
    (len.div_ceil(2)).max(4)
}

/// One character repeated over most of the password (`aaaaaaa1`), or the
/// whole password a repetition of a pattern of up to 3 characters
/// (`abcabcabc`, `xyxyxyxy`).
fn is_repetitive(chars: &[char]) -> bool {
    if chars.len() < 2 {
        return false;
    }
    let mut longest = 1;
    let mut run = 1;
    for pair in chars.windows(2) {
        run = if pair[0] == pair[1] { run + 1 } else { 1 };
        longest = longest.max(run);
    }
    if longest >= dominant(chars.len()) {
        return true;
    }
    (1..=3).any(|period| {
        chars.len() >= 2 * period
            && chars.len().is_multiple_of(period)
            && chars
                .iter()
                .enumerate()
                .all(|(i, c)| *c == chars[i % period])
    })
}

/// A run of consecutive code points, ascending or descending
/// (`12345678`, `abcdefg`, `987654`), over most of the password.
fn is_sequential(chars: &[char]) -> bool {
    if chars.len() < 2 {
        return false;
    }
    let mut longest = 1;
    let mut run = 1;
    let mut direction = 0i64;
    for pair in chars.windows(2) {
        let step = i64::from(u32::from(pair[1])) - i64::from(u32::from(pair[0]));
        if (step == 1 || step == -1) && (run == 1 || step == direction) {
            direction = step;
            run += 1;
        } else if step == 1 || step == -1 {
            direction = step;
            run = 2;
        } else {
            run = 1;
        }
        longest = longest.max(run);
    }
    longest >= dominant(chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(p: &str) -> Vec<Refusal> {
        PasswordPolicy::new()
            .with_service_name("latchkey")
            .check(
                p,
                PolicyContext {
                    username: Some("jane"),
                },
            )
            .reasons()
            .to_vec()
    }

    #[test]
    fn req_04_blocklist_has_ten_thousand_entries() {
        assert_eq!(common_passwords().len(), 10_000);
        for common in ["123456", "password", "qwerty", "iloveyou", "trustno1"] {
            assert!(common_passwords().contains(common), "{common}");
        }
    }

    #[test]
    fn req_04_common_passwords_are_refused_case_insensitively() {
        assert!(reasons("Password").contains(&Refusal::Common));
        assert!(reasons("BASEBALL").contains(&Refusal::Common));
        assert!(reasons("football").contains(&Refusal::Common));
    }

    #[test]
    fn req_01_minimum_length_is_a_setting() {
        assert_eq!(
            reasons("k7#q"),
            vec![Refusal::TooShort { min: 8, actual: 4 }]
        );
        let strict = PasswordPolicy::new().with_min_length(15);
        assert!(
            !strict
                .check("violet umbrel", PolicyContext::default())
                .is_accepted()
        );
        assert!(
            strict
                .check("violet umbrella", PolicyContext::default())
                .is_accepted()
        );
    }

    #[test]
    fn req_02_accepts_64_and_refuses_over_128_characters() {
        let p64: String = "correct horse battery staple "
            .repeat(3)
            .chars()
            .take(64)
            .collect();
        assert!(reasons(&p64).is_empty());
        let p129 = "x7".repeat(64) + "z";
        assert_eq!(reasons(&p129), vec![Refusal::TooLong { max: 128 }]);
    }

    #[test]
    fn req_04_username_and_service_name_are_refused() {
        assert!(reasons("JaneDoe2026!").contains(&Refusal::ContainsUsername));
        assert!(reasons("my-latchkey-pw").contains(&Refusal::ContainsServiceName));
    }

    #[test]
    fn req_04_repeated_and_sequential_characters_are_refused() {
        assert!(reasons("aaaaaaaaaa").contains(&Refusal::Repetitive));
        assert!(reasons("zzzzzzz1").contains(&Refusal::Repetitive));
        assert!(reasons("xyzxyzxyz").contains(&Refusal::Repetitive));
        assert!(reasons("98765432").contains(&Refusal::Sequential));
        assert!(reasons("abcdefghq").contains(&Refusal::Sequential));
        // A short run inside a passphrase is fine.
        assert!(reasons("tulip 1234 harbour lantern").is_empty());
    }

    #[test]
    fn req_05_no_composition_rules() {
        // All lower case, no digits, no symbols: accepted.
        assert!(reasons("violet umbrella sky").is_empty());
    }

    #[test]
    fn every_refusal_has_a_sentence() {
        for r in [
            Refusal::TooShort { min: 8, actual: 2 },
            Refusal::TooLong { max: 128 },
            Refusal::Common,
            Refusal::ContainsUsername,
            Refusal::ContainsServiceName,
            Refusal::Repetitive,
            Refusal::Sequential,
            Refusal::Breached,
        ] {
            assert!(r.to_string().starts_with("it "), "{r}");
        }
    }

    #[derive(Debug)]
    struct Breached;
    #[async_trait]
    impl BreachedPasswords for Breached {
        async fn is_breached(&self, password: &str) -> Result<bool, BreachCheckError> {
            Ok(password == "violet umbrella sky")
        }
    }

    #[tokio::test]
    async fn req_04_breach_service_is_consulted_after_local_rules() {
        let policy = PasswordPolicy::new().with_breach_check(Arc::new(Breached));
        let ctx = PolicyContext::default();
        assert_eq!(
            policy
                .check_with_breaches("violet umbrella sky", ctx)
                .await
                .unwrap(),
            PolicyOutcome::Refused(vec![Refusal::Breached])
        );
        assert!(
            policy
                .check_with_breaches("amber kettle moon", ctx)
                .await
                .unwrap()
                .is_accepted()
        );
    }
}
