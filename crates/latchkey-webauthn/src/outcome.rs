//! What each step answers: the user's outcomes as values.

use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, WebauthnError};

use crate::{CeremonyId, SecurityKeyRecord};

/// Options for `navigator.credentials.create`, and the ceremony they
/// belong to.
#[derive(Debug)]
pub struct RegistrationStarted {
    /// Keep it in the server-side session for the answer.
    pub ceremony: CeremonyId,
    /// Send it to the browser as JSON (`serde_json::to_string`).
    pub options: CreationChallengeResponse,
}

/// What [`SecurityKeys::begin_registration`](crate::SecurityKeys::begin_registration) decided.
#[derive(Debug)]
#[must_use]
pub enum RegistrationBegin {
    /// Ask the browser.
    Started(Box<RegistrationStarted>),
    /// The name is empty, longer than 64 characters or has control
    /// characters.
    NameRefused,
    /// The account has as many keys as it may.
    TooManyKeys,
}

/// What a registration's answer did.
#[derive(Debug)]
#[must_use]
pub enum Registered {
    /// The key is the account's now.
    Added(SecurityKeyRecord),
    /// The ceremony expired, was answered already, or is another's.
    Expired,
    /// The answer did not verify.
    Refused(Refusal),
    /// This credential is registered already (to some account).
    AlreadyRegistered,
    /// The account reached its number of keys while the browser was
    /// answering (another registration finished first).
    TooManyKeys,
}

/// Options for `navigator.credentials.get`, and the ceremony they belong
/// to.
#[derive(Debug)]
pub struct AssertionStarted {
    /// Keep it in the server-side session for the answer.
    pub ceremony: CeremonyId,
    /// Send it to the browser as JSON.
    pub options: RequestChallengeResponse,
}

/// What an assertion did.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Asserted {
    /// The key signed this challenge.
    Verified {
        /// Which key.
        credential_id: Vec<u8>,
        /// Its name.
        name: String,
        /// Whether the authenticator verified the user (PIN, biometrics).
        user_verified: bool,
        /// Whether the credential is backed up (a synced passkey).
        backed_up: bool,
    },
    /// The ceremony expired, was answered already, is another account's
    /// or for another purpose.
    Expired,
    /// The answer did not verify.
    Refused(Refusal),
    /// The key's signature counter did not move forward: the key may have
    /// been cloned. Refused; raise it as a security event.
    CounterRegressed {
        /// Which key.
        credential_id: Vec<u8>,
    },
}

/// Why an answer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It came from another origin (a phishing page, say).
    WrongOrigin,
    /// It was made for another relying party.
    WrongRelyingParty,
    /// It signs another challenge (a replay from an older ceremony).
    WrongChallenge,
    /// The authenticator did not verify the user.
    UserNotVerified,
    /// The authenticator did not see the user.
    UserNotPresent,
    /// The credential is already one of the account's (registration).
    Excluded,
    /// It names a key that is not the account's.
    UnknownKey,
    /// Another assertion with this key was recorded at the same time.
    Concurrent,
    /// The relying party accepts only attested authenticators, and this
    /// one's attestation is missing or not from a trusted maker.
    Unattested,
    /// Its signature, format or contents are not valid.
    Invalid,
}

impl Refusal {
    pub(crate) fn from_webauthn(e: &WebauthnError) -> Self {
        match e {
            WebauthnError::InvalidRPOrigin | WebauthnError::CredentialCrossOrigin => {
                Self::WrongOrigin
            }
            WebauthnError::InvalidRPIDHash => Self::WrongRelyingParty,
            WebauthnError::MismatchedChallenge | WebauthnError::ChallengeNotFound => {
                Self::WrongChallenge
            }
            WebauthnError::UserNotVerified => Self::UserNotVerified,
            WebauthnError::UserNotPresent => Self::UserNotPresent,
            WebauthnError::CredentialExcludedFromRequest => Self::Excluded,
            WebauthnError::CredentialNotFound => Self::UnknownKey,
            WebauthnError::AttestationNotVerifiable
            | WebauthnError::AttestationTrustFailure
            | WebauthnError::AttestationCertificateTrustStoreEmpty
            | WebauthnError::AttestationCertificateRequirementsNotMet
            | WebauthnError::AttestationCertificateAAGUIDMismatch
            | WebauthnError::AttestationNotSupported
            | WebauthnError::AttestationUntrustedAaguid
            | WebauthnError::AttestationChainNotTrusted(_)
            | WebauthnError::TrustFailure => Self::Unattested,
            _ => Self::Invalid,
        }
    }
}
