//! [`HttpTraceLayer`]: tower-http's HTTP trace (a span per attempt, request, response and failure events),
//! applied only while a `tracing` subscriber listens, with credential headers marked sensitive so it redacts them.
//!
//! tower-http's trace reads the clock on every call and body frame and wraps the response body. With no
//! subscriber nothing could record any of it, so the call goes straight through. Whether one listens is asked of
//! the dispatcher current on this thread (`tracing::dispatcher::get_default`; with no scoped subscriber ever set,
//! an atomic load and a type-id compare), not of the process-wide max-level hint. The hint is raised by any
//! thread's scoped subscriber, so a thread without one would enter tower-http's trace too, and if it is the first
//! to reach tower-http's callsites while a single dispatcher exists, `tracing` caches them as "never" for every
//! thread: the thread that does listen then gets no spans (issue 18).
//! Once any subscriber is installed (global or scoped, at any level) every attempt is traced as tower-http does,
//! after `Authorization`, `Proxy-Authorization`, `Cookie` and `X-XSRF-TOKEN` are marked sensitive. A response's
//! `Set-Cookie` is marked sensitive either way, as the response goes back to the caller.

use std::fmt::Display;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::{Either, MapOk, TryFutureExt};
use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt;
use tower::{Layer, Service};
use tower_http::classify::{
    NeverClassifyEos, ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier,
};
use tower_http::trace::{
    DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnResponse,
    ResponseBody as TraceBody, ResponseFuture, TraceLayer,
};
use tracing::subscriber::NoSubscriber;

use crate::body::{BoxError, ResponseBody};
use crate::future::take_ready;
use crate::secret::{mark_sensitive, mark_set_cookie_sensitive};

type HttpMakeClassifier = SharedClassifier<ServerErrorsAsFailures>;

/// Layer producing [`HttpTrace`].
#[derive(Debug, Clone)]
pub struct HttpTraceLayer {
    trace: TraceLayer<HttpMakeClassifier>,
}

impl HttpTraceLayer {
    /// tower-http's `TraceLayer::new_for_http()`, active while a subscriber listens.
    pub fn new() -> Self {
        HttpTraceLayer {
            trace: TraceLayer::new_for_http(),
        }
    }
}

impl Default for HttpTraceLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for HttpTraceLayer {
    type Service = HttpTrace<S>;

    fn layer(&self, inner: S) -> HttpTrace<S> {
        HttpTrace {
            inner,
            trace: self.trace.clone(),
        }
    }
}

/// Traces each call with tower-http when a subscriber listens; the response body (whose errors are already
/// [`BoxError`]s) is boxed either way.
#[derive(Debug, Clone)]
pub struct HttpTrace<S> {
    inner: S,
    trace: TraceLayer<HttpMakeClassifier>,
}

/// `true` when a subscriber (scoped or global) is current on this thread.
fn listening() -> bool {
    tracing::dispatcher::get_default(|dispatch| !dispatch.is::<NoSubscriber>())
}

type TracedBody<ResB> = TraceBody<
    ResB,
    NeverClassifyEos<ServerErrorsFailureClass>,
    DefaultOnBodyChunk,
    DefaultOnEos,
    DefaultOnFailure,
>;

type Traced<F> = ResponseFuture<
    F,
    ServerErrorsAsFailures,
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    DefaultOnFailure,
>;

/// The response future of [`HttpTrace`] over an inner future `F` answering with body `B`.
pub type HttpTraceFuture<F, B> = Either<
    MapOk<Traced<F>, fn(Response<TracedBody<B>>) -> Response<ResponseBody>>,
    MapOk<F, fn(Response<B>) -> Response<ResponseBody>>,
>;

fn box_body<B>(mut response: Response<B>) -> Response<ResponseBody>
where
    B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
{
    mark_set_cookie_sensitive(response.headers_mut());
    response.map(BodyExt::boxed_unsync)
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for HttpTrace<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone,
    S::Error: Display + 'static,
    ReqB: Body,
    ResB: Body<Data = Bytes, Error = BoxError> + Send + 'static,
{
    type Response = Response<ResponseBody>;
    type Error = S::Error;
    type Future = HttpTraceFuture<S::Future, ResB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqB>) -> Self::Future {
        if listening() {
            mark_sensitive(req.headers_mut());
            // The ready inner service (it may hold a concurrency permit) moves into the trace wrapper.
            let mut traced = self.trace.layer(take_ready(&mut self.inner));
            let to_boxed: fn(Response<TracedBody<ResB>>) -> Response<ResponseBody> = box_body;
            Either::Left(traced.call(req).map_ok(to_boxed))
        } else {
            let to_boxed: fn(Response<ResB>) -> Response<ResponseBody> = box_body;
            Either::Right(self.inner.call(req).map_ok(to_boxed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn echo(req: Request<String>) -> Result<Response<ResponseBody>, BoxError> {
        Ok(Response::new(crate::body::full_response_body(Bytes::from(
            req.into_body(),
        ))))
    }

    #[tokio::test]
    async fn passes_through_without_a_subscriber() {
        let svc = HttpTraceLayer::new().layer(tower::service_fn(echo));
        let resp = svc.oneshot(Request::new("hi".to_owned())).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hi");
    }

    #[test]
    fn traces_while_a_subscriber_listens() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        tracing::subscriber::with_default(subscriber, || {
            rt.block_on(async {
                let svc = HttpTraceLayer::new().layer(tower::service_fn(echo));
                let resp = svc.oneshot(Request::new("hi".to_owned())).await.unwrap();
                resp.into_body().collect().await.unwrap();
            })
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(out.contains("finished processing request"), "{out}");
    }

    #[tokio::test]
    async fn set_cookie_comes_back_sensitive() {
        let svc = HttpTraceLayer::new().layer(tower::service_fn(|_req: Request<String>| async {
            let mut resp = Response::new(crate::body::full_response_body(Bytes::new()));
            resp.headers_mut()
                .append(http::header::SET_COOKIE, "JSESSIONID=s1".parse().unwrap());
            resp.headers_mut()
                .append(http::header::SET_COOKIE, "XSRF-TOKEN=x".parse().unwrap());
            Ok::<_, BoxError>(resp)
        }));
        let resp = svc.oneshot(Request::new(String::new())).await.unwrap();
        let cookies: Vec<_> = resp
            .headers()
            .get_all(http::header::SET_COOKIE)
            .iter()
            .collect();
        assert_eq!(cookies.len(), 2);
        assert!(cookies.iter().all(|v| v.is_sensitive()));
        assert!(!format!("{:?}", resp.headers()).contains("JSESSIONID"));
    }
}
