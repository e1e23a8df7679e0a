//! Building a [`SignIn`]: one validated builder.

use std::sync::Arc;

use latchkey_challenge::ChallengeStore;
use latchkey_cli_login::CliLoginStore;
use latchkey_core::executor::BlockingExecutor;
use latchkey_core::{Clock, Mailer, SystemClock};
use latchkey_credentials::{CredentialChecker, CredentialStore};
use latchkey_devices::{DeviceStore, StampStore};
use latchkey_otp::{MailedCodes, OtpStore};
use latchkey_recovery::{Recovery, TicketStore};
use latchkey_throttle::{ThrottleKeys, ThrottleStore};
use latchkey_twofactor::{TwoFactor, TwoFactorStore};
use latchkey_webauthn::{RelyingParty, SecurityKeyStore, SecurityKeys};

use crate::accounts::Directory;
use crate::email_reset::ApplyEmailReset;
#[cfg(feature = "tokio")]
use crate::email_reset::TokioBackground;
use crate::executor::default_executor;
use crate::settings::SignInSettings;
use crate::stamp::CredentialsChanged;
use crate::{Accounts, DeviceTokenOnly, Error, EventSink, Keys, RiskSignals, SignIn, TracingSink};

/// Builds a [`SignIn`]; [`build`](Self::build) checks every setting and
/// that the required parts are there: the stores for credentials, mailed
/// codes, challenges and throttling (one [`store`](Self::store) gives them
/// all), the host's [`accounts`](Self::accounts) and a
/// [`mailer`](Self::mailer). 2FA needs its store and an encryption key in
/// the [`Keys`]; recovery needs a ticket store. Everything else has a
/// default, stated on its method.
///
/// ```
/// use std::sync::Arc;
/// use latchkey::prelude::*;
/// use latchkey::store_memory::MemoryStore;
/// # fn main() -> Result<(), latchkey::Error> {
/// let flow = SignIn::builder("npm", Keys::new(Pepper::generate()?))
///     .store(Arc::new(MemoryStore::new()))
///     .accounts(Arc::new(InMemoryAccounts::new()))
///     .mailer(Arc::new(ConsoleMailer))
///     .build()?;
/// # let _ = flow; Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct SignInBuilder {
    keys: Keys,
    credentials: Option<Arc<dyn CredentialStore>>,
    codes: Option<Arc<dyn OtpStore>>,
    two_factor: Option<Arc<dyn TwoFactorStore>>,
    tickets: Option<Arc<dyn TicketStore>>,
    challenges: Option<Arc<dyn ChallengeStore>>,
    throttle: Option<Arc<dyn ThrottleStore>>,
    devices: Option<Arc<dyn DeviceStore>>,
    stamps: Option<Arc<dyn StampStore>>,
    cli_logins: Option<Arc<dyn CliLoginStore>>,
    security_keys: Option<(RelyingParty, Arc<dyn SecurityKeyStore>)>,
    passkey_sign_in: bool,
    accounts: Option<Arc<dyn Accounts>>,
    mailer: Option<Arc<dyn Mailer>>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    executor: Arc<dyn BlockingExecutor>,
    risk: Arc<dyn RiskSignals>,
    pub(crate) settings: SignInSettings,
}

/// One value that is every store the flow uses (the memory store, the
/// SQL stores).
pub trait AllStores:
    CredentialStore
    + OtpStore
    + TwoFactorStore
    + TicketStore
    + ChallengeStore
    + ThrottleStore
    + DeviceStore
    + StampStore
{
}

impl<S> AllStores for S where
    S: CredentialStore
        + OtpStore
        + TwoFactorStore
        + TicketStore
        + ChallengeStore
        + ThrottleStore
        + DeviceStore
        + StampStore
{
}

impl SignInBuilder {
    pub(crate) fn new(issuer: &str, keys: Keys) -> Self {
        Self {
            keys,
            credentials: None,
            codes: None,
            two_factor: None,
            tickets: None,
            challenges: None,
            throttle: None,
            devices: None,
            stamps: None,
            cli_logins: None,
            security_keys: None,
            passkey_sign_in: false,
            accounts: None,
            mailer: None,
            clock: Arc::new(SystemClock),
            events: Arc::new(TracingSink),
            executor: default_executor(),
            risk: Arc::new(DeviceTokenOnly),
            settings: SignInSettings::new(issuer),
        }
    }

    /// Every store from one value (replaces any set one by one).
    pub fn store<S: AllStores>(mut self, store: Arc<S>) -> Self {
        self.credentials = Some(store.clone());
        self.codes = Some(store.clone());
        self.two_factor = Some(store.clone());
        self.tickets = Some(store.clone());
        self.challenges = Some(store.clone());
        self.throttle = Some(store.clone());
        self.devices = Some(store.clone());
        self.stamps = Some(store);
        self
    }

    /// Where command-line login sessions live (without it
    /// [`begin_cli_login`](SignIn::begin_cli_login) and the rest answer
    /// [`Error::NotConfigured`]). Not part of [`store`](Self::store): a
    /// host without command-line sign-in needs no such store.
    pub fn cli_login_store(mut self, store: Arc<dyn CliLoginStore>) -> Self {
        self.cli_logins = Some(store);
        self
    }

    /// Security keys and passkeys as a second factor: this service's
    /// relying party and where keys and ceremonies live. Needs 2FA (a
    /// two-factor store and an encryption key): keys turn 2FA on and are
    /// backed up by its recovery codes. Without it the key methods answer
    /// [`Error::NotConfigured`]. Not part of [`store`](Self::store).
    pub fn security_keys(mut self, rp: RelyingParty, store: Arc<dyn SecurityKeyStore>) -> Self {
        self.security_keys = Some((rp, store));
        self
    }

    /// Lets an account's passkeys sign in without a login or password
    /// ([`SignIn::begin_passkey_sign_in`]): new keys are asked to be
    /// discoverable, and the browser may offer them in the username field
    /// (conditional UI). Off by default; needs
    /// [`security_keys`](Self::security_keys).
    pub fn passkey_sign_in(mut self, enabled: bool) -> Self {
        self.passkey_sign_in = enabled;
        self
    }

    /// Where remembered devices live (required).
    pub fn device_store(mut self, store: Arc<dyn DeviceStore>) -> Self {
        self.devices = Some(store);
        self
    }

    /// Where each account's security stamp lives (required).
    pub fn stamp_store(mut self, store: Arc<dyn StampStore>) -> Self {
        self.stamps = Some(store);
        self
    }

    /// Where logins and password hashes live (required).
    pub fn credential_store(mut self, store: Arc<dyn CredentialStore>) -> Self {
        self.credentials = Some(store);
        self
    }

    /// Where mailed codes live (required).
    pub fn otp_store(mut self, store: Arc<dyn OtpStore>) -> Self {
        self.codes = Some(store);
        self
    }

    /// Where 2FA state lives (without it no account has 2FA).
    pub fn two_factor_store(mut self, store: Arc<dyn TwoFactorStore>) -> Self {
        self.two_factor = Some(store);
        self
    }

    /// Where recovery tickets live (without it recovery is off).
    pub fn ticket_store(mut self, store: Arc<dyn TicketStore>) -> Self {
        self.tickets = Some(store);
        self
    }

    /// Where sign-in challenges live (required).
    pub fn challenge_store(mut self, store: Arc<dyn ChallengeStore>) -> Self {
        self.challenges = Some(store);
        self
    }

    /// Where throttling counters live (required; share it between
    /// instances so budgets hold across them).
    pub fn throttle_store(mut self, store: Arc<dyn ThrottleStore>) -> Self {
        self.throttle = Some(store);
        self
    }

    /// The host's accounts: addresses of record and linked identities
    /// (required).
    pub fn accounts(mut self, accounts: Arc<dyn Accounts>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// Sends mail (required): codes, notices, recovery mail.
    pub fn mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// Tells the time (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Receives security events (default [`TracingSink`]: `tracing` at
    /// INFO, target `latchkey::security`).
    pub fn events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// Runs Argon2 (default: tokio's blocking pool with the `tokio`
    /// feature, else the calling thread).
    pub fn executor(mut self, executor: Arc<dyn BlockingExecutor>) -> Self {
        self.executor = executor;
        self
    }

    /// Judges unfamiliar sign-ins with the host's own signals (default
    /// [`DeviceTokenOnly`]: unfamiliar unless the device token is
    /// recognized).
    pub fn risk_signals(mut self, risk: Arc<dyn RiskSignals>) -> Self {
        self.risk = risk;
        self
    }
}

/// Building.
impl SignInBuilder {
    /// Checks the settings and the parts, and builds the flow (one Argon2
    /// run, for the dummy hash that unknown logins are checked against).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] naming the setting out of range or the
    /// part missing; a randomness or hashing failure.
    pub fn build(self) -> Result<SignIn, Error> {
        self.settings.check()?;
        let required = |missing: &'static str| Error::InvalidSettings(missing);
        let credentials = self.credentials.ok_or_else(|| {
            required("a credential store is required (.store or .credential_store)")
        })?;
        let codes = self
            .codes
            .ok_or_else(|| required("an OTP store is required (.store or .otp_store)"))?;
        let challenges = self.challenges.ok_or_else(|| {
            required("a challenge store is required (.store or .challenge_store)")
        })?;
        let throttle = self
            .throttle
            .ok_or_else(|| required("a throttle store is required (.store or .throttle_store)"))?;
        let accounts = self
            .accounts
            .ok_or_else(|| required("the host's accounts are required (.accounts)"))?;
        let mailer = self
            .mailer
            .ok_or_else(|| required("a mailer is required (.mailer)"))?;
        let devices = self
            .devices
            .ok_or_else(|| required("a device store is required (.store or .device_store)"))?;
        let stamps = self
            .stamps
            .ok_or_else(|| required("a stamp store is required (.store or .stamp_store)"))?;
        let changes = CredentialsChanged {
            stamps: stamps.clone(),
            devices: devices.clone(),
            events: self.events.clone(),
            security_keys: self.security_keys.as_ref().map(|(_, store)| store.clone()),
        };
        let settings = self.settings;
        let pepper = self.keys.pepper;
        if self.security_keys.is_some() && self.two_factor.is_none() {
            return Err(required(
                "security keys need a two-factor store (.store or .two_factor_store)",
            ));
        }
        if self.passkey_sign_in && self.security_keys.is_none() {
            return Err(required(
                "passkey sign-in needs security keys (.security_keys)",
            ));
        }
        let passkey_sign_in = self.passkey_sign_in;
        let security_keys = self.security_keys.map(|(rp, store)| {
            let rp = if passkey_sign_in {
                rp.with_discoverable_credentials()
            } else {
                rp
            };
            SecurityKeys::new(rp, store, self.clock.clone(), &pepper)
        });

        let mut checker = CredentialChecker::new(credentials, settings.hasher.clone())?
            .with_executor(self.executor.clone());
        if let Some(waiting) = settings.hash_queue {
            checker = checker.with_queue_limit(waiting);
        }
        let otp_store = codes.clone();
        let codes = MailedCodes::new(codes, mailer.clone(), self.clock.clone(), pepper.clone())
            .with_settings(settings.mailed_codes);
        // One policy for the account's code counter, whoever counts in it.
        let two_factor_settings = settings
            .two_factor
            .clone()
            .with_attempt_policy(settings.backoff)?;
        let two_factor = match (&self.two_factor, self.keys.sealer) {
            (Some(store), Some(sealer)) => Some(
                TwoFactor::new(
                    store.clone(),
                    throttle.clone(),
                    mailer.clone(),
                    self.clock.clone(),
                    sealer,
                    &pepper,
                    two_factor_settings,
                )
                .with_change_listener(Arc::new(changes.clone())),
            ),
            _ => None,
        };
        let recovery = self.tickets.map(|tickets| {
            let directory = Arc::new(Directory {
                checker: checker.clone(),
                accounts: accounts.clone(),
            });
            let recovery = Recovery::new(
                tickets,
                codes.clone(),
                mailer.clone(),
                self.clock.clone(),
                directory.clone(),
                directory,
                &pepper,
                settings.recovery.clone(),
            )
            .with_completion(Arc::new(ApplyEmailReset {
                accounts: accounts.clone(),
                codes: otp_store.clone(),
                changes: changes.clone(),
            }));
            // Owner notices off the request path (REQ-31), when there is a
            // tokio runtime to run them; otherwise they are sent inline.
            #[cfg(feature = "tokio")]
            let recovery = match tokio::runtime::Handle::try_current() {
                Ok(handle) => recovery.with_background(Arc::new(TokioBackground(handle))),
                Err(_) => recovery,
            };
            recovery
        });
        Ok(SignIn {
            checker,
            codes,
            two_factor,
            two_factor_state: self.two_factor,
            recovery,
            challenges,
            throttle,
            accounts,
            clock: self.clock,
            devices,
            stamps,
            cli_logins: self.cli_logins,
            security_keys,
            passkey_sign_in,
            changes,
            otp_store,
            authentications: latchkey_core::KeyedHmac::derive(
                &pepper,
                b"latchkey authentication v1",
            ),
            mailer,
            throttle_keys: ThrottleKeys::new(&pepper),
            events: self.events,
            risk: self.risk,
            settings,
        })
    }
}
