//! The "Open a Support Ticket" form as a type, and its validation.

use std::fmt;

use latchkey_core::EmailAddress;
use time::{Duration, OffsetDateTime};

/// Longest "Additional Details", in characters.
pub const MAX_DETAILS_CHARS: usize = 5_000;
/// Longest login, in bytes (the longest email address).
pub const MAX_LOGIN_BYTES: usize = 320;

/// "How can we help?"
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topic {
    /// "Reset my email".
    ResetEmail,
    /// "Other", with the "Additional Details".
    Other {
        /// What the user needs.
        details: String,
    },
}

/// Who vouches for a linked identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// "Connect to GitHub".
    GitHub,
    /// "Connect to Twitter".
    Twitter,
    /// Another OAuth provider the host supports.
    Other(String),
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GitHub => f.write_str("GitHub"),
            Self::Twitter => f.write_str("Twitter"),
            Self::Other(name) => f.write_str(name),
        }
    }
}

/// An identity the user proved in a fresh OAuth round trip with the host
/// ("Connect to GitHub"). The immutable user id is what counts; the handle
/// is for display only (REQ-35).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// The provider.
    pub provider: Provider,
    /// The provider's immutable user id (GitHub's numeric id, say).
    pub user_id: String,
    /// The handle, for display.
    pub handle: String,
    /// When the host verified it.
    pub verified_at: OffsetDateTime,
}

/// The form as submitted: raw text, not yet checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketForm {
    /// The login the user tried to sign in with.
    pub login: String,
    /// "Email": where support can reach the user.
    pub contact_email: String,
    /// "How can we help?": `true` for "Reset my email", `false` for "Other".
    pub reset_email: bool,
    /// "Additional Details" (needed for "Other").
    pub details: String,
    /// Identities connected on the form.
    pub identities: Vec<LinkedIdentity>,
}

/// A form that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidForm {
    /// The login, as given.
    pub login: String,
    /// The contact address.
    pub contact: EmailAddress,
    /// The topic.
    pub topic: Topic,
    /// Connected identities, all verified recently.
    pub identities: Vec<LinkedIdentity>,
}

/// Which field a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The login.
    Login,
    /// "Email".
    ContactEmail,
    /// "Additional Details".
    Details,
    /// The n-th connected identity.
    Identity(usize),
}

/// What is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Empty, but needed.
    Required,
    /// Longer than allowed.
    TooLong {
        /// The limit, in the field's unit (characters or bytes).
        max: usize,
    },
    /// Holds control characters (line breaks are allowed in details).
    ControlCharacters,
    /// Not an email address.
    InvalidEmail,
    /// The identity was verified too long ago, or in the future.
    NotFresh,
    /// The same provider is connected twice.
    Duplicate,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required => f.write_str("this field is required"),
            Self::TooLong { max } => write!(f, "this is too long (at most {max})"),
            Self::ControlCharacters => f.write_str("this contains characters that are not allowed"),
            Self::InvalidEmail => f.write_str("this is not a valid email address"),
            Self::NotFresh => f.write_str("please connect this account again"),
            Self::Duplicate => f.write_str("this provider is connected twice"),
        }
    }
}

/// One problem, in one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Where.
    pub field: Field,
    /// What.
    pub problem: Problem,
}

/// Checks every field and reports every problem at once, so the form can be
/// shown again with all of them. Safe on any Unicode; never panics.
///
/// `freshness` is how recent a connected identity's verification must be
/// (REQ-35).
///
/// ```
/// use latchkey_recovery::{validate, Field, Problem, TicketForm};
/// use time::{Duration, OffsetDateTime};
/// let form = TicketForm { login: "jane".into(), contact_email: "nope".into(), ..Default::default() };
/// let errors = validate(&form, OffsetDateTime::now_utc(), Duration::minutes(15)).unwrap_err();
/// // "Other" without details, and a bad address: both reported.
/// assert!(errors.iter().any(|e| e.field == Field::ContactEmail && e.problem == Problem::InvalidEmail));
/// assert!(errors.iter().any(|e| e.field == Field::Details && e.problem == Problem::Required));
/// ```
///
/// # Errors
/// Every [`FieldError`] found.
pub fn validate(
    form: &TicketForm,
    now: OffsetDateTime,
    freshness: Duration,
) -> Result<ValidForm, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut problem = |field, problem| errors.push(FieldError { field, problem });

    let login = form.login.trim();
    if login.is_empty() {
        problem(Field::Login, Problem::Required);
    } else if login.len() > MAX_LOGIN_BYTES {
        problem(
            Field::Login,
            Problem::TooLong {
                max: MAX_LOGIN_BYTES,
            },
        );
    } else if login.chars().any(char::is_control) {
        problem(Field::Login, Problem::ControlCharacters);
    }

    let contact = form.contact_email.trim();
    let address = if contact.is_empty() {
        problem(Field::ContactEmail, Problem::Required);
        None
    } else {
        let parsed = EmailAddress::parse(contact).ok();
        if parsed.is_none() {
            problem(Field::ContactEmail, Problem::InvalidEmail);
        }
        parsed
    };

    let details = form.details.trim();
    if !form.reset_email && details.is_empty() {
        problem(Field::Details, Problem::Required);
    }
    if details.chars().count() > MAX_DETAILS_CHARS {
        problem(
            Field::Details,
            Problem::TooLong {
                max: MAX_DETAILS_CHARS,
            },
        );
    }
    if details
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        problem(Field::Details, Problem::ControlCharacters);
    }

    for (i, identity) in form.identities.iter().enumerate() {
        let field = Field::Identity(i);
        if identity.user_id.trim().is_empty() {
            problem(field, Problem::Required);
        }
        let texts = [
            identity.user_id.as_str(),
            identity.handle.as_str(),
            provider_name(&identity.provider),
        ];
        if texts.iter().any(|t| t.chars().count() > 256) {
            problem(field, Problem::TooLong { max: 256 });
        }
        if texts.iter().any(|t| t.chars().any(char::is_control)) {
            problem(field, Problem::ControlCharacters);
        }
        let age = now - identity.verified_at;
        if age.is_negative() || age > freshness {
            problem(field, Problem::NotFresh);
        }
        if form.identities[..i]
            .iter()
            .any(|other| other.provider == identity.provider)
        {
            problem(field, Problem::Duplicate);
        }
    }

    match address {
        Some(contact) if errors.is_empty() => Ok(ValidForm {
            login: login.to_owned(),
            contact,
            topic: if form.reset_email {
                Topic::ResetEmail
            } else {
                Topic::Other {
                    details: details.to_owned(),
                }
            },
            identities: form.identities.clone(),
        }),
        _ => Err(errors),
    }
}

fn provider_name(provider: &Provider) -> &str {
    match provider {
        Provider::GitHub => "GitHub",
        Provider::Twitter => "Twitter",
        Provider::Other(name) => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn github(verified_ago: Duration) -> LinkedIdentity {
        LinkedIdentity {
            provider: Provider::GitHub,
            user_id: "583231".into(),
            handle: "octocat".into(),
            verified_at: now() - verified_ago,
        }
    }

    fn good() -> TicketForm {
        TicketForm {
            login: "jane".into(),
            contact_email: "jane@new.example".into(),
            reset_email: true,
            details: String::new(),
            identities: vec![github(Duration::minutes(1))],
        }
    }

    fn check(form: &TicketForm) -> Result<ValidForm, Vec<FieldError>> {
        validate(form, now(), Duration::minutes(15))
    }

    #[test]
    fn a_good_reset_email_form_passes() {
        let valid = check(&good()).unwrap();
        assert_eq!(valid.topic, Topic::ResetEmail);
        assert_eq!(valid.contact.as_str(), "jane@new.example");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let form = TicketForm {
            login: String::new(),
            contact_email: "not-an-address".into(),
            reset_email: false,
            details: "   ".into(),
            identities: vec![github(Duration::hours(2)), github(Duration::minutes(1))],
        };
        let errors = check(&form).unwrap_err();
        let has = |field, problem| errors.contains(&FieldError { field, problem });
        assert!(has(Field::Login, Problem::Required));
        assert!(has(Field::ContactEmail, Problem::InvalidEmail));
        assert!(has(Field::Details, Problem::Required));
        assert!(has(Field::Identity(0), Problem::NotFresh));
        assert!(has(Field::Identity(1), Problem::Duplicate));
        assert_eq!(errors.len(), 5, "{errors:?}");
    }

    #[test]
    fn other_needs_details_capped_at_5000_characters_without_controls() {
        let mut form = good();
        form.reset_email = false;
        form.details = "é".repeat(5_000);
        assert!(check(&form).is_ok(), "5,000 two-byte characters are fine");
        form.details.push('x');
        assert!(check(&form).unwrap_err().contains(&FieldError {
            field: Field::Details,
            problem: Problem::TooLong { max: 5_000 }
        }));
        form.details = "line one\nline two\tend".into();
        assert!(check(&form).is_ok());
        form.details = "bell \u{7}".into();
        assert!(check(&form).unwrap_err()[0].problem == Problem::ControlCharacters);
        form.details = "rtl \u{202e} override".into();
        assert!(
            check(&form).is_ok(),
            "format characters are text, not controls"
        );
    }

    #[test]
    fn req_35_identities_must_be_verified_recently_and_not_in_the_future() {
        let mut form = good();
        form.identities = vec![github(Duration::minutes(16))];
        assert_eq!(check(&form).unwrap_err()[0].problem, Problem::NotFresh);
        form.identities = vec![github(Duration::minutes(-1))];
        assert_eq!(check(&form).unwrap_err()[0].problem, Problem::NotFresh);
    }

    #[test]
    fn every_problem_has_words() {
        for p in [
            Problem::Required,
            Problem::TooLong { max: 1 },
            Problem::ControlCharacters,
            Problem::InvalidEmail,
            Problem::NotFresh,
            Problem::Duplicate,
        ] {
            assert!(!p.to_string().is_empty());
        }
    }
}
