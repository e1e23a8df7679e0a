//! HOTP (RFC 4226) over SHA-1, SHA-256 and SHA-512, with the keyed HMAC
//! state computed once and reused for every counter.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::{Error, OtpSecret};

/// The hash behind the HMAC.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-SHA-1: what RFC 4226 specifies and every authenticator app
    /// supports. Its collision weakness does not affect HMAC.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// Every algorithm, for round-trip tests and menus.
    pub const ALL: [Self; 3] = [Self::Sha1, Self::Sha256, Self::Sha512];

    /// The name used in `otpauth://` URIs: `SHA1`, `SHA256`, `SHA512`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// The hash's output length in bytes, which is also the length of the
    /// secrets latchkey generates for it (REQ-18).
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses `SHA1`, `SHA256` or `SHA512`, in any case.
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownAlgorithm(s.to_owned()))
    }
}

/// The keyed HMAC state: inner and outer pads already absorbed.
#[derive(Clone)]
enum KeyedMac {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

impl KeyedMac {
    fn new(algorithm: Algorithm, key: &[u8]) -> Self {
        // HMAC accepts keys of any length, so these cannot fail.
        match algorithm {
            Algorithm::Sha1 => Self::Sha1(
                <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!()),
            ),
            Algorithm::Sha256 => Self::Sha256(
                <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!()),
            ),
            Algorithm::Sha512 => Self::Sha512(
                <Hmac<sha2::Sha512> as KeyInit>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!()),
            ),
        }
    }

    /// RFC 4226 section 5.3: HMAC of the big-endian counter, then dynamic
    /// truncation to 31 bits.
    fn truncated(&self, counter: u64) -> u32 {
        fn dynamic_truncation(mac: &[u8]) -> u32 {
            let offset = usize::from(mac[mac.len() - 1] & 0x0f);
            u32::from_be_bytes([
                mac[offset],
                mac[offset + 1],
                mac[offset + 2],
                mac[offset + 3],
            ]) & 0x7fff_ffff
        }
        let message = counter.to_be_bytes();
        match self {
            Self::Sha1(mac) => {
                dynamic_truncation(&mac.clone().chain_update(message).finalize().into_bytes())
            }
            Self::Sha256(mac) => {
                dynamic_truncation(&mac.clone().chain_update(message).finalize().into_bytes())
            }
            Self::Sha512(mac) => {
                dynamic_truncation(&mac.clone().chain_update(message).finalize().into_bytes())
            }
        }
    }
}

/// An HOTP generator (RFC 4226): a secret, an algorithm and 6 to 8 digits.
///
/// ```
/// use latchkey_otp::{Algorithm, Hotp, OtpSecret};
/// // RFC 4226 Appendix D.
/// let secret = OtpSecret::from_bytes(b"12345678901234567890")?;
/// let hotp = Hotp::new(&secret, Algorithm::Sha1, 6)?;
/// assert_eq!(hotp.code(0), "755224");
/// assert_eq!(hotp.code(9), "520489");
/// # Ok::<(), latchkey_otp::Error>(())
/// ```
#[derive(Clone)]
pub struct Hotp {
    mac: KeyedMac,
    algorithm: Algorithm,
    digits: u32,
}

impl fmt::Debug for Hotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hotp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

impl Hotp {
    /// Fewest digits (RFC 4226 section 5.3, REQ-19).
    pub const MIN_DIGITS: u32 = 6;
    /// Most digits (REQ-19).
    pub const MAX_DIGITS: u32 = 8;

    /// A generator keyed with `secret`.
    ///
    /// # Errors
    /// [`Error::InvalidDigits`] outside 6 to 8.
    pub fn new(secret: &OtpSecret, algorithm: Algorithm, digits: u32) -> Result<Self, Error> {
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits) {
            return Err(Error::InvalidDigits {
                min: Self::MIN_DIGITS,
                max: Self::MAX_DIGITS,
                got: digits,
            });
        }
        Ok(Self {
            mac: KeyedMac::new(algorithm, secret.expose()),
            algorithm,
            digits,
        })
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits.
    #[must_use]
    pub fn digits(&self) -> u32 {
        self.digits
    }

    /// The code for `counter` as a number.
    #[must_use]
    pub fn value(&self, counter: u64) -> u32 {
        let t = self.mac.truncated(counter);
        // Constant divisors compile to multiplications.
        match self.digits {
            6 => t % 1_000_000,
            7 => t % 10_000_000,
            _ => t % 100_000_000,
        }
    }

    /// The code for `counter`, zero-padded to the digit count.
    #[must_use]
    pub fn code(&self, counter: u64) -> OtpCode {
        OtpCode::new(u64::from(self.value(counter)), self.digits)
    }

    /// Parses typed input for this generator: spaces and hyphens are
    /// dropped, then exactly `digits` ASCII digits must remain. Anything
    /// else (a sign, letters, the wrong length) is `None`: a wrong code.
    #[must_use]
    pub fn parse_input(&self, input: &str) -> Option<u32> {
        OtpCode::parse(input, self.digits).and_then(|c| u32::try_from(c.value()).ok())
    }

    /// Checks `input` against every counter in `counters`, always all of
    /// them and in constant time per counter, and returns the highest
    /// matching counter. Malformed input does the same work and matches
    /// nothing.
    #[must_use]
    pub fn verify_counters(
        &self,
        input: &str,
        counters: impl IntoIterator<Item = u64>,
    ) -> Option<u64> {
        // Codes are below 10^8, so u32::MAX never matches.
        let candidate = self.parse_input(input).unwrap_or(u32::MAX);
        let mut found = subtle::Choice::from(0);
        let mut matched = 0u64;
        for counter in counters {
            let hit = self.value(counter).ct_eq(&candidate);
            matched.conditional_assign(&counter, hit);
            found |= hit;
        }
        bool::from(found).then_some(matched)
    }
}

/// A one-time code as text: up to 10 ASCII digits, kept on the stack (no
/// allocation), wiped on drop; `Debug` hides the digits. Derefs to `str`.
///
/// ```
/// use latchkey_otp::OtpCode;
/// let code = OtpCode::new(42, 6);
/// assert_eq!(code, "000042");
/// assert_eq!(code.len(), 6);
/// assert_eq!(format!("{code:?}"), "OtpCode(<6 digits>)");
/// ```
#[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct OtpCode {
    text: [u8; 10],
    len: u8,
}

impl OtpCode {
    /// `value` written with exactly `digits` digits (1 to 10), zero-padded
    /// on the left; higher digits of `value` are dropped.
    #[must_use]
    pub fn new(value: u64, digits: u32) -> Self {
        // Two digits per division, from a table (as itoa does), in u32
        // arithmetic whenever the value allows, which is every HOTP code.
        const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899";
        let len = digits.clamp(1, 10) as usize;
        let mut text = [b'0'; 10];
        let mut end = len;
        let mut rest = value;
        while rest > u64::from(u32::MAX) && end > 0 {
            end -= 1;
            text[end] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let mut small = u32::try_from(rest).unwrap_or(0);
        while end >= 2 {
            let pair = (small % 100) as usize * 2;
            small /= 100;
            end -= 2;
            text[end] = PAIRS[pair];
            text[end + 1] = PAIRS[pair + 1];
        }
        if end == 1 {
            text[0] = b'0' + (small % 10) as u8;
        }
        Self {
            text,
            len: len as u8,
        }
    }

    /// Parses typed input: spaces and hyphens are dropped, then exactly
    /// `digits` (1 to 10) ASCII digits must remain. Anything else (a sign,
    /// letters, other scripts' digits, the wrong length) is `None`. Never
    /// allocates.
    ///
    /// ```
    /// use latchkey_otp::OtpCode;
    /// assert_eq!(OtpCode::parse("123 456", 6).unwrap(), "123456");
    /// assert!(OtpCode::parse("+12345", 6).is_none());
    /// ```
    #[must_use]
    pub fn parse(input: &str, digits: u32) -> Option<Self> {
        let want = usize::try_from(digits)
            .ok()
            .filter(|d| (1..=10).contains(d))?;
        let mut text = [0u8; 10];
        let mut len = 0;
        for b in input.bytes() {
            match b {
                b' ' | b'-' => {}
                b'0'..=b'9' if len < want => {
                    text[len] = b;
                    len += 1;
                }
                _ => return None,
            }
        }
        (len == want).then_some(Self {
            text,
            len: len as u8,
        })
    }

    /// The code as a number.
    #[must_use]
    pub fn value(&self) -> u64 {
        self.text[..usize::from(self.len)]
            .iter()
            .fold(0, |acc, d| acc * 10 + u64::from(d - b'0'))
    }

    /// The digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever written.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::ops::Deref for OtpCode {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OtpCode(<{} digits>)", self.len)
    }
}

impl PartialEq for OtpCode {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for OtpCode {}

impl PartialEq<str> for OtpCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for OtpCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for OtpCode {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<OtpCode> for String {
    fn eq(&self, other: &OtpCode) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<OtpCode> for &str {
    fn eq(&self, other: &OtpCode) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn req_20_rfc4226_appendix_d_vectors() {
        let secret = OtpSecret::from_bytes(b"12345678901234567890").unwrap();
        let hotp = Hotp::new(&secret, Algorithm::Sha1, 6).unwrap();
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp.code(counter as u64), *code, "counter {counter}");
        }
        // The truncated values of Appendix D too.
        assert_eq!(hotp.mac.truncated(0), 1_284_755_224);
        assert_eq!(hotp.mac.truncated(9), 645_520_489);
    }

    #[test]
    fn req_19_digits_outside_6_to_8_are_refused() {
        let secret = OtpSecret::from_bytes(&[1; 20]).unwrap();
        for digits in [0, 5, 9, 10] {
            assert!(
                Hotp::new(&secret, Algorithm::Sha1, digits).is_err(),
                "{digits}"
            );
        }
        for digits in 6..=8 {
            assert_eq!(
                Hotp::new(&secret, Algorithm::Sha1, digits)
                    .unwrap()
                    .code(1)
                    .len(),
                digits as usize
            );
        }
    }

    #[test]
    fn input_parsing_is_strict_about_everything_but_spaces_and_hyphens() {
        let parse_digits = |input: &str, digits| OtpCode::parse(input, digits).map(|c| c.value());
        assert_eq!(parse_digits("123456", 6), Some(123_456));
        assert_eq!(parse_digits("123 456", 6), Some(123_456));
        assert_eq!(parse_digits("123-456", 6), Some(123_456));
        assert_eq!(parse_digits("000001", 6), Some(1));
        assert_eq!(parse_digits("98765 43210", 10), Some(9_876_543_210));
        assert_eq!(parse_digits("1", 0), None);
        assert_eq!(parse_digits("12345678901", 11), None);
        for bad in [
            "",
            "12345",
            "1234567",
            "+12345",
            "12345a",
            "１２３４５６",
            "123456\n",
            "-0x1234",
        ] {
            assert_eq!(parse_digits(bad, 6), None, "{bad:?}");
        }
    }

    #[test]
    fn otp_code_formats_every_width_with_zero_padding() {
        assert_eq!(OtpCode::new(0, 6), "000000");
        assert_eq!(OtpCode::new(42, 7), "0000042");
        assert_eq!(OtpCode::new(9_876_543_210, 10), "9876543210");
        assert_eq!(
            OtpCode::new(1_234_567, 6),
            "234567",
            "higher digits dropped"
        );
        for v in [
            0u64,
            5,
            99,
            100,
            99_999,
            4_294_967_295,
            4_294_967_296,
            9_999_999_999,
            u64::MAX,
        ] {
            for digits in 1..=10u32 {
                let want = format!("{:0w$}", v % 10u64.pow(digits), w = digits as usize);
                assert_eq!(OtpCode::new(v, digits), want.as_str(), "{v} in {digits}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn otp_code_new_matches_std_formatting(v: u64, digits in 1u32..=10) {
            let want = format!("{:0w$}", v % 10u64.pow(digits), w = digits as usize);
            let got = OtpCode::new(v, digits);
            proptest::prop_assert_eq!(got.as_str(), want.as_str());
        }
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(a.as_str().parse::<Algorithm>().unwrap(), a);
            assert_eq!(a.as_str().to_lowercase().parse::<Algorithm>().unwrap(), a);
        }
        assert!("MD5".parse::<Algorithm>().is_err());
    }
}
