//! [`DefaultHeadersLayer`]: the headers every DHIS2 request should carry, set only when absent.

use std::task::{Context, Poll};

use http::header::{ACCEPT, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Request};
use tower::{Layer, Service};

/// The `X-Requested-With` header name.
pub const X_REQUESTED_WITH: HeaderName = HeaderName::from_static("x-requested-with");

/// Adds `Accept: application/json`, `X-Requested-With: XMLHttpRequest` (which makes DHIS2 answer 401 instead of a
/// 302 to its login page) and `User-Agent: dhis2-rs/<version>` to requests that do not already have them.
#[derive(Debug, Clone)]
pub struct DefaultHeadersLayer {
    headers: HeaderMap,
}

impl DefaultHeadersLayer {
    /// Defaults with `User-Agent: dhis2-rs/<version>`. A version that is not a valid header value gives
    /// `dhis2-rs`.
    pub fn new(version: &str) -> Self {
        let ua = HeaderValue::from_str(&format!("dhis2-rs/{version}"))
            .unwrap_or_else(|_| HeaderValue::from_static("dhis2-rs"));
        // Room for the headers layers below add (credentials, content type): a clone keeps this index size, so
        // those inserts do not rehash.
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(X_REQUESTED_WITH, HeaderValue::from_static("XMLHttpRequest"));
        headers.insert(USER_AGENT, ua);
        DefaultHeadersLayer { headers }
    }

    /// Adds (or replaces) another default header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }
}

impl<S> Layer<S> for DefaultHeadersLayer {
    type Service = DefaultHeaders<S>;

    fn layer(&self, inner: S) -> DefaultHeaders<S> {
        DefaultHeaders {
            inner,
            headers: std::sync::Arc::new(self.headers.clone()),
        }
    }
}

/// The service made by [`DefaultHeadersLayer`].
#[derive(Debug, Clone)]
pub struct DefaultHeaders<S> {
    inner: S,
    /// Shared, so the per-call clone of the stack allocates nothing.
    headers: std::sync::Arc<HeaderMap>,
}

impl<S, B> Service<Request<B>> for DefaultHeaders<S>
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
        let headers = req.headers_mut();
        if headers.is_empty() {
            // The usual request sets no header of its own: copy the ready map (no hashing).
            *headers = HeaderMap::clone(&self.headers);
        } else {
            for (name, value) in self.headers.iter() {
                // One lookup per header: the caller's value wins.
                headers.entry(name).or_insert_with(|| value.clone());
            }
        }
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn sets_defaults_only_when_absent() {
        let (mock, mut handle) = tower_test::mock::pair::<Request<()>, ()>();
        let svc = DefaultHeadersLayer::new("0.1.0").layer(mock);
        let req = Request::get("/api/me")
            .header(ACCEPT, "application/xml")
            .body(())
            .unwrap();
        let fut = tokio::spawn(svc.oneshot(req));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.headers()[ACCEPT], "application/xml");
        assert_eq!(req.headers()[X_REQUESTED_WITH], "XMLHttpRequest");
        assert_eq!(req.headers()[USER_AGENT], "dhis2-rs/0.1.0");
        assert_eq!(req.headers().get_all(ACCEPT).iter().count(), 1);
        send.send_response(());
        fut.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_request_without_headers_gets_every_default() {
        let (mock, mut handle) = tower_test::mock::pair::<Request<()>, ()>();
        let layer = DefaultHeadersLayer::new("0.1.0")
            .with_header(ACCEPT, HeaderValue::from_static("text/csv"));
        let svc = layer.layer(mock);
        let fut = tokio::spawn(svc.oneshot(Request::get("/api/me").body(()).unwrap()));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.headers().len(), 3);
        assert_eq!(req.headers()[ACCEPT], "text/csv");
        assert_eq!(req.headers()[X_REQUESTED_WITH], "XMLHttpRequest");
        assert_eq!(req.headers()[USER_AGENT], "dhis2-rs/0.1.0");
        send.send_response(());
        fut.await.unwrap().unwrap();
    }

    #[test]
    fn bad_version_falls_back() {
        let layer = DefaultHeadersLayer::new("bad\nversion");
        assert!(layer
            .headers
            .iter()
            .any(|(n, v)| *n == USER_AGENT && v == "dhis2-rs"));
    }
}
