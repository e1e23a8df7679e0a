//! Account recovery through support tickets, for latchkey.
//!
//! npm's "Unable to access email" path: on the login-verification form the
//! user clicks "Try recovering your account", then "Open a Support
//! Ticket": a contact email, "How can we help?" ("Reset my email", or
//! "Other" with details), and optionally linked GitHub or Twitter
//! identities. This crate makes that a typed, audited workflow:
//!
//! - [`TicketForm`] and [`validate`]: every field's problem at once.
//! - The contact address answers a mailed code before the ticket is queued
//!   (REQ-34); the address of record is told, with a way to cancel.
//! - [`Evidence`]: offered identities matched by provider and immutable id
//!   against those linked before the ticket (REQ-35), a summary for staff.
//! - [`TicketState`]: submitted → in review → approved → completed, or
//!   rejected, withdrawn, expired; every move a compare-and-set with an
//!   append-only [`AuditEntry`].
//! - The same answer and work whether or not the login exists (REQ-31):
//!   the owner's notice goes through a [`Background`] off the request path
//!   (**without one it is sent inline**; install one); nothing on the
//!   account changes before completion, which hands the host an
//!   [`Instruction`] and, with a [`CompletionHook`], carries it out
//!   (REQ-32, REQ-36).
//!
//! ```
//! use latchkey_recovery::{TicketState, Transition};
//! let mut state = TicketState::Submitted;
//! for t in [Transition::StartReview, Transition::Approve, Transition::Complete] {
//!     state = state.apply(t).unwrap();
//! }
//! assert_eq!(state, TicketState::Completed);
//! assert!(state.is_final());
//! ```
//!
//! The whole flow, with the memory store, is in this crate's tests and in
//! `latchkey demo`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod evidence;
mod form;
mod service;
mod store;
mod ticket;

pub use error::Error;
pub use evidence::{Evidence, EvidenceItem, Finding, KnownLink, LinkedIdentities};
pub use form::{
    Field, FieldError, LinkedIdentity, MAX_DETAILS_CHARS, MAX_LOGIN_BYTES, Problem, Provider,
    TicketForm, Topic, ValidForm, validate,
};
pub use service::{
    AccountDirectory, AccountOnFile, ActionOutcome, Background, BackgroundJob, CompleteOutcome,
    CompletionHook, ConfirmOutcome, DefaultRecoveryTemplate, DraftId, Instruction, Recovery,
    RecoveryMail, RecoverySettings, RecoveryTemplate, StartOutcome,
};
pub use store::{Draft, TicketStore};
pub use ticket::{
    Actor, AuditAction, AuditEntry, InvalidTicketId, Ticket, TicketChange, TicketId, TicketState,
    Transition,
};
