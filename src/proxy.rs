//! [`Proxy`]: which HTTP proxy the client goes through, and the connector that does it with hyper-util's proxy
//! matcher (curl's `NO_PROXY` rules) and CONNECT tunnel.
//!
//! hyper-util ships both pieces but no connector that picks between them per destination; [`ProxyConnector`] is
//! that choice and nothing more: direct, a CONNECT tunnel for https (TLS then runs end to end through it, so the
//! proxy sees neither DHIS2 credentials nor data), or, for plain-http targets, a connection to the proxy itself
//! marked as proxied so hyper sends absolute-form request targets.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Uri};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower::Service;

use crate::Error;
use dhis2_layers::{BoxError, Secret};

/// Which proxy the client uses.
///
/// The default, [`Proxy::from_env`], follows `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (upper or
/// lower case) as curl does. https targets go through a CONNECT tunnel: the proxy sees the host and port, and
/// only `Proxy-Authorization`; DHIS2 credentials stay inside TLS. Plain-http targets are sent to the proxy
/// whole (as with any HTTP proxy), with `Proxy-Authorization` added.
///
/// ```
/// use dhis2::{Dhis2Client, Proxy};
///
/// # fn main() -> Result<(), dhis2::Error> {
/// let client = Dhis2Client::builder("https://dhis2.example.org")
///     .proxy(
///         Proxy::all("http://proxy.ministry.local:3128")
///             .basic_auth("etl", "s3cret")
///             .no_proxy("localhost,.ministry.local"),
///     )
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Proxy {
    kind: Kind,
}

#[derive(Clone, Default)]
enum Kind {
    #[default]
    FromEnv,
    None,
    Explicit {
        url: String,
        auth: Option<(String, Secret)>,
        no_proxy: String,
    },
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::FromEnv => f.write_str("Proxy::FromEnv"),
            Kind::None => f.write_str("Proxy::None"),
            Kind::Explicit {
                url,
                auth,
                no_proxy,
            } => f
                .debug_struct("Proxy")
                .field("url", &crate::builder::redact_userinfo(url))
                .field("user", &auth.as_ref().map(|(user, _)| user))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

impl Proxy {
    /// Follow the proxy environment variables (the default): `HTTPS_PROXY` for https targets, `HTTP_PROXY` for
    /// http, `ALL_PROXY` for both when the specific one is unset, and `NO_PROXY`'s exceptions. Read once, when
    /// the client is built.
    pub fn from_env() -> Self {
        Proxy {
            kind: Kind::FromEnv,
        }
    }

    /// No proxy at all, whatever the environment says.
    pub fn none() -> Self {
        Proxy { kind: Kind::None }
    }

    /// Send every request through the proxy at `url` (`http://host:port`; credentials may be in the URL or
    /// given with [`basic_auth`](Self::basic_auth)). The environment is ignored.
    pub fn all(url: impl Into<String>) -> Self {
        Proxy {
            kind: Kind::Explicit {
                url: url.into(),
                auth: None,
                no_proxy: String::new(),
            },
        }
    }

    /// Basic credentials for the proxy (`Proxy-Authorization`); only for [`Proxy::all`].
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        if let Kind::Explicit { auth, .. } = &mut self.kind {
            *auth = Some((user.into(), Secret::new(password.into())));
        }
        self
    }

    /// Hosts reached directly, in `NO_PROXY` syntax (`localhost,.example.org,10.0.0.0/8`); only for
    /// [`Proxy::all`].
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        if let Kind::Explicit { no_proxy, .. } = &mut self.kind {
            *no_proxy = list.into();
        }
        self
    }

    /// The matcher for this setting; `None` when no proxy can apply. Checks an explicit URL.
    pub(crate) fn matcher(&self) -> Result<Option<Arc<Matcher>>, Error> {
        match &self.kind {
            Kind::None => Ok(None),
            Kind::FromEnv => Ok(Some(Arc::new(Matcher::from_env()))),
            Kind::Explicit {
                url,
                auth,
                no_proxy,
            } => {
                let mut parsed = url::Url::parse(url).map_err(|e| {
                    Error::Config(format!(
                        "proxy URL {} is not a URL: {e}",
                        crate::builder::redact_userinfo(url)
                    ))
                })?;
                if parsed.scheme() != "http" {
                    return Err(Error::Config(format!(
                        "proxy URL {}: only http:// proxies are supported (https targets still get \
                         end-to-end TLS through a CONNECT tunnel)",
                        crate::builder::redact_userinfo(url)
                    )));
                }
                if let Some((user, password)) = auth {
                    let bad = |_| Error::Config("proxy URL cannot carry credentials".into());
                    parsed.set_username(user).map_err(bad)?;
                    parsed.set_password(Some(password.expose())).map_err(bad)?;
                }
                Ok(Some(Arc::new(
                    Matcher::builder()
                        .all(String::from(parsed))
                        .no(no_proxy.clone())
                        .build(),
                )))
            }
        }
    }
}

/// Connects directly, through a CONNECT tunnel, or to the proxy itself (see the module docs).
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    matcher: Option<Arc<Matcher>>,
}

impl ProxyConnector {
    pub(crate) fn new(http: HttpConnector, matcher: Option<Arc<Matcher>>) -> Self {
        ProxyConnector { http, matcher }
    }
}

/// The `Proxy-Authorization` value a plain-http request to `uri` must carry, when it goes through a proxy
/// with credentials (https requests carry it only on the CONNECT).
pub(crate) fn plain_http_proxy_auth(matcher: &Matcher, uri: &Uri) -> Option<HeaderValue> {
    if uri.scheme() != Some(&http::uri::Scheme::HTTP) {
        return None;
    }
    let mut value = matcher.intercept(uri)?.basic_auth()?.clone();
    value.set_sensitive(true);
    Some(value)
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let Some(intercept) = self.matcher.as_ref().and_then(|m| m.intercept(&dst)) else {
            let connecting = self.http.call(dst);
            return Box::pin(async move { Ok(ProxyStream::new(connecting.await?, false)) });
        };
        let proxy = intercept.uri().clone();
        if proxy.scheme() != Some(&http::uri::Scheme::HTTP) {
            let shown = format!(
                "{}://{}",
                proxy.scheme_str().unwrap_or("?"),
                proxy.authority().map(|a| a.host()).unwrap_or("?")
            );
            return Box::pin(async move {
                Err(format!(
                    "proxy {shown} (from the environment): only http:// proxies are supported"
                )
                .into())
            });
        }
        if dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
            let mut tunnel = Tunnel::new(proxy, self.http.clone());
            if let Some(auth) = intercept.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            return Box::pin(async move { Ok(ProxyStream::new(tunnel.call(dst).await?, false)) });
        }
        let connecting = self.http.call(proxy);
        Box::pin(async move { Ok(ProxyStream::new(connecting.await?, true)) })
    }
}

/// A TCP connection, direct or through a proxy; `proxied` tells hyper to send absolute-form targets.
pub(crate) struct ProxyStream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl ProxyStream {
    fn new(io: TokioIo<TcpStream>, proxied: bool) -> Self {
        ProxyStream { io, proxied }
    }
}

impl fmt::Debug for ProxyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyStream")
            .field("proxied", &self.proxied)
            .finish()
    }
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
