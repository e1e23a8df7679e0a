//! A host that keeps mailed codes in storage of its own: it implements
//! only `OtpStore` (here over one `BTreeMap` behind a mutex; a real host
//! would use its own database or cache), proves it with latchkey's
//! conformance kit (`cargo test -p latchkey-examples --example
//! custom_store`), and hands it to the flow for mailed codes, keeping the
//! memory store for everything else.
//!
//! `cargo run -p latchkey-examples --example custom_store`
#![allow(clippy::print_stdout, reason = "an example says what it does")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use latchkey::otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use latchkey::prelude::*;
use time::{Duration, OffsetDateTime};

/// Everything in one map under one lock, so every method is atomic.
#[derive(Debug, Default)]
struct MyCodes(Mutex<Tables>);

#[derive(Debug, Default)]
struct Tables {
    /// One outstanding code per account and purpose.
    codes: BTreeMap<(String, String), CodeRecord>,
    /// Each account's sends: when, and whether it still holds the cooldown.
    sends: BTreeMap<String, Vec<(OffsetDateTime, bool)>>,
}

impl MyCodes {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn key(account: &AccountId, purpose: &Purpose) -> (String, String) {
    (account.as_str().to_owned(), purpose.as_str().to_owned())
}

#[async_trait]
impl OtpStore for MyCodes {
    async fn reserve_send(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
        cooldown: Duration,
        hourly_cap: u32,
    ) -> Result<SendReservation, StoreError> {
        let mut tables = self.tables();
        let sends = tables.sends.entry(account.as_str().to_owned()).or_default();
        sends.retain(|(at, _)| now - *at < Duration::HOUR);
        let cooling = sends
            .iter()
            .filter(|(_, holds)| *holds)
            .map(|(at, _)| *at + cooldown);
        if let Some(until) = cooling.max().filter(|until| now < *until) {
            return Ok(SendReservation::CoolingDown { until });
        }
        if let Some(oldest) = sends.iter().map(|(at, _)| *at).min()
            && sends.len() as u64 >= u64::from(hourly_cap)
        {
            return Ok(SendReservation::CapReached {
                until: oldest + Duration::HOUR,
            });
        }
        sends.push((now, true));
        Ok(SendReservation::Reserved)
    }

    async fn release_send(
        &self,
        account: &AccountId,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        for send in tables.sends.get_mut(account.as_str()).into_iter().flatten() {
            if send.0 == sent_at {
                send.1 = false;
            }
        }
        Ok(())
    }

    async fn put(&self, record: CodeRecord) -> Result<(), StoreError> {
        let key = key(&record.account, &record.purpose);
        self.tables().codes.insert(key, record);
        Ok(())
    }

    async fn get(
        &self,
        account: &AccountId,
        purpose: &Purpose,
    ) -> Result<Option<CodeRecord>, StoreError> {
        Ok(self.tables().codes.get(&key(account, purpose)).cloned())
    }

    async fn record_failure(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<FailureCount, StoreError> {
        let mut tables = self.tables();
        let Some(record) = tables
            .codes
            .get_mut(&key(account, purpose))
            .filter(|r| r.id == *id)
        else {
            return Ok(FailureCount::Gone);
        };
        if record.failed_attempts >= record.max_attempts {
            return Ok(FailureCount::Exhausted);
        }
        record.failed_attempts += 1;
        Ok(FailureCount::Counted {
            failed_attempts: record.failed_attempts,
        })
    }

    async fn consume(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = key(account, purpose);
        let live = tables.codes.get(&key).is_some_and(|r| {
            r.id == *id && now < r.expires_at && r.failed_attempts < r.max_attempts
        });
        if live {
            tables.codes.remove(&key);
        }
        Ok(live)
    }

    async fn withdraw(
        &self,
        account: &AccountId,
        purpose: &Purpose,
        id: &[u8; 16],
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let key = key(account, purpose);
        if tables.codes.get(&key).is_some_and(|r| r.id == *id) {
            tables.codes.remove(&key);
        }
        Ok(())
    }

    async fn void_all(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut tables = self.tables();
        let before = tables.codes.len();
        tables
            .codes
            .retain(|(owner, _), _| owner != account.as_str());
        Ok((before - tables.codes.len()) as u64)
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run().await
}

async fn run() -> Result<(), Error> {
    let codes = Arc::new(MyCodes::default());
    let mail = Arc::new(RecordingMailer::new());
    let flow = SignIn::builder("Example", Keys::ephemeral()?)
        .store(Arc::new(MemoryStore::new()))
        .otp_store(codes.clone()) // mailed codes live in the host's own store
        .accounts(Arc::new(InMemoryAccounts::new()))
        .mailer(mail.clone())
        .build()?;
    let _ = flow
        .register("jane", "jane@example.com", "violet umbrella sky")
        .await?;
    let client = ClientContext::new();
    let SignInStep::MailedCodeSent { challenge, .. } =
        flow.start("jane", "violet umbrella sky", &client).await?
    else {
        return Err(Error::InvalidSettings("a mailed code"));
    };
    println!("codes in the host's store: {}", codes.tables().codes.len());
    let code = mail.last_code().unwrap_or_default();
    let Submitted::SignedIn(done) = flow
        .submit(&challenge, Answer::MailedCode(&code), &client)
        .await?
    else {
        return Err(Error::InvalidSettings("signed in"));
    };
    println!(
        "signed in as {} by {:?}; codes left: {}",
        done.account,
        done.method,
        codes.tables().codes.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    // The conformance kit: every promise latchkey's security rests on,
    // including 64 concurrent verifiers of one code (exactly one wins).
    use crate::MyCodes;
    latchkey_testkit::otp_store_tests!(async { Arc::new(MyCodes::default()) });

    #[tokio::test]
    async fn the_flow_signs_in_with_codes_kept_in_the_hosts_store() {
        super::run().await.expect("the custom-store example runs");
    }
}
