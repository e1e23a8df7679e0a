//! Mailed one-time codes: "OTP for logging in to your account".
//!
//! A mailed code proves control of a mailbox. It is login verification,
//! not a second factor: NIST SP 800-63B says email SHALL NOT be an
//! authenticator (REQ-12). For two-factor authentication use an
//! authenticator app (`latchkey-twofactor`).

use std::fmt;
use std::sync::Arc;

use latchkey_core::{
    AccountId, Clock, EmailAddress, KeyedHmac, Mailer, Message, MessageKind, Pepper, random,
};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::{CodeRecord, Error, FailureCount, OtpCode, OtpStore, Purpose, SendReservation};

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

/// The subject and bodies of a code mail.
#[derive(Clone, PartialEq, Eq)]
pub struct MailContent {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// Optional HTML body.
    pub html: Option<String>,
}

impl fmt::Debug for MailContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailContent")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Renders the mail that carries a code. Hosts override it for their own
/// wording, language and HTML.
pub trait CodeMailTemplate: fmt::Debug + Send + Sync + 'static {
    /// The mail for `code`, which works for `valid_for`.
    fn render(&self, code: &str, purpose: &Purpose, valid_for: Duration) -> MailContent;
}

/// latchkey's wording. For [`Purpose::SIGN_IN`] (scoped or not) the
/// subject is npm's: "OTP for logging in to your account".
#[derive(Clone, Debug, Default)]
pub struct DefaultTemplate;

impl CodeMailTemplate for DefaultTemplate {
    fn render(&self, code: &str, purpose: &Purpose, valid_for: Duration) -> MailContent {
        let minutes = valid_for.whole_minutes();
        let lasts = if minutes >= 1 {
            format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
        } else {
            format!("{} seconds", valid_for.whole_seconds())
        };
        let (subject, why) = if purpose.is_a(&Purpose::SIGN_IN) {
            ("OTP for logging in to your account", "to finish signing in")
        } else if purpose.is_a(&Purpose::VERIFY_ADDRESS) {
            ("Verify your email address", "to confirm this email address")
        } else {
            ("Your one-time password", "to confirm your request")
        };
        MailContent {
            subject: subject.to_owned(),
            text: format!(
                "Your one-time password is: {code}\n\n\
                 Enter it {why}. It expires in {lasts} and works once.\n\n\
                 If you did not ask for it, you can ignore this mail; nobody can use it\n\
                 without your password. Never share this code with anyone.\n"
            ),
            html: None,
        }
    }
}

/// What [`MailedCodes::issue`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum IssueOutcome {
    /// A code was mailed.
    Sent {
        /// When it stops working.
        expires_at: OffsetDateTime,
        /// The address it went to, masked for display (`j***@example.com`).
        masked_address: String,
    },
    /// A code was sent too recently (REQ-17).
    CoolingDown {
        /// How long until another may be sent.
        retry_after: Duration,
    },
    /// The hourly cap of sends is reached (REQ-17).
    CapReached {
        /// How long until another may be sent.
        retry_after: Duration,
    },
}

/// What [`MailedCodes::verify`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum VerifyOutcome {
    /// The code is right; it is now used up.
    Verified,
    /// The code is wrong (or malformed).
    Wrong {
        /// Attempts left on this code; at zero it is dead.
        attempts_left: u32,
    },
    /// The code was right or wrong, but it has expired.
    Expired,
    /// There is no outstanding code (never sent, used, or replaced).
    NoCode,
    /// The attempt budget was already spent.
    Exhausted,
}

/// Issues and verifies mailed one-time codes (REQ-12 to REQ-17).
///
/// - Codes are uniform random digits from the OS CSPRNG (no modulo bias).
/// - Only an HMAC-SHA256 digest under the host's pepper is stored, bound to
///   the account, purpose and a random record id.
/// - A new code replaces the earlier one for that account and purpose.
/// - A resend cooldown and an hourly cap limit sends per account.
/// - If the mail fails, the code is withdrawn, the cooldown is released
///   (the send still counts toward the hourly cap), and [`Error::Mail`] is
///   returned.
/// - Verification normalizes spaces and hyphens, compares digests in
///   constant time, and consumes the code atomically: of many concurrent
///   tries of one code exactly one succeeds, and concurrent failures never
///   exceed the budget.
///
/// ```
/// use std::sync::Arc;
/// use latchkey_core::{AccountId, EmailAddress, ManualClock, Pepper, RecordingMailer};
/// use latchkey_otp::{IssueOutcome, MailedCodes, Purpose, VerifyOutcome};
/// use latchkey_store_memory::MemoryStore;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mailer = Arc::new(RecordingMailer::new());
/// let codes = MailedCodes::new(
///     Arc::new(MemoryStore::new()),
///     mailer.clone(),
///     Arc::new(ManualClock::default()),
///     Pepper::generate()?,
/// );
/// let jane = AccountId::new("jane")?;
/// let address = EmailAddress::parse("jane@example.com")?;
/// let sent = codes.issue(&jane, &address, &Purpose::SIGN_IN).await?;
/// assert!(matches!(sent, IssueOutcome::Sent { .. }));
///
/// let mail = mailer.last().unwrap();
/// assert_eq!(mail.subject, "OTP for logging in to your account");
/// let code: String = mail.text.chars().filter(char::is_ascii_digit).take(6).collect();
/// assert_eq!(codes.verify(&jane, &Purpose::SIGN_IN, &code).await?, VerifyOutcome::Verified);
/// assert_eq!(codes.verify(&jane, &Purpose::SIGN_IN, &code).await?, VerifyOutcome::NoCode);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct MailedCodes {
    store: Arc<dyn OtpStore>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    digester: CodeDigester,
    settings: MailedCodeSettings,
    template: Arc<dyn CodeMailTemplate>,
}

impl MailedCodes {
    /// A service with the default settings and template.
    #[must_use]
    pub fn new(
        store: Arc<dyn OtpStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        pepper: Pepper,
    ) -> Self {
        Self {
            store,
            mailer,
            clock,
            digester: CodeDigester::new(&pepper),
            settings: MailedCodeSettings::default(),
            template: Arc::new(DefaultTemplate),
        }
    }

    /// Replaces the settings.
    #[must_use]
    pub fn with_settings(mut self, settings: MailedCodeSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Replaces the mail template.
    #[must_use]
    pub fn with_template(mut self, template: Arc<dyn CodeMailTemplate>) -> Self {
        self.template = template;
        self
    }

    /// The settings in use.
    #[must_use]
    pub fn settings(&self) -> &MailedCodeSettings {
        &self.settings
    }

    /// Makes a code for `account` and `purpose`, stores its digest
    /// (replacing any earlier code) and mails it to `address`.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails; [`Error::Mail`] when the mail
    /// was not sent (the code is then withdrawn and the send not counted);
    /// [`Error::Core`] when the OS generator fails.
    pub async fn issue(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        purpose: &Purpose,
    ) -> Result<IssueOutcome, Error> {
        let s = &self.settings;
        let now = self.clock.now();
        match self
            .store
            .reserve_send(account, now, s.cooldown, s.hourly_cap)
            .await?
        {
            SendReservation::Reserved => {}
            SendReservation::CoolingDown { until } => {
                return Ok(IssueOutcome::CoolingDown {
                    retry_after: until - now,
                });
            }
            SendReservation::CapReached { until } => {
                return Ok(IssueOutcome::CapReached {
                    retry_after: until - now,
                });
            }
        }
        match self.store_and_mail(account, address, purpose, now).await {
            Ok(expires_at) => Ok(IssueOutcome::Sent {
                expires_at,
                masked_address: address.masked(),
            }),
            Err(e) => {
                // Best effort: the original error is what the caller needs.
                let _ = self.store.release_send(account, now).await;
                Err(e)
            }
        }
    }

    async fn store_and_mail(
        &self,
        account: &AccountId,
        address: &EmailAddress,
        purpose: &Purpose,
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime, Error> {
        let s = &self.settings;
        let code = generate_code(s.digits)?;
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let expires_at = now + s.ttl;
        self.store
            .put(CodeRecord {
                id,
                account: account.clone(),
                purpose: purpose.clone(),
                digest: self.digester.digest(&id, account, purpose, &code),
                expires_at,
                max_attempts: s.max_attempts,
                failed_attempts: 0,
            })
            .await?;
        let content = self.template.render(&code, purpose, s.ttl);
        let kind = if purpose.is_a(&Purpose::VERIFY_ADDRESS) {
            MessageKind::AddressVerification
        } else {
            MessageKind::SignInCode
        };
        let mut message = Message::new(address.clone(), content.subject, content.text, kind);
        message.html = content.html;
        if let Err(mail_error) = self.mailer.send(message).await {
            // A code that could not be withdrawn is the worse news: report
            // that one (it still expires and keeps its attempt budget).
            self.store.withdraw(account, purpose, &id).await?;
            return Err(Error::Mail(mail_error));
        }
        Ok(expires_at)
    }

    /// Checks typed input against the outstanding code.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    pub async fn verify(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        input: &str,
    ) -> Result<VerifyOutcome, Error> {
        let now = self.clock.now();
        let Some(record) = self.store.get(account, purpose).await? else {
            return Ok(VerifyOutcome::NoCode);
        };
        if now >= record.expires_at {
            return Ok(VerifyOutcome::Expired);
        }
        if record.failed_attempts >= record.max_attempts {
            return Ok(VerifyOutcome::Exhausted);
        }
        let matched = self.digester.check(&record, input, self.settings.digits);
        if matched {
            return Ok(
                if self
                    .store
                    .consume(account, purpose, &record.id, now)
                    .await?
                {
                    VerifyOutcome::Verified
                } else {
                    // Someone else used it, or it ran out meanwhile.
                    VerifyOutcome::NoCode
                },
            );
        }
        Ok(
            match self
                .store
                .record_failure(account, purpose, &record.id)
                .await?
            {
                FailureCount::Counted { failed_attempts } => VerifyOutcome::Wrong {
                    attempts_left: record.max_attempts.saturating_sub(failed_attempts),
                },
                FailureCount::Exhausted => VerifyOutcome::Exhausted,
                FailureCount::Gone => VerifyOutcome::NoCode,
            },
        )
    }
}

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
fn generate_code(digits: u32) -> Result<Zeroizing<String>, Error> {
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
