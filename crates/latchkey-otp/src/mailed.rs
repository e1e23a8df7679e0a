//! Mailed one-time codes: "OTP for logging in to your account".
//!
//! A mailed code proves control of a mailbox. It is login verification,
//! not a second factor: NIST SP 800-63B says email SHALL NOT be an
//! authenticator (REQ-12). For two-factor authentication use an
//! authenticator app (`latchkey-twofactor`).

mod code;
mod outcome;
mod settings;
mod template;

use std::sync::Arc;

use latchkey_core::{AccountId, Clock, EmailAddress, Mailer, Message, MessageKind, Pepper, random};
use time::OffsetDateTime;

pub use self::code::CodeDigester;
use self::code::generate_code;
pub use self::outcome::{IssueOutcome, VerifyOutcome};
pub use self::settings::MailedCodeSettings;
pub use self::template::{CodeMailTemplate, DefaultTemplate, MailContent};
use crate::{CodeRecord, Error, FailureCount, OtpStore, Purpose, SendReservation};

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
            .reserve_send(account, now, s.cooldown(), s.hourly_cap())
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
        let code = generate_code(s.digits())?;
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let expires_at = now + s.ttl();
        self.store
            .put(CodeRecord {
                id,
                account: account.clone(),
                purpose: purpose.clone(),
                digest: self.digester.digest(&id, account, purpose, &code),
                expires_at,
                max_attempts: s.max_attempts(),
                failed_attempts: 0,
            })
            .await?;
        let content = self.template.render(&code, purpose, s.ttl());
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
        let matched = self.digester.check(&record, input, self.settings.digits());
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
