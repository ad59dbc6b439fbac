//! [`TimeoutLayer`]: a deadline for each attempt's response head, and then the same timer, re-armed, as a stall
//! guard on its body ([`IdleBody`]): waiting longer than the timeout for the next piece of the body fails it.
//!
//! One timer per attempt instead of two (tower's `Timeout` for the head plus a second one for the body): a tokio
//! timer is registered in the runtime's wheel on its first wait and removed when dropped, and on a fast local
//! server that bookkeeping is a visible share of a small request. A head timeout fails with tower's
//! [`Elapsed`], a stalled body with an `io::Error` of kind `TimedOut`.
//!
//! The body also has a low-speed guard in the spirit of curl's `--speed-limit`/`--speed-time` ([`LowSpeed`]): a
//! body that trickles (one byte a second never trips a stall guard) fails once its rate over a whole window
//! stays under the limit. It is checked only when the body makes the caller wait (the clock is read then
//! anyway), so a body that keeps up costs nothing extra.

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

/// The low-speed guard: a body whose transfer rate stays under `bytes_per_sec` for a whole `window` fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowSpeed {
    /// The lowest acceptable average rate, in bytes per second.
    pub bytes_per_sec: u64,
    /// How long the rate may stay under it.
    pub window: Duration,
}

impl LowSpeed {
    /// The client's default: under 256 bytes/s for 60 s. A healthy export (even over 3G) is far above it; a
    /// server that trickles an answer a byte at a time is cut after a minute instead of running for as long
    /// as the trickle lasts.
    pub const DEFAULT: LowSpeed = LowSpeed {
        bytes_per_sec: 256,
        window: Duration::from_secs(60),
    };
}

/// Layer producing [`Timeout`].
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    timeout: Duration,
    low_speed: Option<LowSpeed>,
}

impl TimeoutLayer {
    /// `timeout` for each response head, and for each wait on its body; no low-speed guard.
    pub fn new(timeout: Duration) -> Self {
        TimeoutLayer {
            timeout,
            low_speed: None,
        }
    }

    /// Also fail a body whose rate stays under `low_speed` (`None`: no such guard).
    pub fn low_speed(mut self, low_speed: Option<LowSpeed>) -> Self {
        self.low_speed = low_speed.filter(|l| l.bytes_per_sec > 0 && !l.window.is_zero());
        self
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            timeout: self.timeout,
            low_speed: self.low_speed,
        }
    }
}

/// Bounds the wait for a response head, then hands its timer to the body (see the module docs).
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    timeout: Duration,
    low_speed: Option<LowSpeed>,
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
            low_speed: self.low_speed,
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
        low_speed: Option<LowSpeed>,
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
            let low_speed = *this.low_speed;
            return Poll::Ready(
                result
                    .map(|resp| {
                        resp.map(|body| {
                            IdleBody::with_timer(body, idle, sleep).low_speed(low_speed)
                        })
                    })
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
        low_speed: Option<LowSpeed>,
        // The low-speed window: when it began (at the first wait) and the bytes received since.
        window_start: Option<Instant>,
        window_bytes: u64,
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
            low_speed: None,
            window_start: None,
            window_bytes: 0,
        }
    }

    /// Also fail when the body's rate stays under `low_speed` for its whole window (`None`: no such guard).
    pub fn low_speed(mut self, low_speed: Option<LowSpeed>) -> Self {
        self.low_speed = low_speed.filter(|l| l.bytes_per_sec > 0 && !l.window.is_zero());
        self
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
            if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
                *this.window_bytes += data.map_or(0, |d| d.len() as u64);
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let idle = *this.idle;
        let since = match *this.waiting_since {
            Some(since) => since,
            None => {
                // A new wait: the clock is read once for it, and the low-speed window is checked with it.
                let now = Instant::now();
                *this.waiting_since = Some(now);
                if let Some(limit) = *this.low_speed {
                    let start = *this.window_start.get_or_insert(now);
                    let spent = now - start;
                    if spent >= limit.window {
                        let floor = limit.bytes_per_sec as f64 * spent.as_secs_f64();
                        if (*this.window_bytes as f64) < floor {
                            return Poll::Ready(Some(Err(Box::new(std::io::Error::new(
                                std::io::ErrorKind::TimedOut,
                                format!(
                                    "transfer slower than {} bytes/s for {:?} ({} bytes in {:.1?})",
                                    limit.bytes_per_sec, limit.window, this.window_bytes, spent
                                ),
                            )))));
                        }
                        *this.window_start = Some(now);
                        *this.window_bytes = 0;
                    }
                }
                now
            }
        };
        let due = since + idle;
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

    /// `n` frames of `size` bytes, one every `every`.
    fn trickle(n: usize, size: usize, every: Duration) -> Chunks {
        use futures_util::StreamExt;
        let frames = futures_util::stream::iter(0..n).then(move |_| async move {
            tokio::time::sleep(every).await;
            Ok::<_, std::io::Error>(Frame::data(Bytes::from(vec![b'x'; size])))
        });
        StreamBody::new(frames.boxed())
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickling_body_is_cut_by_the_low_speed_guard() {
        // One byte a second for 20 minutes: no wait exceeds the 5 s stall guard.
        let body = IdleBody::new(
            trickle(1200, 1, Duration::from_secs(1)),
            Duration::from_secs(5),
        )
        .low_speed(Some(LowSpeed::DEFAULT));
        let started = tokio::time::Instant::now();
        let err = body.collect().await.unwrap_err();
        let io = err.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
        assert!(io.to_string().contains("slower than 256 bytes/s"), "{io}");
        // Cut once the first 60 s window is over, not after 20 minutes.
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(60) && took <= Duration::from_secs(62),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_but_healthy_body_is_never_cut() {
        // 1 KiB a second for 10 minutes (4x the floor), in frames with waits between them.
        let body = IdleBody::new(
            trickle(600, 1024, Duration::from_secs(1)),
            Duration::from_secs(5),
        )
        .low_speed(Some(LowSpeed::DEFAULT));
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(all.len(), 600 * 1024);
    }

    #[tokio::test(start_paused = true)]
    async fn without_the_guard_a_trickle_runs_to_its_end() {
        let body = IdleBody::new(
            trickle(300, 1, Duration::from_secs(1)),
            Duration::from_secs(5),
        );
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(all.len(), 300);
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
