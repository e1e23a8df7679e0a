//! What a host needs, in one import: `use latchkey::prelude::*;`.
//!
//! ```
//! use latchkey::prelude::*;
//! let _client = ClientContext::new().with_client("203.0.113.7");
//! ```

pub use crate::{
    Accounts, Answer, Authentication, ChallengeId, CliLoginBegin, CliLoginDecided, CliLoginStatus,
    ClientContext, DeviceCookie, EmailChanged, Error, EventSink, Factors, InMemoryAccounts,
    KeyAdded, KeyRemoved, Keys, MailedCodePolicy, Method, PasskeyBegin, PasskeySignIn,
    PasswordChanged, Reauthenticate, Reauthenticated, Recovering, Registered, RememberedDevice,
    Resent, SecurityEvent, SecurityKeyRequest, Sensitive, SignIn, SignInBuilder, SignInStep,
    SignedIn, StepUp, StepUpAnswer, Submitted, retry_after_seconds,
};
pub use async_trait::async_trait;
pub use latchkey_cli_login::{CliLoginId, PollToken};
pub use latchkey_core::{
    AccountId, Clock, ConsoleMailer, EmailAddress, EncryptionKey, KeyId, Mailer, ManualClock,
    Pepper, RecordingMailer, SecretString, StoreError, SystemClock,
};
#[cfg(feature = "memory")]
pub use latchkey_store_memory::MemoryStore;
pub use latchkey_twofactor::SecondFactor;
pub use latchkey_webauthn::{CeremonyId, RelyingParty};
