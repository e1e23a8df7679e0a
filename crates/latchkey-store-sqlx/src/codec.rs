//! How values are read back from rows ([`Columns`]), and how latchkey's
//! enums are written as text and read back. A missing column, a type
//! mismatch, a value out of range or an unknown word is a corrupt record,
//! never a panic.

use latchkey_challenge::ChallengeKind;
use latchkey_cli_login::UserCode;
use latchkey_core::{AccountId, StoreError};
use latchkey_recovery::{Actor, AuditAction, Finding, Provider, TicketState, Topic, Transition};
use latchkey_twofactor::Mode;
use latchkey_webauthn::CeremonyPurpose;
use time::OffsetDateTime;

pub(crate) fn mode(s: &str) -> Result<Mode, StoreError> {
    s.parse()
        .map_err(|_| StoreError::corrupt("two-factor mode"))
}

pub(crate) fn algorithm(s: &str) -> Result<latchkey_otp::Algorithm, StoreError> {
    s.parse().map_err(|_| StoreError::corrupt("TOTP algorithm"))
}

pub(crate) fn user_code(s: &str) -> Result<UserCode, StoreError> {
    s.parse()
        .map_err(|_| StoreError::corrupt("command-line login user code"))
}

pub(crate) fn state_name(s: TicketState) -> &'static str {
    match s {
        TicketState::Submitted => "submitted",
        TicketState::InReview => "in-review",
        TicketState::Approved => "approved",
        TicketState::Completed => "completed",
        TicketState::Rejected => "rejected",
        TicketState::Withdrawn => "withdrawn",
        TicketState::Expired => "expired",
    }
}

pub(crate) fn state(s: &str) -> Result<TicketState, StoreError> {
    TicketState::ALL
        .into_iter()
        .find(|t| state_name(*t) == s)
        .ok_or_else(|| StoreError::corrupt("ticket state"))
}

pub(crate) fn transition_name(t: Transition) -> &'static str {
    match t {
        Transition::StartReview => "start-review",
        Transition::Approve => "approve",
        Transition::Reject => "reject",
        Transition::Withdraw => "withdraw",
        Transition::Expire => "expire",
        Transition::Complete => "complete",
    }
}

fn transition(s: &str) -> Result<Transition, StoreError> {
    Transition::ALL
        .into_iter()
        .find(|t| transition_name(*t) == s)
        .ok_or_else(|| StoreError::corrupt("ticket transition"))
}

/// An actor as (kind, staff id).
pub(crate) fn actor_parts(a: &Actor) -> (&'static str, Option<&str>) {
    match a {
        Actor::Requester => ("requester", None),
        Actor::AccountOwner => ("account-owner", None),
        Actor::Staff(id) => ("staff", Some(id.as_str())),
        Actor::System => ("system", None),
    }
}

pub(crate) fn actor(kind: &str, staff: Option<String>) -> Result<Actor, StoreError> {
    match (kind, staff) {
        ("requester", None) => Ok(Actor::Requester),
        ("account-owner", None) => Ok(Actor::AccountOwner),
        ("staff", Some(id)) => Ok(Actor::Staff(id)),
        ("system", None) => Ok(Actor::System),
        _ => Err(StoreError::corrupt("audit actor")),
    }
}

/// An audit action as (kind, transition).
pub(crate) fn action_parts(a: &AuditAction) -> (&'static str, Option<&'static str>) {
    match a {
        AuditAction::Opened => ("opened", None),
        AuditAction::Transition(t) => ("transition", Some(transition_name(*t))),
        AuditAction::FirstApproval => ("first-approval", None),
        AuditAction::Note => ("note", None),
    }
}

pub(crate) fn action(kind: &str, moved: Option<String>) -> Result<AuditAction, StoreError> {
    match (kind, moved.as_deref()) {
        ("opened", None) => Ok(AuditAction::Opened),
        ("transition", Some(t)) => Ok(AuditAction::Transition(transition(t)?)),
        ("first-approval", None) => Ok(AuditAction::FirstApproval),
        ("note", None) => Ok(AuditAction::Note),
        _ => Err(StoreError::corrupt("audit action")),
    }
}

/// A topic as (kind, details).
pub(crate) fn topic_parts(t: &Topic) -> (&'static str, Option<&str>) {
    match t {
        Topic::ResetEmail => ("reset-email", None),
        Topic::Other { details } => ("other", Some(details.as_str())),
    }
}

pub(crate) fn topic(kind: &str, details: Option<String>) -> Result<Topic, StoreError> {
    match (kind, details) {
        ("reset-email", None) => Ok(Topic::ResetEmail),
        ("other", Some(details)) => Ok(Topic::Other { details }),
        _ => Err(StoreError::corrupt("ticket topic")),
    }
}

/// `github`, `twitter`, or `other:NAME`.
pub(crate) fn provider_name(p: &Provider) -> String {
    match p {
        Provider::GitHub => "github".to_owned(),
        Provider::Twitter => "twitter".to_owned(),
        Provider::Other(name) => format!("other:{name}"),
    }
}

pub(crate) fn provider(s: &str) -> Result<Provider, StoreError> {
    match s {
        "github" => Ok(Provider::GitHub),
        "twitter" => Ok(Provider::Twitter),
        _ => s
            .strip_prefix("other:")
            .map(|name| Provider::Other(name.to_owned()))
            .ok_or_else(|| StoreError::corrupt("identity provider")),
    }
}

/// A finding as (kind, linked_at).
pub(crate) fn finding_parts(f: &Finding) -> (&'static str, Option<OffsetDateTime>) {
    match f {
        Finding::Matches { linked_at } => ("matches", Some(*linked_at)),
        Finding::LinkedAfterTicket => ("linked-after-ticket", None),
        Finding::NoMatch => ("no-match", None),
    }
}

pub(crate) fn finding(
    kind: &str,
    linked_at: Option<OffsetDateTime>,
) -> Result<Finding, StoreError> {
    match (kind, linked_at) {
        ("matches", Some(linked_at)) => Ok(Finding::Matches { linked_at }),
        ("linked-after-ticket", None) => Ok(Finding::LinkedAfterTicket),
        ("no-match", None) => Ok(Finding::NoMatch),
        _ => Err(StoreError::corrupt("evidence finding")),
    }
}

pub(crate) fn challenge_kind(
    name: &str,
    operation: Option<Vec<u8>>,
) -> Result<ChallengeKind, StoreError> {
    let operation = operation
        .map(|o| array_of::<32>(o, "challenge operation"))
        .transpose()?;
    ChallengeKind::from_parts(name, operation).ok_or_else(|| StoreError::corrupt("challenge kind"))
}

/// A WebAuthn ceremony's purpose as (kind, key name, operation digest).
pub(crate) fn ceremony_purpose_parts(
    p: &CeremonyPurpose,
) -> (&'static str, Option<&str>, Option<&[u8]>) {
    match p {
        CeremonyPurpose::Registration { name } => ("registration", Some(name.as_str()), None),
        CeremonyPurpose::SecondFactor => ("second-factor", None, None),
        CeremonyPurpose::StepUp { operation } => ("step-up", None, Some(&operation[..])),
        CeremonyPurpose::Passwordless => ("passwordless", None, None),
    }
}

pub(crate) fn ceremony_purpose(
    kind: &str,
    name: Option<String>,
    operation: Option<Vec<u8>>,
) -> Result<CeremonyPurpose, StoreError> {
    match (kind, name, operation) {
        ("registration", Some(name), None) => Ok(CeremonyPurpose::Registration { name }),
        ("second-factor", None, None) => Ok(CeremonyPurpose::SecondFactor),
        ("passwordless", None, None) => Ok(CeremonyPurpose::Passwordless),
        ("step-up", None, Some(operation)) => Ok(CeremonyPurpose::StepUp {
            operation: array_of(operation, "ceremony operation")?,
        }),
        _ => Err(StoreError::corrupt("WebAuthn ceremony purpose")),
    }
}

/// Typed reads of a row's columns, the same on both backends.
pub(crate) trait Columns {
    /// A `TEXT` column.
    fn text(&self, column: &str) -> Result<String, StoreError>;
    /// A nullable `TEXT` column.
    fn text_opt(&self, column: &str) -> Result<Option<String>, StoreError>;
    /// A `BIGINT` column.
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    /// A nullable `BIGINT` column.
    fn int_opt(&self, column: &str) -> Result<Option<i64>, StoreError>;
    /// A `BLOB` / `BYTEA` column.
    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError>;
    /// A nullable `BLOB` / `BYTEA` column.
    fn bytes_opt(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A `BOOLEAN` column.
    fn flag(&self, column: &str) -> Result<bool, StoreError>;

    /// A `BIGINT` column as a narrower or unsigned integer.
    fn narrow<T: TryFrom<i64>>(&self, column: &str) -> Result<T, StoreError> {
        narrow(self.int(column)?, column)
    }

    /// A time column (unix nanoseconds).
    fn time(&self, column: &str) -> Result<OffsetDateTime, StoreError> {
        time_of(self.int(column)?, column)
    }

    /// A nullable time column.
    fn time_opt(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.int_opt(column)?
            .map(|n| time_of(n, column))
            .transpose()
    }

    /// A byte column of exactly `N` bytes.
    fn array<const N: usize>(&self, column: &str) -> Result<[u8; N], StoreError> {
        array_of(self.bytes(column)?, column)
    }

    /// A nullable byte column of exactly `N` bytes.
    fn array_opt<const N: usize>(&self, column: &str) -> Result<Option<[u8; N]>, StoreError> {
        self.bytes_opt(column)?
            .map(|v| array_of(v, column))
            .transpose()
    }

    /// An account id column.
    fn account(&self, column: &str) -> Result<AccountId, StoreError> {
        account_of(self.text(column)?)
    }

    /// A nullable account id column.
    fn account_opt(&self, column: &str) -> Result<Option<AccountId>, StoreError> {
        self.text_opt(column)?.map(account_of).transpose()
    }
}

impl<R> Columns for R
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn text(&self, column: &str) -> Result<String, StoreError> {
        get(self, column)
    }
    fn text_opt(&self, column: &str) -> Result<Option<String>, StoreError> {
        get(self, column)
    }
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        get(self, column)
    }
    fn int_opt(&self, column: &str) -> Result<Option<i64>, StoreError> {
        get(self, column)
    }
    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        get(self, column)
    }
    fn bytes_opt(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        get(self, column)
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        get(self, column)
    }
}

/// A column of a row, typed.
fn get<'r, R, T>(row: &'r R, column: &str) -> Result<T, StoreError>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    row.try_get(column).map_err(|e| StoreError::Corrupt {
        what: format!("column {column}"),
        source: Some(Box::new(e)),
    })
}

/// A stored time back.
fn time_of(n: i64, what: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n))
        .map_err(|_| StoreError::corrupt(format!("{what}: time out of range")))
}

/// A stored account id back.
fn account_of(s: String) -> Result<AccountId, StoreError> {
    AccountId::new(s).map_err(|_| StoreError::corrupt("account id"))
}

/// A stored `BIGINT` as a narrower or unsigned integer.
fn narrow<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(v).map_err(|_| StoreError::corrupt(format!("{what}: {v} out of range")))
}

/// A stored byte string as a fixed-size array.
fn array_of<const N: usize>(v: Vec<u8>, what: &str) -> Result<[u8; N], StoreError> {
    <[u8; N]>::try_from(v)
        .map_err(|v| StoreError::corrupt(format!("{what}: {} bytes, expected {N}", v.len())))
}
