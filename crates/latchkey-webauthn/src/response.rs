//! The browser's answers, as they reach latchkey: JSON from a form or a
//! `fetch`, parsed with a size limit.

use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

/// The longest answer read, in bytes (a registration with an attestation
/// certificate chain is a few KiB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The text is not a WebAuthn answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a WebAuthn answer (or longer than 64 KiB)")]
pub struct MalformedResponse;

/// `navigator.credentials.create`'s answer, as JSON.
///
/// ```
/// use latchkey_webauthn::parse_registration;
/// assert!(parse_registration("{}").is_err());
/// assert!(parse_registration(&"[".repeat(100_000)).is_err());
/// ```
///
/// # Errors
/// [`MalformedResponse`] when it is too long or does not parse.
pub fn parse_registration(json: &str) -> Result<RegisterPublicKeyCredential, MalformedResponse> {
    if json.len() > MAX_RESPONSE_BYTES {
        return Err(MalformedResponse);
    }
    serde_json::from_str(json).map_err(|_| MalformedResponse)
}

/// `navigator.credentials.get`'s answer, as JSON.
///
/// ```
/// use latchkey_webauthn::parse_assertion;
/// assert!(parse_assertion(r#"{"id":"AAAA"}"#).is_err());
/// ```
///
/// # Errors
/// [`MalformedResponse`] when it is too long or does not parse.
pub fn parse_assertion(json: &str) -> Result<PublicKeyCredential, MalformedResponse> {
    if json.len() > MAX_RESPONSE_BYTES {
        return Err(MalformedResponse);
    }
    serde_json::from_str(json).map_err(|_| MalformedResponse)
}
