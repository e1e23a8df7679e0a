//! TOTP (RFC 6238): time steps over HOTP.

use std::fmt;

use time::OffsetDateTime;

use crate::{Algorithm, Error, Hotp, OtpCode, OtpSecret};

/// A match of a TOTP code: the time step it belongs to, so callers can
/// refuse that step, or any earlier one, next time (REQ-23).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum TotpMatch {
    /// The code is the one for this time step.
    Matched {
        /// The step number, `(unix time - T0) / period`.
        step: u64,
    },
    /// No step in the window has this code.
    NoMatch,
}

/// A TOTP generator and verifier (RFC 6238): HOTP of the time step, with
/// T0 = 0 and a period of at least 1 s (default 30), 64-bit steps
/// (REQ-21).
///
/// ```
/// use latchkey_otp::{Algorithm, OtpSecret, Totp, TotpMatch};
/// use time::OffsetDateTime;
/// // RFC 6238 Appendix B.
/// let secret = OtpSecret::from_bytes(b"12345678901234567890")?;
/// let totp = Totp::new(&secret, Algorithm::Sha1, 8, 30)?;
/// let t = OffsetDateTime::from_unix_timestamp(59).unwrap();
/// assert_eq!(totp.code_at(t)?, "94287082");
/// assert_eq!(totp.verify("94287082", t, 1)?, TotpMatch::Matched { step: 1 });
/// # Ok::<(), latchkey_otp::Error>(())
/// ```
#[derive(Clone)]
pub struct Totp {
    hotp: Hotp,
    period: u64,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("algorithm", &self.hotp.algorithm())
            .field("digits", &self.hotp.digits())
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

impl Totp {
    /// The usual period, in seconds.
    pub const DEFAULT_PERIOD: u64 = 30;
    /// The default verification window: one step either side (REQ-22).
    pub const DEFAULT_WINDOW: u64 = 1;
    /// The widest window accepted; wider requests are narrowed to it.
    pub const MAX_WINDOW: u64 = 10;

    /// A TOTP keyed with `secret`.
    ///
    /// # Errors
    /// [`Error::InvalidDigits`] outside 6 to 8; [`Error::InvalidPeriod`]
    /// for a zero period.
    pub fn new(
        secret: &OtpSecret,
        algorithm: Algorithm,
        digits: u32,
        period: u64,
    ) -> Result<Self, Error> {
        if period == 0 {
            return Err(Error::InvalidPeriod);
        }
        Ok(Self {
            hotp: Hotp::new(secret, algorithm, digits)?,
            period,
        })
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.hotp.algorithm()
    }

    /// The number of digits.
    #[must_use]
    pub fn digits(&self) -> u32 {
        self.hotp.digits()
    }

    /// The period in seconds.
    #[must_use]
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The time step at `time`.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] before 1970.
    pub fn step_at(&self, time: OffsetDateTime) -> Result<u64, Error> {
        let seconds = u64::try_from(time.unix_timestamp()).map_err(|_| Error::TimeOutOfRange)?;
        Ok(seconds / self.period)
    }

    /// The code for a time step.
    #[must_use]
    pub fn code_for_step(&self, step: u64) -> OtpCode {
        self.hotp.code(step)
    }

    /// The code at `time`.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] before 1970.
    pub fn code_at(&self, time: OffsetDateTime) -> Result<OtpCode, Error> {
        Ok(self.code_for_step(self.step_at(time)?))
    }

    /// Verifies `input` against the steps from `window` before to `window`
    /// after the one at `time`. Every step in the window is computed and
    /// compared in constant time, with no early exit; the latest matching
    /// step is returned.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] before 1970.
    pub fn verify(
        &self,
        input: &str,
        time: OffsetDateTime,
        window: u64,
    ) -> Result<TotpMatch, Error> {
        let centre = self.step_at(time)?;
        Ok(self.verify_around(input, centre, window, None))
    }

    /// [`Totp::verify`] around a given step, considering only steps after
    /// `after` (the last step accepted before), so a used step or an
    /// earlier one can never match again (REQ-23).
    ///
    /// The window is capped at [`Totp::MAX_WINDOW`].
    pub fn verify_around(
        &self,
        input: &str,
        centre: u64,
        window: u64,
        after: Option<u64>,
    ) -> TotpMatch {
        let window = window.min(Self::MAX_WINDOW);
        let first = centre.saturating_sub(window);
        let first = after.map_or(first, |a| first.max(a.saturating_add(1)));
        let last = centre.saturating_add(window);
        match self.hotp.verify_counters(input, first..=last) {
            Some(step) => TotpMatch::Matched { step },
            None => TotpMatch::NoMatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    #[test]
    fn req_20_21_rfc6238_appendix_b_vectors() {
        let seeds: [(Algorithm, &[u8]); 3] = [
            (Algorithm::Sha1, b"12345678901234567890"),
            (Algorithm::Sha256, b"12345678901234567890123456789012"),
            (
                Algorithm::Sha512,
                b"1234567890123456789012345678901234567890123456789012345678901234",
            ),
        ];
        let table: [(i64, [&str; 3]); 6] = [
            (59, ["94287082", "46119246", "90693936"]),
            (1_111_111_109, ["07081804", "68084774", "25091201"]),
            (1_111_111_111, ["14050471", "67062674", "99943326"]),
            (1_234_567_890, ["89005924", "91819424", "93441116"]),
            (2_000_000_000, ["69279037", "90698825", "38618901"]),
            (20_000_000_000, ["65353130", "77737706", "47863826"]),
        ];
        for (i, (algorithm, seed)) in seeds.into_iter().enumerate() {
            let totp = Totp::new(&OtpSecret::from_bytes(seed).unwrap(), algorithm, 8, 30).unwrap();
            for (time, codes) in table {
                assert_eq!(
                    totp.code_at(at(time)).unwrap(),
                    codes[i],
                    "{algorithm} at {time}"
                );
                assert!(matches!(
                    totp.verify(codes[i], at(time), 0).unwrap(),
                    TotpMatch::Matched { .. }
                ));
            }
        }
    }

    #[test]
    fn req_21_works_past_2038_and_in_2603() {
        let totp = Totp::new(
            &OtpSecret::from_bytes(&[9; 20]).unwrap(),
            Algorithm::Sha1,
            6,
            30,
        )
        .unwrap();
        let y2603 = at(20_000_000_000); // 2603-10-11
        let step = totp.step_at(y2603).unwrap();
        assert_eq!(step, 666_666_666);
        let code = totp.code_at(y2603).unwrap();
        assert_eq!(
            totp.verify(&code, y2603, 1).unwrap(),
            TotpMatch::Matched { step }
        );
        assert!(totp.step_at(at(-1)).is_err());
    }

    #[test]
    fn req_22_window_is_one_step_either_side_by_default() {
        let totp = Totp::new(
            &OtpSecret::from_bytes(&[3; 20]).unwrap(),
            Algorithm::Sha1,
            6,
            30,
        )
        .unwrap();
        let now = at(1_000_000_000);
        let step = totp.step_at(now).unwrap();
        let w = Totp::DEFAULT_WINDOW;
        for offset in [-1i64, 0, 1] {
            let s = step.checked_add_signed(offset).unwrap();
            let code = totp.code_for_step(s);
            assert_eq!(
                totp.verify(&code, now, w).unwrap(),
                TotpMatch::Matched { step: s }
            );
        }
        for offset in [-2i64, 2] {
            let code = totp.code_for_step(step.checked_add_signed(offset).unwrap());
            // (A collision with a step inside the window is 1 in 10^6.)
            assert_eq!(
                totp.verify(&code, now, w).unwrap(),
                TotpMatch::NoMatch,
                "offset {offset}"
            );
        }
    }

    #[test]
    fn req_23_steps_at_or_before_the_last_used_never_match() {
        let totp = Totp::new(
            &OtpSecret::from_bytes(&[4; 20]).unwrap(),
            Algorithm::Sha1,
            6,
            30,
        )
        .unwrap();
        let step = 50_000_000;
        let code = totp.code_for_step(step);
        assert_eq!(
            totp.verify_around(&code, step, 1, None),
            TotpMatch::Matched { step }
        );
        assert_eq!(
            totp.verify_around(&code, step, 1, Some(step)),
            TotpMatch::NoMatch
        );
        assert_eq!(
            totp.verify_around(&code, step, 1, Some(step + 1)),
            TotpMatch::NoMatch
        );
        assert_eq!(
            totp.verify_around(&code, step, 1, Some(step - 1)),
            TotpMatch::Matched { step }
        );
    }

    #[test]
    fn any_period_of_at_least_one_second_works() {
        let secret = OtpSecret::from_bytes(&[5; 20]).unwrap();
        assert!(matches!(
            Totp::new(&secret, Algorithm::Sha1, 6, 0),
            Err(Error::InvalidPeriod)
        ));
        let totp = Totp::new(&secret, Algorithm::Sha256, 7, 1).unwrap();
        assert_eq!(totp.step_at(at(12_345)).unwrap(), 12_345);
        let totp = Totp::new(&secret, Algorithm::Sha512, 6, u64::MAX).unwrap();
        assert_eq!(totp.step_at(at(12_345)).unwrap(), 0);
    }

    #[test]
    fn malformed_input_never_matches_and_never_panics() {
        let totp = Totp::new(
            &OtpSecret::from_bytes(&[6; 20]).unwrap(),
            Algorithm::Sha1,
            6,
            30,
        )
        .unwrap();
        for bad in ["", "abcdef", "+12345", "1234567", "١٢٣٤٥٦", "\u{0}"] {
            assert_eq!(
                totp.verify_around(bad, u64::MAX, u64::MAX, None),
                TotpMatch::NoMatch
            );
        }
    }
}
