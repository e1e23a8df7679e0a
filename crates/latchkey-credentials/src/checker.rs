//! Checking a login and password against the store, without revealing
//! whether the login exists.

use std::sync::Arc;

use latchkey_core::executor::{BlockingExecutor, Inline, offload};
use latchkey_core::{AccountId, SecretString, random};
use zeroize::Zeroizing;

use crate::{
    CredentialStore, Error, Hasher, PasswordPolicy, PolicyContext, Refusal, StoredCredential,
    Verification, normalize_password,
};

/// The answer to a sign-in with login and password.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum CheckOutcome {
    /// The password is right for this account.
    Verified {
        /// The account signed in.
        account: AccountId,
        /// Whether the stored hash was upgraded to the current settings
        /// during this check (REQ-09).
        rehashed: bool,
    },
    /// Unknown login or wrong password: one answer for both (REQ-38).
    Denied,
    /// Every hashing slot is taken and the queue before them is full:
    /// nothing was checked nor counted. Ask the user to try again in a
    /// moment (HTTP 503 with `Retry-After`).
    Busy,
}

/// The answer to [`CredentialChecker::register`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum RegisterOutcome {
    /// The credential was stored.
    Registered,
    /// The policy refused the password, for these reasons.
    Refused(Vec<Refusal>),
    /// The login or account already has a credential.
    Taken,
    /// The hashing queue is full (see [`CheckOutcome::Busy`]): nothing
    /// was stored.
    Busy,
}

/// The answer to [`CredentialChecker::change_password`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ChangeOutcome {
    /// The new password is stored.
    Changed,
    /// The current password was wrong (or the login unknown).
    Denied,
    /// The policy refused the new password, for these reasons.
    Refused(Vec<Refusal>),
    /// The hash changed between the check and the write (a concurrent
    /// change): nothing was written; try again.
    Conflict,
    /// The hashing queue is full (see [`CheckOutcome::Busy`]): nothing
    /// was checked nor written.
    Busy,
}

/// A place among the hashes a [`CredentialChecker`] lets run or wait
/// ([`CredentialChecker::admit`]): held from before the look-up until the
/// hash is done, so a sign-in refused for a full queue has touched
/// nothing.
pub struct Admission(#[allow(dead_code)] SlotGuard);

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admission")
    }
}

/// How many callers may wait for each hashing slot by default: at
/// Argon2's default settings (about 25 ms a hash on one core) the last of
/// them waits under a second.
pub const DEFAULT_QUEUE_PER_SLOT: usize = 32;

/// Joins a [`CredentialStore`] and a [`Hasher`]: checks sign-ins, upgrades
/// old hashes, registers and changes passwords under a [`PasswordPolicy`].
///
/// A sign-in for an unknown login verifies the password against a dummy
/// hash made at the same settings, so it costs one full Argon2 run, like a
/// real one, and gets the same [`CheckOutcome::Denied`] (REQ-11, REQ-38).
///
/// The Argon2 work runs on the calling thread; async hosts call this from
/// a blocking-capable context (the `latchkey` facade does).
///
/// ```
/// use std::sync::Arc;
/// use latchkey_core::AccountId;
/// use latchkey_credentials::*;
/// use latchkey_store_memory::MemoryStore;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hasher = Hasher::new(HashSettings::default());
/// let checker = CredentialChecker::new(Arc::new(MemoryStore::new()), hasher)?;
/// let policy = PasswordPolicy::new();
/// let id = AccountId::new("42")?;
/// assert_eq!(
///     checker.register("jane", &id, "violet umbrella sky", &policy).await?,
///     RegisterOutcome::Registered
/// );
/// assert!(matches!(
///     checker.check("jane", "violet umbrella sky").await?,
///     CheckOutcome::Verified { .. }
/// ));
/// assert_eq!(checker.check("jane", "wrong").await?, CheckOutcome::Denied);
/// assert_eq!(checker.check("nobody", "wrong").await?, CheckOutcome::Denied);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct CredentialChecker {
    store: Arc<dyn CredentialStore>,
    hasher: Hasher,
    /// What an unknown login is verified against: a credential like a
    /// stored one, with a hash of a random password at the same settings.
    dummy_credential: Arc<StoredCredential>,
    executor: Arc<dyn BlockingExecutor>,
    /// One permit per hash the hasher may run at once: a caller waits
    /// for one as a future before its job reaches the executor, so an
    /// overload queues as small futures, never as blocked threads (each
    /// with its stack) waiting inside the hasher.
    slots: Arc<async_lock::Semaphore>,
    /// One permit per hash running or waiting: when none is left, the
    /// caller is answered "busy" at once instead of queueing, so an
    /// overload cannot grow memory without bound.
    admissions: Arc<async_lock::Semaphore>,
}

impl std::fmt::Debug for CredentialChecker {
    /// Leaves out the dummy hash (and relies on the store's own redacted
    /// `Debug`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialChecker")
            .field("store", &self.store)
            .field("hasher", &self.hasher)
            .field("executor", &self.executor)
            .finish_non_exhaustive()
    }
}

impl CredentialChecker {
    /// Builds a checker; makes the dummy hash for unknown logins (one
    /// Argon2 run). Argon2 runs on the calling thread until
    /// [`with_executor`](Self::with_executor) says where else.
    ///
    /// # Errors
    /// When the OS random generator or Argon2 fails.
    pub fn new(store: Arc<dyn CredentialStore>, hasher: Hasher) -> Result<Self, Error> {
        let mut noise = [0u8; 16];
        random::fill(&mut noise)?;
        let dummy_password: String = noise.iter().map(|b| format!("{b:02x}")).collect();
        let dummy_phc = hasher.hash(&dummy_password)?;
        let dummy_credential = Arc::new(StoredCredential {
            account: AccountId::new(format!("dummy-{dummy_password}"))
                .map_err(|_| Error::InvalidLogin("the dummy account id"))?,
            phc: dummy_phc,
        });
        let in_flight = hasher.max_in_flight();
        Ok(Self {
            store,
            slots: Arc::new(async_lock::Semaphore::new(in_flight)),
            admissions: Arc::new(async_lock::Semaphore::new(
                in_flight + in_flight * DEFAULT_QUEUE_PER_SLOT,
            )),
            hasher,
            dummy_credential,
            executor: Arc::new(Inline),
        })
    }

    /// Runs every hash on `executor` (an async host passes one that keeps
    /// Argon2 off its async threads, such as the `latchkey` facade's
    /// `TokioBlocking`).
    #[must_use]
    pub fn with_executor(mut self, executor: Arc<dyn BlockingExecutor>) -> Self {
        self.executor = executor;
        self
    }

    /// Lets at most `n` callers wait for a hashing slot (beyond the
    /// hashes running); the next is answered "busy" at once. The default
    /// is [`DEFAULT_QUEUE_PER_SLOT`] per slot.
    #[must_use]
    pub fn with_queue_limit(mut self, n: usize) -> Self {
        self.admissions = Arc::new(async_lock::Semaphore::new(self.hasher.max_in_flight() + n));
        self
    }

    /// A place among the hashes running or waiting, if there is one left
    /// (never waits). Take it before any work a refusal should not have
    /// done, and pass it to [`verify_admitted`](Self::verify_admitted).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use latchkey_credentials::*;
    /// use latchkey_store_memory::MemoryStore;
    /// let hasher = Hasher::new(HashSettings::default()).with_max_in_flight(1);
    /// let checker = CredentialChecker::new(Arc::new(MemoryStore::new()), hasher)?
    ///     .with_queue_limit(1);
    /// let first = checker.admit().expect("a slot");
    /// let second = checker.admit().expect("a place in the queue");
    /// assert!(checker.admit().is_none(), "full: busy");
    /// drop(first);
    /// assert!(checker.admit().is_some());
    /// # drop(second);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn admit(&self) -> Option<Admission> {
        self.admissions.try_acquire_arc().map(Admission)
    }

    /// A hashing slot, held twice: by the caller until the executor hands
    /// the job back, and by the job until it ends. A caller that gives up
    /// (a dropped request) cannot free the slot while its hash still runs.
    async fn slot(&self) -> (Arc<SlotGuard>, Arc<SlotGuard>) {
        let slot = Arc::new(self.slots.acquire_arc().await);
        (slot.clone(), slot)
    }

    /// Hashes `password` on the executor, for a caller admitted.
    async fn hash_off_thread(
        &self,
        _admitted: &Admission,
        password: &str,
    ) -> Result<String, Error> {
        let hasher = self.hasher.clone();
        let password = Zeroizing::new(password.to_owned());
        let (slot, held) = self.slot().await;
        let hashed = offload(&*self.executor, move || {
            let _held = held;
            hasher.hash(&password)
        })
        .await;
        drop(slot);
        hashed?
    }

    /// The hasher in use.
    #[must_use]
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// Checks a login and password. On a match with a stale hash, stores a
    /// fresh one with a compare-and-set, so a concurrent password change
    /// is never overwritten.
    ///
    /// # Errors
    /// A store failure, or a malformed stored hash.
    pub async fn check(&self, login: &str, password: &str) -> Result<CheckOutcome, Error> {
        let Some(admitted) = self.admit() else {
            return Ok(CheckOutcome::Busy);
        };
        let Some((credential, rehash_due)) = self.authenticate(&admitted, login, password).await?
        else {
            return Ok(CheckOutcome::Denied);
        };
        let mut rehashed = false;
        if rehash_due {
            let fresh = self.hash_off_thread(&admitted, password).await?;
            rehashed = self
                .store
                .replace_hash_if_unchanged(&credential.account, &credential.phc, &fresh)
                .await?;
        }
        Ok(CheckOutcome::Verified {
            account: credential.account,
            rehashed,
        })
    }

    /// Registers a login for an account with a first password, after the
    /// policy accepts it (the login is the username the policy refuses).
    ///
    /// # Errors
    /// A store failure, or a hashing failure.
    pub async fn register(
        &self,
        login: &str,
        account: &AccountId,
        password: &str,
        policy: &PasswordPolicy,
    ) -> Result<RegisterOutcome, Error> {
        if !login_is_plausible(login) {
            return Err(Error::InvalidLogin("a login is 1 to 320 bytes"));
        }
        let outcome = policy.check(
            password,
            PolicyContext {
                username: Some(login),
            },
        );
        if !outcome.is_accepted() {
            return Ok(RegisterOutcome::Refused(outcome.reasons().to_vec()));
        }
        let Some(admitted) = self.admit() else {
            return Ok(RegisterOutcome::Busy);
        };
        let phc = self.hash_off_thread(&admitted, password).await?;
        Ok(if self.store.create(login, account, &phc).await? {
            RegisterOutcome::Registered
        } else {
            RegisterOutcome::Taken
        })
    }

    /// Changes a password: needs the current one (REQ-06), applies the
    /// policy to the new one, and writes with a compare-and-set against the
    /// hash that was checked.
    ///
    /// # Errors
    /// A store failure, a malformed stored hash, or a hashing failure.
    pub async fn change_password(
        &self,
        login: &str,
        current: &SecretString,
        new: &SecretString,
        policy: &PasswordPolicy,
    ) -> Result<ChangeOutcome, Error> {
        let Some(admitted) = self.admit() else {
            return Ok(ChangeOutcome::Busy);
        };
        let Some((credential, _)) = self
            .authenticate(&admitted, login, current.expose())
            .await?
        else {
            return Ok(ChangeOutcome::Denied);
        };
        let outcome = policy.check(
            new.expose(),
            PolicyContext {
                username: Some(login),
            },
        );
        if !outcome.is_accepted() {
            return Ok(ChangeOutcome::Refused(outcome.reasons().to_vec()));
        }
        let fresh = self.hash_off_thread(&admitted, new.expose()).await?;
        Ok(
            if self
                .store
                .replace_hash_if_unchanged(&credential.account, &credential.phc, &fresh)
                .await?
            {
                ChangeOutcome::Changed
            } else {
                ChangeOutcome::Conflict
            },
        )
    }

    /// Finds the login and verifies the password, at the cost of one full
    /// hash whether or not the login exists. `Some((credential,
    /// rehash_due))` only on a match.
    async fn authenticate(
        &self,
        admitted: &Admission,
        login: &str,
        password: &str,
    ) -> Result<Option<(StoredCredential, bool)>, Error> {
        let found = self.find(login).await?;
        self.verify_found_off_thread(admitted, found, password)
            .await
    }

    /// [`verify_found`](Self::verify_found) on the executor.
    async fn verify_found_off_thread(
        &self,
        _admitted: &Admission,
        found: Option<StoredCredential>,
        password: &str,
    ) -> Result<Option<(StoredCredential, bool)>, Error> {
        let checker = self.clone();
        let password = Zeroizing::new(password.to_owned());
        // The executor gets a copy made here either way: of the stored
        // credential on a hit, of the dummy on a miss. Both paths then
        // allocate, free and carry the same (measured by
        // benches/timing_sign_in.rs).
        let hit = found.is_some();
        let carried = StoredCredential::clone(found.as_ref().unwrap_or(&self.dummy_credential));
        drop(found);
        let (slot, held) = self.slot().await;
        let verified = offload(&*self.executor, move || {
            let _held = held;
            checker.verify_carried(carried, hit, &password)
        })
        .await;
        drop(slot);
        verified?
    }
}

/// The halves of a check, for hosts that compose the flow themselves:
/// look up, verify, and store an upgraded hash.
impl CredentialChecker {
    /// The second half of a check, on the executor: verifies `password`
    /// against what [`find`](Self::find) returned (one full hash even when
    /// nothing was found), and on a match with stale settings stores a
    /// fresh hash with a compare-and-set (best effort: a failed upgrade
    /// never refuses a right password; the next sign-in tries again).
    /// Returns the credential only on a match.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use latchkey_core::AccountId;
    /// use latchkey_credentials::*;
    /// use latchkey_store_memory::MemoryStore;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let checker = CredentialChecker::new(Arc::new(MemoryStore::new()), Hasher::new(HashSettings::default()))?;
    /// let id = AccountId::new("42")?;
    /// let _ = checker.register("jane", &id, "violet umbrella sky", &PasswordPolicy::new()).await?;
    /// let found = checker.find("jane").await?;
    /// assert_eq!(checker.verify(found, "violet umbrella sky").await?.map(|c| c.account), Some(id));
    /// assert!(checker.verify(None, "anything").await?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// A malformed stored hash, an Argon2 failure, or the executor's;
    /// [`Error::Busy`] when the hashing queue is full.
    pub async fn verify(
        &self,
        found: Option<StoredCredential>,
        password: &str,
    ) -> Result<Option<StoredCredential>, Error> {
        let admitted = self.admit().ok_or(Error::Busy)?;
        self.verify_admitted(admitted, found, password).await
    }

    /// [`verify`](Self::verify) for a caller that took its place with
    /// [`admit`](Self::admit) before the look-up (so a full queue refuses
    /// it before any work): never busy.
    ///
    /// # Errors
    /// A malformed stored hash, an Argon2 failure, or the executor's.
    pub async fn verify_admitted(
        &self,
        admitted: Admission,
        found: Option<StoredCredential>,
        password: &str,
    ) -> Result<Option<StoredCredential>, Error> {
        let Some((credential, rehash_due)) = self
            .verify_found_off_thread(&admitted, found, password)
            .await?
        else {
            return Ok(None);
        };
        if rehash_due && let Ok(fresh) = self.hash_off_thread(&admitted, password).await {
            let _ = self.store_rehash(&credential, &fresh).await;
        }
        Ok(Some(credential))
    }

    /// The first half of a check, for hosts that run the hash elsewhere
    /// (the `latchkey` facade runs it off the async executor): the stored
    /// credential for `login`, if any. Implausible logins (empty, or over
    /// 320 bytes) are never looked up.
    ///
    /// # Errors
    /// A store failure.
    pub async fn find(&self, login: &str) -> Result<Option<StoredCredential>, Error> {
        let found = if login_is_plausible(login) {
            self.store.find_by_login(login).await?
        } else {
            None
        };
        Ok(found)
    }

    /// The second half of a check: verifies `password` against what
    /// [`find`](Self::find) returned, at the cost of one full hash even
    /// when nothing was found (against the dummy hash). `Some((credential,
    /// rehash_due))` only on a match. Runs Argon2 on the calling thread
    /// (see [`verify`](Self::verify) for the same on the executor, with
    /// the rehash).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use latchkey_core::AccountId;
    /// use latchkey_credentials::*;
    /// use latchkey_store_memory::MemoryStore;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let checker = CredentialChecker::new(
    ///     Arc::new(MemoryStore::new()),
    ///     Hasher::new(HashSettings::default()),
    /// )?;
    /// let id = AccountId::new("42")?;
    /// let _ = checker.register("jane", &id, "violet umbrella sky", &PasswordPolicy::new()).await?;
    /// let found = checker.find("jane").await?;
    /// let runs = checker.hasher().runs();
    /// let verdict = checker.verify_found(found, "violet umbrella sky")?;
    /// assert_eq!(verdict.map(|(c, _)| c.account), Some(id));
    /// assert!(checker.verify_found(None, "anything")?.is_none());
    /// assert_eq!(checker.hasher().runs() - runs, 2); // one hash each
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// A malformed stored hash, or an Argon2 failure.
    pub fn verify_found(
        &self,
        found: Option<StoredCredential>,
        password: &str,
    ) -> Result<Option<(StoredCredential, bool)>, Error> {
        let hit = found.is_some();
        let carried = found.unwrap_or_else(|| StoredCredential::clone(&self.dummy_credential));
        self.verify_carried(carried, hit, password)
    }

    /// Verifies `password` against `carried` (the stored credential when
    /// `hit`, else the dummy): one full hash either way, and the
    /// credential back only on a hit that matches.
    fn verify_carried(
        &self,
        carried: StoredCredential,
        hit: bool,
        password: &str,
    ) -> Result<Option<(StoredCredential, bool)>, Error> {
        // Over-long passwords cannot match, but still cost one hash.
        let acceptable = normalize_password(password).is_ok();
        let candidate = if acceptable { password } else { "" };
        let verification = self.hasher.verify(candidate, &carried.phc)?;
        Ok(match (hit, acceptable, verification) {
            (true, true, Verification::Match { rehash_due }) => Some((carried, rehash_due)),
            _ => None,
        })
    }

    /// Stores `fresh` (a new hash of the same password) for `credential`'s
    /// account only if its hash is still `credential.phc`, so a rehash
    /// never overwrites a concurrent password change. Returns whether it
    /// did.
    ///
    /// # Errors
    /// A store failure.
    pub async fn store_rehash(
        &self,
        credential: &StoredCredential,
        fresh: &str,
    ) -> Result<bool, Error> {
        Ok(self
            .store
            .replace_hash_if_unchanged(&credential.account, &credential.phc, fresh)
            .await?)
    }
}

/// A permit of [`CredentialChecker`]'s hashing slots.
type SlotGuard = async_lock::SemaphoreGuardArc;

/// Logins are 1 to 320 bytes (the longest email address); anything else
/// is never looked up.
fn login_is_plausible(login: &str) -> bool {
    !login.is_empty() && login.len() <= 320
}
