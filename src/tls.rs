//! TLS settings and the hyper-rustls connector (ring provider, HTTP/1 only).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::Error;

/// How the client verifies the server's certificate.
///
/// The default verifies against the bundled webpki (Mozilla) roots. Use [`TlsConfig::ca_bundle`] to trust an extra
/// PEM bundle (a private CA) and [`TlsConfig::insecure`] to switch verification off (tests only).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    mode: Mode,
}

#[derive(Clone, Default, PartialEq, Eq)]
enum Mode {
    #[default]
    WebPki,
    CaBundle(PathBuf),
    Insecure,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Mode::WebPki => f.write_str("TlsConfig::WebPkiRoots"),
            Mode::CaBundle(p) => write!(f, "TlsConfig::CaBundle({})", p.display()),
            Mode::Insecure => f.write_str("TlsConfig::Insecure"),
        }
    }
}

impl TlsConfig {
    /// Verify certificates against the bundled webpki roots (the default).
    pub fn webpki_roots() -> Self {
        Self { mode: Mode::WebPki }
    }

    /// Trust the certificates in a PEM file in addition to the webpki roots.
    ///
    /// The file is read when the client is built; a missing file, or one holding no certificate, makes
    /// `build()` fail with [`Error::Config`] naming the path.
    pub fn ca_bundle(path: impl Into<PathBuf>) -> Self {
        Self {
            mode: Mode::CaBundle(path.into()),
        }
    }

    /// Accept any server certificate. **Dangerous**: only for tests and throwaway instances; a warning is logged
    /// when a client is built with it.
    pub fn insecure() -> Self {
        Self {
            mode: Mode::Insecure,
        }
    }

    /// True when certificate verification is switched off.
    pub fn is_insecure(&self) -> bool {
        self.mode == Mode::Insecure
    }

    /// Build the rustls client configuration (ring provider, safe protocol versions).
    pub(crate) fn client_config(&self) -> Result<ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(format!("cannot set up TLS protocol versions: {e}")))?;
        let config = match &self.mode {
            Mode::WebPki => builder
                .with_root_certificates(webpki_root_store())
                .with_no_client_auth(),
            Mode::CaBundle(path) => {
                let mut roots = webpki_root_store();
                for cert in read_pem_certs(path)? {
                    roots.add(cert).map_err(|e| {
                        Error::Config(format!(
                            "CA bundle {}: a certificate was rejected: {e}",
                            path.display()
                        ))
                    })?;
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            Mode::Insecure => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert { provider }))
                .with_no_client_auth(),
        };
        // ALPN is set by the hyper-rustls connector builder (`enable_http1`).
        Ok(config)
    }

    /// The HTTPS-or-HTTP connector the client's pooled hyper client uses (TCP_NODELAY on, `connect_timeout`,
    /// HTTP/1.1, this certificate policy). Public so a stack built by hand for
    /// [`Dhis2Client::from_service`](crate::Dhis2Client::from_service), or a benchmark, can connect exactly
    /// the same way.
    ///
    /// ```
    /// # fn main() -> Result<(), dhis2::Error> {
    /// let connector = dhis2::TlsConfig::default().connector(std::time::Duration::from_secs(10))?;
    /// # let _ = connector;
    /// # Ok(())
    /// # }
    /// ```
    pub fn connector(
        &self,
        connect_timeout: Duration,
    ) -> Result<HttpsConnector<HttpConnector>, Error> {
        if self.is_insecure() {
            // Logged here, where the pool is built, not in `client_config` (also called to validate at build()).
            tracing::warn!("TLS certificate verification is DISABLED (TlsConfig::insecure)");
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        Ok(hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(self.client_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http))
    }
}

fn webpki_root_store() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// Read every certificate of a PEM file; zero certificates is an error, as is an unreadable file.
fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let data = std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read CA bundle {}: {e}", path.display())))?;
    let mut reader = std::io::BufReader::new(data.as_slice());
    let certs = rustls_pemfile::certs(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::Config(format!(
                "CA bundle {} is not valid PEM: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "CA bundle {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// Certificate verifier for [`TlsConfig::insecure`]: trusts any chain, but still checks handshake signatures so
/// the connection keeps its integrity against passive tampering.
#[derive(Debug)]
struct AcceptAnyCert {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
