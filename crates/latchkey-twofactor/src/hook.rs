//! What a host hears when an account's second factors change.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorChange {
    /// An authenticator was confirmed: 2FA is on.
    Enabled,
    /// 2FA was turned off.
    Disabled,
    /// The recovery codes were replaced.
    RecoveryCodesReplaced,
    /// A security key was added while 2FA was already on.
    SecurityKeyAdded,
    /// A security key was removed (others factors remain).
    SecurityKeyRemoved,
}

/// Called by [`TwoFactor`](crate::TwoFactor) right after a factor changed
/// in the store, whoever asked for the change, so the host can act in the
/// mechanism rather than in every caller (the `latchkey` facade rotates
/// the account's security stamp and forgets its remembered devices).
///
/// ```
/// use latchkey_twofactor::{FactorChange, FactorChanges};
/// use latchkey_core::{AccountId, StoreError};
///
/// #[derive(Debug)]
/// struct Audit;
///
/// #[async_trait::async_trait]
/// impl FactorChanges for Audit {
///     async fn factor_changed(&self, _: &AccountId, change: FactorChange) -> Result<(), StoreError> {
///         println!("2FA changed: {change:?}");
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait FactorChanges: fmt::Debug + Send + Sync + 'static {
    /// The change is stored. An error here is returned by the call that
    /// made the change (the change itself stays made).
    async fn factor_changed(
        &self,
        account: &AccountId,
        change: FactorChange,
    ) -> Result<(), StoreError>;
}

/// The default: nobody listens.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoListener;

#[async_trait]
impl FactorChanges for NoListener {
    async fn factor_changed(&self, _: &AccountId, _: FactorChange) -> Result<(), StoreError> {
        Ok(())
    }
}
