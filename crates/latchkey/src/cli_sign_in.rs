//! Command-line sign-in through the browser (`npm login --auth-type=web`):
//! begin a login session, show it to the signed-in browser, let the user
//! approve or deny it, and hand the approved account to the command
//! line's poll exactly once. The host mints (and later revokes) the
//! command line's token itself.

use std::sync::Arc;

use latchkey_cli_login::{
    CliLoginDecision, CliLoginId, CliLoginPoll, CliLoginStore, NewCliLogin, PollToken, UserCode,
};
use latchkey_core::{AccountId, SecurityStamp};
use time::{Duration, OffsetDateTime};

use crate::{Authentication, ClientContext, Error, SecurityEvent, Sensitive, SignIn};

/// A login session just begun: give `id` to the browser (in the
/// `loginUrl`), `poll` to the command line only (in the `doneUrl`), and
/// show `user_code` to both.
#[derive(Debug)]
pub struct CliLoginStarted {
    /// For the `loginUrl`.
    pub id: CliLoginId,
    /// For the `doneUrl`; never put it in a page.
    pub poll: PollToken,
    /// What the terminal prints and the browser page shows.
    pub user_code: UserCode,
    /// When the session dies, approved or not.
    pub expires_at: OffsetDateTime,
    /// How long the command line waits between polls.
    pub interval: Duration,
}

/// What [`SignIn::begin_cli_login`] decided.
#[derive(Debug)]
#[must_use]
pub enum CliLoginBegin {
    /// Begun.
    Started(CliLoginStarted),
    /// The client's request budget is spent.
    Throttled {
        /// When the client may ask again.
        retry_at: OffsetDateTime,
    },
}

/// A pending session, as the browser page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliLoginRequest {
    /// Match it with the terminal's.
    pub user_code: UserCode,
    /// What the command line said it is.
    pub client: Option<String>,
    /// When it dies.
    pub expires_at: OffsetDateTime,
}

/// What the browser's decision did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum CliLoginDecided {
    /// Recorded: the command line's next poll collects it.
    Recorded,
    /// The session was already decided, expired, or never existed.
    Gone,
}

/// What one poll of the `doneUrl` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum CliLoginStatus {
    /// Not decided yet: poll again after `retry_after` (HTTP 202 with
    /// `Retry-After`, as npm's registry answers).
    Pending {
        /// The poll interval.
        retry_after: Duration,
    },
    /// Polled too soon after the previous poll: wait `retry_after`.
    SlowDown {
        /// The poll interval.
        retry_after: Duration,
    },
    /// The user denied it.
    Denied,
    /// Expired, already collected, never begun, or voided by a credential
    /// change since the approval: begin again.
    Expired,
    /// Approved, and this poll collected it (no other poll will): mint the
    /// command line's token for `account` now and answer with it. Keep
    /// `stamp` with the token and check it on every use with
    /// [`SignIn::stamp_is_current`]: a credential change ends the token
    /// even if no event reached the host.
    Approved {
        /// The account the command line signs in as.
        account: AccountId,
        /// The account's security stamp the approval was made under.
        stamp: SecurityStamp,
    },
}

impl SignIn {
    fn cli_login_store(&self) -> Result<&Arc<dyn CliLoginStore>, Error> {
        self.cli_logins.as_ref().ok_or(Error::NotConfigured(
            "command-line login needs a CLI login store (.cli_login_store)",
        ))
    }

    /// Begins a command-line login session (`POST /-/v1/login` in npm's
    /// registry). `client` is what the command line says it is (shown on
    /// the browser page, cleaned by
    /// [`client_label`](latchkey_cli_login::client_label)); the request
    /// counts against the client's budget.
    ///
    /// ```
    /// use latchkey::prelude::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), latchkey::Error> {
    /// let (flow, _mail) = SignIn::in_memory("Example")?;
    /// let CliLoginBegin::Started(started) =
    ///     flow.begin_cli_login(&ClientContext::new(), Some("registry-cli")).await?
    /// else {
    ///     unreachable!("no client budget without a client")
    /// };
    /// let page = flow.cli_login_request(&started.id).await?.expect("pending");
    /// assert_eq!(page.user_code, started.user_code);
    /// assert!(matches!(
    ///     flow.poll_cli_login(&started.poll, &ClientContext::new()).await?,
    ///     CliLoginStatus::Pending { .. }
    /// ));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Store or randomness failures; [`Error::NotConfigured`] without a
    /// CLI login store.
    pub async fn begin_cli_login(
        &self,
        ctx: &ClientContext,
        client: Option<&str>,
    ) -> Result<CliLoginBegin, Error> {
        let store = self.cli_login_store()?;
        let now = self.clock.now();
        if let Some(retry_at) = self.client_over_budget(ctx, now, None).await? {
            return Ok(CliLoginBegin::Throttled { retry_at });
        }
        let lifetime = self.settings.cli_login_lifetime;
        // A taken digest is a 2^-256 event; one retry covers it anyway.
        for _ in 0..2 {
            let new = NewCliLogin::generate(now, lifetime, client).map_err(Error::Randomness)?;
            let (user_code, expires_at) = (new.record.user_code, new.record.expires_at);
            if store.insert_cli_login(new.record).await? {
                return Ok(CliLoginBegin::Started(CliLoginStarted {
                    id: new.id,
                    poll: new.poll,
                    user_code,
                    expires_at,
                    interval: self.settings.cli_login_interval,
                }));
            }
        }
        Err(Error::Store(latchkey_core::StoreError::corrupt(
            "the CLI login store refused two fresh random digests",
        )))
    }

    /// The pending session a `loginUrl` names, for its page (`None` once
    /// decided or expired, or for an id never begun).
    ///
    /// # Errors
    /// Store failures; [`Error::NotConfigured`] without a CLI login store.
    pub async fn cli_login_request(
        &self,
        id: &CliLoginId,
    ) -> Result<Option<CliLoginRequest>, Error> {
        let record = self
            .cli_login_store()?
            .pending_cli_login(&id.digest(), self.clock.now())
            .await?;
        Ok(record.map(|r| CliLoginRequest {
            user_code: r.user_code,
            client: r.client,
            expires_at: r.expires_at,
        }))
    }

    /// "Allow this command line to sign in": approves the session for the
    /// account of `authentication`, which must be fresh (a full sign-in,
    /// or a re-authentication, in this browser within the fresh window;
    /// REQ-39), since the command line gets a token of its own. The
    /// approval is bound to the account's security stamp: a credential
    /// change before the command line collects it voids it.
    ///
    /// # Errors
    /// Store failures; [`Error::NotConfigured`] without a CLI login store.
    pub async fn approve_cli_login(
        &self,
        authentication: &Authentication,
        id: &CliLoginId,
    ) -> Result<Sensitive<CliLoginDecided>, Error> {
        let store = self.cli_login_store()?;
        if !self.is_fresh(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let account = authentication.account.clone();
        let decision = CliLoginDecision::Approve {
            account: account.clone(),
            stamp: authentication.stamp,
        };
        let recorded = store
            .decide_cli_login(&id.digest(), &decision, self.clock.now())
            .await?;
        if recorded {
            self.emit(SecurityEvent::CliLoginApproved { account });
        }
        Ok(self.decided(authentication, recorded))
    }

    /// "Deny": the command line's next poll answers
    /// [`CliLoginStatus::Denied`]. Needs a current authentication (not a
    /// fresh one).
    ///
    /// # Errors
    /// Store failures; [`Error::NotConfigured`] without a CLI login store.
    pub async fn deny_cli_login(
        &self,
        authentication: &Authentication,
        id: &CliLoginId,
    ) -> Result<Sensitive<CliLoginDecided>, Error> {
        let store = self.cli_login_store()?;
        if !self.is_current(authentication).await? {
            return Ok(Sensitive::NeedsFreshAuthentication);
        }
        let recorded = store
            .decide_cli_login(&id.digest(), &CliLoginDecision::Deny, self.clock.now())
            .await?;
        Ok(self.decided(authentication, recorded))
    }

    fn decided(
        &self,
        authentication: &Authentication,
        recorded: bool,
    ) -> Sensitive<CliLoginDecided> {
        Sensitive::Done {
            outcome: if recorded {
                CliLoginDecided::Recorded
            } else {
                CliLoginDecided::Gone
            },
            authentication: authentication.clone(),
        }
    }

    /// One poll of the `doneUrl`. Counts against the client's budget;
    /// a poll sooner than four fifths of the interval after the previous
    /// one is [`CliLoginStatus::SlowDown`]. Of concurrent polls after an
    /// approval exactly one is [`CliLoginStatus::Approved`].
    ///
    /// # Errors
    /// Store failures; [`Error::NotConfigured`] without a CLI login store.
    pub async fn poll_cli_login(
        &self,
        poll: &PollToken,
        ctx: &ClientContext,
    ) -> Result<CliLoginStatus, Error> {
        let store = self.cli_login_store()?;
        let now = self.clock.now();
        let interval = self.settings.cli_login_interval;
        if let Some(retry_at) = self.client_over_budget(ctx, now, None).await? {
            return Ok(CliLoginStatus::SlowDown {
                retry_after: (retry_at - now).max(interval),
            });
        }
        let min_gap = interval * 4 / 5;
        Ok(
            match store.poll_cli_login(&poll.digest(), now, min_gap).await? {
                CliLoginPoll::Waiting => CliLoginStatus::Pending {
                    retry_after: interval,
                },
                CliLoginPoll::TooSoon => CliLoginStatus::SlowDown {
                    retry_after: interval,
                },
                CliLoginPoll::Denied => CliLoginStatus::Denied,
                CliLoginPoll::Gone | CliLoginPoll::Claimed => CliLoginStatus::Expired,
                CliLoginPoll::Approved { account, stamp } => {
                    if self.current_stamp(&account).await? != stamp {
                        CliLoginStatus::Expired
                    } else {
                        self.emit(SecurityEvent::CliLoginCollected {
                            account: account.clone(),
                        });
                        CliLoginStatus::Approved { account, stamp }
                    }
                }
            },
        )
    }

    /// Deletes expired command-line login sessions; returns how many.
    ///
    /// # Errors
    /// Store failures; [`Error::NotConfigured`] without a CLI login store.
    pub async fn purge_expired_cli_logins(&self) -> Result<u64, Error> {
        Ok(self
            .cli_login_store()?
            .purge_expired_cli_logins(self.clock.now())
            .await?)
    }
}
