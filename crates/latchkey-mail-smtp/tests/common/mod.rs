//! What the SMTP tests share: a real server ([`server`]), in plain text or
//! TLS with certificates made at test time ([`certs`]), the settings to
//! reach it, mailed codes that send through the mailer under test, and a
//! way to read an error's whole chain.
//!
//! Without aiosmtpd the cases that need it print `SKIPPED: …` (and fail
//! under `LATCHKEY_REQUIRE_PEERS=1`); the cases that need no server always
//! run.
// Each test file uses only part of what is here.
#![allow(dead_code)]

pub mod certs;
pub mod server;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use latchkey_core::{EmailAddress, ManualClock, Pepper, time};
use latchkey_mail_smtp::{Security, SmtpMailer, SmtpSettings};
use latchkey_otp::{CodeMailTemplate, DefaultTemplate, MailContent, MailedCodes, Purpose};
use latchkey_store_memory::MemoryStore;

pub fn address(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect("valid address")
}

pub fn plain_settings(port: u16) -> SmtpSettings {
    SmtpSettings::new("127.0.0.1", address("no-reply@example.com"))
        .with_security(Security::Plain)
        .with_port(port)
        .with_from_name("Example Service")
        .with_timeout(Duration::from_secs(5))
}

/// Every message in an error's chain, joined.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(" <- ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// latchkey's wording, remembering the last code so a test can look for
/// it where it must not be.
#[derive(Clone, Debug, Default)]
pub struct Remembering(Arc<Mutex<Option<String>>>);

impl CodeMailTemplate for Remembering {
    fn render(&self, code: &str, purpose: &Purpose, valid_for: time::Duration) -> MailContent {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(code.to_owned());
        DefaultTemplate.render(code, purpose, valid_for)
    }
}

impl Remembering {
    pub fn code(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .expect("a code was rendered")
    }
}

/// Mailed codes over a memory store, sending with `mailer`.
pub fn mailed_codes(mailer: SmtpMailer) -> (MailedCodes, Remembering) {
    let template = Remembering::default();
    let codes = MailedCodes::new(
        Arc::new(MemoryStore::new()),
        Arc::new(mailer),
        Arc::new(ManualClock::default()),
        Pepper::generate().expect("pepper"),
    )
    .with_template(Arc::new(template.clone()));
    (codes, template)
}
