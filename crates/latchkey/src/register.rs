//! Sign-up: a login, a password and an address, in one step.

use latchkey_core::{AccountId, EmailAddress, random};
use latchkey_credentials::RegisterOutcome;

use crate::{Error, Registered, SignIn};

impl SignIn {
    /// Creates an account with a random id: see
    /// [`register_as`](Self::register_as).
    ///
    /// ```
    /// use latchkey::prelude::*;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (flow, _mail) = SignIn::in_memory("Example")?;
    /// let Registered::Created { .. } = flow.register("jane", "jane@example.com", "violet umbrella sky").await?
    /// else { panic!("registered") };
    /// assert_eq!(flow.register("jane", "j@example.com", "violet umbrella sky").await?, Registered::LoginTaken);
    /// assert_eq!(flow.register("", "j@example.com", "violet umbrella sky").await?, Registered::InvalidLogin);
    /// assert_eq!(flow.register("joe", "not an address", "violet umbrella sky").await?, Registered::InvalidEmail);
    /// assert!(matches!(flow.register("joe", "joe@example.com", "password").await?, Registered::Refused(_)));
    /// # Ok::<(), latchkey::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// Store, hashing or executor failures.
    pub async fn register(
        &self,
        login: &str,
        email: &str,
        password: &str,
    ) -> Result<Registered, Error> {
        let mut id = [0u8; 16];
        random::fill(&mut id)?;
        let account = AccountId::new(data_encoding::HEXLOWER.encode(&id))?;
        self.register_as(&account, login, email, password).await
    }

    /// Creates account `account` with its login, first password and
    /// address of record, in one step: the address and the login are
    /// checked first, the password goes through the policy and is hashed
    /// on the blocking executor, the credential is created only if the
    /// login is free (atomically, in the credential store), and only then
    /// is the address recorded with the host's [`Accounts`](crate::Accounts),
    /// so a taken login never touches another account's address.
    ///
    /// # Errors
    /// Store, hashing or executor failures.
    pub async fn register_as(
        &self,
        account: &AccountId,
        login: &str,
        email: &str,
        password: &str,
    ) -> Result<Registered, Error> {
        if login.is_empty() || login.len() > 320 || login.trim() != login {
            return Ok(Registered::InvalidLogin);
        }
        let Ok(address) = EmailAddress::parse(email) else {
            return Ok(Registered::InvalidEmail);
        };
        let outcome = self
            .checker
            .register(login, account, password, &self.settings.password_policy)
            .await?;
        Ok(match outcome {
            RegisterOutcome::Registered => {
                // A new account starts under a stamp of its own, so nothing
                // left under a reused account id (devices, sessions) is
                // current for it.
                self.stamps
                    .rotate_stamp(account, latchkey_core::SecurityStamp::generate()?)
                    .await?;
                self.devices.revoke_all_devices(account).await?;
                self.accounts.set_address(account, &address).await?;
                Registered::Created {
                    account: account.clone(),
                }
            }
            RegisterOutcome::Refused(reasons) => Registered::Refused(reasons),
            RegisterOutcome::Taken => Registered::LoginTaken,
            RegisterOutcome::Busy => Registered::Busy,
        })
    }
}
