//! What an administrator does: unlock an account, purge what expired.

use latchkey_core::AccountId;
use latchkey_throttle::DeviceLane;
use time::Duration;

use crate::{Error, SignIn};

impl SignIn {
    /// Clears an account's backoff and lockout, for its password (every
    /// spelling of its login, on every device) and for its codes (2FA's
    /// count included): an administrator's decision, after checking with
    /// the owner.
    ///
    /// # Errors
    /// A store failure.
    pub async fn unlock(&self, account: &AccountId) -> Result<(), Error> {
        self.throttle.clear(&self.codes_key(account)).await?;
        for lane in [DeviceLane::Any, DeviceLane::Remembered] {
            self.throttle
                .clear(&self.throttle_keys.account_password(account, lane))
                .await?;
        }
        Ok(())
    }

    /// Clears the password backoff of a login: the account's, when the
    /// login leads to one (as [`unlock`](Self::unlock) does), else the
    /// unknown login's own counter.
    ///
    /// # Errors
    /// A store failure.
    pub async fn unlock_login(&self, login: &str) -> Result<(), Error> {
        match self.checker.find(login).await? {
            Some(credential) => self.unlock(&credential.account).await,
            None => Ok(self
                .throttle
                .clear(&self.throttle_keys.unknown_login(login))
                .await?),
        }
    }

    /// Deletes expired challenges, remembered devices, command-line login
    /// sessions and security-key ceremonies (when the flow has their
    /// stores), and throttle records that no longer matter: cleared counters idle for a day and windows that ended a
    /// day ago. A count of uncleared failures is never deleted or lowered,
    /// however old, so a purge never resets a count on its way to the
    /// lock. Returns how many records went. Run it now and then.
    ///
    /// # Errors
    /// A store failure.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let now = self.clock.now();
        let challenges = self.challenges.purge_expired_challenges(now).await?;
        let counters = self.throttle.purge_idle(now - Duration::days(1)).await?;
        let devices = self.devices.purge_expired_devices(now).await?;
        let cli_logins = match &self.cli_logins {
            Some(store) => store.purge_expired_cli_logins(now).await?,
            None => 0,
        };
        let ceremonies = match &self.security_keys {
            Some(keys) => keys.purge_expired().await?,
            None => 0,
        };
        Ok(challenges + counters + devices + cli_logins + ceremonies)
    }
}
