//! How latchkey's enums are written as text, and read back. An unknown
//! word is a corrupt record.

use latchkey::ChallengeKind;
use latchkey_core::StoreError;
use latchkey_recovery::{Actor, AuditAction, Finding, Provider, TicketState, Topic, Transition};
use latchkey_twofactor::Mode;

pub(crate) fn mode(s: &str) -> Result<Mode, StoreError> {
    s.parse()
        .map_err(|_| StoreError::corrupt("two-factor mode"))
}

pub(crate) fn algorithm(s: &str) -> Result<latchkey_otp::Algorithm, StoreError> {
    s.parse().map_err(|_| StoreError::corrupt("TOTP algorithm"))
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
pub(crate) fn finding_parts(f: &Finding) -> (&'static str, Option<time::OffsetDateTime>) {
    match f {
        Finding::Matches { linked_at } => ("matches", Some(*linked_at)),
        Finding::LinkedAfterTicket => ("linked-after-ticket", None),
        Finding::NoMatch => ("no-match", None),
    }
}

pub(crate) fn finding(
    kind: &str,
    linked_at: Option<time::OffsetDateTime>,
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
        .map(|o| crate::array_of::<32>(o, "challenge operation"))
        .transpose()?;
    ChallengeKind::from_parts(name, operation).ok_or_else(|| StoreError::corrupt("challenge kind"))
}
