//! [`BaseUrlLayer`]: resolves relative request URIs (`/api/...`) against the server's base URL.

use std::task::{Context, Poll};

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Uri};
use tower::{Layer, Service};

/// Resolves relative request URIs against a base URL such as `https://host/dhis` or `http://127.0.0.1:8080`.
///
/// A request whose URI has no scheme and authority gets the base's scheme and authority, and its path is appended
/// to the base's path prefix (`/api/me` against `https://host/dhis` becomes `https://host/dhis/api/me`); the query is
/// kept. Absolute URIs are left alone. A base without scheme/authority only contributes its path prefix.
#[derive(Debug, Clone)]
pub struct BaseUrlLayer {
    base: BaseParts,
}

#[derive(Debug, Clone)]
struct BaseParts {
    scheme: Option<Scheme>,
    authority: Option<Authority>,
    /// The path prefix without a trailing `/` (`""` for the root).
    /// Shared, so the per-call clone of the stack copies no string.
    prefix: std::sync::Arc<str>,
}

impl BaseUrlLayer {
    /// A layer resolving against `base`. The base's query, if any, is ignored.
    pub fn new(base: Uri) -> Self {
        let parts = base.into_parts();
        let prefix = parts
            .path_and_query
            .as_ref()
            .map(|pq| pq.path().trim_end_matches('/'))
            .unwrap_or_default()
            .into();
        BaseUrlLayer {
            base: BaseParts {
                scheme: parts.scheme,
                authority: parts.authority,
                prefix,
            },
        }
    }

    /// Resolves one URI the way the service does.
    pub fn resolve(&self, uri: &Uri) -> Uri {
        resolve(&self.base, uri)
    }
}

fn resolve(base: &BaseParts, uri: &Uri) -> Uri {
    if uri.scheme().is_some() || uri.authority().is_some() {
        return uri.clone();
    }
    let (path, query) = match uri.path_and_query() {
        Some(pq) => (pq.path(), pq.query()),
        None => ("/", None),
    };
    let mut joined = String::with_capacity(base.prefix.len() + path.len() + 1);
    joined.push_str(&base.prefix);
    if !path.starts_with('/') {
        joined.push('/');
    }
    joined.push_str(path);
    if let Some(q) = query {
        joined.push('?');
        joined.push_str(q);
    }
    let mut parts = http::uri::Parts::default();
    parts.scheme = base.scheme.clone();
    parts.authority = base.authority.clone();
    // Both halves come from already-valid URIs, so these conversions only fail on a malformed base; in that case
    // the request keeps its URI and the connector reports the problem.
    parts.path_and_query = match PathAndQuery::try_from(joined) {
        Ok(pq) => Some(pq),
        Err(_) => return uri.clone(),
    };
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

impl<S> Layer<S> for BaseUrlLayer {
    type Service = BaseUrl<S>;

    fn layer(&self, inner: S) -> BaseUrl<S> {
        BaseUrl {
            inner,
            base: self.base.clone(),
        }
    }
}

/// The service made by [`BaseUrlLayer`].
#[derive(Debug, Clone)]
pub struct BaseUrl<S> {
    inner: S,
    base: BaseParts,
}

impl<S> BaseUrl<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B> Service<Request<B>> for BaseUrl<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> S::Future {
        // An absolute URI (what the dhis2 client sends) is left in place rather than copied.
        if req.uri().scheme().is_none() && req.uri().authority().is_none() {
            let resolved = resolve(&self.base, req.uri());
            *req.uri_mut() = resolved;
        }
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    fn resolve_str(base: &str, uri: &str) -> String {
        BaseUrlLayer::new(base.parse().unwrap())
            .resolve(&uri.parse().unwrap())
            .to_string()
    }

    #[test]
    fn resolves_relative_paths() {
        assert_eq!(
            resolve_str("https://host/dhis", "/api/me?fields=id"),
            "https://host/dhis/api/me?fields=id"
        );
        assert_eq!(
            resolve_str("https://host/dhis/", "/api/me"),
            "https://host/dhis/api/me"
        );
        assert_eq!(
            resolve_str("http://127.0.0.1:8080", "/api/system/info"),
            "http://127.0.0.1:8080/api/system/info"
        );
        assert_eq!(
            resolve_str("http://127.0.0.1:8080/", "/api/x"),
            "http://127.0.0.1:8080/api/x"
        );
    }

    #[test]
    fn absolute_uris_are_untouched() {
        assert_eq!(
            resolve_str("https://host/dhis", "https://other.example/api/me"),
            "https://other.example/api/me"
        );
    }

    #[tokio::test]
    async fn service_rewrites_the_request() {
        let (mock, mut handle) = tower_test::mock::pair::<Request<()>, ()>();
        let svc = BaseUrlLayer::new("https://h.example/dhis".parse().unwrap()).layer(mock);
        let fut = tokio::spawn(svc.oneshot(Request::get("/api/me").body(()).unwrap()));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.uri(), "https://h.example/dhis/api/me");
        send.send_response(());
        fut.await.unwrap().unwrap();
    }
}
