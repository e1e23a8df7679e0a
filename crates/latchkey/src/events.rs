//! Security events: what happened in the sign-in flow, for the host's
//! audit log, alerts and metrics. No event carries a secret.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use latchkey_core::AccountId;
use latchkey_devices::DeviceId;
use latchkey_twofactor::FactorChange;

/// A kind of proof: what completed a sign-in, or which answer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The password (alone, when it completes a sign-in: a familiar
    /// device, or the policy asks for no mailed code).
    Password,
    /// A code mailed to the account's address.
    MailedCode,
    /// A code from the authenticator app.
    Totp,
    /// A recovery code.
    RecoveryCode,
    /// A security key or passkey (WebAuthn).
    SecurityKey,
}

/// A 2FA change made through the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoFactorChange {
    /// An authenticator was confirmed and 2FA is on.
    Enabled,
    /// 2FA was turned off.
    Disabled,
    /// A write was approved by a fresh second factor (step-up).
    WriteApproved,
    /// A security key or passkey was added (the first one also turns 2FA
    /// on: [`Enabled`](Self::Enabled) is recorded too).
    SecurityKeyAdded,
    /// A security key or passkey was removed.
    SecurityKeyRemoved,
}

/// Why an account's security stamp changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StampReason {
    /// The password changed.
    PasswordChanged,
    /// A second factor was added, removed or changed.
    FactorChanged(FactorChange),
    /// The owner changed the address of record.
    EmailChanged,
    /// An approved recovery ticket reset the address.
    EmailReset,
}

/// One thing that happened. Accounts appear by id; addresses only masked;
/// codes, passwords, challenge ids and tokens never.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityEvent {
    /// A sign-in completed.
    SignedIn {
        /// Who.
        account: AccountId,
        /// How.
        method: Method,
    },
    /// A password check failed (unknown login or wrong password; the
    /// account is named when the login exists, for the host's eyes only).
    SignInDenied {
        /// The account, when the login exists.
        account: Option<AccountId>,
    },
    /// A sign-in step was refused by throttling.
    Throttled {
        /// The account, when known.
        account: Option<AccountId>,
        /// Whether it is the per-client budget (else the account's).
        per_client: bool,
    },
    /// A login-verification code was mailed.
    CodeSent {
        /// To whom.
        account: AccountId,
        /// Where, masked (`j***@example.com`).
        masked_address: String,
    },
    /// A code was wrong, or did not fit the challenge.
    CodeFailed {
        /// Whose.
        account: AccountId,
        /// Which kind of code.
        method: Method,
    },
    /// A TOTP code that was already used (or an earlier one) was tried
    /// again and refused (REQ-23): worth an alert, since someone may have
    /// seen the code being typed.
    CodeReplayed {
        /// Whose.
        account: AccountId,
    },
    /// The account reached the lockout bound (REQ-37).
    LockedOut {
        /// Which account.
        account: AccountId,
    },
    /// A recovery code was used.
    RecoveryCodeUsed {
        /// Whose.
        account: AccountId,
        /// Unused codes left.
        remaining: u32,
    },
    /// 2FA changed.
    TwoFactorChanged {
        /// Whose.
        account: AccountId,
        /// What changed.
        change: TwoFactorChange,
    },
    /// "Try recovering your account" was chosen and a code went to the
    /// contact address.
    RecoveryStarted {
        /// The account of the sign-in it came from.
        account: AccountId,
    },
    /// A recovery ticket was queued for staff.
    TicketOpened {
        /// The start of the ticket's reference: enough to correlate log
        /// lines, not to act on the ticket.
        ticket: String,
    },
    /// The account's credentials changed: its security stamp is new, so
    /// every challenge, fresh authentication and host session made under
    /// the old one has ended, and its remembered devices are forgotten
    /// (REQ-48, REQ-49).
    StampChanged {
        /// Whose.
        account: AccountId,
        /// Why.
        reason: StampReason,
        /// How many remembered devices were forgotten.
        devices_revoked: u64,
    },
    /// A device was remembered after a verified code.
    DeviceRemembered {
        /// Whose.
        account: AccountId,
        /// The device record (not its token).
        device: DeviceId,
    },
    /// Remembered devices were revoked by their owner or staff.
    DevicesRevoked {
        /// Whose.
        account: AccountId,
        /// How many.
        count: u64,
    },
    /// A signed-in user allowed a command line to sign in (it has not
    /// collected the approval yet).
    CliLoginApproved {
        /// Whose.
        account: AccountId,
    },
    /// A security key's signature counter did not move forward: the key
    /// may have been cloned. The assertion was refused. Worth an alert.
    SecurityKeyCounterRegressed {
        /// Whose.
        account: AccountId,
        /// The key's credential id, base64url (public, not a secret).
        credential_id: String,
    },
    /// A command line collected an approval: the host mints its token now.
    CliLoginCollected {
        /// Whose.
        account: AccountId,
    },
}

/// Receives security events. Called inline: queue anything slow.
pub trait EventSink: fmt::Debug + Send + Sync + 'static {
    /// Records one event.
    fn record(&self, event: &SecurityEvent);
}

/// Emits each event as a `tracing` event at INFO (target
/// `latchkey::security`), with its fields. The default sink.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingSink;

impl EventSink for TracingSink {
    fn record(&self, event: &SecurityEvent) {
        tracing::info!(target: "latchkey::security", event = ?event, "security event");
    }
}

/// Keeps every event in memory, for tests.
#[derive(Debug, Default)]
pub struct RecordingSink(Mutex<Vec<SecurityEvent>>);

impl RecordingSink {
    /// An empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The events so far, oldest first.
    #[must_use]
    pub fn events(&self) -> Vec<SecurityEvent> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Takes the events so far, leaving none.
    pub fn take(&self) -> Vec<SecurityEvent> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl EventSink for RecordingSink {
    fn record(&self, event: &SecurityEvent) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
    }
}
