//! TLS settings (which roots to trust) and the hyper-rustls connector (ring provider, ALPN `h2` then
//! `http/1.1`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::Error;

/// Which HTTP versions the client speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpProtocol {
    /// Over TLS, offer `h2` then `http/1.1` by ALPN and use what the server picks (as browsers and reqwest do);
    /// plain `http://` uses HTTP/1.1. The default.
    #[default]
    Negotiate,
    /// HTTP/1.1 only, also over TLS (for a proxy or server whose HTTP/2 misbehaves).
    Http1Only,
    /// HTTP/2 only, with prior knowledge: h2c on plain `http://`, and only `h2` offered over TLS.
    Http2PriorKnowledge,
}

/// How the client verifies the server's certificate.
///
/// The default verifies against the bundled webpki (Mozilla) roots. [`TlsConfig::native_roots`] uses the
/// operating system's store instead (where ministries install their internal CAs). A PEM bundle either adds to
/// those roots ([`ca_bundle`](TlsConfig::ca_bundle), [`add_ca_bundle`](TlsConfig::add_ca_bundle)) or replaces
/// them ([`ca_bundle_only`](TlsConfig::ca_bundle_only)). [`TlsConfig::insecure`] switches verification off
/// (tests only).
///
/// ```
/// use dhis2::TlsConfig;
/// // The OS store plus the ministry's own CA file.
/// let tls = TlsConfig::native_roots().add_ca_bundle("/etc/ssl/ministry-ca.pem");
/// assert!(!tls.is_insecure());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    roots: Roots,
    /// PEM bundles trusted on top of `roots`.
    bundles: Vec<PathBuf>,
}

#[derive(Clone, Default, PartialEq, Eq)]
enum Roots {
    #[default]
    WebPki,
    Native,
    /// Only the bundles.
    Empty,
    Insecure,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let roots = match self.roots {
            Roots::WebPki => "TlsConfig::WebPkiRoots",
            Roots::Native => "TlsConfig::NativeRoots",
            Roots::Empty => "TlsConfig::BundlesOnly",
            Roots::Insecure => return f.write_str("TlsConfig::Insecure"),
        };
        if self.bundles.is_empty() {
            return f.write_str(roots);
        }
        let shown: Vec<_> = self.bundles.iter().map(|p| p.display()).collect();
        write!(f, "{roots} + CaBundle({shown:?})")
    }
}

impl TlsConfig {
    /// Verify certificates against the bundled webpki roots (the default).
    pub fn webpki_roots() -> Self {
        Self::default()
    }

    /// Verify certificates against the operating system's trust store (on Linux the distribution's bundle, or
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR` when set; the Keychain on macOS; the Windows store). Read when the client
    /// is built; a store with no usable certificate makes `build()` fail with [`Error::Config`].
    pub fn native_roots() -> Self {
        TlsConfig {
            roots: Roots::Native,
            bundles: Vec::new(),
        }
    }

    /// Trust the certificates in a PEM file **in addition to** the webpki roots.
    ///
    /// The file is read when the client is built; a missing file, or one holding no certificate, makes
    /// `build()` fail with [`Error::Config`] naming the path.
    pub fn ca_bundle(path: impl Into<PathBuf>) -> Self {
        Self::webpki_roots().add_ca_bundle(path)
    }

    /// Trust **only** the certificates in a PEM file (a private CA that should be the sole authority).
    pub fn ca_bundle_only(path: impl Into<PathBuf>) -> Self {
        TlsConfig {
            roots: Roots::Empty,
            bundles: vec![path.into()],
        }
    }

    /// Also trust the certificates of a PEM file, on top of what this configuration trusts already.
    pub fn add_ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.bundles.push(path.into());
        self
    }

    /// Accept any server certificate. **Dangerous**: only for tests and throwaway instances; a warning is logged
    /// when a client is built with it.
    pub fn insecure() -> Self {
        TlsConfig {
            roots: Roots::Insecure,
            bundles: Vec::new(),
        }
    }

    /// True when certificate verification is switched off.
    pub fn is_insecure(&self) -> bool {
        self.roots == Roots::Insecure
    }

    /// Build the rustls client configuration (ring provider, safe protocol versions).
    pub(crate) fn client_config(&self) -> Result<ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(format!("cannot set up TLS protocol versions: {e}")))?;
        let mut roots = match self.roots {
            Roots::Insecure => {
                return Ok(builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AcceptAnyCert { provider }))
                    .with_no_client_auth())
            }
            Roots::WebPki => webpki_root_store(),
            Roots::Native => native_root_store()?,
            Roots::Empty => RootCertStore::empty(),
        };
        for path in &self.bundles {
            for cert in read_pem_certs(path)? {
                roots.add(cert).map_err(|e| {
                    Error::Config(format!(
                        "CA bundle {}: a certificate was rejected: {e}",
                        path.display()
                    ))
                })?;
            }
        }
        // ALPN is set by the hyper-rustls connector builder (`connector_for`).
        Ok(builder.with_root_certificates(roots).with_no_client_auth())
    }

    /// The HTTPS-or-HTTP connector the client's pooled hyper client uses (TCP_NODELAY on, `connect_timeout`,
    /// ALPN `h2` then `http/1.1`, this certificate policy). Public so a stack built by hand for
    /// [`Dhis2Client::from_service`](crate::Dhis2Client::from_service), or a benchmark, can connect exactly
    /// the same way. The client adds its proxy handling on top (see [`Proxy`](crate::Proxy)).
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
        self.connector_for(connect_timeout, HttpProtocol::Negotiate)
    }

    /// Like [`connector`](Self::connector), offering the HTTP versions of `protocol` by ALPN.
    pub fn connector_for(
        &self,
        connect_timeout: Duration,
        protocol: HttpProtocol,
    ) -> Result<HttpsConnector<HttpConnector>, Error> {
        self.wrap(tcp_connector(connect_timeout), protocol)
    }

    /// TLS (or plain http) over `inner`, offering the versions of `protocol`.
    pub(crate) fn wrap<C>(
        &self,
        inner: C,
        protocol: HttpProtocol,
    ) -> Result<HttpsConnector<C>, Error> {
        if self.is_insecure() {
            // Logged here, where the pool is built, not in `client_config` (also called to validate at build()).
            tracing::warn!("TLS certificate verification is DISABLED (TlsConfig::insecure)");
        }
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(self.client_config()?)
            .https_or_http();
        Ok(match protocol {
            HttpProtocol::Negotiate => builder.enable_all_versions().wrap_connector(inner),
            HttpProtocol::Http1Only => builder.enable_http1().wrap_connector(inner),
            HttpProtocol::Http2PriorKnowledge => builder.enable_http2().wrap_connector(inner),
        })
    }
}

/// The TCP connector under TLS: TCP_NODELAY, `connect_timeout`, any URI scheme (TLS is the wrapper's job).
pub(crate) fn tcp_connector(connect_timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    http
}

fn webpki_root_store() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The operating system's trust store; certificates it cannot parse are skipped (as browsers do), but a store
/// with none usable is an error that says where the loader looked.
fn native_root_store() -> Result<RootCertStore, Error> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (_added, _skipped) = roots.add_parsable_certificates(loaded.certs);
    if roots.is_empty() {
        let why: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        return Err(Error::Config(format!(
            "the operating system's certificate store has no usable certificate{}",
            if why.is_empty() {
                String::new()
            } else {
                format!(": {}", why.join("; "))
            }
        )));
    }
    Ok(roots)
}

/// Read every certificate of a PEM file; zero certificates is an error, as is an unreadable file.
fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let data = std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read CA bundle {}: {e}", path.display())))?;
    let certs = CertificateDer::pem_slice_iter(&data)
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
