//! Certificates made when the tests run (rcgen, pure Rust): a test CA and
//! server certificates it signs, for the TLS servers in [`super::server`].
//! Nothing is stored in the repository; every test run has its own CA.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A CA that exists only for this test.
pub struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate and its private key, both PEM.
pub struct ServerCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new() -> Self {
        let key = KeyPair::generate().expect("a CA key");
        let mut params = CertificateParams::new(Vec::new()).expect("CA params");
        // A name of its own: another test CA must not look like this one's
        // issuer (rustls would then find a bad signature, not an unknown CA).
        let name = latchkey_testkit::fresh_name("latchkey test CA");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).expect("the CA certificate").pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA's certificate, to trust as a root.
    pub fn root_pem(&self) -> &[u8] {
        self.pem.as_bytes()
    }

    /// A TLS server certificate for `host` (its only name), signed by
    /// this CA.
    pub fn server_cert(&self, host: &str) -> ServerCert {
        let key = KeyPair::generate().expect("a server key");
        let mut params = CertificateParams::new(vec![host.to_owned()]).expect("server params");
        params.distinguished_name.push(DnType::CommonName, host);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("the server certificate");
        ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}
