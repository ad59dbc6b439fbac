//! [`TimeoutLayer`]: a deadline for each attempt's response head, and then the same timer, re-armed, as a stall
//! guard on its body ([`IdleBody`]): waiting longer than the timeout for the next piece of the body fails it.
//!
//! One timer per attempt instead of two (tower's `Timeout` for the head plus a second one for the body): a tokio
//! timer is registered in the runtime's wheel on its first wait and removed when dropped, and on a fast local
//! server that bookkeeping is a visible share of a small request. A head timeout fails with tower's
//! [`Elapsed`], a stalled body with an `io::Error` of kind `TimedOut`.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::timeout::error::Elapsed;
use tower::{Layer, Service};

use crate::body::BoxError;

/// Layer producing [`Timeout`].
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    timeout: Duration,
}

impl TimeoutLayer {
    /// `timeout` for each response head, and for each wait on its body.
    pub fn new(timeout: Duration) -> Self {
        TimeoutLayer { timeout }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// Bounds the wait for a response head, then hands its timer to the body (see the module docs).
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S, ReqB, B> Service<Request<ReqB>> for Timeout<S>
where
    S: Service<Request<ReqB>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<IdleBody<B>>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        ResponseFuture {
            inner: self.inner.call(req),
            sleep: Some(Box::pin(tokio::time::sleep(self.timeout))),
            timeout: self.timeout,
        }
    }
}

pin_project! {
    /// The response future of [`Timeout`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        // Boxed so it can move into the body once the head is in (a registered timer must not move).
        sleep: Option<Pin<Box<Sleep>>>,
        timeout: Duration,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<IdleBody<B>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            let idle = *this.timeout;
            let sleep = this.sleep.take();
            return Poll::Ready(
                result
                    .map(|resp| resp.map(|body| IdleBody::with_timer(body, idle, sleep)))
                    .map_err(Into::into),
            );
        }
        match this.sleep.as_mut() {
            Some(sleep) => {
                ready!(sleep.as_mut().poll(cx));
                this.sleep.take();
                Poll::Ready(Err(Box::new(Elapsed::new())))
            }
            // Polled again after it finished: an error rather than a panic.
            None => Poll::Ready(Err(Box::new(Elapsed::new()))),
        }
    }
}

pin_project! {
    /// A response body that fails with an `io::Error` of kind `TimedOut` when no data comes for `idle`. The clock
    /// starts when the caller waits, not before.
    ///
    /// The timer is moved lazily: a new wait only notes when it began, and when the timer fires early (it still
    /// holds the head's deadline or an earlier wait's) it is pushed to that wait's own deadline. A body of many
    /// frames thus costs one clock read per wait instead of a timer-wheel update.
    pub struct IdleBody<B> {
        #[pin]
        inner: B,
        idle: Duration,
        sleep: Option<Pin<Box<Sleep>>>,
        // When the current wait began; `None` when a frame came since the last wait.
        waiting_since: Option<Instant>,
    }
}

impl<B> std::fmt::Debug for IdleBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdleBody")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl<B> IdleBody<B> {
    /// Guards `inner`: each wait for its next frame may last at most `idle`.
    pub fn new(inner: B, idle: Duration) -> Self {
        Self::with_timer(inner, idle, None)
    }

    fn with_timer(inner: B, idle: Duration, sleep: Option<Pin<Box<Sleep>>>) -> Self {
        IdleBody {
            inner,
            idle,
            sleep,
            waiting_since: None,
        }
    }
}

impl<B> Body for IdleBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            *this.waiting_since = None;
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let idle = *this.idle;
        let due = *this.waiting_since.get_or_insert_with(Instant::now) + idle;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
        loop {
            ready!(sleep.as_mut().poll(cx));
            // The timer never holds a later deadline than this wait's: firing early means it was set for an
            // earlier wait, so it moves on to this one's.
            if Instant::now() >= due {
                return Poll::Ready(Some(Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no response data for {idle:?}"),
                )))));
            }
            sleep.as_mut().reset(due);
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};
    use tower::ServiceExt;

    type Chunks =
        StreamBody<futures_util::stream::BoxStream<'static, Result<Frame<Bytes>, std::io::Error>>>;

    /// A body yielding `first`, then nothing more until `gap` has passed, then `second`.
    fn gappy(first: &'static str, gap: Duration, second: &'static str) -> Chunks {
        use futures_util::StreamExt;
        let stream = futures_util::stream::once(async move {
            Ok(Frame::data(Bytes::from_static(first.as_bytes())))
        })
        .chain(futures_util::stream::once(async move {
            tokio::time::sleep(gap).await;
            Ok(Frame::data(Bytes::from_static(second.as_bytes())))
        }));
        StreamBody::new(stream.boxed())
    }

    #[tokio::test(start_paused = true)]
    async fn each_wait_gets_the_whole_timeout() {
        use futures_util::StreamExt;
        // Three gaps of 4 s under a 5 s timeout: 12 s in all, no single silence over 5 s.
        let frames = futures_util::stream::iter(["a", "b", "c", "d"]).then(|chunk| async move {
            if chunk != "a" {
                tokio::time::sleep(Duration::from_secs(4)).await;
            }
            Ok::<_, std::io::Error>(Frame::data(Bytes::from_static(chunk.as_bytes())))
        });
        let body = IdleBody::new(StreamBody::new(frames.boxed()), Duration::from_secs(5));
        let started = tokio::time::Instant::now();
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"abcd");
        assert_eq!(started.elapsed(), Duration::from_secs(12));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_head_times_out() {
        let svc = TimeoutLayer::new(Duration::from_secs(5)).layer(tower::service_fn(
            |_req: Request<()>| async {
                tokio::time::sleep(Duration::from_secs(6)).await;
                Ok::<_, BoxError>(Response::new(gappy("a", Duration::ZERO, "b")))
            },
        ));
        let err = svc.oneshot(Request::new(())).await.unwrap_err();
        assert!(err.is::<Elapsed>(), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_body_may_take_longer_than_the_timeout_in_all_but_not_stall_that_long() {
        let timeout = Duration::from_secs(5);
        let svc = TimeoutLayer::new(timeout).layer(tower::service_fn(|_req: Request<()>| async {
            // The head takes 4 s of the 5: the body's timer must start afresh, not at 1 s left.
            tokio::time::sleep(Duration::from_secs(4)).await;
            Ok::<_, BoxError>(Response::new(gappy("a", Duration::from_secs(3), "b")))
        }));
        let resp = svc.clone().oneshot(Request::new(())).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ab");

        let stalled =
            TimeoutLayer::new(timeout).layer(tower::service_fn(|_req: Request<()>| async {
                Ok::<_, BoxError>(Response::new(gappy("a", Duration::from_secs(6), "b")))
            }));
        let resp = stalled.oneshot(Request::new(())).await.unwrap();
        let mut body = resp.into_body();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&first[..], b"a");
        let err = body.frame().await.unwrap().unwrap_err();
        let io = err.downcast_ref::<std::io::Error>().expect("an io error");
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
    }
}
