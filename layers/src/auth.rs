//! [`AuthLayer`]: attaches credentials from an [`AuthProvider`] to every attempt, for one origin only.
//!
//! The layer sits below retry, so each attempt asks the provider again (a refreshed token is used on retry). When the
//! server answers 401 the provider's [`AuthProvider::on_unauthorized`] may refresh its credentials, in which case
//! the request is replayed once (requests with a streaming body are not replayed).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::{Either, ErrInto, TryFutureExt};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, Uri};
use http_body::Body;
use tower::{Layer, Service, ServiceExt};

use crate::body::{drain, try_clone_request, BoxError, RequestBody};
use crate::future::{take_ready, LayerFuture};
use crate::secret::mark_sensitive;

mod basic;
pub mod oauth2;
mod prebuilt;
mod session;
mod token;

pub use basic::BasicAuth;
pub use oauth2::{MemoryTokenStore, OAuth2Auth, OAuth2Config, OAuth2Token, TokenStore};
pub use session::SessionCookieAuth;
pub use token::{BearerAuth, PatAuth};

/// The `X-XSRF-TOKEN` header name.
pub const X_XSRF_TOKEN: HeaderName = HeaderName::from_static("x-xsrf-token");

/// A boxed, `Send` future borrowed for `'a`, as returned by [`AuthProvider`] methods.
pub type AuthFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of credentials.
///
/// Implementations must keep secrets out of their `Debug` output (use [`crate::Secret`]).
pub trait AuthProvider: Send + Sync + fmt::Debug + 'static {
    /// Adds credentials to `headers`. Use [`sensitive_value`] so the values are marked sensitive.
    fn authorize<'a>(&'a self, headers: &'a mut HeaderMap)
        -> AuthFuture<'a, Result<(), AuthError>>;

    /// Called when the server answered 401 to a request sent with `rejected` headers. Returns `true` when the
    /// credentials were refreshed and the request should be replayed once. The default does nothing.
    fn on_unauthorized<'a>(&'a self, rejected: &'a HeaderMap) -> AuthFuture<'a, bool> {
        let _ = rejected;
        Box::pin(async { false })
    }

    /// The one credential header this provider always sends, for providers whose credentials never change
    /// (Basic, PAT, Bearer). When `Some`, the layer inserts it directly (no `authorize` future per request) and,
    /// as the credentials cannot be refreshed, keeps no copy of the request for a replay: `on_unauthorized` is
    /// not called. The default is `None`.
    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        None
    }
}

impl<T: AuthProvider + ?Sized> AuthProvider for Arc<T> {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        (**self).authorize(headers)
    }

    fn on_unauthorized<'a>(&'a self, rejected: &'a HeaderMap) -> AuthFuture<'a, bool> {
        (**self).on_unauthorized(rejected)
    }

    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        (**self).fixed_header()
    }
}

/// Why credentials could not be attached. Messages never contain credential values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A credential contains characters that cannot go into an HTTP header.
    #[error(
        "the credential for the {header} header contains characters not allowed in an HTTP header"
    )]
    InvalidCredential {
        /// The header name.
        header: &'static str,
    },
    /// No usable credentials (e.g. no OAuth2 token yet, or it expired without a refresh token).
    #[error("no usable credentials: {0}")]
    Missing(String),
    /// The OAuth2 token endpoint refused a grant.
    #[error("OAuth2 token endpoint {url} answered HTTP {status}{}{}", error.as_ref().map(|e| format!(": {e}")).unwrap_or_default(), description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    TokenEndpoint {
        /// The token URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The OAuth2 `error` code.
        error: Option<String>,
        /// The OAuth2 `error_description`.
        description: Option<String>,
    },
    /// The OAuth2 authorization-code flow failed.
    #[error("OAuth2 authorization flow: {0}")]
    Flow(String),
    /// [`AuthLayer::for_origin`] was given a URI that names no origin (a relative URI such as `/api`, or one
    /// without an http/https scheme or a host). Credentials bound to it would go to every origin, so no layer is
    /// built. The URI is not repeated (it could carry user info).
    #[error("credentials can only be bound to an absolute http or https URI with a host; the origin given has {0}")]
    InvalidOrigin(&'static str),
    /// A transport or storage failure.
    #[error("{context}: {source}")]
    Other {
        /// What was being done.
        context: &'static str,
        /// The cause.
        source: BoxError,
    },
}

/// Builds a header value marked sensitive (so tracing/logging layers redact it).
pub fn sensitive_value(value: &str, header: &'static str) -> Result<HeaderValue, AuthError> {
    let mut v =
        HeaderValue::from_str(value).map_err(|_| AuthError::InvalidCredential { header })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Scheme, host and port a credential is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
    /// The scheme and authority exactly as given, for the common case of a request built from the same base URL
    /// (one comparison instead of re-parsing host and port on every request).
    exact: (http::uri::Scheme, http::uri::Authority),
}

impl Origin {
    fn of(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host()?.to_ascii_lowercase();
        let port = uri.port_u16().or(match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        let exact = (uri.scheme()?.clone(), uri.authority()?.clone());
        Some(Origin {
            scheme,
            host,
            port,
            exact,
        })
    }

    /// `Origin::of(uri) == Some(self)`, without allocating.
    fn matches(&self, uri: &Uri) -> bool {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return false;
        };
        // Both comparisons ignore ASCII case, as the full check below does.
        if *scheme == self.exact.0 && *authority == self.exact.1 {
            return true;
        }
        let (scheme, host) = (scheme.as_str(), authority.host());
        let port = authority
            .port_u16()
            .or(if scheme.eq_ignore_ascii_case("http") {
                Some(80)
            } else if scheme.eq_ignore_ascii_case("https") {
                Some(443)
            } else {
                None
            });
        scheme.eq_ignore_ascii_case(&self.scheme)
            && host.eq_ignore_ascii_case(&self.host)
            && port == self.port
    }
}

/// Adds credentials (see the module docs).
#[derive(Debug, Clone)]
pub struct AuthLayer {
    provider: Arc<dyn AuthProvider>,
    origin: Option<Origin>,
}

impl AuthLayer {
    /// A layer attaching `provider`'s credentials to every request (restrict it with [`AuthLayer::for_origin`]).
    pub fn new<P: AuthProvider>(provider: P) -> Self {
        Self::from_arc(Arc::new(provider))
    }

    /// Like [`AuthLayer::new`] for an already shared provider.
    pub fn from_arc(provider: Arc<dyn AuthProvider>) -> Self {
        AuthLayer {
            provider,
            origin: None,
        }
    }

    /// Only requests to `origin`'s scheme, host and port (default ports filled in) get credentials; requests with
    /// a relative URI count as same-origin (a stack resolves them against its base URL before they are sent).
    ///
    /// Fails closed: an `origin` that is not an absolute `http`/`https` URI with a host (a relative URI such as
    /// `/api`, a bare `host:port`) is [`AuthError::InvalidOrigin`], never a layer without the restriction.
    pub fn for_origin(mut self, origin: Uri) -> Result<Self, AuthError> {
        let scheme = origin
            .scheme_str()
            .ok_or(AuthError::InvalidOrigin("no scheme"))?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(AuthError::InvalidOrigin(
                "a scheme other than http or https",
            ));
        }
        if origin.host().map_or(true, str::is_empty) {
            return Err(AuthError::InvalidOrigin("no host"));
        }
        self.origin = Some(Origin::of(&origin).ok_or(AuthError::InvalidOrigin("no host"))?);
        Ok(self)
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn AuthProvider> {
        &self.provider
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            provider: self.provider.clone(),
            origin: self.origin.clone().map(Arc::new),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct Auth<S> {
    inner: S,
    provider: Arc<dyn AuthProvider>,
    origin: Option<Arc<Origin>>,
}

impl<S> Auth<S> {
    fn same_origin(&self, uri: &Uri) -> bool {
        let Some(expected) = &self.origin else {
            return true;
        };
        if uri.scheme().is_none() && uri.authority().is_none() {
            return true;
        }
        expected.matches(uri)
    }
}

/// The future of [`Auth`]: the inner call itself when nothing needs awaiting (fixed credentials, or a foreign
/// origin that gets none), else the boxed authorize-call-replay sequence.
pub type AuthResponseFuture<F, T> = Either<ErrInto<F, BoxError>, LayerFuture<T>>;

impl<S, B> Service<Request<RequestBody>> for Auth<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = AuthResponseFuture<S::Future, Response<B>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<RequestBody>) -> Self::Future {
        if !self.same_origin(req.uri()) {
            // Never send credentials to another origin.
            return Either::Left(self.inner.call(req).err_into());
        }
        if let Some((name, value)) = self.provider.fixed_header() {
            // Fixed credentials: nothing to await and nothing to replay.
            let mut req = req;
            req.headers_mut().insert(name, value);
            mark_sensitive(req.headers_mut());
            return Either::Left(self.inner.call(req).err_into());
        }
        let inner = take_ready(&mut self.inner);
        let provider = self.provider.clone();
        Either::Right(LayerFuture::new(authorized_call(inner, provider, req)))
    }
}

async fn authorized_call<S, B>(
    mut inner: S,
    provider: Arc<dyn AuthProvider>,
    mut req: Request<RequestBody>,
) -> Result<Response<B>, BoxError>
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes>,
{
    let template = try_clone_request(&req);
    provider.authorize(req.headers_mut()).await?;
    mark_sensitive(req.headers_mut());
    let sent = template.as_ref().map(|_| req.headers().clone());
    let resp = inner.call(req).await.map_err(Into::into)?;
    let (Some(mut replay), Some(sent)) = (template, sent) else {
        return Ok(resp);
    };
    if resp.status() != StatusCode::UNAUTHORIZED || !provider.on_unauthorized(&sent).await {
        return Ok(resp);
    }
    tracing::debug!(method = %replay.method(), path = replay.uri().path(), "auth: credentials refreshed, replaying once");
    drain(resp.into_body()).await;
    provider.authorize(replay.headers_mut()).await?;
    mark_sensitive(replay.headers_mut());
    inner.ready().await.map_err(Into::into)?;
    inner.call(replay).await.map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{AUTHORIZATION, COOKIE};
    use http_body_util::Full;
    use std::sync::atomic::{AtomicUsize, Ordering};

    type Mock = tower_test::mock::Mock<Request<RequestBody>, Response<Full<Bytes>>>;
    type Handle = tower_test::mock::Handle<Request<RequestBody>, Response<Full<Bytes>>>;

    /// An empty 401 answer.
    pub(super) fn unauthorized() -> Response<Full<Bytes>> {
        Response::builder()
            .status(401)
            .body(Full::new(Bytes::new()))
            .unwrap()
    }

    async fn headers_sent(layer: AuthLayer, uri: &str) -> HeaderMap {
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = layer.layer(mock);
        let fut = tokio::spawn(svc.oneshot(Request::get(uri).body(RequestBody::empty()).unwrap()));
        let (req, send) = handle.next_request().await.unwrap();
        send.send_response(Response::new(Full::new(Bytes::new())));
        fut.await.unwrap().unwrap();
        req.headers().clone()
    }

    #[tokio::test]
    async fn basic_header() {
        let h = headers_sent(
            AuthLayer::new(BasicAuth::new("admin", "district")),
            "/api/me",
        )
        .await;
        assert_eq!(h[AUTHORIZATION], "Basic YWRtaW46ZGlzdHJpY3Q=");
        assert!(h[AUTHORIZATION].is_sensitive());
    }

    #[tokio::test]
    async fn pat_header() {
        let h = headers_sent(AuthLayer::new(PatAuth::new("d2p_abc")), "/api/me").await;
        assert_eq!(h[AUTHORIZATION], "ApiToken d2p_abc");
        assert!(h[AUTHORIZATION].is_sensitive());
    }

    #[tokio::test]
    async fn bearer_header() {
        let h = headers_sent(AuthLayer::new(BearerAuth::new("jwt.x.y")), "/api/me").await;
        assert_eq!(h[AUTHORIZATION], "Bearer jwt.x.y");
        assert!(h[AUTHORIZATION].is_sensitive());
    }

    #[tokio::test]
    async fn session_cookie_headers() {
        let h = headers_sent(
            AuthLayer::new(SessionCookieAuth::new("ABC123").with_xsrf("xsrf-1")),
            "/api/me",
        )
        .await;
        assert_eq!(h[COOKIE], "JSESSIONID=ABC123");
        assert_eq!(h[X_XSRF_TOKEN], "xsrf-1");
        assert!(h[COOKIE].is_sensitive());
        assert!(h[X_XSRF_TOKEN].is_sensitive());
        assert!(!h.contains_key(AUTHORIZATION));
    }

    #[tokio::test]
    async fn session_cookie_merges_with_existing_cookie() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static("lang=fr"));
        SessionCookieAuth::new("S1")
            .authorize(&mut h)
            .await
            .unwrap();
        assert_eq!(h[COOKIE], "lang=fr; JSESSIONID=S1");
        assert_eq!(h.get_all(COOKIE).iter().count(), 1);
    }

    #[tokio::test]
    async fn origin_rules() {
        let layer = || {
            AuthLayer::new(PatAuth::new("t"))
                .for_origin("https://play.dhis2.org/dev".parse().unwrap())
                .unwrap()
        };
        assert!(headers_sent(layer(), "/api/me")
            .await
            .contains_key(AUTHORIZATION));
        assert!(headers_sent(layer(), "https://play.dhis2.org/dev/api/me")
            .await
            .contains_key(AUTHORIZATION));
        assert!(headers_sent(layer(), "https://PLAY.dhis2.org:443/api/me")
            .await
            .contains_key(AUTHORIZATION));
        assert!(headers_sent(layer(), "HTTPS://PLAY.DHIS2.ORG/api/me")
            .await
            .contains_key(AUTHORIZATION));
        for other in [
            "https://evil.example/api/me",
            "http://play.dhis2.org/api/me",
            "https://play.dhis2.org:8443/api/me",
            "https://sub.play.dhis2.org/api/me",
        ] {
            assert!(
                !headers_sent(layer(), other)
                    .await
                    .contains_key(AUTHORIZATION),
                "{other}"
            );
        }
    }

    #[tokio::test]
    async fn for_origin_fails_closed_without_an_absolute_http_origin() {
        for bad in [
            "/api",
            "/",
            "*",
            "play.dhis2.org:443",
            "ftp://play.dhis2.org/",
        ] {
            let uri: Uri = bad.parse().unwrap();
            let err = AuthLayer::new(PatAuth::new("secret-token"))
                .for_origin(uri)
                .unwrap_err();
            assert!(matches!(err, AuthError::InvalidOrigin(_)), "{bad}: {err:?}");
            assert!(!err.to_string().contains("secret-token"));
        }
        // A good origin still restricts: another host gets nothing.
        let layer = AuthLayer::new(PatAuth::new("t"))
            .for_origin("http://dhis2.example".parse().unwrap())
            .unwrap();
        assert!(!headers_sent(layer, "http://other.example/api/me")
            .await
            .contains_key(AUTHORIZATION));
    }

    #[test]
    fn invalid_credentials_are_an_error_without_the_value() {
        let mut h = HeaderMap::new();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(PatAuth::new("bad\ntoken-secret").authorize(&mut h))
            .unwrap_err();
        assert!(!err.to_string().contains("secret"));
        assert!(err.to_string().contains("Authorization"), "{err}");
    }

    #[test]
    fn debug_redacts_every_provider() {
        let all: Vec<Box<dyn AuthProvider>> = vec![
            Box::new(BasicAuth::new("admin", "district-pw")),
            Box::new(PatAuth::new("d2p_secret-token")),
            Box::new(BearerAuth::new("bearer-secret-jwt")),
            Box::new(SessionCookieAuth::new("cookie-secret").with_xsrf("xsrf-secret")),
        ];
        for p in all {
            let d = format!("{p:?}");
            for secret in [
                "district-pw",
                "secret-token",
                "secret-jwt",
                "cookie-secret",
                "xsrf-secret",
            ] {
                assert!(!d.contains(secret), "{d}");
            }
            assert!(d.contains("[redacted]"), "{d}");
        }
        let layer = AuthLayer::new(PatAuth::new("d2p_secret-token"));
        assert!(!format!("{layer:?}").contains("secret-token"));
    }

    /// A provider whose credential changes after a 401.
    #[derive(Debug, Default)]
    struct Rotating {
        generation: AtomicUsize,
        refreshes: AtomicUsize,
    }

    impl AuthProvider for Rotating {
        fn authorize<'a>(
            &'a self,
            headers: &'a mut HeaderMap,
        ) -> AuthFuture<'a, Result<(), AuthError>> {
            Box::pin(async move {
                let g = self.generation.load(Ordering::SeqCst);
                headers.insert(
                    AUTHORIZATION,
                    sensitive_value(&format!("Bearer gen{g}"), "Authorization")?,
                );
                Ok(())
            })
        }

        fn on_unauthorized<'a>(&'a self, _rejected: &'a HeaderMap) -> AuthFuture<'a, bool> {
            Box::pin(async move {
                self.refreshes.fetch_add(1, Ordering::SeqCst);
                self.generation.fetch_add(1, Ordering::SeqCst);
                true
            })
        }
    }

    #[tokio::test]
    async fn replays_once_after_refresh_on_401() {
        let provider = Arc::new(Rotating::default());
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = AuthLayer::from_arc(provider.clone()).layer(mock);
        let fut = tokio::spawn(
            svc.oneshot(
                Request::post("/api/x")
                    .body(RequestBody::from("{}"))
                    .unwrap(),
            ),
        );
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer gen0");
        send.send_response(unauthorized());
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer gen1");
        assert_eq!(req.body().as_bytes(), Some(&b"{}"[..]));
        // A second 401 is returned, not replayed again.
        send.send_response(unauthorized());
        let resp = fut.await.unwrap().unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn streaming_requests_are_not_replayed() {
        let provider = Arc::new(Rotating::default());
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = AuthLayer::from_arc(provider.clone()).layer(mock);
        let body = RequestBody::streaming(Full::new(Bytes::from_static(b"data")));
        let fut = tokio::spawn(svc.oneshot(Request::put("/api/x").body(body).unwrap()));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer gen0");
        send.send_response(unauthorized());
        assert_eq!(fut.await.unwrap().unwrap().status(), 401);
        assert_eq!(provider.refreshes.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn static_providers_do_not_replay() {
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = AuthLayer::new(PatAuth::new("t")).layer(mock);
        let fut =
            tokio::spawn(svc.oneshot(Request::get("/api/me").body(RequestBody::empty()).unwrap()));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(unauthorized());
        assert_eq!(fut.await.unwrap().unwrap().status(), 401);
    }
}
