//! Assembly of the tower stack (DESIGN section 2), outermost first:
//!
//! `ErrorMap -> VersionProbe -> BaseUrl -> DefaultHeaders -> user layers -> Retry -> Auth -> Trace ->
//! ConcurrencyLimit -> Timeout -> hyper-util Client`
//!
//! Everything below ErrorMap is erased as [`BoxService`]; ErrorMap is added per call on the typed path only.

use std::sync::Arc;
use std::time::Duration;

use http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use http::{HeaderName, Request, Response, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::Semaphore;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::timeout::TimeoutLayer;
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_http::sensitive_headers::{
    SetSensitiveRequestHeadersLayer, SetSensitiveResponseHeadersLayer,
};
use tower_http::trace::TraceLayer;

use crate::{Error, RetryPolicy, TlsConfig};
use dhis2_layers::auth::{AuthLayer, AuthProvider};
use dhis2_layers::body::boxed_response_body;
use dhis2_layers::retry::{default_classifier, ErrorClass, RetryLayer};
use dhis2_layers::version_probe::{ProbeHandle, VersionProbeLayer};
use dhis2_layers::{BaseUrlLayer, BoxError, DefaultHeadersLayer, RequestBody, ResponseBody};

/// The erased stack below ErrorMap.
pub type BoxService = BoxCloneSyncService<Request<RequestBody>, Response<ResponseBody>, BoxError>;

/// The pooled hyper-util client at the bottom of the stack (also used bare, without credentials, by the
/// canonical-URL handshake).
pub(crate) type HttpClient = Client<HttpsConnector<HttpConnector>, RequestBody>;

/// Applies the auth layer for one origin.
pub(crate) type AuthFn = Arc<dyn Fn(BoxService, Uri) -> BoxService + Send + Sync>;

/// Applies one user layer.
pub(crate) type UserLayer = Arc<dyn Fn(BoxService) -> BoxService + Send + Sync>;

/// `X-XSRF-TOKEN`, sent by session-cookie auth.
const X_XSRF_TOKEN: HeaderName = HeaderName::from_static("x-xsrf-token");

/// Headers redacted in traces.
pub(crate) fn sensitive_headers() -> [HeaderName; 3] {
    [AUTHORIZATION, COOKIE, X_XSRF_TOKEN]
}

/// Builds the pooled hyper client (pool timer set so the idle timeout works).
pub(crate) fn http_client(
    tls: &TlsConfig,
    connect_timeout: Duration,
    max_idle_per_host: usize,
    pool_idle_timeout: Duration,
) -> Result<HttpClient, Error> {
    let connector = tls.connector(connect_timeout)?;
    Ok(Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(pool_idle_timeout)
        .pool_max_idle_per_host(max_idle_per_host)
        .build(connector))
}

/// Everything needed to assemble the stack for one base URL.
pub(crate) struct StackConfig {
    pub(crate) http: HttpClient,
    pub(crate) base: Uri,
    pub(crate) origin: Uri,
    pub(crate) auth: Option<AuthFn>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) semaphore: Arc<Semaphore>,
    pub(crate) timeout: Duration,
    pub(crate) layers: Vec<UserLayer>,
}

/// The lower part of the stack: `Trace -> ConcurrencyLimit -> Timeout -> hyper client`.
fn transport(cfg: &StackConfig) -> BoxService {
    let http = cfg.http.clone();
    let svc = ServiceBuilder::new()
        .map_response(|r: Response<_>| r.map(boxed_response_body))
        .layer(SetSensitiveRequestHeadersLayer::new(sensitive_headers()))
        .layer(SetSensitiveResponseHeadersLayer::new([SET_COOKIE]))
        .layer(TraceLayer::new_for_http())
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(
            cfg.semaphore.clone(),
        ))
        .layer(TimeoutLayer::new(cfg.timeout))
        .map_err(Into::<BoxError>::into)
        .service(http);
    BoxCloneSyncService::new(svc.map_err(Into::<BoxError>::into))
}

/// Assembles `BaseUrl -> DefaultHeaders -> user layers -> Retry -> Auth -> transport`.
pub(crate) fn assemble(cfg: StackConfig) -> BoxService {
    let mut svc = transport(&cfg);
    if let Some(auth) = &cfg.auth {
        svc = auth(svc, cfg.origin.clone());
    }
    if let Some(policy) = &cfg.retry {
        svc = retry(svc, policy.clone());
    }
    for layer in cfg.layers.iter().rev() {
        svc = layer(svc);
    }
    let svc = ServiceBuilder::new()
        .layer(BaseUrlLayer::new(cfg.base.clone()))
        .layer(DefaultHeadersLayer::new(env!("CARGO_PKG_VERSION")))
        .service(svc);
    BoxCloneSyncService::new(svc)
}

/// Puts the version probe layer on top of an assembled stack (its handle must be primed by the caller first, or
/// the first request probes).
pub(crate) fn with_probe(svc: BoxService, handle: ProbeHandle) -> BoxService {
    BoxCloneSyncService::new(VersionProbeLayer::new(handle).layer(svc))
}

/// Wraps a user-supplied service so relative URIs resolve against `base` (for `Dhis2Client::from_service`).
pub(crate) fn with_base(svc: BoxService, base: Uri) -> BoxService {
    BoxCloneSyncService::new(BaseUrlLayer::new(base).layer(svc))
}

/// Erases an auth provider into an [`AuthFn`] (credentials only for the given origin).
pub(crate) fn auth_fn(provider: Arc<dyn AuthProvider>) -> AuthFn {
    Arc::new(move |svc: BoxService, origin: Uri| {
        BoxCloneSyncService::new(
            AuthLayer::from_arc(provider.clone())
                .for_origin(origin)
                .layer(svc),
        )
    })
}

/// Adds the retry layer, with the hyper-aware classifier unless the user installed their own.
fn retry(svc: BoxService, mut policy: RetryPolicy) -> BoxService {
    if policy.classifier as *const () == default_classifier as *const () {
        policy = policy.classifier(classify_error);
    }
    BoxCloneSyncService::new(RetryLayer::new(policy).layer(svc))
}

/// Retry classifier: hyper-util connect errors never reached the server ([`ErrorClass::NotSent`]), so even a
/// POST may be retried; a per-attempt timeout may have been sent; anything else goes to the default classifier.
pub(crate) fn classify_error(err: &BoxError) -> ErrorClass {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&**err);
    while let Some(e) = current {
        if let Some(h) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
            if h.is_connect() {
                return ErrorClass::NotSent;
            }
        }
        if e.is::<tower::timeout::error::Elapsed>() {
            return ErrorClass::MaybeSent;
        }
        current = e.source();
    }
    default_classifier(err)
}
