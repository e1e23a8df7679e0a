//! The code itself: drawn uniformly at random, stored only as a keyed
//! digest bound to its record, account and purpose.

use std::fmt;

use latchkey_core::{AccountId, KeyedHmac, Pepper, random};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{CodeRecord, Error, OtpCode, Purpose};

/// Makes and checks the stored form of mailed codes: HMAC-SHA256 under a
/// key derived once from the pepper ([`KeyedHmac`]), over the
/// length-prefixed record id, account, purpose and code. Binding to id,
/// account and purpose means a digest is useless anywhere else (REQ-15,
/// REQ-16). The keyed state is computed once and cloned per use.
///
/// ```
/// use latchkey_core::{AccountId, Pepper};
/// use latchkey_otp::{CodeDigester, Purpose};
/// let digester = CodeDigester::new(&Pepper::from_bytes(&[1; 32])?);
/// let jane = AccountId::new("jane")?;
/// let d = digester.digest(&[0; 16], &jane, &Purpose::SIGN_IN, "123456");
/// assert_ne!(d, digester.digest(&[0; 16], &jane, &Purpose::SIGN_IN, "123457"));
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone)]
pub struct CodeDigester {
    keyed: KeyedHmac,
}

impl fmt::Debug for CodeDigester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeDigester(<keyed>)")
    }
}

impl CodeDigester {
    /// Derives the digest key from the pepper (HMAC-SHA256 of a domain
    /// label), so the pepper can serve other uses without collisions.
    #[must_use]
    pub fn new(pepper: &Pepper) -> Self {
        Self {
            keyed: KeyedHmac::derive(pepper, b"latchkey mailed code v1"),
        }
    }

    /// The digest of `code` for this record id, account and purpose.
    #[must_use]
    pub fn digest(
        &self,
        id: &[u8; 16],
        account: &AccountId,
        purpose: &Purpose,
        code: &str,
    ) -> [u8; 32] {
        self.keyed.mac(&[
            id,
            account.as_str().as_bytes(),
            purpose.as_str().as_bytes(),
            code.as_bytes(),
        ])
    }

    /// Whether typed `input` is the record's code: parsed without
    /// allocating (spaces and hyphens dropped, exactly `digits` digits),
    /// digested, and compared in constant time. Malformed input is
    /// digested too, as an impossible code, so it costs the same.
    #[must_use]
    pub fn check(&self, record: &CodeRecord, input: &str, digits: u32) -> bool {
        let candidate = OtpCode::parse(input, digits);
        let text = candidate.as_ref().map_or("x", |c| c.as_str());
        let computed = self.digest(&record.id, &record.account, &record.purpose, text);
        bool::from(computed.ct_eq(&record.digest)) & candidate.is_some()
    }
}

/// A uniform random code of `digits` digits (REQ-13).
pub(super) fn generate_code(digits: u32) -> Result<Zeroizing<String>, Error> {
    let bound = 10u64.pow(digits);
    let value =
        random::uniform_below(&mut random::SysRng, bound).map_err(latchkey_core::Error::Random)?;
    Ok(Zeroizing::new(format!(
        "{value:0width$}",
        width = digits as usize
    )))
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    #[test]
    fn req_13_codes_have_the_configured_digits() {
        for digits in 6..=10 {
            for _ in 0..50 {
                let code = generate_code(digits).unwrap();
                assert_eq!(code.len(), digits as usize);
                assert!(code.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }

    #[test]
    fn req_13_codes_are_roughly_uniform_over_first_digit() {
        // 20,000 draws: each leading digit should appear about 2,000 times.
        let mut counts = [0u32; 10];
        for _ in 0..20_000 {
            let code = generate_code(6).unwrap();
            counts[usize::from(code.as_bytes()[0] - b'0')] += 1;
        }
        for (digit, n) in counts.iter().enumerate() {
            assert!((1_700..=2_300).contains(n), "digit {digit}: {n} of 20000");
        }
    }

    #[test]
    fn check_handles_ten_digits_and_junk() {
        let digester = CodeDigester::new(&Pepper::from_bytes(&[3; 32]).unwrap());
        let account = AccountId::new("a").unwrap();
        let record = |code: &str| CodeRecord {
            id: [9; 16],
            account: account.clone(),
            purpose: Purpose::SIGN_IN,
            digest: digester.digest(&[9; 16], &account, &Purpose::SIGN_IN, code),
            expires_at: OffsetDateTime::UNIX_EPOCH,
            max_attempts: 5,
            failed_attempts: 0,
        };
        assert!(digester.check(&record("1234567890"), "12345 67890", 10));
        assert!(digester.check(&record("012345"), "012-345", 6));
        for bad in ["", "12345", "1234567", "12a456", "+12345", "١٢٣٤٥٦", "x"] {
            assert!(!digester.check(&record("012345"), bad, 6), "{bad:?}");
        }
        // "x" is what malformed input is digested as: it still never matches.
        assert!(!digester.check(&record("x"), "x", 6));
        assert!(!digester.check(&record("123456789O"), "123456789O", 10));
    }

    #[test]
    fn req_15_digest_is_bound_to_account_purpose_and_record() {
        let pepper = Pepper::from_bytes(&[1; 32]).unwrap();
        let a = AccountId::new("a").unwrap();
        let b = AccountId::new("b").unwrap();
        let d = CodeDigester::new(&pepper);
        let base = d.digest(&[0; 16], &a, &Purpose::SIGN_IN, "123456");
        assert_ne!(base, d.digest(&[0; 16], &b, &Purpose::SIGN_IN, "123456"));
        assert_ne!(
            base,
            d.digest(&[0; 16], &a, &Purpose::VERIFY_ADDRESS, "123456")
        );
        assert_ne!(base, d.digest(&[1; 16], &a, &Purpose::SIGN_IN, "123456"));
        let other_pepper = Pepper::from_bytes(&[2; 32]).unwrap();
        assert_ne!(
            base,
            CodeDigester::new(&other_pepper).digest(&[0; 16], &a, &Purpose::SIGN_IN, "123456")
        );
    }
}
