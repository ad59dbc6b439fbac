//! The HTTP/1 accept loop and the outermost service: request counting, the in-flight gauge (held until the
//! response body is finished), fault injection, and the rewrite of versioned paths `/api/NN/...`.
//!
//! A custom loop (instead of `axum::serve`) lets a fault close a connection without answering, and turn that
//! close into a TCP reset.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode, Uri};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::faults::{retry_after_value, Fault, InFlightGuard};
use crate::state::AppState;
use crate::web::{self, ApiPrefix, PeerAddr, WebMessage};

/// A TCP stream that closes with a reset (SO_LINGER 0) when a fault asked for it.
struct ResetIo {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResetIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Acquire) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ResetIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResetIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// A response body that keeps the request counted as in flight until it is finished or dropped.
struct GuardedBody {
    inner: Body,
    _guard: InFlightGuard,
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Rewrites `/api/NN/rest` to `/api/rest` when `NN` is an accepted API version; returns the link prefix.
fn rewrite_versioned(uri: &Uri, state: &AppState) -> Option<(Uri, ApiPrefix)> {
    let rest = uri.path().strip_prefix("/api/")?;
    let (nn, tail) = rest.split_once('/')?;
    if nn.len() != 2 || !nn.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = nn.parse().ok()?;
    let v = state.version();
    if !(28..=v.max_api_version()).contains(&n) {
        return None;
    }
    let new_path = match uri.query() {
        Some(q) => format!("/api/{tail}?{q}"),
        None => format!("/api/{tail}"),
    };
    let prefix = if v.links_keep_api_version() {
        format!("/api/{nn}")
    } else {
        "/api".to_string()
    };
    Some((new_path.parse().ok()?, ApiPrefix(prefix)))
}

fn half(bytes: &Bytes) -> (Bytes, Bytes) {
    let mid = bytes.len() / 2;
    (bytes.slice(..mid), bytes.slice(mid..))
}

/// Runs the router, then applies a body-level fault to its answer.
async fn call_router(router: &Router, req: Request<Body>) -> Response<Body> {
    match router.clone().oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

async fn collect(resp: Response<Body>) -> (axum::http::response::Parts, Bytes) {
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

fn with_length(mut parts: axum::http::response::Parts, len: usize, body: Body) -> Response<Body> {
    parts.headers.remove(header::TRANSFER_ENCODING);
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        parts.headers.insert(header::CONTENT_LENGTH, v);
    }
    Response::from_parts(parts, body)
}

/// Handles one request: counters, faults, path rewrite, router.
async fn handle(
    state: AppState,
    router: Router,
    peer: SocketAddr,
    reset: Arc<AtomicBool>,
    req: Request<Incoming>,
) -> Result<Response<GuardedBody>, io::Error> {
    let counters = state.counters().clone();
    let path = req.uri().path().to_string();
    counters.record_request(&path);
    let guard = counters.enter();
    let fault = state.faults().next_for(&path);
    let mut req = req.map(Body::new);
    req.extensions_mut().insert(PeerAddr(peer));
    if let Some((uri, prefix)) = rewrite_versioned(req.uri(), &state) {
        *req.uri_mut() = uri;
        req.extensions_mut().insert(prefix);
    }
    let resp = match fault {
        None | Some(Fault::Pass) => call_router(&router, req).await,
        Some(Fault::Status(s)) => status_answer(s, None),
        Some(Fault::StatusRetryAfter(s, ra)) => status_answer(s, Some(retry_after_value(&ra))),
        Some(Fault::DelayHeaders(d)) => {
            tokio::time::sleep(d).await;
            call_router(&router, req).await
        }
        Some(Fault::DelayBody(d)) => {
            let (parts, bytes) = collect(call_router(&router, req).await).await;
            let len = bytes.len();
            let (first, second) = half(&bytes);
            let stream = futures_util::stream::iter([Ok::<_, io::Error>(first)]).chain(
                futures_util::stream::once(async move {
                    tokio::time::sleep(d).await;
                    Ok(second)
                }),
            );
            with_length(parts, len, Body::from_stream(stream))
        }
        Some(Fault::ResetBeforeHeaders) => {
            reset.store(true, Ordering::Release);
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "fault: reset before headers",
            ));
        }
        Some(Fault::ResetDuringBody) => {
            let (parts, bytes) = collect(call_router(&router, req).await).await;
            let len = bytes.len().max(2);
            let (first, _) = half(&bytes);
            let flag = reset.clone();
            let stream = futures_util::stream::iter([Ok::<_, io::Error>(first)]).chain(
                futures_util::stream::once(async move {
                    // Give the first half a moment to reach the socket before the connection is torn down.
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    flag.store(true, Ordering::Release);
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "fault: reset during body",
                    ))
                }),
            );
            with_length(parts, len, Body::from_stream(stream))
        }
        Some(Fault::TruncatedJson) => {
            let (mut parts, bytes) = collect(call_router(&router, req).await).await;
            let (first, _) = half(&bytes);
            parts.status = StatusCode::OK;
            let first = if first.is_empty() {
                Bytes::from_static(b"{\"truncated\":")
            } else {
                first
            };
            let len = first.len();
            with_length(parts, len, Body::from(first))
        }
        Some(Fault::HtmlLoginPage) => {
            let mut r = Response::new(Body::from(crate::auth::session::login_page_html()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html;charset=UTF-8"),
            );
            r
        }
        Some(Fault::Empty200) => {
            let mut r = Response::new(Body::empty());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(web::JSON_UTF8),
            );
            r
        }
        Some(Fault::Redirect { status, location }) => {
            let target = if location.starts_with('/') {
                format!("{}{location}", web::context_path(req.headers()))
            } else {
                location
            };
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND);
            if let Ok(v) = HeaderValue::from_str(&target) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
    };
    Ok(resp.map(|inner| GuardedBody {
        inner,
        _guard: guard,
    }))
}

fn status_answer(status: u16, retry_after: Option<String>) -> Response<Body> {
    let state = if status < 400 { "OK" } else { "ERROR" };
    let mut m = WebMessage::new(status, state);
    if status >= 400 {
        m = m.message(web::reason_phrase(status));
    }
    let mut r = web::json(status, &m.to_value());
    if let Some(ra) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        r.headers_mut().insert(header::RETRY_AFTER, ra);
    }
    r
}

/// Accepts connections until the task is aborted; every connection task is aborted with it.
pub(crate) async fn serve(listener: TcpListener, router: Router, state: AppState) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!("accept failed: {e}");
                    // Back off briefly (e.g. out of file descriptors) instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let _ = stream.set_nodelay(true);
        let reset = Arc::new(AtomicBool::new(false));
        let io = TokioIo::new(ResetIo {
            stream,
            reset: reset.clone(),
        });
        let state = state.clone();
        let router = router.clone();
        connections.spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                handle(state.clone(), router.clone(), peer, reset.clone(), req)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, svc)
                .await;
        });
    }
}
