//! The relying party: this service's WebAuthn identity and settings.

use std::fmt;

use time::Duration;
use webauthn_rs::prelude::{AttestationCaList, Url};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::Error;

/// This service as authenticators see it: its RP id (a registrable
/// domain, `example.com`), the origin its pages are served from
/// (`https://www.example.com`), and the name shown to the user. The
/// browser binds every credential to the RP id, and every answer is
/// checked against the origin: a page elsewhere cannot use them.
///
/// ```
/// use latchkey_webauthn::RelyingParty;
/// let rp = RelyingParty::new("example.com", "https://www.example.com", "Example")?;
/// assert_eq!(rp.id(), "example.com");
/// assert!(RelyingParty::new("example.com", "https://evil.test", "Example").is_err());
/// assert!(RelyingParty::new("example.com", "not a url", "Example").is_err());
/// # Ok::<(), latchkey_webauthn::Error>(())
/// ```
pub struct RelyingParty {
    pub(crate) webauthn: Webauthn,
    pub(crate) origin: Url,
    id: String,
    pub(crate) ceremony_ttl: Duration,
    pub(crate) max_keys: usize,
    pub(crate) discoverable: bool,
    pub(crate) attestation: Option<AttestationCaList>,
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty")
            .field("id", &self.id)
            .field("origin", &self.origin.as_str())
            .field("ceremony_ttl", &self.ceremony_ttl)
            .field("max_keys", &self.max_keys)
            .field("discoverable", &self.discoverable)
            .field("attested_only", &self.attestation.is_some())
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// The relying party, with ceremonies that last 5 minutes and up to
    /// 10 keys per account.
    ///
    /// # Errors
    /// [`Error::Settings`] when `origin` is not a URL or is not within
    /// `id` (webauthn-rs checks: the origin's host must be the RP id or a
    /// subdomain of it).
    pub fn new(id: &str, origin: &str, name: &str) -> Result<Self, Error> {
        let origin = Url::parse(origin).map_err(|_| Error::Settings("the origin is not a URL"))?;
        let webauthn = WebauthnBuilder::new(id, &origin)
            .map_err(|_| Error::Settings("the origin is not within the RP id"))?
            .rp_name(name)
            .build()
            .map_err(|_| Error::Settings("webauthn-rs refused the relying party"))?;
        Ok(Self {
            webauthn,
            origin,
            id: id.to_owned(),
            ceremony_ttl: Duration::minutes(5),
            max_keys: 10,
            discoverable: false,
            attestation: None,
        })
    }

    /// How long the browser has to answer (default 5 minutes; 30 s to
    /// 10 minutes). The ceremony is dead after it.
    ///
    /// # Errors
    /// [`Error::Settings`] outside that range.
    pub fn with_ceremony_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl < Duration::seconds(30) || ttl > Duration::minutes(10) {
            return Err(Error::Settings(
                "the ceremony lifetime must be within [30 s, 10 min]",
            ));
        }
        self.ceremony_ttl = ttl;
        Ok(self)
    }

    /// Asks authenticators to keep each new credential (a discoverable
    /// credential, `residentKey: "required"`), so that it can sign in
    /// without a login or password
    /// ([`begin_passwordless`](crate::SecurityKeys::begin_passwordless)).
    /// Off by default: a hardware key has few such slots.
    #[must_use]
    pub fn with_discoverable_credentials(mut self) -> Self {
        self.discoverable = true;
        self
    }

    /// Accepts only keys that prove, by attestation, that they come from
    /// one of these authenticator makers and models (a company that hands
    /// out its own hardware keys, say; build the list with
    /// `AttestationCaListBuilder` from the makers' CA certificates). The
    /// default is attestation `none`: any authenticator, no make or model
    /// revealed. A registration without a trusted attestation is
    /// `Refused(Refusal::Unattested)`.
    ///
    /// # Errors
    /// [`Error::Settings`] when the list is empty.
    pub fn with_attestation(mut self, trusted: AttestationCaList) -> Result<Self, Error> {
        if trusted.is_empty() {
            return Err(Error::Settings("the attestation CA list is empty"));
        }
        self.attestation = Some(trusted);
        Ok(self)
    }

    /// Whether new credentials are asked to be discoverable.
    #[must_use]
    pub fn discoverable_credentials(&self) -> bool {
        self.discoverable
    }

    /// The RP id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The origin answers must come from.
    #[must_use]
    pub fn origin(&self) -> &Url {
        &self.origin
    }
}
