//! Assembly of the tower stack (DESIGN section 2), outermost first:
//!
//! `VersionProbe -> BaseUrl -> DefaultHeaders -> user layers -> Retry -> Auth -> Trace -> ConcurrencyLimit ->
//! Timeout -> Decompression -> hyper-util Client`
//!
//! Decompression sits below the timeout, so everything above sees decoded bodies: the stall guard watches the
//! decoded stream, a corrupt gzip body fails like any other body error (retried as a body failure, named by
//! method and path), and `max_response_size` counts decoded bytes.
//!
//! The whole stack is erased once, as [`BoxService`]; below it the layers keep their concrete types (absent
//! optional layers are the other side of an `Either`), so the clone each call makes is a few reference-count
//! bumps, not one allocation per layer. Only user layers, which are type-erased themselves, add a box. The
//! ErrorMap rules are applied by the typed/raw calls while they collect the body (`client::collect_mapped`).

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::Semaphore;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

use crate::proxy::{plain_http_proxy_auth, ProxyConnector};
use crate::{Error, HttpProtocol, Proxy, RetryPolicy, TlsConfig};
use dhis2_layers::auth::{AuthLayer, AuthProvider};
use dhis2_layers::retry::{default_classifier, ErrorClass, RetryLayer};
use dhis2_layers::version_probe::{ProbeHandle, VersionProbeLayer};
use dhis2_layers::{
    BaseUrlLayer, BoxError, DecompressionLayer, DefaultHeadersLayer, HttpTraceLayer, RequestBody,
    ResponseBody, TimeoutLayer,
};
use hyper_util::client::proxy::matcher::Matcher;

/// The erased stack.
pub type BoxService = BoxCloneSyncService<Request<RequestBody>, Response<ResponseBody>, BoxError>;

/// The pooled hyper-util client at the bottom of the stack (also used bare, without credentials, by the
/// canonical-URL handshake). For a plain-http request through a proxy with credentials it adds
/// `Proxy-Authorization` (an https request carries it only on the tunnel's CONNECT).
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: Client<HttpsConnector<ProxyConnector>, RequestBody>,
    proxy: Option<Arc<Matcher>>,
}

impl HttpClient {
    /// Sends `req` on a pooled connection.
    pub(crate) fn request(
        &self,
        mut req: Request<RequestBody>,
    ) -> hyper_util::client::legacy::ResponseFuture {
        if let Some(matcher) = &self.proxy {
            if let Some(auth) = plain_http_proxy_auth(matcher, req.uri()) {
                req.headers_mut()
                    .insert(http::header::PROXY_AUTHORIZATION, auth);
            }
        }
        self.client.request(req)
    }
}

/// The configured credentials (applied for the base URL's origin only).
pub(crate) type AuthFn = Arc<dyn AuthProvider>;

/// Applies one user layer.
pub(crate) type UserLayer = Arc<dyn Fn(BoxService) -> BoxService + Send + Sync>;

/// How the bottom of the stack connects: TLS roots, HTTP versions, proxy, pool.
pub(crate) struct Transport<'a> {
    pub(crate) tls: &'a TlsConfig,
    pub(crate) protocol: HttpProtocol,
    pub(crate) proxy: &'a Proxy,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_idle_per_host: usize,
    pub(crate) pool_idle_timeout: Duration,
}

/// HTTP/2 flow control keeps hyper's static windows (2 MiB a stream, 5 MiB a connection), several times the
/// bandwidth-delay product of any link DHIS2 integrations use. The adaptive window was measured slower on a
/// shaped 20 Mbit/s, 80 ms link (bench `wan_org_units_100k`): it starts at HTTP/2's 64 KiB and grows by pings.
///
/// Interval of HTTP/2 keep-alive pings while requests are in flight (none while idle), and how long an
/// unanswered ping may wait before the connection is dropped: a dead path is noticed within a timeout, not
/// after TCP's own minutes.
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Builds the pooled hyper client (pool timer set so the idle timeout works) with the proxy rules.
pub(crate) fn http_client(t: &Transport<'_>) -> Result<HttpClient, Error> {
    let matcher = t.proxy.matcher()?;
    let connector = ProxyConnector::new(
        crate::tls::tcp_connector(t.connect_timeout),
        matcher.clone(),
    );
    let connector = t.tls.wrap(connector, t.protocol)?;
    let mut builder = Client::builder(TokioExecutor::new());
    builder
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(t.pool_idle_timeout)
        .pool_max_idle_per_host(t.max_idle_per_host)
        .http2_keep_alive_interval(H2_KEEP_ALIVE_INTERVAL)
        .http2_keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT)
        .http2_only(t.protocol == HttpProtocol::Http2PriorKnowledge);
    Ok(HttpClient {
        client: builder.build(connector),
        proxy: matcher,
    })
}

/// The pooled client as the bottom service. hyper-util's `Client` copies its whole configuration when cloned
/// (and `request` clones it once more); behind an `Arc`, cloning the stack for a call bumps one count instead.
#[derive(Clone)]
struct SharedClient(Arc<HttpClient>);

impl Service<Request<RequestBody>> for SharedClient {
    type Response = Response<hyper::body::Incoming>;
    type Error = Unreachable;
    type Future = NamingServer;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The legacy client is always ready: it queues for a pooled connection inside its future.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<RequestBody>) -> Self::Future {
        // Scheme and authority are shared bytes: keeping them for the error path costs two reference counts.
        let server = (req.uri().scheme().cloned(), req.uri().authority().cloned());
        NamingServer {
            inner: self.0.request(req),
            server,
        }
    }
}

/// A request that failed below the stack (connect, TLS, send, or the connection lost), naming the server it was
/// for (scheme, host and port; never credentials) so `Error::Transport` says where it could not get. The
/// hyper-util error stays the source, so errors are still classified by type.
#[derive(Debug)]
pub(crate) struct Unreachable {
    server: String,
    source: hyper_util::client::legacy::Error,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.server, self.source)?;
        // hyper-util's own text names only the stage ("client error (Connect)"); the root cause says why.
        let root =
            std::iter::successors(std::error::Error::source(&self.source), |e| e.source()).last();
        if let Some(root) = root {
            write!(f, ": {root}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Unreachable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The response future of the bottom service: hyper-util's, with [`Unreachable`] naming the server on error.
pub(crate) struct NamingServer {
    inner: hyper_util::client::legacy::ResponseFuture,
    server: (Option<http::uri::Scheme>, Option<http::uri::Authority>),
}

impl std::future::Future for NamingServer {
    type Output = Result<Response<hyper::body::Incoming>, Unreachable>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        std::pin::Pin::new(&mut this.inner)
            .poll(cx)
            .map_err(|source| {
                let (scheme, authority) = &this.server;
                let scheme = scheme.as_ref().map_or("http", |s| s.as_str());
                let server = match authority {
                    // Never userinfo: the authority is written host and port only.
                    Some(a) => match a.port() {
                        Some(port) => format!("{scheme}://{}:{port}", a.host()),
                        None => format!("{scheme}://{}", a.host()),
                    },
                    None => "the server".to_owned(),
                };
                Unreachable { server, source }
            })
    }
}

/// Everything needed to assemble the stack for one base URL.
pub(crate) struct StackConfig {
    pub(crate) http: HttpClient,
    /// Ask for compressed answers and decode them (`compression(true)`, the default).
    pub(crate) compression: bool,
    pub(crate) base: Uri,
    pub(crate) origin: Uri,
    pub(crate) auth: Option<AuthFn>,
    pub(crate) retry: Option<RetryPolicy>,
    /// The concurrency limit; `None` when it is off (`Limits::unlimited`).
    pub(crate) semaphore: Option<Arc<Semaphore>>,
    pub(crate) timeout: Duration,
    /// The body's low-speed guard.
    pub(crate) low_speed: Option<dhis2_layers::LowSpeed>,
    pub(crate) layers: Vec<UserLayer>,
}

/// What a layer below the top must be to be stacked on and erased.
pub(crate) trait Stackable:
    Service<
        Request<RequestBody>,
        Response = Response<ResponseBody>,
        Error = BoxError,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Stackable for S where
    S: Service<
            Request<RequestBody>,
            Response = Response<ResponseBody>,
            Error = BoxError,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// Assembles the stack; with `probe`, the version probe layer goes on top (its handle must be primed by the
/// caller first, or the first request probes). Cheap: the hyper client (and so the connection pool) is shared.
/// Fails with [`Error::Config`] when the auth layer refuses the origin (it fails closed; a base URL that
/// `parse_base_url` accepted always has a usable one).
pub(crate) fn assemble(cfg: &StackConfig, probe: Option<ProbeHandle>) -> Result<BoxService, Error> {
    let transport = ServiceBuilder::new()
        .layer(HttpTraceLayer::new())
        .option_layer(
            cfg.semaphore
                .clone()
                .map(GlobalConcurrencyLimitLayer::with_semaphore),
        )
        .layer(TimeoutLayer::new(cfg.timeout).low_speed(cfg.low_speed))
        .map_err(Into::<BoxError>::into)
        .layer(if cfg.compression {
            DecompressionLayer::new()
        } else {
            DecompressionLayer::off()
        })
        .service(SharedClient(Arc::new(cfg.http.clone())))
        .map_err(Into::<BoxError>::into);
    let auth = cfg
        .auth
        .as_ref()
        .map(|provider| AuthLayer::from_arc(provider.clone()).for_origin(cfg.origin.clone()))
        .transpose()
        .map_err(|e| Error::Config(format!("auth: {e}")))?;
    let svc = ServiceBuilder::new()
        .option_layer(cfg.retry.clone().map(retry_layer))
        .map_err(Into::<BoxError>::into)
        .option_layer(auth)
        .map_err(Into::<BoxError>::into)
        .service(transport);
    if cfg.layers.is_empty() {
        Ok(top(cfg, svc, probe))
    } else {
        let mut svc = BoxCloneSyncService::new(svc);
        for layer in cfg.layers.iter().rev() {
            svc = layer(svc);
        }
        Ok(top(cfg, svc, probe))
    }
}

/// `[VersionProbe ->] BaseUrl -> DefaultHeaders -> svc`, erased.
fn top<S: Stackable>(cfg: &StackConfig, svc: S, probe: Option<ProbeHandle>) -> BoxService {
    let svc = ServiceBuilder::new()
        .layer(BaseUrlLayer::new(cfg.base.clone()))
        .layer(DefaultHeadersLayer::new(env!("CARGO_PKG_VERSION")))
        .service(svc);
    match probe {
        Some(handle) => with_probe(svc, handle),
        None => BoxCloneSyncService::new(svc),
    }
}

/// Puts the version probe on top of `svc` (the client's own stack, or one given to `Dhis2Client::from_service`)
/// and erases the result.
pub(crate) fn with_probe<S: Stackable>(svc: S, probe: ProbeHandle) -> BoxService {
    BoxCloneSyncService::new(VersionProbeLayer::new(probe).layer(svc))
}

/// Wraps a user-supplied service so relative URIs resolve against `base` (for `Dhis2Client::from_service`).
pub(crate) fn with_base(svc: BoxService, base: Uri) -> BoxService {
    BoxCloneSyncService::new(BaseUrlLayer::new(base).layer(svc))
}

/// The retry layer, with the hyper-aware classifier unless the user installed their own.
fn retry_layer(mut policy: RetryPolicy) -> RetryLayer {
    if policy.classifier.is_none() {
        policy = policy.classifier(classify_error);
    }
    RetryLayer::new(policy)
}

/// Retry classifier, by error type along the source chain: a hyper-util connect error, or an HTTP/2 stream the
/// server refused (`REFUSED_STREAM`, also what a GOAWAY makes of streams it never processed), never reached the
/// application ([`ErrorClass::NotSent`]), so even a POST may be retried; a connection hyper saw close mid-message,
/// or a per-attempt timeout, may have been processed ([`ErrorClass::MaybeSent`]); anything else goes to the
/// default classifier (I/O error kinds).
pub(crate) fn classify_error(err: &BoxError) -> ErrorClass {
    let mut class = default_classifier(err);
    if class == ErrorClass::NotSent {
        return class;
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&**err);
    while let Some(e) = current {
        if let Some(h) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
            if h.is_connect() {
                return ErrorClass::NotSent;
            }
        }
        if let Some(h2) = e.downcast_ref::<h2::Error>() {
            if h2.reason() == Some(h2::Reason::REFUSED_STREAM) {
                return ErrorClass::NotSent;
            }
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() || h.is_closed() || h.is_timeout() || h.is_canceled() {
                class = ErrorClass::MaybeSent;
            }
        }
        current = e.source();
    }
    class
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_error_goes_by_type() {
        // An HTTP/2 stream the server refused was never processed: retried for any method.
        let refused: BoxError = Box::new(h2::Error::from(h2::Reason::REFUSED_STREAM));
        assert_eq!(classify_error(&refused), ErrorClass::NotSent);
        let cancelled: BoxError = Box::new(h2::Error::from(h2::Reason::INTERNAL_ERROR));
        assert_eq!(classify_error(&cancelled), ErrorClass::Fatal);
        let refused_io: BoxError =
            Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(classify_error(&refused_io), ErrorClass::NotSent);
        // Text that reads like a retryable fault is not one.
        let lookalike: BoxError = "client error (Connect): REFUSED_STREAM".into();
        assert_eq!(classify_error(&lookalike), ErrorClass::Fatal);
    }
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::extract::State;
    use http_body_util::BodyExt;

    /// What the test server saw: requests in flight now, the most at once, and how many arrived.
    #[derive(Clone, Default)]
    struct Gauge {
        now: Arc<AtomicUsize>,
        max: Arc<AtomicUsize>,
        arrived: Arc<AtomicUsize>,
        changed: Arc<tokio::sync::watch::Sender<()>>,
        /// Requests are held until the test releases them, or until this many have arrived.
        release_at: usize,
        released: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Gauge {
        fn release(&self) {
            self.released.store(true, Ordering::SeqCst);
            self.changed.send_replace(());
        }
    }

    /// Holds each request until the test releases them (or `release_at` have arrived): explicit synchronisation,
    /// so what the server sees in flight does not depend on timing.
    async fn held(State(g): State<Gauge>) -> &'static str {
        let mut rx = g.changed.subscribe();
        let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
        g.max.fetch_max(n, Ordering::SeqCst);
        g.arrived.fetch_add(1, Ordering::SeqCst);
        g.changed.send_replace(());
        while !g.released.load(Ordering::SeqCst) && g.arrived.load(Ordering::SeqCst) < g.release_at
        {
            let _ = rx.changed().await;
        }
        g.now.fetch_sub(1, Ordering::SeqCst);
        "ok"
    }

    /// Waits until `ok` holds (polling; the bound only turns a hang into a failure).
    async fn until(what: &str, mut ok: impl FnMut() -> bool) {
        let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
        while !ok() {
            assert!(tokio::time::Instant::now() < give_up, "{what} never held");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A local server answering `GET /held` with [`held`]; returns its base URL.
    async fn server(gauge: Gauge) -> String {
        let app = axum::Router::new()
            .route("/held", axum::routing::get(held))
            .with_state(gauge);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    /// The client's own stack from [`assemble`], as `connect()` builds it (no probe, no retry, no auth), with
    /// `semaphore` as the concurrency limit.
    fn stack(url: &str, semaphore: Option<Arc<Semaphore>>) -> BoxService {
        let http = http_client(&Transport {
            tls: &TlsConfig::default(),
            protocol: HttpProtocol::Negotiate,
            proxy: &Proxy::none(),
            connect_timeout: Duration::from_secs(10),
            max_idle_per_host: 20,
            pool_idle_timeout: Duration::from_secs(90),
        })
        .unwrap();
        let base: Uri = url.parse().unwrap();
        let cfg = StackConfig {
            http,
            compression: false,
            origin: base.clone(),
            base,
            auth: None,
            retry: None,
            semaphore,
            timeout: Duration::from_secs(30),
            low_speed: None,
            layers: Vec::new(),
        };
        assemble(&cfg, None).unwrap()
    }

    async fn get_held(svc: BoxService) -> String {
        let req = Request::get("/held").body(RequestBody::empty()).unwrap();
        let resp = svc.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn assembled_limit_bounds_requests_in_flight_across_clones() {
        let gauge = Gauge {
            release_at: usize::MAX,
            ..Gauge::default()
        };
        let url = server(gauge.clone()).await;
        let semaphore = Arc::new(Semaphore::new(3));
        let svc = stack(&url, Some(semaphore.clone()));
        let tasks: Vec<_> = (0..20)
            .map(|_| tokio::spawn(get_held(svc.clone())))
            .collect();
        // The server holds every request: three get there, and the stack holds all three permits.
        until("three requests at the server", || {
            gauge.arrived.load(Ordering::SeqCst) >= 3
        })
        .await;
        assert_eq!(
            semaphore.available_permits(),
            0,
            "the stack holds the permits"
        );
        // Seventeen callers are still waiting; give a leaking limit the chance to let one through.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            gauge.arrived.load(Ordering::SeqCst),
            3,
            "a fourth request reached the server while three were held"
        );
        gauge.release();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "ok");
        }
        assert_eq!(gauge.arrived.load(Ordering::SeqCst), 20);
        assert_eq!(
            gauge.max.load(Ordering::SeqCst),
            3,
            "the limit is 3 and 20 calls waited"
        );
        assert_eq!(gauge.now.load(Ordering::SeqCst), 0);
        assert_eq!(semaphore.available_permits(), 3);
    }

    #[tokio::test]
    async fn assembled_stack_without_a_limit_lets_every_request_through() {
        // The same load with the limit off: all 20 are at the server at once (so the gauge above can see a
        // limit that lets more than 3 through).
        let gauge = Gauge {
            release_at: 20,
            ..Gauge::default()
        };
        let url = server(gauge.clone()).await;
        let svc = stack(&url, None);
        let tasks: Vec<_> = (0..20)
            .map(|_| tokio::spawn(get_held(svc.clone())))
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "ok");
        }
        assert_eq!(gauge.max.load(Ordering::SeqCst), 20);
    }

    #[tokio::test]
    async fn assembled_limit_frees_the_permit_when_the_answer_arrives() {
        let gauge = Gauge {
            release_at: 1,
            ..Gauge::default()
        };
        let url = server(gauge.clone()).await;
        let semaphore = Arc::new(Semaphore::new(1));
        let svc = stack(&url, Some(semaphore.clone()));
        assert_eq!(get_held(svc.clone()).await, "ok");
        assert_eq!(semaphore.available_permits(), 1);
        // With a limit of 1, a second call gets through only if the first gave its permit back.
        let second = tokio::time::timeout(Duration::from_secs(60), get_held(svc)).await;
        assert_eq!(second.expect("the permit came back"), "ok");
        assert_eq!(semaphore.available_permits(), 1);
    }
}
