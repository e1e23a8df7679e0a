//! Limits for mailed codes (REQ-13, REQ-14, REQ-17).

use time::Duration;

use crate::Error;

/// Limits for mailed codes. Build with [`MailedCodeSettings::default`] and
/// the `with_` methods, which refuse values outside the requirements.
///
/// ```
/// use latchkey_otp::MailedCodeSettings;
/// use time::Duration;
/// let s = MailedCodeSettings::default().with_digits(8)?.with_ttl(Duration::minutes(5))?;
/// assert_eq!(s.digits(), 8);
/// assert!(MailedCodeSettings::default().with_ttl(Duration::minutes(11)).is_err());
/// # Ok::<(), latchkey_otp::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailedCodeSettings {
    digits: u32,
    ttl: Duration,
    max_attempts: u32,
    cooldown: Duration,
    hourly_cap: u32,
}

impl Default for MailedCodeSettings {
    /// 6 digits, 10 minutes, 5 attempts, 60 s between sends, 10 sends an
    /// hour (REQ-13, REQ-14, REQ-17).
    fn default() -> Self {
        Self {
            digits: 6,
            ttl: Duration::minutes(10),
            max_attempts: 5,
            cooldown: Duration::seconds(60),
            hourly_cap: 10,
        }
    }
}

impl MailedCodeSettings {
    /// Digits per code, 6 to 10 (REQ-13: at least 20 bits).
    ///
    /// # Errors
    /// [`Error::InvalidDigits`] outside 6 to 10.
    pub fn with_digits(mut self, digits: u32) -> Result<Self, Error> {
        if !(6..=10).contains(&digits) {
            return Err(Error::InvalidDigits {
                min: 6,
                max: 10,
                got: digits,
            });
        }
        self.digits = digits;
        Ok(self)
    }

    /// How long a code lives: 1 second to 10 minutes (REQ-14).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] outside that range.
    pub fn with_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl < Duration::SECOND || ttl > Duration::minutes(10) {
            return Err(Error::InvalidSettings(
                "a code lives 1 second to 10 minutes",
            ));
        }
        self.ttl = ttl;
        Ok(self)
    }

    /// Failed attempts per code, 1 to 10 (REQ-17).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] outside that range.
    pub fn with_max_attempts(mut self, attempts: u32) -> Result<Self, Error> {
        if !(1..=10).contains(&attempts) {
            return Err(Error::InvalidSettings("attempts per code must be 1 to 10"));
        }
        self.max_attempts = attempts;
        Ok(self)
    }

    /// Least time between two sends to one account (zero or more).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] when negative.
    pub fn with_cooldown(mut self, cooldown: Duration) -> Result<Self, Error> {
        if cooldown.is_negative() {
            return Err(Error::InvalidSettings("the cooldown cannot be negative"));
        }
        self.cooldown = cooldown;
        Ok(self)
    }

    /// Most sends to one account in any hour (at least 1).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] for zero.
    pub fn with_hourly_cap(mut self, cap: u32) -> Result<Self, Error> {
        if cap == 0 {
            return Err(Error::InvalidSettings("the hourly cap must be at least 1"));
        }
        self.hourly_cap = cap;
        Ok(self)
    }

    /// Digits per code.
    #[must_use]
    pub fn digits(&self) -> u32 {
        self.digits
    }
    /// How long a code lives.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
    /// Failed attempts per code.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }
    /// Least time between sends.
    #[must_use]
    pub fn cooldown(&self) -> Duration {
        self.cooldown
    }
    /// Most sends an hour.
    #[must_use]
    pub fn hourly_cap(&self) -> u32 {
        self.hourly_cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_outside_the_requirements_are_refused() {
        let d = MailedCodeSettings::default();
        assert!(d.with_digits(5).is_err() && d.with_digits(11).is_err());
        assert!(d.with_ttl(Duration::ZERO).is_err() && d.with_ttl(Duration::seconds(601)).is_err());
        assert!(d.with_max_attempts(0).is_err() && d.with_max_attempts(11).is_err());
        assert!(d.with_cooldown(Duration::seconds(-1)).is_err());
        assert!(d.with_hourly_cap(0).is_err());
    }
}
