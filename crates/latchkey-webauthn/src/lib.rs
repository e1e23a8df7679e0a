//! Security keys and passkeys (WebAuthn) for latchkey, on kanidm's
//! `webauthn-rs`.
//!
//! - [`RelyingParty`]: this service's RP id, origin and name.
//! - [`SecurityKeys`]: register a key ([`begin_registration`](SecurityKeys::begin_registration),
//!   [`finish_registration`](SecurityKeys::finish_registration)), assert
//!   with one ([`begin_assertion`](SecurityKeys::begin_assertion),
//!   [`finish_assertion`](SecurityKeys::finish_assertion)), list, rename
//!   and remove them.
//! - [`SecurityKeyStore`]: where keys and ceremonies live. A ceremony's
//!   state (its challenge) stays server-side, lives 5 minutes and is
//!   taken once: of concurrent answers to one ceremony at most one can
//!   succeed. Keys are public material (a public key, a credential id, a
//!   counter and flags).
//! - The browser's answers arrive as JSON: [`parse_registration`],
//!   [`parse_assertion`].
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_core::{AccountId, Pepper, SystemClock};
//! use latchkey_store_memory::MemoryStore;
//! use latchkey_webauthn::{RegistrationBegin, RelyingParty, SecurityKeys};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let rp = RelyingParty::new("example.com", "https://example.com", "Example")?;
//! let keys = SecurityKeys::new(rp, Arc::new(MemoryStore::new()), Arc::new(SystemClock), &Pepper::generate()?);
//! let jane = AccountId::new("jane")?;
//! let RegistrationBegin::Started(started) = keys.begin_registration(&jane, "jane", "YubiKey").await? else {
//!     unreachable!("a fresh account may add a key")
//! };
//! let options = serde_json::to_value(&started.options).expect("JSON for the browser");
//! assert_eq!(options["publicKey"]["rp"]["id"], "example.com");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod assertion;
mod ceremony;
mod error;
mod key;
mod manage;
mod outcome;
mod passwordless;
mod registration;
mod relying_party;
mod response;
mod service;
mod store;

pub use ceremony::{CeremonyId, CeremonyPurpose, CeremonyRecord, MalformedCeremonyId};
pub use error::Error;
pub use key::{KeyUse, SecurityKeyRecord};
pub use outcome::{
    Asserted, AssertionStarted, Refusal, Registered, RegistrationBegin, RegistrationStarted,
};
pub use registration::MAX_KEY_NAME;
pub use relying_party::RelyingParty;
pub use response::{MAX_RESPONSE_BYTES, MalformedResponse, parse_assertion, parse_registration};
pub use service::SecurityKeys;
pub use store::SecurityKeyStore;
/// The wire types (options and answers), as webauthn-rs names them.
pub use webauthn_rs::prelude::{
    AttestationCaList, AttestationCaListBuilder, CreationChallengeResponse, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url,
};
