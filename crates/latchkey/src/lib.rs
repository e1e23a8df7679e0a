//! latchkey: sign-in verification the way npm describes it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod store;

pub use store::{
    AttemptPolicy, ChallengeAttempt, ChallengeKey, ChallengeKind, ChallengeRecord, ChallengeStore,
    ThrottleKey, ThrottleReservation, ThrottleStore, WindowCount,
};
