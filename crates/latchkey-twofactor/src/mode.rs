//! npm's 2FA modes and when a code is needed.

use std::fmt;
use std::str::FromStr;

/// How much a second factor guards, as npm has it.
///
/// ```
/// use latchkey_twofactor::{Action, Mode};
/// assert!(!Mode::AuthOnly.requires_code(Action::Write));
/// assert!(Mode::AuthAndWrites.requires_code(Action::Write));
/// assert_eq!("auth-and-writes".parse::<Mode>().unwrap(), Mode::AuthAndWrites);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// No second factor.
    #[default]
    Off,
    /// Codes at sign-in.
    AuthOnly,
    /// Codes at sign-in and for writes (publishing, say).
    AuthAndWrites,
}

/// What the user is about to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Signing in.
    SignIn,
    /// A write, such as publishing a package.
    Write,
}

impl Mode {
    /// Every mode, for round trips and menus.
    pub const ALL: [Self; 3] = [Self::Off, Self::AuthOnly, Self::AuthAndWrites];

    /// Whether `action` needs a second-factor code in this mode.
    #[must_use]
    pub fn requires_code(self, action: Action) -> bool {
        match (self, action) {
            (Self::Off, _) => false,
            (Self::AuthOnly, Action::SignIn) | (Self::AuthAndWrites, _) => true,
            (Self::AuthOnly, Action::Write) => false,
        }
    }

    /// The mode's name: `off`, `auth-only`, `auth-and-writes`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::AuthOnly => "auth-only",
            Self::AuthAndWrites => "auth-and-writes",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown 2FA mode {0:?}: expected off, auth-only or auth-and-writes")]
pub struct UnknownMode(pub String);

impl FromStr for Mode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Self, UnknownMode> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownMode(s.to_owned()))
    }
}

impl crate::TwoFactorState {
    /// Whether `action` needs a second factor: 2FA is on (with an
    /// authenticator app, or with security keys kept elsewhere) and its
    /// mode asks for one.
    ///
    /// ```
    /// use latchkey_twofactor::{Action, TwoFactorState};
    /// assert!(!TwoFactorState::default().requires_code(Action::SignIn));
    /// ```
    #[must_use]
    pub fn requires_code(&self, action: Action) -> bool {
        self.mode.requires_code(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_round_trips_and_answers_per_action() {
        for m in Mode::ALL {
            assert_eq!(m.as_str().parse::<Mode>().unwrap(), m);
        }
        assert!("on".parse::<Mode>().is_err());
        let table = [
            (Mode::Off, [false, false]),
            (Mode::AuthOnly, [true, false]),
            (Mode::AuthAndWrites, [true, true]),
        ];
        for (mode, [sign_in, write]) in table {
            assert_eq!(mode.requires_code(Action::SignIn), sign_in, "{mode}");
            assert_eq!(mode.requires_code(Action::Write), write, "{mode}");
        }
    }
}
