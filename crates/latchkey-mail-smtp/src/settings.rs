use std::fmt;
use std::time::Duration;

use latchkey_core::{EmailAddress, SecretString};

use crate::roots::Roots;

/// Errors are boxed so that lettre's types stay out of our public API.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Security {
    /// Connect in plain text, then require `STARTTLS` before anything else
    /// is sent (the submission port, 587). The server's certificate must
    /// be valid for the host name and chain to a Mozilla root, or to a
    /// root the host added with
    /// [`SmtpSettings::with_root_certificate`]. A server
    /// that does not offer `STARTTLS` is an error, never a fallback to
    /// plain text.
    #[default]
    StartTls,
    /// TLS from the first byte ("implicit TLS", port 465), with the same
    /// certificate checks.
    Tls,
    /// No encryption at all.
    ///
    /// **Only for a relay on the same machine or a trusted local network**
    /// (a local Postfix, a test server): mail, and with it every one-time
    /// code, crosses the network readable by anyone on the path, and the
    /// server is not authenticated. Credentials are refused with it.
    Plain,
}

impl Security {
    /// The usual port: 587 for [`StartTls`](Self::StartTls), 465 for
    /// [`Tls`](Self::Tls), 25 for [`Plain`](Self::Plain).
    #[must_use]
    pub const fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::Plain => 25,
        }
    }
}

/// Where and how [`SmtpMailer`](crate::SmtpMailer) sends: built from
/// [`SmtpSettings::new`] and the `with_` methods, and checked by
/// [`SmtpSettings::validate`] (which [`SmtpMailer::new`](crate::SmtpMailer::new)
/// calls).
///
/// Defaults: [`Security::StartTls`], the security's usual port, no
/// credentials, no display name, a 10-second timeout, Mozilla's roots and
/// no other.
///
/// `Debug` never shows the credentials:
///
/// ```
/// use latchkey_core::EmailAddress;
/// use latchkey_mail_smtp::{Security, SmtpSettings};
///
/// let settings = SmtpSettings::new("smtp.example.com", EmailAddress::parse("no-reply@example.com")?)
///     .with_security(Security::Tls)
///     .with_credentials("mailer", "hunter2-but-longer")
///     .with_from_name("Example");
/// assert_eq!(settings.port(), 465);
/// assert!(!format!("{settings:?}").contains("hunter2"));
/// assert!(settings.validate().is_ok());
/// # Ok::<(), latchkey_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SmtpSettings {
    host: String,
    port: Option<u16>,
    security: Security,
    credentials: Option<Credentials>,
    timeout: Duration,
    from: EmailAddress,
    from_name: Option<String>,
    roots: Roots,
}

/// A username and password, both redacted in `Debug` and wiped on drop.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) username: SecretString,
    pub(crate) password: SecretString,
}

impl SmtpSettings {
    /// The default timeout: 10 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// Sending through `host` (a DNS name in ASCII, or an IP address) as
    /// `from`, with the defaults above.
    #[must_use]
    pub fn new(host: impl Into<String>, from: EmailAddress) -> Self {
        Self {
            host: host.into(),
            port: None,
            security: Security::default(),
            credentials: None,
            timeout: Self::DEFAULT_TIMEOUT,
            from,
            from_name: None,
            roots: Roots::default(),
        }
    }

    /// The port to connect to, instead of the security's usual one.
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// How the connection is protected (see [`Security`]).
    #[must_use]
    pub fn with_security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Signs in to the server (SASL `PLAIN` or `LOGIN`, whichever it
    /// offers) with `username` and `password`. Only over TLS: with
    /// [`Security::Plain`] validation fails.
    ///
    /// lettre keeps its own copy of both for as long as the mailer lives.
    #[must_use]
    pub fn with_credentials(
        mut self,
        username: impl Into<SecretString>,
        password: impl Into<SecretString>,
    ) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// How long one mail may take, from connecting to the server's final
    /// answer (default 10 s). Connecting alone is bounded by it too.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The display name on the `From` header (`Example <no-reply@example.com>`).
    /// Non-ASCII names are encoded as RFC 2047 requires.
    #[must_use]
    pub fn with_from_name(mut self, name: impl Into<String>) -> Self {
        self.from_name = Some(name.into());
        self
    }

    /// Also trusts the root certificate(s) in `pem` for the relay: the
    /// relay's certificate may chain to one of them instead of to a
    /// Mozilla root, for a relay whose certificate comes from the host's
    /// own CA. It must still be valid for [`host`](Self::host) and not
    /// expired: there is no way to turn verification off.
    ///
    /// `pem` holds one or more `-----BEGIN CERTIFICATE-----` blocks (text
    /// around them is ignored); each becomes a root. Calling this again
    /// adds more. Mozilla's roots stay trusted as well, so that a relay
    /// that moves to a publicly trusted certificate keeps working; call
    /// [`with_only_own_roots`](Self::with_only_own_roots) to trust these
    /// roots alone. Only the number of extra roots shows in `Debug`.
    ///
    /// ```
    /// use latchkey_core::EmailAddress;
    /// use latchkey_mail_smtp::{SmtpMailer, SmtpSettings};
    /// # let key = rcgen::KeyPair::generate()?;
    /// # let mut ca = rcgen::CertificateParams::new(Vec::new())?;
    /// # ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    /// # let pem = ca.self_signed(&key)?.pem().into_bytes();
    /// // `pem`: the relay's CA, e.g. std::fs::read("/etc/example/relay-ca.pem")?
    /// let settings = SmtpSettings::new("relay.internal.example", EmailAddress::parse("no-reply@example.com")?)
    ///     .with_root_certificate(&pem)?;
    /// assert_eq!(settings.extra_root_count(), 1);
    /// assert!(settings.trusts_mozilla_roots());
    /// assert!(format!("{settings:?}").contains("Mozilla's roots and 1 extra root"));
    /// let mailer = SmtpMailer::new(settings)?;
    ///
    /// assert!(SmtpSettings::new("relay.internal.example", EmailAddress::parse("no-reply@example.com")?)
    ///     .with_root_certificate(b"not a certificate")
    ///     .is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`SmtpConfigError::InvalidRootCertificate`] when `pem` holds no
    /// certificate, a malformed one, one that cannot be a root, or a
    /// private key (give the certificate only).
    pub fn with_root_certificate(mut self, pem: &[u8]) -> Result<Self, SmtpConfigError> {
        self.roots.add_pem(pem)?;
        Ok(self)
    }

    /// Trusts only the roots added with
    /// [`with_root_certificate`](Self::with_root_certificate), not
    /// Mozilla's: the relay's certificate must come from the host's own
    /// CA, and no public CA can vouch for the relay's name. Validation
    /// fails if no root is added.
    ///
    /// ```
    /// use latchkey_core::EmailAddress;
    /// use latchkey_mail_smtp::SmtpSettings;
    ///
    /// let settings = SmtpSettings::new("relay.internal.example", EmailAddress::parse("no-reply@example.com")?)
    ///     .with_only_own_roots();
    /// assert!(!settings.trusts_mozilla_roots());
    /// // No root was added: nothing could ever verify.
    /// assert!(settings.validate().unwrap_err().to_string().contains("no root certificate"));
    /// # Ok::<(), latchkey_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_only_own_roots(mut self) -> Self {
        self.roots.mozilla = false;
        self
    }

    /// How many root certificates were added with
    /// [`with_root_certificate`](Self::with_root_certificate).
    #[must_use]
    pub fn extra_root_count(&self) -> usize {
        self.roots.extra_count
    }

    /// Whether Mozilla's roots are trusted (unless
    /// [`with_only_own_roots`](Self::with_only_own_roots)).
    #[must_use]
    pub fn trusts_mozilla_roots(&self) -> bool {
        self.roots.mozilla
    }

    /// The server's host name or address.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port that will be used: the one set, else the security's usual one.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.security.default_port())
    }

    /// How the connection is protected.
    #[must_use]
    pub fn security(&self) -> Security {
        self.security
    }

    /// Whether credentials are set.
    #[must_use]
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// How long one mail may take.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The sender address (`From` header and envelope sender).
    #[must_use]
    pub fn from(&self) -> &EmailAddress {
        &self.from
    }

    /// The sender's display name, if any.
    #[must_use]
    pub fn from_name(&self) -> Option<&str> {
        self.from_name.as_deref()
    }

    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    pub(crate) fn roots(&self) -> &Roots {
        &self.roots
    }

    /// Checks the settings without connecting anywhere.
    ///
    /// # Errors
    /// The first problem found, as an [`SmtpConfigError`].
    pub fn validate(&self) -> Result<(), SmtpConfigError> {
        self.checked_sender().map(drop)
    }

    /// Validates everything and returns the `From` mailbox, which needs
    /// lettre's own address check.
    pub(crate) fn checked_sender(&self) -> Result<lettre::message::Mailbox, SmtpConfigError> {
        if self.host.is_empty() {
            return Err(SmtpConfigError::EmptyHost);
        }
        if !self
            .host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        {
            return Err(SmtpConfigError::InvalidHost(self.host.clone()));
        }
        if self.port == Some(0) {
            return Err(SmtpConfigError::ZeroPort);
        }
        if self.timeout.is_zero() {
            return Err(SmtpConfigError::ZeroTimeout);
        }
        if let Some(credentials) = &self.credentials {
            if self.security == Security::Plain {
                return Err(SmtpConfigError::CredentialsWithoutTls);
            }
            if credentials.username.expose().is_empty() {
                return Err(SmtpConfigError::EmptyUsername);
            }
            if credentials.password.expose().is_empty() {
                return Err(SmtpConfigError::EmptyPassword);
            }
        }
        if self.security == Security::Plain {
            if self.roots.extra_count > 0 || !self.roots.mozilla {
                return Err(SmtpConfigError::RootsWithoutTls);
            }
        } else if !self.roots.mozilla && self.roots.extra_count == 0 {
            return Err(SmtpConfigError::NoRoots);
        }
        if let Some(name) = &self.from_name
            && (name.trim().is_empty() || name.chars().any(char::is_control))
        {
            return Err(SmtpConfigError::InvalidFromName);
        }
        let address: lettre::Address =
            self.from
                .as_str()
                .parse()
                .map_err(|e| SmtpConfigError::InvalidFrom {
                    address: self.from.to_string(),
                    source: Box::new(e),
                })?;
        Ok(lettre::message::Mailbox::new(
            self.from_name.clone(),
            address,
        ))
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port())
            .field("security", &self.security)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .field("from", &self.from)
            .field("from_name", &self.from_name)
            .field("roots", &self.roots)
            .finish()
    }
}

/// Settings that cannot work, found by [`SmtpSettings::validate`] or
/// [`SmtpMailer::new`](crate::SmtpMailer::new) before any connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpConfigError {
    /// No host was given.
    #[error("SMTP settings: the host is empty")]
    EmptyHost,
    /// The host is not a DNS name or IP address.
    #[error(
        "SMTP settings: the host {0:?} is not a host name or IP address \
         (ASCII letters, digits, '.', '-', '_' and ':' only; write an international name in its xn-- form)"
    )]
    InvalidHost(String),
    /// Port 0 was given.
    #[error("SMTP settings: port 0 is not a port to connect to")]
    ZeroPort,
    /// A zero timeout was given.
    #[error("SMTP settings: the timeout must be longer than zero")]
    ZeroTimeout,
    /// Credentials were given with [`Security::Plain`].
    #[error(
        "SMTP settings: credentials would cross the network unencrypted; \
         use Security::StartTls or Security::Tls, or no credentials with a local relay"
    )]
    CredentialsWithoutTls,
    /// The username is empty.
    #[error("SMTP settings: the username is empty")]
    EmptyUsername,
    /// The password is empty.
    #[error("SMTP settings: the password is empty")]
    EmptyPassword,
    /// The display name is blank or holds a line break or another control
    /// character.
    #[error("SMTP settings: the sender's display name is blank or holds a control character")]
    InvalidFromName,
    /// The sender address passed latchkey's check but not lettre's.
    #[error("SMTP settings: the sender address {address} is not one the SMTP library accepts")]
    InvalidFrom {
        /// The address.
        address: String,
        /// lettre's reason.
        #[source]
        source: BoxError,
    },
    /// A root certificate given to
    /// [`SmtpSettings::with_root_certificate`] cannot be used.
    #[error("SMTP settings: the root certificate {problem}")]
    InvalidRootCertificate {
        /// What is wrong with it.
        problem: &'static str,
        /// lettre's or rustls's reason, when they gave one.
        #[source]
        source: Option<BoxError>,
    },
    /// Root certificates were added, or Mozilla's turned off, with
    /// [`Security::Plain`], which uses no TLS and checks no certificate.
    #[error(
        "SMTP settings: root certificates were set, but Security::Plain uses no TLS \
         and checks no certificate; use Security::StartTls or Security::Tls"
    )]
    RootsWithoutTls,
    /// [`SmtpSettings::with_only_own_roots`] without any root added.
    #[error(
        "SMTP settings: only the host's own roots are trusted, but no root certificate \
         was added (SmtpSettings::with_root_certificate)"
    )]
    NoRoots,
    /// TLS could not be set up (no usable crypto provider or roots).
    #[error("SMTP settings: could not set up TLS for {host}")]
    Tls {
        /// The host TLS was for.
        host: String,
        /// lettre's reason.
        #[source]
        source: BoxError,
    },
}
