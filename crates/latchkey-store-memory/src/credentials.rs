//! [`CredentialStore`]: logins and password hashes.

use std::collections::HashMap;

use async_trait::async_trait;
use indexmap::IndexMap;
use latchkey_core::{AccountId, StoreError};
use latchkey_credentials::{CredentialStore, StoredCredential};

use crate::{MemoryStore, lock};

/// Logins and hashes: one login per account, one account per login.
///
/// The credentials sit in one table in the order they came, keyed by
/// login; none is ever removed, so a position stays valid, and a miss
/// can read a real entry by position (see `find_by_login`).
#[derive(Debug)]
pub(crate) struct Credentials {
    /// Login → (account, PHC hash).
    by_login: IndexMap<String, (AccountId, String)>,
    /// Account → its position in `by_login`.
    position_by_account: HashMap<AccountId, usize>,
    /// How many misses there were: picks the next stand-in.
    next_stand_in: usize,
    /// What a miss copies while there is no credential at all: an id no
    /// account has, and a hash as long as a default Argon2id PHC string.
    absent: (AccountId, String),
}

impl Default for Credentials {
    fn default() -> Self {
        let id =
            AccountId::new("\u{fffd}no account").expect("a short id without controls is valid");
        Self {
            by_login: IndexMap::new(),
            position_by_account: HashMap::new(),
            next_stand_in: 0,
            absent: (id, "$".repeat(97)),
        }
    }
}

impl Credentials {
    /// The stored hash of `account`, to change in place.
    fn hash_mut(&mut self, account: &AccountId) -> Option<&mut String> {
        let at = *self.position_by_account.get(account)?;
        self.by_login.get_index_mut(at).map(|(_, (_, phc))| phc)
    }
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn find_by_login(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        // The same work for a login that exists and one that does not
        // (REQ-38: no enumeration by timing): one look-up, then the entry
        // it found, or on a miss a real entry by position, each in turn
        // (not always the same stand-in, which the caches would keep
        // warm), so a miss reads memory as cold as a hit does; then a
        // copy of an id and a hash, whichever it read.
        let mut c = lock(&self.credentials);
        let c = &mut *c;
        let found = c.by_login.get_key_value(login);
        let stand_in = if c.by_login.is_empty() {
            None
        } else {
            // A stride through the table, not a walk (which the CPU would
            // prefetch).
            c.next_stand_in = c.next_stand_in.wrapping_add(1);
            let at = c.next_stand_in.wrapping_mul(0x9e37_79b9) % c.by_login.len();
            Some(
                c.by_login
                    .get_index(at)
                    .expect("a position below the length"),
            )
        };
        let (key, (account, phc)) = found.or(stand_in).map_or(
            (login, (&c.absent.0, &c.absent.1)),
            |(key, (account, phc))| (key.as_str(), (account, phc)),
        );
        // A hit compared the login with the key in full; a miss reads its
        // stand-in's key as far.
        std::hint::black_box(std::hint::black_box(key) == std::hint::black_box(key));
        let copied = StoredCredential {
            account: account.clone(),
            phc: phc.clone(),
        };
        Ok(std::hint::black_box(found.is_some().then_some(copied)))
    }

    async fn create(
        &self,
        login: &str,
        account: &AccountId,
        phc: &str,
    ) -> Result<bool, StoreError> {
        let mut c = lock(&self.credentials);
        if c.by_login.contains_key(login) || c.position_by_account.contains_key(account) {
            return Ok(false);
        }
        let (at, _) = c
            .by_login
            .insert_full(login.to_owned(), (account.clone(), phc.to_owned()));
        c.position_by_account.insert(account.clone(), at);
        Ok(true)
    }

    async fn set_hash(&self, account: &AccountId, phc: &str) -> Result<bool, StoreError> {
        let mut c = lock(&self.credentials);
        Ok(c.hash_mut(account)
            .map(|stored| phc.clone_into(stored))
            .is_some())
    }

    async fn replace_hash_if_unchanged(
        &self,
        account: &AccountId,
        expected: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let mut c = lock(&self.credentials);
        match c.hash_mut(account) {
            Some(stored) if stored == expected => {
                new.clone_into(stored);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
