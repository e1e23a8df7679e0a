//! A fixture for the hardening tests: the memory store, a manual clock, a
//! mailer that can fail or stall for the owner's address only, a directory
//! and links the test can change, a background that collects its jobs and
//! a completion hook that records its calls.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use latchkey_core::{
    AccountId, Clock, EmailAddress, MailError, Mailer, ManualClock, Message, Pepper,
    RecordingMailer, StoreError,
};
use latchkey_otp::MailedCodes;
use latchkey_recovery::{
    AccountDirectory, AccountOnFile, Background, BackgroundJob, CompletionHook, ConfirmOutcome,
    Instruction, KnownLink, LinkedIdentities, LinkedIdentity, Provider, Recovery, RecoverySettings,
    StartOutcome, TicketForm, TicketId,
};
use latchkey_store_memory::MemoryStore;
use time::OffsetDateTime;

/// The address of record of the one known login, `jane`.
pub const OWNER: &str = "jane@old.example";
/// Jane's account.
pub const ACCOUNT: &str = "account-jane";
/// The GitHub id the forms offer.
pub const GITHUB_ID: &str = "583231";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the mailer does with mail to [`OWNER`].
#[derive(Clone, Copy, Debug)]
pub enum OwnerMode {
    /// Delivers it.
    Deliver,
    /// Fails.
    Fail,
    /// Delivers it after this long.
    Slow(std::time::Duration),
}

/// Records every mail; mail to [`OWNER`] as its mode says.
#[derive(Debug)]
pub struct OwnerMailer {
    pub inner: RecordingMailer,
    mode: Mutex<OwnerMode>,
}

impl OwnerMailer {
    pub fn set_mode(&self, mode: OwnerMode) {
        *lock(&self.mode) = mode;
    }
}

#[async_trait]
impl Mailer for OwnerMailer {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        if message.to.as_str() == OWNER {
            let mode = *lock(&self.mode);
            match mode {
                OwnerMode::Deliver => {}
                OwnerMode::Fail => return Err(MailError::msg("the owner's mailbox is down")),
                OwnerMode::Slow(d) => tokio::time::sleep(d).await,
            }
        }
        self.inner.send(message).await
    }
}

/// `jane` is the one known login; her address can be changed.
#[derive(Debug)]
pub struct Directory {
    address: Mutex<EmailAddress>,
}

impl Directory {
    pub fn set_address(&self, address: EmailAddress) {
        *lock(&self.address) = address;
    }
}

#[async_trait]
impl AccountDirectory for Directory {
    async fn find(&self, login: &str) -> Result<Option<AccountOnFile>, StoreError> {
        Ok((login == "jane").then(|| AccountOnFile {
            id: AccountId::new(ACCOUNT).unwrap(),
            address: lock(&self.address).clone(),
        }))
    }
}

/// Jane's linked identities; none until the test links one.
#[derive(Debug, Default)]
pub struct Links {
    links: Mutex<Vec<KnownLink>>,
}

impl Links {
    pub fn link(&self, user_id: &str, linked_at: OffsetDateTime) {
        lock(&self.links).push(KnownLink {
            provider: Provider::GitHub,
            user_id: user_id.into(),
            linked_at,
        });
    }
}

#[async_trait]
impl LinkedIdentities for Links {
    async fn linked(&self, account: &AccountId) -> Result<Vec<KnownLink>, StoreError> {
        Ok(if account.as_str() == ACCOUNT {
            lock(&self.links).clone()
        } else {
            Vec::new()
        })
    }
}

/// Keeps every job it is handed, unrun, until the test runs them.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<Vec<BackgroundJob>>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Jobs({})", self.count())
    }
}

impl Jobs {
    pub fn count(&self) -> usize {
        lock(&self.jobs).len()
    }

    /// Runs every job handed over so far, in order.
    pub async fn run_all(&self) {
        let jobs = std::mem::take(&mut *lock(&self.jobs));
        for job in jobs {
            job.await;
        }
    }
}

impl Background for Jobs {
    fn spawn(&self, job: BackgroundJob) {
        lock(&self.jobs).push(job);
    }
}

/// Records every call; may fail; applies an email reset to the directory
/// as a host would.
#[derive(Debug)]
pub struct Hook {
    pub calls: Mutex<Vec<(Option<AccountId>, Instruction)>>,
    pub mails_before: Mutex<Vec<usize>>,
    fail: bool,
    directory: Arc<Directory>,
    mailer: Arc<OwnerMailer>,
}

impl Hook {
    pub fn calls(&self) -> Vec<(Option<AccountId>, Instruction)> {
        lock(&self.calls).clone()
    }
}

#[async_trait]
impl CompletionHook for Hook {
    async fn completed(
        &self,
        account: Option<&AccountId>,
        instruction: &Instruction,
    ) -> Result<(), StoreError> {
        lock(&self.calls).push((account.cloned(), instruction.clone()));
        lock(&self.mails_before).push(self.mailer.inner.messages().len());
        if self.fail {
            return Err(StoreError::unavailable("the accounts database is down"));
        }
        if let Instruction::ResetEmail { new_address, .. } = instruction {
            self.directory.set_address(new_address.clone());
        }
        Ok(())
    }
}

pub struct Fixture {
    pub recovery: Recovery,
    pub mailer: Arc<OwnerMailer>,
    pub clock: Arc<ManualClock>,
    pub directory: Arc<Directory>,
    pub links: Arc<Links>,
    pub jobs: Arc<Jobs>,
}

impl Fixture {
    /// No background (the inline default) and no hook.
    pub fn new(settings: RecoverySettings) -> Self {
        let store = Arc::new(MemoryStore::new());
        let mailer = Arc::new(OwnerMailer {
            inner: RecordingMailer::new(),
            mode: Mutex::new(OwnerMode::Deliver),
        });
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let pepper = Pepper::from_bytes(&[9; 32]).unwrap();
        let codes = MailedCodes::new(store.clone(), mailer.clone(), clock.clone(), pepper.clone());
        let directory = Arc::new(Directory {
            address: Mutex::new(EmailAddress::parse(OWNER).unwrap()),
        });
        let links = Arc::new(Links::default());
        let recovery = Recovery::new(
            store,
            codes,
            mailer.clone(),
            clock.clone(),
            directory.clone(),
            links.clone(),
            &pepper,
            settings,
        );
        Self {
            recovery,
            mailer,
            clock,
            directory,
            links,
            jobs: Arc::new(Jobs::default()),
        }
    }

    /// Hands background jobs to [`Fixture::jobs`].
    pub fn with_background(mut self) -> Self {
        self.recovery = self.recovery.clone().with_background(self.jobs.clone());
        self
    }

    /// Installs a recording hook, failing if `fail`.
    pub fn with_hook(mut self, fail: bool) -> (Self, Arc<Hook>) {
        let hook = Arc::new(Hook {
            calls: Mutex::new(Vec::new()),
            mails_before: Mutex::new(Vec::new()),
            fail,
            directory: self.directory.clone(),
            mailer: self.mailer.clone(),
        });
        self.recovery = self.recovery.clone().with_completion(hook.clone());
        (self, hook)
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn form(&self, login: &str, contact: &str) -> TicketForm {
        TicketForm {
            login: login.into(),
            contact_email: contact.into(),
            reset_email: true,
            details: String::new(),
            identities: vec![LinkedIdentity {
                provider: Provider::GitHub,
                user_id: GITHUB_ID.into(),
                handle: "jane-gh".into(),
                verified_at: self.now(),
            }],
        }
    }

    pub async fn start(&self, login: &str, contact: &str) -> StartOutcome {
        self.recovery
            .start(&self.form(login, contact))
            .await
            .unwrap()
    }

    /// Starts and returns the draft and its code.
    pub async fn started(
        &self,
        login: &str,
        contact: &str,
    ) -> (latchkey_recovery::DraftId, String) {
        let StartOutcome::CodeSent { draft, .. } = self.start(login, contact).await else {
            panic!("no code sent")
        };
        (draft, self.mailer.inner.last_code().expect("a code"))
    }

    /// Starts and confirms; returns the reference.
    pub async fn submit(&self, login: &str, contact: &str) -> TicketId {
        let (draft, code) = self.started(login, contact).await;
        match self.recovery.confirm(&draft, &code).await.unwrap() {
            ConfirmOutcome::Submitted { reference } => reference,
            other => panic!("{other:?}"),
        }
    }

    pub fn mails_to(&self, address: &str) -> Vec<Message> {
        self.mailer
            .inner
            .messages()
            .into_iter()
            .filter(|m| m.to.as_str() == address)
            .collect()
    }

    /// The cancel code in the owner's newest "ticket opened" mail.
    pub fn cancel_token(&self) -> String {
        let opened = self
            .mails_to(OWNER)
            .into_iter()
            .rev()
            .find(|m| m.subject == "Someone asked to recover your account")
            .expect("the owner was told");
        opened.text.rsplit(' ').next().unwrap().trim().to_owned()
    }
}
