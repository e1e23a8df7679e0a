//! Remembered devices in the flow: recognizing one at sign-in,
//! remembering one after a verified code, and managing them.

use latchkey_core::{AccountId, SecurityStamp};
use latchkey_devices::{DeviceId, DeviceRecord, DeviceToken};
use time::OffsetDateTime;

use crate::{Authentication, ClientContext, Error, SecurityEvent, Sensitive, SignIn};

/// A request's device tokens before the account is proven.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    /// A genuine, unexpired token of the login's account, with its record.
    pub(crate) matching: Option<(DeviceRecord, String)>,
    /// Tokens that name no live device.
    pub(crate) stale: Vec<String>,
}

/// What a request's device tokens said for one account.
#[derive(Debug, Default)]
pub(crate) struct Recognition {
    /// The token of one of the account's live devices.
    pub(crate) live: Option<String>,
    /// Tokens that name no live device.
    pub(crate) stale: Vec<String>,
}

/// A remembered device as the owner and staff see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RememberedDevice {
    /// Its id (for rename and revoke).
    pub id: DeviceId,
    /// Its name.
    pub label: String,
    /// When it was remembered.
    pub created_at: OffsetDateTime,
    /// When it last skipped a mailed code.
    pub last_used_at: Option<OffsetDateTime>,
    /// The client of its last use.
    pub last_client: Option<String>,
    /// When it stops being recognized.
    pub expires_at: OffsetDateTime,
}

impl SignIn {
    /// What the client's device tokens say, before anything is proven:
    /// each parseable token's record is read whether or not the login
    /// exists (so the work does not tell the two apart), and the one that
    /// is genuine (its secret matches, in constant time), unexpired and
    /// `account`'s is the candidate. Nothing is written.
    pub(crate) async fn device_candidates(
        &self,
        ctx: &ClientContext,
        account: Option<&AccountId>,
        now: OffsetDateTime,
    ) -> Result<Candidates, Error> {
        let mut found = Candidates::default();
        for text in ctx.device_tokens() {
            let Ok(token) = text.parse::<DeviceToken>() else {
                found.stale.push(text.clone());
                continue;
            };
            let record = match self.devices.get_device(&token.id()).await? {
                Some(record) if now < record.expires_at => record,
                _ => {
                    found.stale.push(text.clone());
                    continue;
                }
            };
            let genuine = token.matches(&record.secret_digest);
            if found.matching.is_none() && genuine && Some(&record.account) == account {
                found.matching = Some((record, text.clone()));
            }
        }
        Ok(found)
    }

    /// After the account is proven: the candidate is the account's live
    /// device only if it was made under the current stamp; its use is
    /// recorded.
    pub(crate) async fn confirm_candidate(
        &self,
        candidates: Candidates,
        ctx: &ClientContext,
        stamp: SecurityStamp,
        now: OffsetDateTime,
    ) -> Result<Recognition, Error> {
        let mut recognition = Recognition {
            live: None,
            stale: candidates.stale,
        };
        if let Some((record, text)) = candidates.matching
            && record.stamp == stamp
        {
            self.devices
                .touch_device(&record.id, now, ctx.client())
                .await?;
            recognition.live = Some(text);
        }
        Ok(recognition)
    }

    /// Both steps, for an account already proven.
    pub(crate) async fn recognition(
        &self,
        ctx: &ClientContext,
        account: &AccountId,
        stamp: SecurityStamp,
        now: OffsetDateTime,
    ) -> Result<Recognition, Error> {
        let candidates = self.device_candidates(ctx, Some(account), now).await?;
        self.confirm_candidate(candidates, ctx, stamp, now).await
    }

    /// Remembers the client's device for `account` after a verified code;
    /// returns the token for its cookie.
    pub(crate) async fn remember(
        &self,
        account: &AccountId,
        ctx: &ClientContext,
        stamp: SecurityStamp,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        loop {
            let (token, secret_digest) = DeviceToken::generate()?;
            let record = DeviceRecord {
                id: token.id(),
                account: account.clone(),
                secret_digest,
                stamp,
                label: ctx.device_label().unwrap_or("a browser").to_owned(),
                created_at: now,
                last_used_at: None,
                last_client: ctx.client().map(str::to_owned),
                expires_at: now + self.settings.device_token_ttl,
            };
            if self.devices.insert_device(record).await? {
                self.emit(SecurityEvent::DeviceRemembered {
                    account: account.clone(),
                    device: token.id(),
                });
                return Ok(token.to_string());
            }
        }
    }

    /// The account's remembered devices, oldest first, for the owner's
    /// settings page or a staff console.
    ///
    /// # Errors
    /// A store failure.
    pub async fn devices(&self, account: &AccountId) -> Result<Vec<RememberedDevice>, Error> {
        let now = self.clock.now();
        Ok(self
            .devices
            .list_devices(account)
            .await?
            .into_iter()
            .filter(|r| now < r.expires_at)
            .map(|r| RememberedDevice {
                id: r.id,
                label: r.label,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                last_client: r.last_client,
                expires_at: r.expires_at,
            })
            .collect())
    }

    /// Renames one of the account's devices; `false` when it has no such
    /// device.
    ///
    /// # Errors
    /// A store failure.
    pub async fn rename_device(
        &self,
        account: &AccountId,
        device: &DeviceId,
        label: &str,
    ) -> Result<bool, Error> {
        Ok(self.devices.rename_device(account, device, label).await?)
    }

    /// Forgets one of the account's devices (the owner or staff): its
    /// token stops working at once. `false` when it has no such device.
    ///
    /// # Errors
    /// A store failure.
    pub async fn revoke_device(
        &self,
        account: &AccountId,
        device: &DeviceId,
    ) -> Result<bool, Error> {
        let revoked = self.devices.revoke_device(account, device).await?;
        if revoked {
            self.emit(SecurityEvent::DevicesRevoked {
                account: account.clone(),
                count: 1,
            });
        }
        Ok(revoked)
    }

    /// Forgets every device of the signed-in account: a sensitive change,
    /// so it needs a fresh authentication (REQ-39). The outcome is how
    /// many were forgotten.
    ///
    /// # Errors
    /// A store failure.
    pub async fn revoke_all_devices(
        &self,
        authentication: &Authentication,
    ) -> Result<Sensitive<u64>, Error> {
        if !self.is_fresh(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let account = &authentication.account;
        let count = self.devices.revoke_all_devices(account).await?;
        self.emit(SecurityEvent::DevicesRevoked {
            account: account.clone(),
            count,
        });
        Ok(Sensitive::Done {
            outcome: count,
            authentication: authentication.clone(),
        })
    }
}
