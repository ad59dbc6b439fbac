//! [`RetryLayer`]: retries connection errors and retryable statuses with exponential backoff.
//!
//! - Statuses in [`RetryPolicy::retry_statuses`] (429, 502, 503, 504 by default) and errors are retried up to
//!   [`RetryPolicy::max_attempts`] attempts in total.
//! - POST, PATCH (and CONNECT) are retried only with [`RetryPolicy::retry_non_idempotent`], except for errors the
//!   classifier says were never sent ([`ErrorClass::NotSent`], e.g. connection refused).
//! - `Retry-After` (delta-seconds or HTTP date) replaces the computed backoff, capped at `max_delay`.
//! - When attempts run out the last response is returned (the caller sees the real 503), or the last error.
//! - A discarded response body is drained (up to 64 KiB, for at most 1 s) so its connection can be reused.
//! - Requests with a streaming body are never retried.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use tower::retry::budget::{Budget, TpsBudget};
use tower::{Layer, Service, ServiceExt};

use crate::body::{drain, try_clone_request, BoxError, RequestBody};
use crate::future::{take_ready, LayerFuture};

/// How an error affects retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The request certainly never reached the server (e.g. connection refused): safe to retry for any method.
    NotSent,
    /// The request may have reached the server (timeout, reset): retried for idempotent methods, or for any method
    /// with `retry_non_idempotent`.
    MaybeSent,
    /// Not retryable.
    Fatal,
}

/// Classifies an error for retrying.
pub type ErrorClassifier = fn(&BoxError) -> ErrorClass;

/// The default classifier, by error type along the source chain (never by message text, which a dependency may
/// reword): an I/O error of kind `ConnectionRefused` or `AddrNotAvailable` is [`ErrorClass::NotSent`]; one of
/// kind `TimedOut`, `ConnectionReset`, `ConnectionAborted`, `BrokenPipe` or `UnexpectedEof`, and tower's
/// [`Elapsed`](tower::timeout::error::Elapsed), are [`ErrorClass::MaybeSent`]; anything else is
/// [`ErrorClass::Fatal`]. A transport adds its own types on top (the `dhis2` client knows hyper's and h2's).
pub fn default_classifier(err: &BoxError) -> ErrorClass {
    use std::io::ErrorKind;
    let mut class = ErrorClass::Fatal;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&**err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable => {
                    return ErrorClass::NotSent
                }
                ErrorKind::TimedOut
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => class = ErrorClass::MaybeSent,
                _ => {}
            }
        }
        if e.is::<tower::timeout::error::Elapsed>() {
            class = ErrorClass::MaybeSent;
        }
        current = e.source();
    }
    class
}

/// The retry policy (defaults from the design: 3 attempts, 0.5 s base delay doubling up to 30 s, 10 % jitter,
/// statuses 429/502/503/504, no retry of POST/PATCH).
#[derive(Clone)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Total attempts including the first (1 disables retrying).
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub base_delay: Duration,
    /// Upper bound for any delay, including `Retry-After`.
    pub max_delay: Duration,
    /// Multiplier per further retry.
    pub backoff_factor: f64,
    /// Relative jitter: each delay is scaled by a random factor in `[1 - jitter, 1 + jitter]`.
    pub jitter: f64,
    /// Statuses that are retried.
    pub retry_statuses: Vec<StatusCode>,
    /// Also retry POST and PATCH.
    pub retry_non_idempotent: bool,
    /// Optional retry budget shared by all clones (so a dead server is not hammered).
    pub budget: Option<Arc<TpsBudget>>,
    /// Error classifier; `None` uses the transport's own (the `dhis2` client's knows hyper's error types), or
    /// [`default_classifier`] in a stack of your own.
    pub classifier: Option<ErrorClassifier>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            backoff_factor: 2.0,
            jitter: 0.1,
            retry_statuses: [429, 502, 503, 504]
                .into_iter()
                .filter_map(|s| StatusCode::from_u16(s).ok())
                .collect(),
            retry_non_idempotent: false,
            budget: None,
            classifier: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("backoff_factor", &self.backoff_factor)
            .field("jitter", &self.jitter)
            .field("retry_statuses", &self.retry_statuses)
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("budget", &self.budget.is_some())
            .finish_non_exhaustive()
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the total number of attempts (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the first retry delay.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// Sets the delay cap.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Sets the backoff multiplier.
    pub fn backoff_factor(mut self, f: f64) -> Self {
        self.backoff_factor = f;
        self
    }

    /// Sets the relative jitter (clamped to `0.0..=1.0`).
    pub fn jitter(mut self, j: f64) -> Self {
        self.jitter = if j.is_finite() {
            j.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// Sets the retried statuses.
    pub fn retry_statuses(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> Self {
        self.retry_statuses = statuses.into_iter().collect();
        self
    }

    /// Whether POST and PATCH are retried too.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.retry_non_idempotent = yes;
        self
    }

    /// Sets a retry budget.
    pub fn budget(mut self, budget: Arc<TpsBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Sets the error classifier.
    pub fn classifier(mut self, classifier: ErrorClassifier) -> Self {
        self.classifier = Some(classifier);
        self
    }

    /// Takes one retry from the budget, if there is one: `false` when the budget refuses it. Every retry the
    /// client makes (the retry layer's, a resent body, the handshake's) spends from this one budget.
    pub fn withdraw_retry(&self) -> bool {
        self.budget.as_ref().map_or(true, |b| b.withdraw())
    }

    /// Classifies `err` with the configured classifier, or [`default_classifier`].
    pub fn classify(&self, err: &BoxError) -> ErrorClass {
        self.classifier.unwrap_or(default_classifier)(err)
    }

    /// The delay before retry number `retry` (1 = first retry) with jitter drawn at random.
    pub fn backoff(&self, retry: u32) -> Duration {
        self.backoff_with(retry, rand::random::<f64>())
    }

    /// The delay before retry number `retry` (1 = first retry) for a jitter sample `unit` in `[0, 1)`:
    /// `base_delay * backoff_factor^(retry-1)`, capped at `max_delay`, scaled by `1 + jitter * (2*unit - 1)`, capped
    /// again.
    pub fn backoff_with(&self, retry: u32, unit: f64) -> Duration {
        let exp = retry.saturating_sub(1).min(1024) as i32;
        let factor = if self.backoff_factor.is_finite() && self.backoff_factor > 0.0 {
            self.backoff_factor
        } else {
            1.0
        };
        let max = self.max_delay.as_secs_f64();
        let raw = (self.base_delay.as_secs_f64() * factor.powi(exp)).min(max);
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let secs = (raw * (1.0 + jitter * (2.0 * unit - 1.0))).clamp(0.0, max);
        Duration::try_from_secs_f64(secs).unwrap_or(self.max_delay)
    }

    /// Parses a `Retry-After` value (delta-seconds or HTTP date relative to `now`), capped at `max_delay`.
    pub fn retry_after(&self, value: &HeaderValue, now: SystemTime) -> Option<Duration> {
        parse_retry_after(value, now).map(|d| d.min(self.max_delay))
    }

    /// Whether requests with `method` may be retried at all (idempotent methods, or any with
    /// [`retry_non_idempotent`](Self::retry_non_idempotent)), before any error classification.
    pub fn may_retry_method(&self, method: &Method) -> bool {
        self.retry_non_idempotent || is_idempotent(method)
    }
}

/// Parses `Retry-After` as delta-seconds or an HTTP date (a date in the past gives zero).
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let s = value.to_str().ok()?.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values; they are capped by max_delay anyway.
        return Some(Duration::from_secs(s.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(s).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// Response extension recording how many attempts the retry layer made, attached only when it made more than
/// one (the usual single attempt costs no allocation); read it with [`RetryAttempts::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAttempts(pub u32);

impl RetryAttempts {
    /// The attempts behind `resp`: the recorded count, or 1 when there is none.
    pub fn of<B>(resp: &Response<B>) -> u32 {
        resp.extensions().get::<RetryAttempts>().map_or(1, |a| a.0)
    }
}

/// Adds retrying with a [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct RetryLayer {
    policy: Arc<RetryPolicy>,
}

impl RetryLayer {
    /// A layer with `policy`.
    pub fn new(policy: RetryPolicy) -> Self {
        RetryLayer {
            policy: Arc::new(policy),
        }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Retry<S> {
        Retry {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service made by [`RetryLayer`].
#[derive(Debug, Clone)]
pub struct Retry<S> {
    inner: S,
    policy: Arc<RetryPolicy>,
}

impl<S> Retry<S> {
    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

/// The future of [`Retry`].
pub type RetryFuture<T> = LayerFuture<T>;

impl<S, B> Service<Request<RequestBody>> for Retry<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = RetryFuture<Response<B>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<RequestBody>) -> Self::Future {
        // The ready service handles the first attempt.
        let inner = take_ready(&mut self.inner);
        let policy = self.policy.clone();
        LayerFuture::new(run(inner, policy, req))
    }
}

async fn run<S, B>(
    mut inner: S,
    policy: Arc<RetryPolicy>,
    req: Request<RequestBody>,
) -> Result<Response<B>, BoxError>
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes>,
{
    let method = req.method().clone();
    let template = if policy.max_attempts > 1 {
        try_clone_request(&req)
    } else {
        None
    };
    if let Some(budget) = &policy.budget {
        budget.deposit();
    }
    let mut attempt: u32 = 1;
    let mut current = req;
    loop {
        let result = inner
            .call(current)
            .await
            .map_err(Into::into)
            .map(|mut resp| {
                if attempt > 1 {
                    resp.extensions_mut().insert(RetryAttempts(attempt));
                }
                resp
            });
        let Some(template) = template.as_ref() else {
            return result;
        };
        // Borrowed from the template, so the success path copies no path just for the retry logs.
        let path = template.uri().path();
        let retry_after = match &result {
            Ok(resp) => {
                if !policy.retry_statuses.contains(&resp.status())
                    || !policy.may_retry_method(&method)
                {
                    return result;
                }
                resp.headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| policy.retry_after(v, SystemTime::now()))
            }
            Err(e) => {
                let retryable = match policy.classify(e) {
                    ErrorClass::NotSent => true,
                    ErrorClass::MaybeSent => policy.may_retry_method(&method),
                    ErrorClass::Fatal => false,
                };
                if !retryable {
                    return result;
                }
                None
            }
        };
        if attempt >= policy.max_attempts {
            tracing::debug!(%method, path, attempt, "retry: attempts exhausted");
            return result;
        }
        if !policy.withdraw_retry() {
            tracing::debug!(%method, path, attempt, "retry: budget exhausted");
            return result;
        }
        let Some(next) = try_clone_request(template) else {
            return result;
        };
        let delay = retry_after.unwrap_or_else(|| policy.backoff(attempt));
        match result {
            Ok(resp) => {
                tracing::debug!(
                    %method, path, attempt, status = resp.status().as_u16(),
                    delay_ms = delay.as_millis() as u64, "retry: retrying after status"
                );
                drain(resp.into_body()).await;
            }
            Err(e) => {
                tracing::debug!(
                    %method, path, attempt, error = %e,
                    delay_ms = delay.as_millis() as u64, "retry: retrying after error"
                );
            }
        }
        tokio::time::sleep(delay).await;
        inner.ready().await.map_err(Into::into)?;
        attempt += 1;
        current = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};
    use std::io;
    use std::pin::Pin;
    use tokio::time::Instant;

    type Mock = tower_test::mock::Mock<Request<RequestBody>, Response<Full<Bytes>>>;
    type Handle = tower_test::mock::Handle<Request<RequestBody>, Response<Full<Bytes>>>;

    fn no_jitter() -> RetryPolicy {
        RetryPolicy::default().jitter(0.0)
    }

    fn status(code: u16) -> Response<Full<Bytes>> {
        Response::builder()
            .status(code)
            .body(Full::new(Bytes::from(format!("attempt body {code}"))))
            .unwrap()
    }

    type Outcome = tokio::task::JoinHandle<Result<Response<Full<Bytes>>, BoxError>>;

    fn spawn(policy: RetryPolicy, req: Request<RequestBody>) -> (Handle, Outcome) {
        let (mock, handle): (Mock, Handle) = tower_test::mock::pair();
        let svc = RetryLayer::new(policy).layer(mock);
        (handle, tokio::spawn(svc.oneshot(req)))
    }

    fn get() -> Request<RequestBody> {
        Request::get("/api/me").body(RequestBody::empty()).unwrap()
    }

    fn post() -> Request<RequestBody> {
        Request::post("/api/metadata")
            .body(RequestBody::from("{\"a\":1}"))
            .unwrap()
    }

    #[test]
    fn backoff_grows_and_caps() {
        let p = no_jitter();
        assert_eq!(p.backoff_with(1, 0.3), Duration::from_millis(500));
        assert_eq!(p.backoff_with(2, 0.3), Duration::from_secs(1));
        assert_eq!(p.backoff_with(3, 0.3), Duration::from_secs(2));
        assert_eq!(p.backoff_with(40, 0.3), Duration::from_secs(30));
        assert_eq!(p.backoff_with(u32::MAX, 0.3), Duration::from_secs(30));
        let j = RetryPolicy::default();
        assert_eq!(j.backoff_with(1, 0.0), Duration::from_millis(450));
        assert_eq!(j.backoff_with(1, 1.0), Duration::from_millis(550));
        assert_eq!(
            j.backoff_with(20, 1.0),
            Duration::from_secs(30),
            "jitter never exceeds the cap"
        );
        for _ in 0..100 {
            let d = j.backoff(1);
            assert!(
                d >= Duration::from_millis(450) && d <= Duration::from_millis(550),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        let p = RetryPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            p.retry_after(&HeaderValue::from_static("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            p.retry_after(&HeaderValue::from_static("999999999999999999999999"), now),
            Some(Duration::from_secs(30))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(12));
        assert_eq!(
            p.retry_after(&HeaderValue::from_str(&date).unwrap(), now),
            Some(Duration::from_secs(12))
        );
        let far = httpdate::fmt_http_date(now + Duration::from_secs(3600));
        assert_eq!(
            p.retry_after(&HeaderValue::from_str(&far).unwrap(), now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(60));
        assert_eq!(
            p.retry_after(&HeaderValue::from_str(&past).unwrap(), now),
            Some(Duration::ZERO)
        );
        assert_eq!(p.retry_after(&HeaderValue::from_static("soon"), now), None);
        assert_eq!(p.retry_after(&HeaderValue::from_static("-1"), now), None);
    }

    #[test]
    fn classifier() {
        let refused: BoxError =
            Box::new(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
        assert_eq!(default_classifier(&refused), ErrorClass::NotSent);
        let reset: BoxError = Box::new(io::Error::new(io::ErrorKind::ConnectionReset, "x"));
        assert_eq!(default_classifier(&reset), ErrorClass::MaybeSent);
        // Nested in a source chain.
        #[derive(Debug)]
        struct Wrapper(io::Error);
        impl fmt::Display for Wrapper {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("client error")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let nested: BoxError = Box::new(Wrapper(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "r",
        )));
        assert_eq!(default_classifier(&nested), ErrorClass::NotSent);
        let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert_eq!(default_classifier(&elapsed), ErrorClass::MaybeSent);
        let other: BoxError = "invalid certificate".into();
        assert_eq!(default_classifier(&other), ErrorClass::Fatal);
        // Words are not types: text that merely reads like a connect failure or a reset stays fatal.
        let lookalike: BoxError = "client error (Connect): connection reset, timed out".into();
        assert_eq!(default_classifier(&lookalike), ErrorClass::Fatal);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_each_status_then_succeeds() {
        for code in [429u16, 502, 503, 504] {
            let (mut handle, fut) = spawn(no_jitter(), get());
            let start = Instant::now();
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(status(code));
            let (req, send) = handle.next_request().await.unwrap();
            assert_eq!(req.uri(), "/api/me");
            assert!(
                start.elapsed() >= Duration::from_millis(500),
                "{code}: backoff waited"
            );
            send.send_response(status(200));
            let resp = fut.await.unwrap().unwrap();
            assert_eq!(resp.status(), 200, "{code}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn non_retryable_status_is_returned_at_once() {
        let (mut handle, fut) = spawn(no_jitter(), get());
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(status(500));
        assert_no_further_attempt(&mut handle).await;
        assert_eq!(fut.await.unwrap().unwrap().status(), 500);
    }

    #[tokio::test(start_paused = true)]
    async fn last_response_is_surfaced_after_max_attempts() {
        let (mut handle, fut) = spawn(no_jitter(), get());
        let start = Instant::now();
        for _ in 0..3 {
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(status(503));
        }
        // No fourth attempt: asked while the retry future is still alive (it owns the mock), so a fourth request
        // would arrive here; `None` means the future finished and dropped the service without sending one.
        assert_no_further_attempt(&mut handle).await;
        let resp = fut.await.unwrap().unwrap();
        assert_eq!(resp.status(), 503);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, Bytes::from("attempt body 503"));
        // 0.5 s + 1 s of backoff.
        assert_eq!(start.elapsed().as_millis() / 100, 15);
    }

    /// Fails if the retry future sends another request. The future runs in its own task and holds the mock
    /// service, so the handle yields either that request or, once the future has finished and dropped the
    /// service, `None`. (Checking after awaiting the future would always see `None`.)
    async fn assert_no_further_attempt(handle: &mut Handle) {
        let next = tokio::time::timeout(Duration::from_secs(3600), handle.next_request()).await;
        match next {
            Ok(None) => {}
            Ok(Some((req, _))) => {
                panic!("an extra attempt was made: {} {}", req.method(), req.uri())
            }
            Err(_) => panic!("the retry future neither finished nor made another attempt"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn post_and_patch_are_not_retried_by_default() {
        for req in [
            post(),
            Request::patch("/api/x/1")
                .body(RequestBody::from("[]"))
                .unwrap(),
        ] {
            let (mut handle, fut) = spawn(no_jitter(), req);
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(status(503));
            assert_no_further_attempt(&mut handle).await;
            assert_eq!(fut.await.unwrap().unwrap().status(), 503);
        }
        // Nor a maybe-sent error.
        let (mut handle, fut) = spawn(no_jitter(), post());
        let (_, send) = handle.next_request().await.unwrap();
        send.send_error(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        assert_no_further_attempt(&mut handle).await;
        let err = fut.await.unwrap().unwrap_err();
        assert!(
            err.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::TimedOut),
            "the attempt's own error comes back: {err:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn post_is_retried_when_opted_in() {
        let (mut handle, fut) = spawn(no_jitter().retry_non_idempotent(true), post());
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(status(502));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(
            req.body().as_bytes(),
            Some(&b"{\"a\":1}"[..]),
            "body resent intact"
        );
        send.send_response(status(201));
        assert_eq!(fut.await.unwrap().unwrap().status(), 201);
    }

    #[tokio::test(start_paused = true)]
    async fn not_sent_errors_are_retried_for_post() {
        let (mut handle, fut) = spawn(no_jitter(), post());
        let (_, send) = handle.next_request().await.unwrap();
        send.send_error(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.method(), Method::POST);
        send.send_response(status(200));
        assert_eq!(fut.await.unwrap().unwrap().status(), 200);
    }

    #[tokio::test(start_paused = true)]
    async fn last_error_is_surfaced_after_max_attempts() {
        let (mut handle, fut) = spawn(no_jitter().max_attempts(2), get());
        for _ in 0..2 {
            let (_, send) = handle.next_request().await.unwrap();
            send.send_error(io::Error::new(io::ErrorKind::ConnectionReset, "reset #"));
        }
        assert_no_further_attempt(&mut handle).await;
        let err = fut.await.unwrap().unwrap_err();
        assert!(err.to_string().contains("reset"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_seconds_is_honoured_and_capped() {
        let policy = no_jitter().max_delay(Duration::from_secs(10));
        let (mut handle, fut) = spawn(policy, get());
        let start = Instant::now();
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(
            Response::builder()
                .status(429)
                .header(RETRY_AFTER, "4")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        );
        let (_, send) = handle.next_request().await.unwrap();
        assert_eq!(start.elapsed().as_secs(), 4);
        send.send_response(
            Response::builder()
                .status(503)
                .header(RETRY_AFTER, "3600")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        );
        let (_, send) = handle.next_request().await.unwrap();
        assert_eq!(start.elapsed().as_secs(), 14, "capped at max_delay (10 s)");
        send.send_response(status(200));
        assert_eq!(fut.await.unwrap().unwrap().status(), 200);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_http_date_is_honoured() {
        let (mut handle, fut) = spawn(no_jitter(), get());
        let start = Instant::now();
        let (_, send) = handle.next_request().await.unwrap();
        // Paused tokio time does not move SystemTime, so a date ~1 hour ahead must be capped at 30 s.
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        send.send_response(
            Response::builder()
                .status(503)
                .header(RETRY_AFTER, date)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        );
        let (_, send) = handle.next_request().await.unwrap();
        assert_eq!(start.elapsed().as_secs(), 30);
        send.send_response(status(200));
        assert_eq!(fut.await.unwrap().unwrap().status(), 200);
    }

    #[tokio::test(start_paused = true)]
    async fn streaming_bodies_are_never_retried() {
        let req = Request::put("/api/x")
            .body(RequestBody::streaming(Full::new(Bytes::from("x"))))
            .unwrap();
        let (mut handle, fut) = spawn(no_jitter(), req);
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(status(503));
        assert_no_further_attempt(&mut handle).await;
        assert_eq!(fut.await.unwrap().unwrap().status(), 503);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_stops_retries() {
        // A budget with no reserve and no retry percentage allows no retries.
        let budget = Arc::new(TpsBudget::new(Duration::from_secs(1), 0, 0.0));
        let (mut handle, fut) = spawn(no_jitter().budget(budget), get());
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(status(503));
        assert_no_further_attempt(&mut handle).await;
        assert_eq!(fut.await.unwrap().unwrap().status(), 503);
    }

    /// A body that records whether it was read to the end.
    struct Tracked {
        chunks: Vec<Bytes>,
        finished: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Body for Tracked {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
            let this = self.get_mut();
            match this.chunks.pop() {
                Some(c) => Poll::Ready(Some(Ok(http_body::Frame::data(c)))),
                None => {
                    this.finished
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                    Poll::Ready(None)
                }
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn discarded_bodies_are_drained_only_when_small() {
        use std::sync::atomic::{AtomicBool, Ordering};
        for (size, drained) in [(16 * 1024usize, true), (200 * 1024, false)] {
            let (mock, mut handle) =
                tower_test::mock::pair::<Request<RequestBody>, Response<Tracked>>();
            let svc = RetryLayer::new(no_jitter()).layer(mock);
            let fut = tokio::spawn(svc.oneshot(get()));
            let finished = Arc::new(AtomicBool::new(false));
            let (_, send) = handle.next_request().await.unwrap();
            let chunks = vec![Bytes::from(vec![b'x'; 8 * 1024]); size / (8 * 1024)];
            send.send_response(
                Response::builder()
                    .status(503)
                    .body(Tracked {
                        chunks,
                        finished: finished.clone(),
                    })
                    .unwrap(),
            );
            let (_, send) = handle.next_request().await.unwrap();
            assert_eq!(finished.load(Ordering::SeqCst), drained, "size {size}");
            send.send_response(
                Response::builder()
                    .status(200)
                    .body(Tracked {
                        chunks: vec![],
                        finished: Arc::new(AtomicBool::new(false)),
                    })
                    .unwrap(),
            );
            assert_eq!(fut.await.unwrap().unwrap().status(), 200);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_count_matches_max_attempts() {
        let (mut handle, fut) = spawn(no_jitter().max_attempts(5), get());
        let mut seen = 0;
        while seen < 5 {
            let (_, send) = handle.next_request().await.unwrap();
            seen += 1;
            send.send_response(status(504));
        }
        assert_no_further_attempt(&mut handle).await;
        let resp = fut.await.unwrap().unwrap();
        assert_eq!(resp.status(), 504);
        assert_eq!(seen, 5);
        assert_eq!(
            resp.extensions().get::<RetryAttempts>(),
            Some(&RetryAttempts(5))
        );
        assert_eq!(RetryAttempts::of(&resp), 5);
    }

    #[tokio::test]
    async fn a_first_attempt_success_records_one_attempt() {
        let (mut handle, fut) = spawn(no_jitter(), get());
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(status(200));
        let resp = fut.await.unwrap().unwrap();
        assert!(resp.extensions().get::<RetryAttempts>().is_none());
        assert_eq!(RetryAttempts::of(&resp), 1);
    }
}
