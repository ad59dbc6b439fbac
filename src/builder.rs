//! [`ClientBuilder`]: every knob of the client, with its default.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use tokio::sync::Semaphore;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service};

use crate::stack::{AuthFn, BoxService, UserLayer};
use crate::{Dhis2Client, Dhis2Version, Error, RetryPolicy, TlsConfig};
use dhis2_layers::{BoxError, RequestBody, ResponseBody};

/// Default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default TCP connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default lifetime of the cached `/api/system/info`.
pub const DEFAULT_SYSTEM_CACHE_TTL: Duration = Duration::from_secs(300);

/// Connection limits: requests in flight and idle pooled connections.
#[derive(Clone)]
pub struct Limits {
    pub(crate) max_concurrent_requests: usize,
    pub(crate) max_idle_per_host: usize,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) shared: Option<SharedLimit>,
    /// No concurrency limit at all (the limit layer is left out of the stack).
    pub(crate) unlimited: bool,
}

impl Default for Limits {
    /// 100 requests in flight, 20 idle connections per host, idle connections closed after 90 s.
    fn default() -> Self {
        Limits {
            max_concurrent_requests: 100,
            max_idle_per_host: 20,
            pool_idle_timeout: Duration::from_secs(90),
            shared: None,
            unlimited: false,
        }
    }
}

impl fmt::Debug for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limits")
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("max_idle_per_host", &self.max_idle_per_host)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("shared", &self.shared.is_some())
            .field("unlimited", &self.unlimited)
            .finish()
    }
}

impl Limits {
    /// At most `n` requests in flight across all clones of the client (must be at least 1). Turns a previous
    /// [`unlimited`](Self::unlimited) off.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.max_concurrent_requests = n;
        self.unlimited = false;
        self
    }

    /// No limit on requests in flight: the concurrency-limit layer is left out of the stack entirely (no permit
    /// is taken per request). Use it when the caller already bounds its concurrency; a later
    /// [`max_concurrent_requests`](Self::max_concurrent_requests) or [`shared`](Self::shared) turns the limit
    /// back on.
    pub fn unlimited(mut self) -> Self {
        self.unlimited = true;
        self.shared = None;
        self
    }

    /// At most `n` idle pooled connections per host.
    pub fn max_idle_per_host(mut self, n: usize) -> Self {
        self.max_idle_per_host = n;
        self
    }

    /// Close pooled connections idle for longer than this.
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool_idle_timeout = d;
        self
    }

    /// Use one limit shared with other clients instead of a per-client one (`max_concurrent_requests` is then
    /// ignored in favour of the shared limit's size).
    pub fn shared(mut self, limit: SharedLimit) -> Self {
        self.shared = Some(limit);
        self.unlimited = false;
        self
    }
}

/// A concurrency limit that several clients can share (pass it to [`Limits::shared`]).
#[derive(Clone, Debug)]
pub struct SharedLimit {
    pub(crate) semaphore: Arc<Semaphore>,
}

impl SharedLimit {
    /// At most `n` requests in flight across every client using this limit (`0` is treated as 1).
    pub fn new(n: usize) -> Self {
        SharedLimit {
            semaphore: Arc::new(Semaphore::new(n.max(1))),
        }
    }
}

/// Builds a [`Dhis2Client`]. Create it with [`Dhis2Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    pub(crate) auth: Option<AuthFn>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) version_pin: Option<Dhis2Version>,
    pub(crate) allow_version_fallback: bool,
    pub(crate) allow_version_mismatch: bool,
    /// Shared: each typed/raw call keeps a handle for resending a request whose body failed.
    pub(crate) retry_policy: Option<Arc<RetryPolicy>>,
    pub(crate) limits: Limits,
    pub(crate) system_cache_ttl: Option<Duration>,
    pub(crate) tls: TlsConfig,
    pub(crate) skip_version_probe: bool,
    pub(crate) layers: Vec<UserLayer>,
    pub(crate) max_response_size: Option<usize>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) compression: bool,
    pub(crate) low_speed: Option<dhis2_layers::LowSpeed>,
    pub(crate) protocol: crate::HttpProtocol,
    pub(crate) proxy: crate::Proxy,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the auth provider: it holds credentials.
        f.debug_struct("ClientBuilder")
            .field("base_url", &redact_userinfo(&self.base_url))
            .field("auth", &self.auth.as_ref().map(|_| "[configured]"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("version_pin", &self.version_pin)
            .field("allow_version_fallback", &self.allow_version_fallback)
            .field("allow_version_mismatch", &self.allow_version_mismatch)
            .field("retry_policy", &self.retry_policy.is_some())
            .field("limits", &self.limits)
            .field("system_cache_ttl", &self.system_cache_ttl)
            .field("tls", &self.tls)
            .field("skip_version_probe", &self.skip_version_probe)
            .field("layers", &self.layers.len())
            .field("max_response_size", &self.max_response_size)
            .field("deadline", &self.deadline)
            .field("compression", &self.compression)
            .field("low_speed", &self.low_speed)
            .field("protocol", &self.protocol)
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// The URL without any embedded password (which `build()` rejects anyway), for `Debug`.
pub(crate) fn redact_userinfo(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("[redacted]"));
            u.to_string()
        }
        Ok(_) => raw.to_owned(),
        // An unparsable URL is shown unless it might hold userinfo.
        Err(_) if raw.contains('@') => "[unparsable URL]".to_owned(),
        Err(_) => raw.to_owned(),
    }
}

impl ClientBuilder {
    pub(crate) fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            auth: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            version_pin: None,
            allow_version_fallback: false,
            allow_version_mismatch: false,
            retry_policy: None,
            limits: Limits::default(),
            system_cache_ttl: Some(DEFAULT_SYSTEM_CACHE_TTL),
            tls: TlsConfig::default(),
            skip_version_probe: false,
            layers: Vec::new(),
            max_response_size: None,
            deadline: None,
            compression: true,
            low_speed: Some(dhis2_layers::LowSpeed::DEFAULT),
            protocol: crate::HttpProtocol::Negotiate,
            proxy: crate::Proxy::from_env(),
        }
    }

    /// Credentials: [`BasicAuth`](crate::BasicAuth), [`PatAuth`](crate::PatAuth),
    /// [`BearerAuth`](crate::BearerAuth), [`SessionCookieAuth`](crate::SessionCookieAuth),
    /// [`OAuth2Auth`](crate::OAuth2Auth) or any [`AuthProvider`](crate::AuthProvider). They are sent only to the
    /// base URL's origin. Default: none.
    pub fn auth<P: crate::AuthProvider>(self, provider: P) -> Self {
        self.auth_arc(Arc::new(provider))
    }

    /// Like [`auth`](Self::auth), for a provider already shared behind an `Arc` (e.g. an OAuth2 provider whose
    /// token store you keep using).
    pub fn auth_arc(mut self, provider: Arc<dyn crate::AuthProvider>) -> Self {
        self.auth = Some(provider);
        self
    }

    /// Per-attempt timeout: until the response headers arrive, and then the longest wait for the next piece of
    /// the body (a stalled body fails with [`Error::Timeout`] instead of hanging). Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The low-speed guard, in the spirit of curl's `--speed-limit`/`--speed-time`: an attempt whose response
    /// body arrives slower than `bytes_per_sec` on average over a whole `window` fails with [`Error::Timeout`]
    /// saying so. A body that trickles a byte a second never trips the per-wait [`timeout`](Self::timeout), and
    /// would otherwise run for as long as the trickle lasts. Default: 256 bytes/s over 60 s
    /// ([`LowSpeed::DEFAULT`](crate::layers::LowSpeed::DEFAULT)), far under any healthy link, so long exports are
    /// never cut. `low_speed_limit(0, ..)` switches it off.
    pub fn low_speed_limit(mut self, bytes_per_sec: u64, window: Duration) -> Self {
        self.low_speed =
            (bytes_per_sec > 0 && !window.is_zero()).then_some(dhis2_layers::LowSpeed {
                bytes_per_sec,
                window,
            });
        self
    }

    /// TCP connect timeout. Default 60 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Pin the DHIS2 version (e.g. `Dhis2Version::V42`). Connecting to a server of another major fails with
    /// [`Error::VersionPinMismatch`] unless [`allow_version_mismatch`](Self::allow_version_mismatch) is set.
    /// Default: auto-detect.
    pub fn version(mut self, version: Dhis2Version) -> Self {
        self.version_pin = Some(version);
        self
    }

    /// Use the newest supported model set for a server newer than every supported version. Default false.
    pub fn allow_version_fallback(mut self, allow: bool) -> Self {
        self.allow_version_fallback = allow;
        self
    }

    /// Keep a version pin even when the server reports another version. Default false.
    pub fn allow_version_mismatch(mut self, allow: bool) -> Self {
        self.allow_version_mismatch = allow;
        self
    }

    /// Retry 429/502/503/504 and connection errors with this policy. Default: no retries.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(Arc::new(policy));
        self
    }

    /// Concurrency and pool limits. Default: 100 in flight, 20 idle per host.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How long `system().info()` is cached; `None` disables the cache. Default 300 s.
    pub fn system_cache_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.system_cache_ttl = ttl;
        self
    }

    /// TLS verification settings. Default: verify against the webpki roots.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// Ask for compressed answers (`Accept-Encoding: gzip, deflate`, plus `br` and `zstd` with the crate
    /// features of those names) and decode them, on every call path. Default true: DHIS2 behind nginx (as its
    /// install guide sets it up) sends JSON gzipped, often a fifth of the size. A request that sets its own
    /// `Accept-Encoding` (through `get_response`'s headers) gets the body as sent, still compressed.
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Which HTTP versions to speak. Default [`HttpProtocol::Negotiate`](crate::HttpProtocol::Negotiate): ALPN `h2` then `http/1.1` over TLS,
    /// HTTP/1.1 on plain http.
    pub fn http_protocol(mut self, protocol: crate::HttpProtocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Speak HTTP/1.1 only, also over TLS. Same as `http_protocol(HttpProtocol::Http1Only)`.
    pub fn http1_only(self) -> Self {
        self.http_protocol(crate::HttpProtocol::Http1Only)
    }

    /// Speak HTTP/2 from the first byte: h2c on plain http, only `h2` offered over TLS. Same as
    /// `http_protocol(HttpProtocol::Http2PriorKnowledge)`.
    pub fn http2_prior_knowledge(self) -> Self {
        self.http_protocol(crate::HttpProtocol::Http2PriorKnowledge)
    }

    /// Which HTTP proxy to go through. Default [`Proxy::from_env`](crate::Proxy::from_env) (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`); [`Proxy::none`](crate::Proxy::none) ignores the environment.
    pub fn proxy(mut self, proxy: crate::Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Largest response body the typed and raw helpers read into memory, counted after decompression (so a
    /// small gzip body that inflates past it stops there); a bigger one fails with [`Error::BodyTooLarge`] as
    /// soon as the limit is crossed. Default: no limit.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = Some(bytes);
        self
    }

    /// Overall deadline of one typed or raw call: every attempt, the backoff between them and reading the body.
    /// When it passes the call fails with [`Error::Timeout`]. Default: none (each attempt is still bounded by
    /// [`timeout`](Self::timeout)).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Skip the handshake (canonical URL and `/api/system/info`): `connect()` then does no network I/O, the raw
    /// helpers work, and `version_key()`/`raw_version()` return [`Error::VersionUnknown`]. Default false.
    pub fn skip_version_probe(mut self, skip: bool) -> Self {
        self.skip_version_probe = skip;
        self
    }

    /// Insert a tower layer between the default headers and the retry layer, so it sees each logical request
    /// once (before retries) with an absolute URI and the default headers set. Layers run in the order added
    /// (the first added is outermost).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<BoxService> + Send + Sync + 'static,
        L::Service: Service<Request<RequestBody>, Response = Response<ResponseBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Request<RequestBody>>>::Error: Into<BoxError>,
        <L::Service as Service<Request<RequestBody>>>::Future: Send + 'static,
    {
        let f: UserLayer = Arc::new(move |svc: BoxService| {
            BoxCloneSyncService::new(
                tower::ServiceBuilder::new()
                    .map_err(Into::<BoxError>::into)
                    .service(layer.layer(svc)),
            )
        });
        self.layers.push(f);
        self
    }

    /// Check the settings and build an unconnected client (no network I/O). Fails with [`Error::Config`] on a
    /// bad URL, zero concurrency or an unusable CA bundle.
    pub fn build(self) -> Result<Dhis2Client, Error> {
        Dhis2Client::from_builder(self)
    }

    /// Build, then [`connect`](Dhis2Client::connect).
    pub async fn connect(self) -> Result<Dhis2Client, Error> {
        let client = self.build()?;
        client.connect().await?;
        Ok(client)
    }
}
