//! What the OTP interop tests share: two independent OTP implementations
//! as peers, `oathtool` and `pyotp`, and the fixtures they are checked at.
//!
//! The peers are optional on a developer machine: a missing one prints a
//! `SKIPPED:` line to stderr and the test passes. With
//! `LATCHKEY_REQUIRE_PEERS=1` (as in CI) a missing peer fails the test.
// Each test file uses only part of what is here.
#![allow(dead_code)]

pub mod fixtures;
pub mod oathtool;
pub mod pyotp;
