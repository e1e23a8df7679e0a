//! One fixture that builds a whole flow for tests (feature `testing`):
//! the memory store, a recording mailer, a manual clock, a recording
//! event sink, an in-memory account book, fixed keys, a cheap hasher and
//! security keys for the relying party `example.com` ([`ORIGIN`]), each
//! of which a test may replace through the builder.

use std::sync::Arc;

use latchkey_core::{EncryptionKey, KeyId, ManualClock, Pepper, RecordingMailer};
use latchkey_credentials::HashSettings;
use latchkey_store_memory::MemoryStore;
use time::OffsetDateTime;

use crate::{Error, InMemoryAccounts, Keys, RecordingSink, SignIn, SignInBuilder};

/// The password every fixture account is registered with.
pub const PASSWORD: &str = "violet umbrella sky";

/// The origin of the fixture's relying party (RP id `example.com`): a
/// software authenticator's answers must come from it.
pub const ORIGIN: &str = "https://example.com";

/// A flow and the parts a test looks at.
///
/// ```
/// use latchkey::prelude::*;
/// use latchkey::testing::{Fixture, PASSWORD};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let f = Fixture::new()?;
/// let jane = f.register("jane").await?;
/// let SignInStep::MailedCodeSent { challenge, .. } =
///     f.flow.start("jane", PASSWORD, &ClientContext::new()).await? else { panic!() };
/// let code = f.mailer.last_code().unwrap();
/// let Submitted::SignedIn(done) =
///     f.flow.submit(&challenge, Answer::MailedCode(&code), &ClientContext::new()).await? else { panic!() };
/// assert_eq!(done.account, jane);
/// # Ok::<(), latchkey::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Fixture {
    /// The flow.
    pub flow: SignIn,
    /// The store (unless the test replaced it through the builder).
    pub store: Arc<MemoryStore>,
    /// Every mail sent.
    pub mailer: Arc<RecordingMailer>,
    /// The flow's clock, starting at 2027-01-15 08:00 UTC.
    pub clock: Arc<ManualClock>,
    /// Every security event.
    pub events: Arc<RecordingSink>,
    /// The host's accounts.
    pub accounts: Arc<InMemoryAccounts>,
}

/// When every fixture's clock starts.
#[must_use]
pub fn start_time() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Fixed keys: pepper `[9; 32]`, encryption key `k1` = `[4; 32]`.
///
/// # Panics
/// Never: the fixed values are valid.
#[must_use]
pub fn keys() -> Keys {
    Keys::new(Pepper::from_bytes(&[9; 32]).expect("a 32-byte pepper")).with_encryption_key(
        EncryptionKey::new(KeyId::new("k1").expect("key id"), [4; 32]),
    )
}

impl Fixture {
    /// The fixture with its defaults.
    ///
    /// # Errors
    /// As [`SignInBuilder::build`].
    pub fn new() -> Result<Self, Error> {
        Self::with(|b| b)
    }

    /// The fixture, with `configure` applied to the builder last (it may
    /// replace any part or setting).
    ///
    /// # Errors
    /// As [`SignInBuilder::build`].
    pub fn with(configure: impl FnOnce(SignInBuilder) -> SignInBuilder) -> Result<Self, Error> {
        let store = Arc::new(MemoryStore::new());
        let mailer = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(start_time()));
        let events = Arc::new(RecordingSink::new());
        let accounts = Arc::new(InMemoryAccounts::new());
        let builder = SignIn::builder("npm", keys())
            .store(store.clone())
            .cli_login_store(store.clone())
            .security_keys(
                latchkey_webauthn::RelyingParty::new("example.com", ORIGIN, "npm")?,
                store.clone(),
            )
            .accounts(accounts.clone())
            .mailer(mailer.clone())
            .clock(clock.clone())
            .events(events.clone())
            // Below the floor only to keep 100-attempt tests quick.
            .hash_settings(HashSettings::below_floor(256, 1, 1).map_err(Error::Hashing)?);
        Ok(Self {
            flow: configure(builder).build()?,
            store,
            mailer,
            clock,
            events,
            accounts,
        })
    }

    /// Registers `login` with [`PASSWORD`] and the address
    /// `LOGIN@example.com`; returns the account.
    ///
    /// # Errors
    /// As [`SignIn::register`]; [`Error::InvalidSettings`] when the login
    /// is refused.
    pub async fn register(&self, login: &str) -> Result<latchkey_core::AccountId, Error> {
        match self
            .flow
            .register(login, &format!("{login}@example.com"), PASSWORD)
            .await?
        {
            crate::Registered::Created { account } => Ok(account),
            _ => Err(Error::InvalidSettings(
                "the fixture's registration was refused",
            )),
        }
    }
}
