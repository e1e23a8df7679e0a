//! What the Argon2 interop tests share: the reference implementations as
//! peers ([`peers`]) and the cases they hash ([`cases`]).
//!
//! The peers are optional on a developer machine: a missing one prints a
//! `SKIPPED:` line to stderr and the test passes. With
//! `LATCHKEY_REQUIRE_PEERS=1` (as in CI) a missing peer fails the test.
// Each test file uses only part of what is here.
#![allow(dead_code)]

pub mod cases;
pub mod peers;
