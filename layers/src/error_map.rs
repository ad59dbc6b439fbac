//! [`ErrorMapLayer`]: collects the response body and turns DHIS2 failures into [`MappedError`].
//!
//! Rules: a 2xx with an empty body becomes `{}` for 204 and for any method but GET; a GET answered with an empty
//! 2xx is [`MappedError::EmptyRead`] (DHIS2 does this for data outside the account's scope). A 2xx whose body is
//! not JSON (content type not JSON *and* the body does not start with `{` or `[`) is [`MappedError::NotJson`]; valid
//! JSON with a wrong content type is accepted. 401, and a 3xx to one of DHIS2's login pages
//! ([`is_login_location`]), are [`MappedError::Unauthorized`]; every other non-2xx is [`MappedError::Api`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::body::BoxError;

/// Adds error mapping (see the module docs). `max_body_size` bounds the collected body.
#[derive(Debug, Clone, Default)]
pub struct ErrorMapLayer {
    max_body_size: Option<usize>,
}

impl ErrorMapLayer {
    /// No body size limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fails with [`MappedError::BodyTooLarge`] when a body exceeds `limit` bytes.
    pub fn max_body_size(mut self, limit: usize) -> Self {
        self.max_body_size = Some(limit);
        self
    }
}

impl<S> Layer<S> for ErrorMapLayer {
    type Service = ErrorMap<S>;

    fn layer(&self, inner: S) -> ErrorMap<S> {
        ErrorMap {
            inner,
            max_body_size: self.max_body_size,
        }
    }
}

/// The service made by [`ErrorMapLayer`]: answers `http::Response<Bytes>` or a [`MappedError`].
#[derive(Debug, Clone)]
pub struct ErrorMap<S> {
    inner: S,
    max_body_size: Option<usize>,
}

/// A failed request, as seen after error mapping. Every variant names the method and path.
#[derive(Debug)]
#[non_exhaustive]
pub enum MappedError {
    /// A non-2xx answer other than 401 / login redirect.
    Api {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Response status.
        status: StatusCode,
        /// The JSON `message`, else the status reason.
        message: String,
        /// The whole response body.
        body: Bytes,
        /// The response headers.
        headers: HeaderMap,
    },
    /// 401, or a redirect to a login page.
    Unauthorized {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Response status (401, or the 3xx).
        status: StatusCode,
        /// The JSON `message`, if any.
        message: Option<String>,
        /// The `WWW-Authenticate` header, if any.
        www_authenticate: Option<String>,
        /// The login page a 3xx pointed at.
        location: Option<String>,
    },
    /// A 2xx whose body is not JSON (e.g. an SSO or proxy login page).
    NotJson {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Response status.
        status: StatusCode,
        /// The `Content-Type`, if any.
        content_type: Option<String>,
        /// The first 200 characters of the body.
        snippet: String,
    },
    /// A GET answered with an empty 2xx body.
    EmptyRead {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Response status.
        status: StatusCode,
    },
    /// A 2xx body still carries a `Content-Encoding` (one no decoder below handled: unknown, or compression
    /// switched off while the server compressed anyway).
    UnsupportedEncoding {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// The `Content-Encoding` value.
        encoding: String,
    },
    /// The body was larger than the configured limit.
    BodyTooLarge {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The inner service or the body stream failed.
    Inner {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// The underlying error.
        source: BoxError,
    },
}

impl MappedError {
    /// The request method.
    pub fn method(&self) -> &Method {
        match self {
            MappedError::Api { method, .. }
            | MappedError::Unauthorized { method, .. }
            | MappedError::NotJson { method, .. }
            | MappedError::EmptyRead { method, .. }
            | MappedError::BodyTooLarge { method, .. }
            | MappedError::UnsupportedEncoding { method, .. }
            | MappedError::Inner { method, .. } => method,
        }
    }

    /// The request path.
    pub fn path(&self) -> &str {
        match self {
            MappedError::Api { path, .. }
            | MappedError::Unauthorized { path, .. }
            | MappedError::NotJson { path, .. }
            | MappedError::EmptyRead { path, .. }
            | MappedError::BodyTooLarge { path, .. }
            | MappedError::UnsupportedEncoding { path, .. }
            | MappedError::Inner { path, .. } => path,
        }
    }

    /// The response status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            MappedError::Api { status, .. }
            | MappedError::Unauthorized { status, .. }
            | MappedError::NotJson { status, .. }
            | MappedError::EmptyRead { status, .. } => Some(*status),
            MappedError::BodyTooLarge { .. }
            | MappedError::UnsupportedEncoding { .. }
            | MappedError::Inner { .. } => None,
        }
    }
}

impl fmt::Display for MappedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path().is_empty() {
            // Only poll_ready failures have no request yet.
            f.write_str("service not ready: ")?;
        } else {
            write!(f, "{} {}: ", self.method(), self.path())?;
        }
        match self {
            MappedError::Api {
                status, message, ..
            } => write!(f, "HTTP {}: {message}", status.as_u16()),
            MappedError::Unauthorized {
                status,
                message,
                www_authenticate,
                location,
                ..
            } => {
                write!(f, "unauthorized (HTTP {})", status.as_u16())?;
                if let Some(m) = message {
                    write!(f, ": {m}")?;
                }
                if let Some(w) = www_authenticate {
                    write!(f, " (WWW-Authenticate: {w})")?;
                }
                if let Some(l) = location {
                    write!(f, " (redirected to login page {l})")?;
                }
                Ok(())
            }
            MappedError::NotJson {
                status,
                content_type,
                snippet,
                ..
            } => write!(
                f,
                "HTTP {} answered with a non-JSON body (content type {}): {snippet:?}",
                status.as_u16(),
                content_type.as_deref().unwrap_or("none")
            ),
            MappedError::EmptyRead { status, .. } => write!(
                f,
                "HTTP {} with an empty body (the data may be outside this account's scope)",
                status.as_u16()
            ),
            MappedError::BodyTooLarge { limit, .. } => {
                write!(f, "response body larger than {limit} bytes")
            }
            MappedError::UnsupportedEncoding { encoding, .. } => write!(
                f,
                "the body is compressed with Content-Encoding `{encoding}`, which this client does not decode"
            ),
            MappedError::Inner { source, .. } => write!(f, "{source}"),
        }
    }
}

impl std::error::Error for MappedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MappedError::Inner { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for ErrorMap<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    S::Error: Into<BoxError>,
    ResB: Body<Data = Bytes>,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<Bytes>;
    type Error = MappedError;
    type Future = ErrorMapFuture<S::Future, ResB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), MappedError>> {
        self.inner.poll_ready(cx).map_err(|e| MappedError::Inner {
            method: Method::GET,
            path: String::new(),
            source: e.into(),
        })
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        ErrorMapFuture {
            state: State::Waiting {
                fut: self.inner.call(req),
            },
            ctx: Some(Ctx {
                method,
                path,
                limit: self.max_body_size,
            }),
        }
    }
}

struct Ctx {
    method: Method,
    path: String,
    limit: Option<usize>,
}

pin_project! {
    /// The future of [`ErrorMap`].
    pub struct ErrorMapFuture<F, B> {
        #[pin]
        state: State<F, B>,
        ctx: Option<Ctx>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Waiting { #[pin] fut: F },
        Collecting { parts: Option<http::response::Parts>, #[pin] body: B, buf: BytesMut },
    }
}

impl<F, B, E> Future for ErrorMapFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<Bytes>, MappedError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Waiting { fut } => {
                    let result = ready!(fut.poll(cx));
                    match result {
                        Ok(resp) => {
                            let (parts, body) = resp.into_parts();
                            this.state.set(State::Collecting {
                                parts: Some(parts),
                                body,
                                buf: BytesMut::new(),
                            });
                        }
                        Err(e) => {
                            let Some(ctx) = this.ctx.take() else {
                                return Poll::Pending;
                            };
                            return Poll::Ready(Err(MappedError::Inner {
                                method: ctx.method,
                                path: ctx.path,
                                source: e.into(),
                            }));
                        }
                    }
                }
                StateProj::Collecting {
                    parts,
                    mut body,
                    buf,
                } => {
                    let frame = ready!(body.as_mut().poll_frame(cx));
                    let Some(ctx) = this.ctx.as_ref() else {
                        return Poll::Pending;
                    };
                    match frame {
                        Some(Ok(frame)) => {
                            if let Ok(data) = frame.into_data() {
                                if ctx.limit.is_some_and(|l| buf.len() + data.len() > l) {
                                    let ctx = this.ctx.take().unwrap_or_else(unreachable_ctx);
                                    return Poll::Ready(Err(MappedError::BodyTooLarge {
                                        method: ctx.method,
                                        path: ctx.path,
                                        limit: ctx.limit.unwrap_or(0),
                                    }));
                                }
                                buf.extend_from_slice(&data);
                            }
                        }
                        Some(Err(e)) => {
                            let ctx = this.ctx.take().unwrap_or_else(unreachable_ctx);
                            return Poll::Ready(Err(MappedError::Inner {
                                method: ctx.method,
                                path: ctx.path,
                                source: e.into(),
                            }));
                        }
                        None => {
                            let ctx = this.ctx.take().unwrap_or_else(unreachable_ctx);
                            let Some(parts) = parts.take() else {
                                return Poll::Pending;
                            };
                            let body = std::mem::take(buf).freeze();
                            return Poll::Ready(classify_collected(
                                &ctx.method,
                                &ctx.path,
                                parts,
                                body,
                            ));
                        }
                    }
                }
            }
        }
    }
}

/// `ctx` is only taken when the future completes, and a completed future is not polled again.
fn unreachable_ctx() -> Ctx {
    Ctx {
        method: Method::GET,
        path: String::new(),
        limit: None,
    }
}

/// Whether a content type names JSON (`application/json`, `application/problem+json`, ...), ignoring case.
fn is_json_type(content_type: &str) -> bool {
    content_type
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"json"))
}

/// The `Content-Encoding` of a response that is still encoded, if any (`identity` counts as none). Decoders
/// below remove the header from what they decode, so one left over was not decoded.
pub fn undecoded_encoding(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_ENCODING)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let text = text.trim();
    (!text.is_empty() && !text.eq_ignore_ascii_case("identity")).then(|| text.to_owned())
}

/// Classifies a response whose body was already collected, by the rules of the module docs: the response of a
/// success, or the [`MappedError`] naming `method` and `path`. For callers that collect the body themselves
/// (e.g. with their own stall timeout); nothing is allocated on the success path.
// MappedError is large (it keeps the whole failed response), but it is only built on the failure path.
#[allow(clippy::result_large_err)]
pub fn classify_collected(
    method: &Method,
    path: &str,
    parts: http::response::Parts,
    body: Bytes,
) -> Result<Response<Bytes>, MappedError> {
    let status = parts.status;
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    if status.is_success() {
        if let Some(encoding) = undecoded_encoding(&parts.headers) {
            return Err(MappedError::UnsupportedEncoding {
                method: method.clone(),
                path: path.to_owned(),
                encoding,
            });
        }
        if body.is_empty() {
            if status == StatusCode::NO_CONTENT || *method != Method::GET {
                return Ok(Response::from_parts(parts, Bytes::from_static(b"{}")));
            }
            return Err(MappedError::EmptyRead {
                method: method.clone(),
                path: path.to_owned(),
                status,
            });
        }
        let json_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_type);
        if !json_type && !looks_like_json(&body) {
            return Err(MappedError::NotJson {
                method: method.clone(),
                path: path.to_owned(),
                status,
                content_type: header(CONTENT_TYPE),
                snippet: snippet(&body),
            });
        }
        return Ok(Response::from_parts(parts, body));
    }
    if status == StatusCode::UNAUTHORIZED {
        return Err(MappedError::Unauthorized {
            method: method.clone(),
            path: path.to_owned(),
            status,
            message: json_message(&body),
            www_authenticate: header(WWW_AUTHENTICATE),
            location: None,
        });
    }
    if status.is_redirection() {
        if let Some(location) = header(LOCATION) {
            if is_login_location(&location) {
                return Err(MappedError::Unauthorized {
                    method: method.clone(),
                    path: path.to_owned(),
                    status,
                    message: None,
                    www_authenticate: header(WWW_AUTHENTICATE),
                    location: Some(location),
                });
            }
        }
    }
    let message = json_message(&body).unwrap_or_else(|| {
        status
            .canonical_reason()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()))
    });
    Err(MappedError::Api {
        method: method.clone(),
        path: path.to_owned(),
        status,
        message,
        body,
        headers: parts.headers,
    })
}

/// `true` when a redirect's `Location` is one of DHIS2's login pages (WIRE 12.3, 12.4): the last segment of its
/// path, under any context path, is `login.action` (`/dhis-web-commons/security/login.action` on 2.39 and 2.40,
/// the form login `/dhis-web-commons-security/login.action`), `dhis-web-login` (2.41, 2.42) or `login` (`/login/`
/// on 2.43+, `/api/auth/login`). A trailing `/` or `/index.html`, a query and a fragment are allowed; the host is
/// not compared (DHIS2 builds the `Location` from the request's own). A location that merely contains "login"
/// (`/api/loginStats`, `https://other/login-help`) is not a login page.
pub fn is_login_location(location: &str) -> bool {
    let end = location.find(['?', '#']).unwrap_or(location.len());
    let mut path = &location[..end];
    // Drop a `scheme://authority` or `//authority` in front.
    if let Some(rest) = path
        .find("://")
        .map(|i| &path[i + 3..])
        .or_else(|| path.strip_prefix("//"))
    {
        path = rest.find('/').map_or("", |i| &rest[i..]);
    }
    let mut segments = path.split('/').filter(|s| !s.is_empty()).rev();
    let last = match segments.next() {
        Some(s) if s.eq_ignore_ascii_case("index.html") => segments.next(),
        other => other,
    };
    last.is_some_and(|s| {
        ["login", "login.action", "dhis-web-login"]
            .iter()
            .any(|page| s.eq_ignore_ascii_case(page))
    })
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(800)])
        .chars()
        .take(200)
        .collect()
}

fn json_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("message")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use tower::ServiceExt;

    type Mock = tower_test::mock::Mock<Request<()>, Response<Full<Bytes>>>;
    type Handle = tower_test::mock::Handle<Request<()>, Response<Full<Bytes>>>;

    async fn run(
        layer: ErrorMapLayer,
        method: Method,
        resp: Response<Full<Bytes>>,
    ) -> Result<Response<Bytes>, MappedError> {
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = layer.layer(mock);
        let req = Request::builder()
            .method(method)
            .uri("/api/me")
            .body(())
            .unwrap();
        let fut = tokio::spawn(svc.oneshot(req));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(resp);
        fut.await.unwrap()
    }

    fn resp(status: u16, ct: Option<&str>, body: &'static str) -> Response<Full<Bytes>> {
        let mut b = Response::builder().status(status);
        if let Some(ct) = ct {
            b = b.header(CONTENT_TYPE, ct);
        }
        b.body(Full::new(Bytes::from_static(body.as_bytes())))
            .unwrap()
    }

    #[tokio::test]
    async fn json_success_passes() {
        let r = run(
            ErrorMapLayer::new(),
            Method::GET,
            resp(200, Some("application/json;charset=UTF-8"), "{\"a\":1}"),
        )
        .await
        .unwrap();
        assert_eq!(r.body(), &Bytes::from_static(b"{\"a\":1}"));
    }

    #[tokio::test]
    async fn json_with_wrong_content_type_is_accepted() {
        let r = run(
            ErrorMapLayer::new(),
            Method::GET,
            resp(200, Some("text/plain"), "  [1,2]"),
        )
        .await
        .unwrap();
        assert_eq!(r.body(), &Bytes::from_static(b"  [1,2]"));
    }

    #[tokio::test]
    async fn empty_bodies() {
        let r = run(ErrorMapLayer::new(), Method::GET, resp(204, None, ""))
            .await
            .unwrap();
        assert_eq!(r.body(), &Bytes::from_static(b"{}"));
        let r = run(ErrorMapLayer::new(), Method::POST, resp(200, None, ""))
            .await
            .unwrap();
        assert_eq!(r.body(), &Bytes::from_static(b"{}"));
        let e = run(ErrorMapLayer::new(), Method::GET, resp(200, None, ""))
            .await
            .unwrap_err();
        assert!(matches!(e, MappedError::EmptyRead { .. }), "{e:?}");
        assert!(e.to_string().starts_with("GET /api/me: "), "{e}");
    }

    #[tokio::test]
    async fn html_login_page_is_not_json() {
        let long = "<html><body>Login please</body></html>                                                                                                                                                                             and more";
        let e = run(
            ErrorMapLayer::new(),
            Method::GET,
            resp(200, Some("text/html"), long),
        )
        .await
        .unwrap_err();
        match &e {
            MappedError::NotJson {
                content_type,
                snippet,
                status,
                ..
            } => {
                assert_eq!(content_type.as_deref(), Some("text/html"));
                assert!(snippet.starts_with("<html>"));
                assert!(snippet.chars().count() <= 200);
                assert_eq!(*status, StatusCode::OK);
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("GET /api/me"));
        assert!(e.to_string().contains("text/html"));
    }

    #[tokio::test]
    async fn unauthorized_401() {
        let r = Response::builder()
            .status(401)
            .header(WWW_AUTHENTICATE, "ApiToken")
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from_static(
                br#"{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Account locked"}"#,
            )))
            .unwrap();
        let e = run(ErrorMapLayer::new(), Method::GET, r).await.unwrap_err();
        match &e {
            MappedError::Unauthorized {
                message,
                www_authenticate,
                ..
            } => {
                assert_eq!(message.as_deref(), Some("Account locked"));
                assert_eq!(www_authenticate.as_deref(), Some("ApiToken"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "GET /api/me: unauthorized (HTTP 401): Account locked (WWW-Authenticate: ApiToken)"
        );
    }

    #[tokio::test]
    async fn redirect_to_login_is_unauthorized() {
        let r = Response::builder()
            .status(302)
            .header(LOCATION, "https://h/dhis-web-login/")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let e = run(ErrorMapLayer::new(), Method::GET, r).await.unwrap_err();
        match e {
            MappedError::Unauthorized {
                location, status, ..
            } => {
                assert_eq!(location.as_deref(), Some("https://h/dhis-web-login/"));
                assert_eq!(status, StatusCode::FOUND);
            }
            other => panic!("{other:?}"),
        }
        // A redirect elsewhere is an API error.
        let r = Response::builder()
            .status(301)
            .header(LOCATION, "https://h/api/me/")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let e = run(ErrorMapLayer::new(), Method::GET, r).await.unwrap_err();
        assert!(matches!(e, MappedError::Api { .. }), "{e:?}");
    }

    #[test]
    fn login_locations_are_dhis2_login_routes_only() {
        for login in [
            "https://h/dhis-web-login/",
            "/dhis-web-login/",
            "/dhis-web-login",
            "https://h/dhis/dhis-web-login/index.html",
            "/dhis-web-commons/security/login.action",
            "http://h:8080/dhis/dhis-web-commons/security/login.action?x=1",
            "/dhis-web-commons-security/login.action",
            "/login/",
            "https://h/login#/",
            "//h/dhis/login/",
            "/api/auth/login",
            "/api/authentication/login",
            "/login.action",
            "/LOGIN/",
        ] {
            assert!(is_login_location(login), "{login}");
        }
        for other in [
            "/api/loginStats",
            "https://other/login-help",
            "/api/me",
            "https://h/api/dataElements?filter=name:eq:login",
            "https://login.example.org/api/me",
            "/dhis-web-login-extra/",
            "/login.actions",
            "/loginx",
            "/api/login/other",
            "",
        ] {
            assert!(!is_login_location(other), "{other}");
        }
    }

    #[tokio::test]
    async fn a_redirect_that_only_mentions_login_is_an_api_error() {
        for location in ["/api/loginStats", "https://other/login-help"] {
            let r = Response::builder()
                .status(302)
                .header(LOCATION, location)
                .body(Full::new(Bytes::new()))
                .unwrap();
            let e = run(ErrorMapLayer::new(), Method::GET, r).await.unwrap_err();
            assert!(
                matches!(e, MappedError::Api { status, .. } if status == StatusCode::FOUND),
                "{location}: {e:?}"
            );
        }
    }

    #[tokio::test]
    async fn api_errors_keep_message_and_body() {
        let body = r#"{"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"One more conflicts encountered"}"#;
        let e = run(
            ErrorMapLayer::new(),
            Method::POST,
            resp(409, Some("application/json"), body),
        )
        .await
        .unwrap_err();
        match &e {
            MappedError::Api {
                status,
                message,
                body: b,
                headers,
                ..
            } => {
                assert_eq!(*status, StatusCode::CONFLICT);
                assert_eq!(message, "One more conflicts encountered");
                assert_eq!(b, &Bytes::from_static(body.as_bytes()));
                assert_eq!(headers[CONTENT_TYPE], "application/json");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().starts_with("POST /api/me: HTTP 409"));
        let e = run(
            ErrorMapLayer::new(),
            Method::GET,
            resp(502, Some("text/html"), "<html/>"),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&e, MappedError::Api { message, .. } if message == "Bad Gateway"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn body_over_limit() {
        let e = run(
            ErrorMapLayer::new().max_body_size(4),
            Method::GET,
            resp(200, Some("application/json"), "{\"a\":12345}"),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, MappedError::BodyTooLarge { limit: 4, .. }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "GET /api/me: response body larger than 4 bytes"
        );
        assert_eq!(e.status(), None);
    }

    #[tokio::test]
    async fn inner_errors_are_wrapped() {
        let (mock, mut handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = ErrorMapLayer::new().layer(mock);
        let fut = tokio::spawn(svc.oneshot(Request::delete("/api/x/1").body(()).unwrap()));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_error(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        ));
        let e = fut.await.unwrap().unwrap_err();
        assert!(matches!(e, MappedError::Inner { .. }));
        assert_eq!(e.to_string(), "DELETE /api/x/1: reset");
        assert!(std::error::Error::source(&e).is_some());
    }
}
