//! [`VersionProbeLayer`] and [`ProbeHandle`]: learn the server version once and tag every request with it.
//!
//! # Design
//!
//! The handle is shared (an `Arc` inside) by every clone of the stack and by the client. To probe it needs a
//! service to send `GET /api/system/info` through: [`VersionProbeLayer::layer`] *attaches* a clone of the service
//! it wraps ([`ProbeHandle::attach`]), so the probe runs through the inner stack (base URL, default headers, retry,
//! auth, ...) and never through the probe layer itself. After that, [`ProbeHandle::get`] can be called from
//! anywhere, e.g. by the client's `system().info()`.
//!
//! - [`ProbeHandle::get`] is single-flight: however many callers find the cache empty or expired, one request is
//!   sent and all of them get its result. A failed probe is not cached; the next call tries again.
//! - [`ProbeHandle::disable`] (skip_version_probe) lets requests through untagged.
//! - The service answers ready at once and waits for the inner service's readiness only after the probe, so a
//!   concurrency limit below it is never held while the probe needs a permit.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{BoxFuture, Either, FutureExt, Shared};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tokio::time::Instant;
use tower::util::Oneshot;
use tower::{Layer, Service, ServiceExt};

use crate::body::{BoxError, RequestBody};
use crate::future::LayerFuture;
use crate::version::{Dhis2Version, VersionError};

/// The path probed.
pub const SYSTEM_INFO_PATH: &str = "/api/system/info";

/// Largest `/api/system/info` body accepted.
const MAX_INFO_BODY: usize = 4 * 1024 * 1024;

/// One successful probe.
#[derive(Debug, Clone)]
pub struct ServerInfoSnapshot {
    /// The parsed `version`.
    pub version: Dhis2Version,
    /// The whole `/api/system/info` document.
    pub raw: Arc<serde_json::Value>,
    /// When it was fetched (tokio time, so paused-clock tests can age it).
    pub fetched_at: Instant,
}

impl ServerInfoSnapshot {
    /// Parses an `/api/system/info` document.
    pub fn from_json(raw: serde_json::Value) -> Result<Self, ProbeError> {
        let version = raw
            .get("version")
            .and_then(|v| v.as_str())
            .ok_or(ProbeError::MissingVersion)?
            .parse()
            .map_err(ProbeError::Version)?;
        Ok(ServerInfoSnapshot {
            version,
            raw: Arc::new(raw),
            fetched_at: Instant::now(),
        })
    }

    /// How old the snapshot is.
    pub fn age(&self) -> Duration {
        self.fetched_at.elapsed()
    }
}

/// Why the probe failed. Cheap to clone: every waiter of a failed probe gets the same error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// No service was attached to the handle (the layer was never applied).
    #[error("version probe: no service attached to the probe handle")]
    NotAttached,
    /// The probe is disabled (skip_version_probe).
    #[error("version probe is disabled (skip_version_probe)")]
    Disabled,
    /// The request failed.
    #[error("GET /api/system/info: {0}")]
    Transport(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// The server answered with a non-2xx status.
    #[error("GET /api/system/info answered HTTP {}{}", status.as_u16(), message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The status.
        status: StatusCode,
        /// The JSON `message`, or a body snippet.
        message: Option<String>,
        /// The `WWW-Authenticate` header, if any.
        www_authenticate: Option<String>,
    },
    /// The body is not JSON.
    #[error("GET /api/system/info: body is not JSON ({0})")]
    Json(String),
    /// The body has no string `version`.
    #[error("GET /api/system/info: the response has no string `version` field")]
    MissingVersion,
    /// `version` did not parse.
    #[error("GET /api/system/info: {0}")]
    Version(#[source] VersionError),
}

type ProbeFn =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Arc<ServerInfoSnapshot>, ProbeError>> + Send + Sync>;
type Flight = Shared<BoxFuture<'static, Result<Arc<ServerInfoSnapshot>, ProbeError>>>;

#[derive(Default)]
struct State {
    snapshot: Option<Arc<ServerInfoSnapshot>>,
    inflight: Option<(u64, Flight)>,
    next_flight: u64,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    probe: RwLock<Option<ProbeFn>>,
    disabled: AtomicBool,
}

/// Shared access to the probed server info (see the module docs). Clones share everything.
#[derive(Clone, Default)]
pub struct ProbeHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ProbeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeHandle")
            .field("current", &self.current().map(|s| s.version.to_string()))
            .field("attached", &self.is_attached())
            .field("disabled", &self.is_disabled())
            .finish()
    }
}

/// A response the probe can read: implemented for `http::Response<B>` with a `Bytes` body.
pub trait ProbeResponse: Send + 'static {
    /// The status, the `WWW-Authenticate` header, and the collected body (at most `limit` bytes).
    fn into_status_and_body(self, limit: usize) -> BoxFuture<'static, ProbeBody>;
}

/// What [`ProbeResponse`] yields: the status, the `WWW-Authenticate` header and the body.
pub type ProbeBody = Result<(StatusCode, Option<String>, Bytes), BoxError>;

impl<B> ProbeResponse for Response<B>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn into_status_and_body(self, limit: usize) -> BoxFuture<'static, ProbeBody> {
        Box::pin(async move {
            let (parts, body) = self.into_parts();
            let www = parts
                .headers
                .get(http::header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let bytes = Limited::new(body, limit).collect().await?.to_bytes();
            Ok((parts.status, www, bytes))
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep going with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ProbeHandle {
    /// A handle with nothing attached or cached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the service probes are sent through. [`VersionProbeLayer`] does this with the service it wraps; call it
    /// yourself to probe through another stack. The request is `GET /api/system/info` with a relative URI, so the
    /// service must resolve it (e.g. with a [`crate::BaseUrlLayer`]).
    pub fn attach<S, B>(&self, service: S)
    where
        S: Service<Request<B>> + Clone + Send + 'static,
        S::Response: ProbeResponse,
        S::Error: Into<BoxError>,
        S::Future: Send,
        B: Default + Send + 'static,
    {
        let service = Mutex::new(service);
        let probe: ProbeFn = Arc::new(move || {
            let svc = lock(&service).clone();
            Box::pin(probe_once(svc))
        });
        *self.inner.probe.write().unwrap_or_else(|e| e.into_inner()) = Some(probe);
    }

    /// Whether a service is attached.
    pub fn is_attached(&self) -> bool {
        self.inner
            .probe
            .read()
            .map(|p| p.is_some())
            .unwrap_or(false)
    }

    /// The cached snapshot, however old.
    pub fn current(&self) -> Option<Arc<ServerInfoSnapshot>> {
        lock(&self.inner.state).snapshot.clone()
    }

    /// The cached snapshot if it is younger than `ttl` (`None`: any cached snapshot), else a fresh probe.
    /// Concurrent callers share one probe; a failure is returned to all of them and not cached.
    pub async fn get(&self, ttl: Option<Duration>) -> Result<Arc<ServerInfoSnapshot>, ProbeError> {
        self.fetch(Some(ttl)).await
    }

    /// Probes again (joining a probe already in flight), replacing the cache on success.
    pub async fn refresh(&self) -> Result<Arc<ServerInfoSnapshot>, ProbeError> {
        self.fetch(None).await
    }

    /// Forgets the cached snapshot.
    pub fn invalidate(&self) {
        lock(&self.inner.state).snapshot = None;
    }

    /// Stores a snapshot parsed from an `/api/system/info` document fetched elsewhere.
    pub fn prime(&self, raw: serde_json::Value) -> Result<Arc<ServerInfoSnapshot>, ProbeError> {
        let snap = Arc::new(ServerInfoSnapshot::from_json(raw)?);
        lock(&self.inner.state).snapshot = Some(snap.clone());
        Ok(snap)
    }

    /// Turns probing off: the layer passes requests through untagged and `get`/`refresh` fail with
    /// [`ProbeError::Disabled`].
    pub fn disable(&self) {
        self.inner.disabled.store(true, Ordering::SeqCst);
    }

    /// Turns probing back on after [`disable`](Self::disable) (e.g. once the handle has been primed with the
    /// info fetched through the very stack it sits on).
    pub fn enable(&self) {
        self.inner.disabled.store(false, Ordering::SeqCst);
    }

    /// Whether probing is off.
    pub fn is_disabled(&self) -> bool {
        self.inner.disabled.load(Ordering::SeqCst)
    }

    /// The cached snapshot if it is younger than `ttl` (any age when `ttl` is `None`), without waiting.
    pub fn cached(&self, ttl: Option<Duration>) -> Option<Arc<ServerInfoSnapshot>> {
        fresh(&lock(&self.inner.state), ttl)
    }

    /// `ttl`: `Some(freshness)` to accept a cached snapshot, `None` to force a probe.
    async fn fetch(
        &self,
        ttl: Option<Option<Duration>>,
    ) -> Result<Arc<ServerInfoSnapshot>, ProbeError> {
        if self.is_disabled() {
            return Err(ProbeError::Disabled);
        }
        let (id, flight) = {
            let mut state = lock(&self.inner.state);
            if let Some(ttl) = ttl {
                if let Some(snap) = fresh(&state, ttl) {
                    return Ok(snap);
                }
            }
            match &state.inflight {
                Some((id, flight)) => (*id, flight.clone()),
                None => {
                    let probe = self
                        .inner
                        .probe
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone()
                        .ok_or(ProbeError::NotAttached)?;
                    let id = state.next_flight;
                    state.next_flight += 1;
                    let flight = probe().shared();
                    state.inflight = Some((id, flight.clone()));
                    (id, flight)
                }
            }
        };
        let result = flight.await;
        let mut state = lock(&self.inner.state);
        if state.inflight.as_ref().is_some_and(|(i, _)| *i == id) {
            state.inflight = None;
            if let Ok(snap) = &result {
                state.snapshot = Some(snap.clone());
            }
        }
        result
    }
}

/// The snapshot in `state` if it is younger than `ttl` (any age when `ttl` is `None`).
fn fresh(state: &State, ttl: Option<Duration>) -> Option<Arc<ServerInfoSnapshot>> {
    let snap = state.snapshot.as_ref()?;
    ttl.map_or(true, |t| snap.fetched_at.elapsed() < t)
        .then(|| snap.clone())
}

async fn probe_once<S, B>(svc: S) -> Result<Arc<ServerInfoSnapshot>, ProbeError>
where
    S: Service<Request<B>>,
    S::Response: ProbeResponse,
    S::Error: Into<BoxError>,
    B: Default,
{
    let mut req = Request::new(B::default());
    *req.uri_mut() = http::Uri::from_static(SYSTEM_INFO_PATH);
    let transport = |e: BoxError| ProbeError::Transport(Arc::from(e));
    let resp = svc.oneshot(req).await.map_err(|e| transport(e.into()))?;
    let (status, www_authenticate, body) = resp
        .into_status_and_body(MAX_INFO_BODY)
        .await
        .map_err(transport)?;
    let json: Result<serde_json::Value, _> = serde_json::from_slice(&body);
    if !status.is_success() {
        let message = json
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .or_else(|| {
                let text: String = String::from_utf8_lossy(&body[..body.len().min(400)])
                    .chars()
                    .take(200)
                    .collect();
                (!text.trim().is_empty()).then_some(text)
            });
        return Err(ProbeError::Status {
            status,
            message,
            www_authenticate,
        });
    }
    let json = json.map_err(|e| ProbeError::Json(e.to_string()))?;
    let snap = ServerInfoSnapshot::from_json(json)?;
    tracing::debug!(version = %snap.version, "version probe: server version");
    Ok(Arc::new(snap))
}

/// Probes the server version on first use and tags requests and responses with [`Dhis2Version`] (see the module
/// docs).
#[derive(Debug, Clone)]
pub struct VersionProbeLayer {
    handle: ProbeHandle,
    ttl: Option<Duration>,
}

impl VersionProbeLayer {
    /// A layer using `handle` (keep a clone to read the info from outside).
    pub fn new(handle: ProbeHandle) -> Self {
        VersionProbeLayer { handle, ttl: None }
    }

    /// Re-probe for requests once the cached snapshot is older than `ttl` (default: never).
    pub fn ttl(mut self, ttl: Option<Duration>) -> Self {
        self.ttl = ttl;
        self
    }

    /// The handle.
    pub fn handle(&self) -> &ProbeHandle {
        &self.handle
    }
}

impl<S> Layer<S> for VersionProbeLayer
where
    S: Service<Request<RequestBody>> + Clone + Send + 'static,
    S::Response: ProbeResponse,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    type Service = VersionProbe<S>;

    fn layer(&self, inner: S) -> VersionProbe<S> {
        self.handle.attach::<S, RequestBody>(inner.clone());
        VersionProbe {
            inner: Arc::new(inner),
            handle: self.handle.clone(),
            ttl: self.ttl,
        }
    }
}

/// The service made by [`VersionProbeLayer`].
#[derive(Debug)]
pub struct VersionProbe<S> {
    /// Shared: every call clones the inner service once anyway (it is polled ready after the probe), so cloning
    /// this layer itself, as a client does for each call, need not copy the whole stack below a second time.
    inner: Arc<S>,
    handle: ProbeHandle,
    ttl: Option<Duration>,
}

impl<S> Clone for VersionProbe<S> {
    fn clone(&self) -> Self {
        VersionProbe {
            inner: self.inner.clone(),
            handle: self.handle.clone(),
            ttl: self.ttl,
        }
    }
}

impl<S> VersionProbe<S> {
    /// The shared handle.
    pub fn handle(&self) -> &ProbeHandle {
        &self.handle
    }
}

/// The future of [`VersionProbe`]: the tagged inner call when the version is already known (or probing is off),
/// else the boxed probe-then-call sequence.
pub type VersionProbeFuture<S, Req, T> = Either<Tagged<Oneshot<S, Req>>, LayerFuture<T>>;

impl<S, ReqB, ResB> Service<Request<ReqB>> for VersionProbe<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    ReqB: Send + 'static,
    ResB: 'static,
{
    type Response = Response<ResB>;
    type Error = BoxError;
    type Future = VersionProbeFuture<S, Request<ReqB>, Response<ResB>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness of the inner service is awaited after the probe (see the module docs).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let inner = S::clone(&self.inner);
        if self.handle.is_disabled() {
            return Either::Left(Tagged::call(inner, req, None));
        }
        if let Some(snap) = self.handle.cached(self.ttl) {
            // The usual case: known version, nothing to await before the call.
            return Either::Left(Tagged::call(inner, req, Some(snap.version.clone())));
        }
        let handle = self.handle.clone();
        let ttl = self.ttl;
        Either::Right(LayerFuture::new(async move {
            let version = handle.get(ttl).await?.version.clone();
            Tagged::call(inner, req, Some(version)).await
        }))
    }
}

pin_project_lite::pin_project! {
    /// A response future whose response gets the version tag (when there is one) and whose error is boxed.
    pub struct Tagged<F> {
        #[pin]
        inner: F,
        version: Option<Dhis2Version>,
    }
}

impl<S, R> Tagged<Oneshot<S, Request<R>>>
where
    S: Service<Request<R>>,
{
    /// Tags `req` with `version` (when there is one) and sends it through `inner` once it is ready.
    fn call(inner: S, mut req: Request<R>, version: Option<Dhis2Version>) -> Self {
        if let Some(version) = &version {
            req.extensions_mut().insert(version.clone());
        }
        Tagged {
            inner: inner.oneshot(req),
            version,
        }
    }
}

impl<F, T, E> Future for Tagged<F>
where
    F: Future<Output = Result<Response<T>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<T>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut resp = ready!(this.inner.poll(cx)).map_err(Into::into)?;
        if let Some(version) = this.version.take() {
            resp.extensions_mut().insert(version);
        }
        Poll::Ready(Ok(resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use std::sync::atomic::AtomicUsize;

    type Mock = tower_test::mock::Mock<Request<RequestBody>, Response<Full<Bytes>>>;
    type Handle = tower_test::mock::Handle<Request<RequestBody>, Response<Full<Bytes>>>;

    fn info(version: &str) -> Response<Full<Bytes>> {
        Response::new(Full::new(Bytes::from(format!(
            "{{\"version\":\"{version}\",\"revision\":\"4615de9\"}}"
        ))))
    }

    /// A service counting probes and answering after a short (virtual) delay.
    fn counting(
        counter: Arc<AtomicUsize>,
        answer: fn(usize) -> Response<Full<Bytes>>,
    ) -> impl Service<
        Request<RequestBody>,
        Response = Response<Full<Bytes>>,
        Error = BoxError,
        Future = impl Send,
    > + Clone
           + Send
           + 'static {
        tower::service_fn(move |req: Request<RequestBody>| {
            let counter = counter.clone();
            async move {
                assert_eq!(req.uri(), SYSTEM_INFO_PATH);
                let n = counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, BoxError>(answer(n))
            }
        })
    }

    /// The versions 100 concurrent callers of `get` (TTL 300 s) see.
    async fn get_from_100_callers(handle: &ProbeHandle) -> Vec<String> {
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let h = handle.clone();
            tasks.push(tokio::spawn(async move {
                h.get(Some(Duration::from_secs(300))).await
            }));
        }
        let mut versions = Vec::new();
        for t in tasks {
            versions.push(t.await.unwrap().unwrap().version.to_string());
        }
        versions
    }

    #[tokio::test(start_paused = true)]
    async fn single_flight_for_100_callers() {
        let count = Arc::new(AtomicUsize::new(0));
        let handle = ProbeHandle::new();
        handle.attach(counting(count.clone(), |_| info("2.42.6")));
        for version in get_from_100_callers(&handle).await {
            assert_eq!(version, "2.42.6");
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // Cached within the TTL.
        handle.get(Some(Duration::from_secs(300))).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // Expired: 100 callers again make one request.
        tokio::time::advance(Duration::from_secs(301)).await;
        get_from_100_callers(&handle).await;
        assert_eq!(count.load(Ordering::SeqCst), 2);
        handle.refresh().await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 3);
        handle.invalidate();
        assert!(handle.current().is_none());
        handle.get(None).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_shared_but_not_cached() {
        let count = Arc::new(AtomicUsize::new(0));
        let handle = ProbeHandle::new();
        handle.attach(counting(count.clone(), |n| {
            if n == 0 {
                Response::builder()
                    .status(503)
                    .body(Full::new(Bytes::from_static(
                        b"{\"message\":\"down for maintenance\"}",
                    )))
                    .unwrap()
            } else {
                info("2.43.0")
            }
        }));
        let (a, b) = tokio::join!(handle.get(None), handle.get(None));
        for r in [a, b] {
            let e = r.unwrap_err();
            assert!(
                matches!(e, ProbeError::Status { status, .. } if status == 503),
                "{e:?}"
            );
            assert!(e.to_string().contains("down for maintenance"), "{e}");
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert!(handle.current().is_none());
        let snap = handle.get(None).await.unwrap();
        assert_eq!(snap.version.to_string(), "2.43.0");
        assert_eq!(snap.raw["revision"], "4615de9");
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn bad_bodies_are_clear_errors() {
        for (body, want) in [
            ("<html>login</html>", "not JSON"),
            ("{\"revision\":\"x\"}", "no string `version`"),
            ("{\"version\":\"banana\"}", "invalid DHIS2 version"),
        ] {
            let handle = ProbeHandle::new();
            let body = Bytes::from(body);
            handle.attach(tower::service_fn(move |_req: Request<RequestBody>| {
                let body = body.clone();
                async move { Ok::<_, BoxError>(Response::new(Full::new(body))) }
            }));
            let err = handle.get(None).await.unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
            assert!(err.to_string().contains("/api/system/info"), "{err}");
        }
        assert!(matches!(
            ProbeHandle::new().get(None).await,
            Err(ProbeError::NotAttached)
        ));
    }

    #[tokio::test]
    async fn requests_and_responses_are_tagged() {
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let probe = ProbeHandle::new();
        let svc = VersionProbeLayer::new(probe.clone()).layer(mock);
        let fut =
            tokio::spawn(svc.oneshot(Request::get("/api/me").body(RequestBody::empty()).unwrap()));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.uri(), SYSTEM_INFO_PATH);
        send.send_response(info("2.41.8.1"));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.uri(), "/api/me");
        assert_eq!(
            req.extensions().get::<Dhis2Version>().unwrap().to_string(),
            "2.41.8.1"
        );
        send.send_response(Response::new(Full::new(Bytes::from_static(b"{}"))));
        let resp = fut.await.unwrap().unwrap();
        assert_eq!(resp.extensions().get::<Dhis2Version>().unwrap().major(), 41);
        assert_eq!(probe.current().unwrap().version.to_string(), "2.41.8.1");
    }

    #[tokio::test]
    async fn probe_failure_reaches_the_caller() {
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = VersionProbeLayer::new(ProbeHandle::new()).layer(mock);
        let fut =
            tokio::spawn(svc.oneshot(Request::get("/api/me").body(RequestBody::empty()).unwrap()));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_error(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        let err = fut.await.unwrap().unwrap_err();
        assert!(
            err.to_string().contains("GET /api/system/info: refused"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn disabled_probe_passes_through_untagged() {
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let probe = ProbeHandle::new();
        probe.disable();
        let svc = VersionProbeLayer::new(probe.clone()).layer(mock);
        let fut =
            tokio::spawn(svc.oneshot(Request::get("/api/me").body(RequestBody::empty()).unwrap()));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.uri(), "/api/me");
        assert!(req.extensions().get::<Dhis2Version>().is_none());
        send.send_response(Response::new(Full::new(Bytes::new())));
        assert!(fut
            .await
            .unwrap()
            .unwrap()
            .extensions()
            .get::<Dhis2Version>()
            .is_none());
        assert!(matches!(probe.get(None).await, Err(ProbeError::Disabled)));
    }

    #[test]
    fn prime_parses() {
        let h = ProbeHandle::new();
        let snap = h
            .prime(serde_json::json!({"version": "2.44-SNAPSHOT"}))
            .unwrap();
        assert!(snap.version.is_snapshot());
        assert!(h.prime(serde_json::json!({"version": 42})).is_err());
    }
}
