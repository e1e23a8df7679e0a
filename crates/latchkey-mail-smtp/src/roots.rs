//! The root certificates a mailer trusts for its relay: Mozilla's (by
//! default) and any the host adds from PEM.

use std::fmt;

use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};

use crate::SmtpConfigError;

/// The PEM label of a certificate, and the start of any private key's.
const BEGIN_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----";
const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY-----";

/// Which roots a relay's certificate must chain to.
#[derive(Clone)]
pub(crate) struct Roots {
    /// Mozilla's roots (webpki-roots), on unless the host asks for only
    /// its own.
    pub(crate) mozilla: bool,
    /// Each PEM the host added (one or more certificates each).
    pub(crate) extra: Vec<Certificate>,
    /// How many certificates `extra` holds in all.
    pub(crate) extra_count: usize,
}

impl Default for Roots {
    fn default() -> Self {
        Self {
            mozilla: true,
            extra: Vec::new(),
            extra_count: 0,
        }
    }
}

impl Roots {
    /// Parses `pem` and checks that every certificate in it can be a
    /// trust anchor; then it is added.
    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> Result<(), SmtpConfigError> {
        let invalid = |problem: &'static str, source: Option<lettre::transport::smtp::Error>| {
            SmtpConfigError::InvalidRootCertificate {
                problem,
                source: source.map(|e| Box::new(e) as _),
            }
        };
        let text = std::str::from_utf8(pem).map_err(|_| invalid("is not PEM text", None))?;
        // Refused rather than ignored: a key has no business in settings,
        // and its presence says the wrong file was given.
        if text.contains(PRIVATE_KEY_LABEL) {
            return Err(invalid(
                "PEM holds a private key: give the CA's certificate only",
                None,
            ));
        }
        let count = text
            .lines()
            .filter(|line| line.trim() == BEGIN_CERTIFICATE)
            .count();
        if count == 0 {
            return Err(invalid(
                "PEM holds no certificate (no \"-----BEGIN CERTIFICATE-----\" line)",
                None,
            ));
        }
        let certificate = Certificate::from_pem(pem)
            .map_err(|e| invalid("is not a well-formed PEM certificate", Some(e)))?;
        // rustls parses each certificate as a trust anchor only when the
        // TLS configuration is built: do it now, so a bad root is a
        // settings error and not a failure at the first mail.
        TlsParameters::builder("localhost".to_owned())
            .certificate_store(CertificateStore::None)
            .add_root_certificate(certificate.clone())
            .build_rustls()
            .map_err(|e| {
                invalid(
                    "cannot be a root: it is not a valid X.509 certificate",
                    Some(e),
                )
            })?;
        self.extra.push(certificate);
        self.extra_count += count;
        Ok(())
    }

    /// lettre's TLS parameters for `host` with these roots.
    pub(crate) fn tls_parameters(&self, host: &str) -> Result<TlsParameters, SmtpConfigError> {
        let store = if self.mozilla {
            CertificateStore::WebpkiRoots
        } else {
            CertificateStore::None
        };
        let mut builder = TlsParameters::builder(host.to_owned()).certificate_store(store);
        for certificate in &self.extra {
            builder = builder.add_root_certificate(certificate.clone());
        }
        builder.build_rustls().map_err(|e| SmtpConfigError::Tls {
            host: host.to_owned(),
            source: Box::new(e),
        })
    }
}

/// "Mozilla's roots", "Mozilla's roots and 1 extra root", "2 extra roots
/// only": for `Debug` and error messages, never the certificates.
impl fmt::Display for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.extra_count == 1 { "" } else { "s" };
        match (self.mozilla, self.extra_count) {
            (true, 0) => f.write_str("Mozilla's roots"),
            (true, n) => write!(f, "Mozilla's roots and {n} extra root{plural}"),
            (false, n) => write!(f, "{n} extra root{plural} only"),
        }
    }
}

impl fmt::Debug for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// When `e` is a TLS certificate check that failed, rustls's reason
/// (`invalid peer certificate: …`).
///
/// tokio-rustls reports a failed handshake as an `io::Error` of kind
/// `InvalidData` wrapping the `rustls::Error`, and lettre keeps that
/// `io::Error` as its source. rustls is not a direct dependency, so the
/// reason is recognised by its wording; the TLS tests pin it.
pub(crate) fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(current) = next {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::InvalidData
            && let Some(inner) = io.get_ref()
        {
            let reason = inner.to_string();
            if reason.starts_with("invalid peer certificate") {
                return Some(reason);
            }
        }
        next = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Security, SmtpMailer, SmtpSettings};
    use latchkey_core::EmailAddress;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    fn settings() -> SmtpSettings {
        SmtpSettings::new(
            "relay.example",
            EmailAddress::parse("no-reply@example.com").unwrap(),
        )
    }

    #[test]
    fn roots_are_counted_and_debug_shows_only_the_count() {
        let one = ca_pem();
        let two = format!("{}\n{}", ca_pem(), ca_pem());
        let s = settings()
            .with_root_certificate(one.as_bytes())
            .unwrap()
            .with_root_certificate(two.as_bytes())
            .unwrap();
        assert_eq!(s.extra_root_count(), 3);
        assert!(s.trusts_mozilla_roots());
        let shown = format!("{s:?} {s:#?}");
        assert!(
            shown.contains("Mozilla's roots and 3 extra roots"),
            "{shown}"
        );
        let body = one.lines().nth(1).unwrap();
        assert!(
            !shown.contains(body),
            "the certificate is in Debug: {shown}"
        );
        assert!(SmtpMailer::new(s.clone()).is_ok());

        let own = s.with_only_own_roots();
        assert_eq!(format!("{:?}", own.roots()), "3 extra roots only");
        assert!(SmtpMailer::new(own).is_ok());
        let single = settings()
            .with_root_certificate(one.as_bytes())
            .unwrap()
            .with_only_own_roots();
        assert_eq!(format!("{:?}", single.roots()), "1 extra root only");
        assert_eq!(format!("{:?}", settings().roots()), "Mozilla's roots");
    }

    #[test]
    fn bad_roots_are_refused_with_clear_messages() {
        let key = rcgen::KeyPair::generate().unwrap();
        let with_key = format!("{}{}", ca_pem(), key.serialize_pem());
        let not_a_cert =
            "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
        let broken = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        let cases: [(&[u8], &str); 6] = [
            (b"", "holds no certificate"),
            (b"hello", "holds no certificate"),
            (&[0xff, 0xfe], "not PEM text"),
            (with_key.as_bytes(), "private key"),
            (broken.as_bytes(), "not a well-formed PEM certificate"),
            (not_a_cert.as_bytes(), "cannot be a root"),
        ];
        for (pem, expected) in cases {
            let err = settings().with_root_certificate(pem).expect_err(expected);
            let text = err.to_string();
            assert!(text.contains(expected), "{text} / {expected}");
            assert!(
                !text.contains("PRIVATE KEY") && !text.contains("Tm90"),
                "{text}"
            );
        }
    }

    #[test]
    fn roots_need_tls_and_only_own_roots_need_a_root() {
        let pem = ca_pem();
        let plain = settings().with_security(Security::Plain);
        let with_root = plain.clone().with_root_certificate(pem.as_bytes()).unwrap();
        for s in [with_root, plain.with_only_own_roots()] {
            let err = s.validate().unwrap_err();
            assert!(matches!(err, SmtpConfigError::RootsWithoutTls), "{err}");
            assert!(err.to_string().contains("Security::Plain uses no TLS"));
        }
        let err = SmtpMailer::new(settings().with_only_own_roots()).unwrap_err();
        assert!(matches!(err, SmtpConfigError::NoRoots), "{err}");
    }

    #[derive(Debug)]
    struct Rustls(&'static str);
    impl fmt::Display for Rustls {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Rustls {}

    #[test]
    fn a_certificate_problem_is_found_in_the_io_error() {
        use std::io::{Error, ErrorKind};
        let bad = Error::new(
            ErrorKind::InvalidData,
            Rustls("invalid peer certificate: UnknownIssuer"),
        );
        assert_eq!(
            certificate_problem(&bad).as_deref(),
            Some("invalid peer certificate: UnknownIssuer")
        );
        let other = Error::new(ErrorKind::InvalidData, Rustls("received corrupt message"));
        assert_eq!(certificate_problem(&other), None);
        let refused = Error::from(ErrorKind::ConnectionRefused);
        assert_eq!(certificate_problem(&refused), None);
    }
}
