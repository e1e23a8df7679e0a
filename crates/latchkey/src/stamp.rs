//! The account's security stamp in the flow: reading it, changing it when
//! credentials change, and what a change ends.

use std::sync::Arc;

use async_trait::async_trait;
use latchkey_core::{AccountId, KeyedHmac, SecurityStamp, StoreError};
use latchkey_devices::{DeviceStore, StampStore};
use latchkey_twofactor::{FactorChange, FactorChanges};
use time::{Duration, OffsetDateTime};

use crate::{Authentication, Error, EventSink, Method, SecurityEvent, SignIn, StampReason};

/// What happens when an account's credentials change, wherever the change
/// was made (the flow, the 2FA service, a completed recovery ticket): a
/// new stamp, which ends every challenge, fresh authentication and host
/// session made under the old one, and no remembered devices (REQ-48,
/// REQ-49).
#[derive(Clone, Debug)]
pub(crate) struct CredentialsChanged {
    pub(crate) stamps: Arc<dyn StampStore>,
    pub(crate) devices: Arc<dyn DeviceStore>,
    pub(crate) events: Arc<dyn EventSink>,
    /// Security keys go when 2FA is turned off, however it was.
    pub(crate) security_keys: Option<Arc<dyn latchkey_webauthn::SecurityKeyStore>>,
}

impl CredentialsChanged {
    pub(crate) async fn apply(
        &self,
        account: &AccountId,
        reason: StampReason,
    ) -> Result<SecurityStamp, StoreError> {
        let fresh = SecurityStamp::generate().map_err(StoreError::unavailable)?;
        self.stamps.rotate_stamp(account, fresh).await?;
        let revoked = self.devices.revoke_all_devices(account).await?;
        self.events.record(&SecurityEvent::StampChanged {
            account: account.clone(),
            reason,
            devices_revoked: revoked,
        });
        Ok(fresh)
    }
}

#[async_trait]
impl FactorChanges for CredentialsChanged {
    async fn factor_changed(
        &self,
        account: &AccountId,
        change: FactorChange,
    ) -> Result<(), StoreError> {
        // 2FA off takes every factor with it, security keys included, in
        // the mechanism: whoever turned it off (the flow, or the 2FA
        // service directly), no key is left to answer for nothing.
        if let (FactorChange::Disabled, Some(keys)) = (change, &self.security_keys) {
            for key in keys.security_keys(account).await? {
                keys.remove_security_key(account, &key.credential_id)
                    .await?;
            }
        }
        self.apply(account, StampReason::FactorChanged(change))
            .await
            .map(|_| ())
    }
}

impl SignIn {
    /// The account's current stamp (made on first use).
    pub(crate) async fn current_stamp(&self, account: &AccountId) -> Result<SecurityStamp, Error> {
        Ok(self
            .stamps
            .stamp(account, SecurityStamp::generate()?)
            .await?)
    }

    /// A credential changed here: new stamp, no remembered devices.
    pub(crate) async fn credentials_changed(
        &self,
        account: &AccountId,
        reason: StampReason,
    ) -> Result<SecurityStamp, Error> {
        Ok(self.changes.apply(account, reason).await?)
    }

    pub(crate) fn authentication_key(&self) -> &KeyedHmac {
        &self.authentications
    }

    /// An authentication of `account` by `method` at `at`, under `stamp`.
    pub(crate) fn authenticated(
        &self,
        account: AccountId,
        method: Method,
        at: OffsetDateTime,
        stamp: SecurityStamp,
    ) -> Authentication {
        Authentication::issue(self.authentication_key(), account, method, at, stamp)
    }

    /// Whether `authentication` is genuine and still under the account's
    /// current stamp. A host checks it on each request (or every few
    /// minutes) and ends the session when it is not: that is how a
    /// password change, a 2FA change or an email reset elsewhere ends this
    /// session (REQ-49).
    ///
    /// # Errors
    /// A store failure.
    pub async fn is_current(&self, authentication: &Authentication) -> Result<bool, Error> {
        if !authentication.genuine(self.authentication_key()) {
            return Ok(false);
        }
        Ok(self.current_stamp(&authentication.account).await? == authentication.stamp)
    }

    /// Whether `stamp` is still `account`'s security stamp: a host's own
    /// credential (a command-line token, say) made under it lives only as
    /// long as it is. Constant time.
    ///
    /// # Errors
    /// Store failures.
    pub async fn stamp_is_current(
        &self,
        account: &AccountId,
        stamp: &SecurityStamp,
    ) -> Result<bool, Error> {
        let current = self.current_stamp(account).await?;
        Ok(subtle::ConstantTimeEq::ct_eq(&current.0[..], &stamp.0[..]).into())
    }

    /// Whether `authentication` is current and younger than the fresh
    /// window (REQ-39).
    pub(crate) async fn is_fresh(&self, authentication: &Authentication) -> Result<bool, Error> {
        let age = self.clock.now() - authentication.at;
        Ok(age >= Duration::ZERO
            && age <= self.settings.fresh_window
            && self.is_current(authentication).await?)
    }

    /// Fresh, and for an account with 2FA on, made by a second factor (a
    /// sign-in or re-authentication with the app, a recovery code or a
    /// key; never the password alone): what adding or removing a factor
    /// needs, so that a stolen session and the password cannot plant a
    /// factor of their own.
    pub(crate) async fn is_fresh_with_factor(
        &self,
        authentication: &Authentication,
    ) -> Result<bool, Error> {
        if !self.is_fresh(authentication).await? {
            return Ok(false);
        }
        let by_factor = matches!(
            authentication.method,
            Method::Totp | Method::RecoveryCode | Method::SecurityKey
        );
        Ok(by_factor
            || !self
                .requires_code(&authentication.account, latchkey_twofactor::Action::SignIn)
                .await?)
    }

    /// The same authentication under `stamp`: the stamp this session's
    /// own change just wrote (never one read back later, which could be a
    /// concurrent change made elsewhere that must end this session).
    pub(crate) fn renewed_under(
        &self,
        authentication: &Authentication,
        stamp: SecurityStamp,
    ) -> Authentication {
        self.authenticated(
            authentication.account.clone(),
            authentication.method,
            authentication.at,
            stamp,
        )
    }

    /// After a 2FA change this session made, which the 2FA service's
    /// listener rotated the stamp for: the stamp read right after it. Only
    /// ever called when the change succeeded.
    pub(crate) async fn renewed(
        &self,
        authentication: &Authentication,
    ) -> Result<Authentication, Error> {
        let stamp = self.current_stamp(&authentication.account).await?;
        Ok(self.renewed_under(authentication, stamp))
    }
}
