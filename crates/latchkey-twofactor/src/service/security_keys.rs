//! 2FA whose factor lives elsewhere: security keys and passkeys are
//! stored and verified by `latchkey-webauthn`; this service turns 2FA on
//! with the first one, issues the recovery codes that back them up, and
//! mails the notices.

use latchkey_core::{AccountId, EmailAddress};

use super::TwoFactor;
use crate::{Error, FactorChange, Mode, Notice, RecoveryCodes};

impl TwoFactor {
    /// A security key was just added (after a fresh authentication). If
    /// 2FA was off, it is on now (`auth-only`), and the recovery codes to
    /// show once are returned; otherwise `None`. Either way a notice is
    /// mailed. Of concurrent first keys exactly one turns 2FA on.
    ///
    /// # Errors
    /// Store or randomness failures, or the change listener's.
    pub async fn security_key_added(
        &self,
        account: &AccountId,
        address: &EmailAddress,
    ) -> Result<Option<RecoveryCodes>, Error> {
        let codes = RecoveryCodes::generate()?;
        let digests = self.recovery_digests(account, &codes);
        let first = self
            .store
            .enable_without_app(account, digests, Mode::AuthOnly)
            .await?;
        let change = if first {
            FactorChange::Enabled
        } else {
            FactorChange::SecurityKeyAdded
        };
        self.changed(account, change).await?;
        self.notify(address, Notice::SecurityKeyAdded { first })
            .await;
        Ok(first.then_some(codes))
    }

    /// A security key was just removed while other factors remain (the
    /// last factor goes only with [`disable`](Self::disable), which needs
    /// a fresh factor). Mails a notice.
    ///
    /// # Errors
    /// The change listener's failure.
    pub async fn security_key_removed(
        &self,
        account: &AccountId,
        address: &EmailAddress,
    ) -> Result<(), Error> {
        self.changed(account, FactorChange::SecurityKeyRemoved)
            .await?;
        self.notify(address, Notice::SecurityKeyRemoved).await;
        Ok(())
    }
}
