//! The accept loop (HTTP/1.1 and HTTP/2, plain or TLS) and the outermost service: request counting, the in-flight
//! gauge (held until the response body is finished), byte counters, fault injection, response compression, and
//! the rewrite of versioned paths `/api/NN/...`.
//!
//! A custom loop (instead of `axum::serve`) lets a fault close a connection without answering, and turn that
//! close into a TCP reset.
//!
//! Protocols: a plain port serves HTTP/1.1 and HTTP/2 with prior knowledge (h2c) side by side (hyper-util's
//! `auto` builder tells them apart by the HTTP/2 preface). Over TLS the ALPN result decides: `h2` is served as
//! HTTP/2 only, `http/1.1` as HTTP/1.1 only, no ALPN as either.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode, Uri, Version};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower::{Layer, ServiceExt};
use tower_http::compression::CompressionLayer;

use crate::compression::Policy;
use crate::faults::{retry_after_value, Counters, Fault, InFlightGuard};
use crate::state::AppState;
use crate::tls::{ALPN_H2, ALPN_HTTP1};
use crate::web::{self, ApiPrefix, PeerAddr, WebMessage};

/// A TCP stream that closes with a reset (SO_LINGER 0) when a fault asked for it, and counts the bytes the socket
/// takes ([`Counters::bytes_sent`]: under TLS these are TLS records, so everything on the wire).
struct ResetIo {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
    counters: Counters,
}

impl ResetIo {
    fn count(&self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(n)) = polled {
            self.counters.add_bytes_sent(n);
        }
        polled
    }
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
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.count(polled)
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
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.count(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// A response body that keeps the request counted as in flight until it is finished or dropped, and counts the
/// data it hands to the connection ([`Counters::body_bytes_sent`]).
struct GuardedBody {
    inner: Body,
    guard: InFlightGuard,
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.guard.counters().add_body_bytes_sent(data.len());
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A body that answers `None` again once it has ended, without polling its inner body.
///
/// tower-http's compression (0.6) polls a body once more after its end, looking for trailers (tower-http issue
/// 732); an axum body made from a stream (`Body::from_stream(unfold(..))`, the data value export) panics then,
/// which kills the connection mid-answer. Every body goes through this before compression.
struct FusedBody {
    inner: Body,
    done: bool,
}

impl HttpBody for FusedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.done = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // Passed through: the compression predicate reads the exact size of a buffered answer.
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

/// How a running emulator serves its connections (fixed at start).
pub(crate) struct ServeOptions {
    /// Response compression; `None` sends every body as it is.
    pub(crate) compression: Option<CompressionLayer<Policy>>,
    /// TLS with the self-signed chain; `None` serves plain HTTP (and h2c).
    pub(crate) tls: Option<TlsAcceptor>,
}

/// What every request of one connection shares.
struct Conn {
    state: AppState,
    router: Router,
    peer: SocketAddr,
    reset: Arc<AtomicBool>,
    compression: Option<CompressionLayer<Policy>>,
    tls: bool,
}

/// Runs the router.
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

/// What the reverse proxy in front of a DHIS2 tells it about the original request: an HTTP/2 request has no
/// `Host` header (its authority is in the URI) and gets one, as a proxy forwards it; a request that came over TLS
/// gets `X-Forwarded-Proto: https` unless it has one, so absolute links (pager `nextPage`, `href`) say `https`.
fn proxy_headers(req: &mut Request<Body>, tls: bool) {
    if !req.headers().contains_key(header::HOST) {
        if let Some(v) = req
            .uri()
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        {
            req.headers_mut().insert(header::HOST, v);
        }
    }
    if tls && !req.headers().contains_key("x-forwarded-proto") {
        req.headers_mut()
            .insert("x-forwarded-proto", HeaderValue::from_static("https"));
    }
}

/// Handles one request: counters, faults, path rewrite, router, compression.
///
/// Where compression sits: between the origin and the faults that act on the wire, as nginx sits between DHIS2
/// and the network. The origin's answer (the router's, or the stand-in answer of a fault such as a 503 or the
/// HTML login page, which a proxy compresses like any other) is encoded first; `delay-body`, `reset-body` and
/// `truncated` then act on the encoded bytes, as a stalled or dying link acts on a gzip stream. So a truncated
/// gzip answer is half a gzip stream with a matching `Content-Length`: a complete HTTP message whose decoding
/// fails (a body error in the client), not a well-compressed copy of half a JSON document, which would hide the
/// failure from the client's decoder. `delay-headers` and `reset` act before the origin, so they do not care.
async fn handle(
    conn: Arc<Conn>,
    req: Request<Incoming>,
) -> Result<Response<GuardedBody>, io::Error> {
    let state = &conn.state;
    let counters = state.counters();
    let path = req.uri().path().to_string();
    counters.record_request(&path);
    let guard = counters.enter();
    let fault = state.faults().next_for(&path);
    let h2 = req.version() == Version::HTTP_2;
    let mut req = req.map(Body::new);
    req.extensions_mut().insert(PeerAddr(conn.peer));
    proxy_headers(&mut req, conn.tls);
    if let Some((uri, prefix)) = rewrite_versioned(req.uri(), state) {
        *req.uri_mut() = uri;
        req.extensions_mut().insert(prefix);
    }
    // On HTTP/1 a reset tears down the TCP connection: it carries this one exchange. On HTTP/2 the connection
    // multiplexes other requests, and a proxy (nginx, a load balancer) that loses one upstream answer resets that
    // stream only (RST_STREAM, INTERNAL_ERROR, which hyper sends for a failed service or body); so does this.
    let reset_connection = || (!h2).then(|| conn.reset.clone());
    let resp = match fault {
        Some(Fault::ResetBeforeHeaders) => {
            if let Some(flag) = reset_connection() {
                flag.store(true, Ordering::Release);
            }
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "fault: reset before headers",
            ));
        }
        Some(Fault::DelayHeaders(d)) => {
            tokio::time::sleep(d).await;
            respond(&conn, req, None).await
        }
        Some(Fault::DelayBody(d)) => delay_body(respond(&conn, req, None).await, d).await,
        Some(Fault::ResetDuringBody) => {
            reset_during_body(respond(&conn, req, None).await, reset_connection()).await
        }
        Some(Fault::TruncatedJson) => truncated(respond(&conn, req, None).await).await,
        answer => respond(&conn, req, answer).await,
    };
    Ok(resp.map(|inner| GuardedBody { inner, guard }))
}

/// The origin's answer, compressed when the request asks for it and the answer qualifies.
async fn respond(conn: &Conn, req: Request<Body>, answer: Option<Fault>) -> Response<Body> {
    let Some(layer) = &conn.compression else {
        return origin(&conn.router, req, answer).await;
    };
    let router = conn.router.clone();
    let mut answer = Some(answer);
    let svc = layer.layer(tower::service_fn(move |req: Request<Body>| {
        let router = router.clone();
        let answer = answer.take().flatten();
        async move {
            let resp = origin(&router, req, answer).await;
            Ok::<_, Infallible>(resp.map(|inner| FusedBody { inner, done: false }))
        }
    }));
    match svc.oneshot(req).await {
        // The compressed body streams: tower-http encodes frame by frame as the router's body yields them.
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    }
}

/// The router's answer, or the stand-in answer of a fault that replaces it (a status, a login page, ...).
async fn origin(router: &Router, req: Request<Body>, answer: Option<Fault>) -> Response<Body> {
    match answer {
        None
        | Some(
            Fault::Pass
            | Fault::DelayHeaders(_)
            | Fault::DelayBody(_)
            | Fault::ResetBeforeHeaders
            | Fault::ResetDuringBody
            | Fault::TruncatedJson,
        ) => call_router(router, req).await,
        Some(Fault::Status(s)) => status_answer(s, None),
        Some(Fault::StatusRetryAfter(s, ra)) => status_answer(s, Some(retry_after_value(&ra))),
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
    }
}

/// `delay-body`: the first half of the (encoded) body, a pause, then the rest.
async fn delay_body(resp: Response<Body>, d: Duration) -> Response<Body> {
    let (parts, bytes) = collect(resp).await;
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

/// `reset-body`: the full `Content-Length`, half of the (encoded) body, then a reset of the connection (HTTP/1,
/// `connection` is its flag) or of the stream (HTTP/2, `None`).
async fn reset_during_body(
    resp: Response<Body>,
    connection: Option<Arc<AtomicBool>>,
) -> Response<Body> {
    let (parts, bytes) = collect(resp).await;
    let len = bytes.len().max(2);
    let (first, _) = half(&bytes);
    let stream = futures_util::stream::iter([Ok::<_, io::Error>(first)]).chain(
        futures_util::stream::once(async move {
            // Give the first half a moment to reach the socket before the connection is torn down.
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Some(flag) = connection {
                flag.store(true, Ordering::Release);
            }
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "fault: reset during body",
            ))
        }),
    );
    with_length(parts, len, Body::from_stream(stream))
}

/// `truncated`: 200 with the first half of the (encoded) body as a complete message.
async fn truncated(resp: Response<Body>) -> Response<Body> {
    let (mut parts, bytes) = collect(resp).await;
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
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    state: AppState,
    options: ServeOptions,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!("accept failed: {e}");
                    // Back off briefly (e.g. out of file descriptors) instead of spinning.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let _ = stream.set_nodelay(true);
        let reset = Arc::new(AtomicBool::new(false));
        let io = ResetIo {
            stream,
            reset: reset.clone(),
            counters: state.counters().clone(),
        };
        let conn = Conn {
            state: state.clone(),
            router: router.clone(),
            peer,
            reset,
            compression: options.compression.clone(),
            tls: options.tls.is_some(),
        };
        let tls = options.tls.clone();
        // The TLS handshake runs in the connection's task, so a slow or silent client never holds up `accept`.
        connections.spawn(async move {
            match tls {
                None => serve_connection(TokioIo::new(io), Protocols::Any, conn).await,
                Some(acceptor) => {
                    let stream = match acceptor.accept(io).await {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::debug!("TLS handshake with {peer} failed: {e}");
                            return;
                        }
                    };
                    let protocols = match stream.get_ref().1.alpn_protocol() {
                        Some(ALPN_H2) => Protocols::Http2,
                        Some(ALPN_HTTP1) => Protocols::Http1,
                        _ => Protocols::Any,
                    };
                    serve_connection(TokioIo::new(stream), protocols, conn).await
                }
            }
        });
    }
}

/// Which HTTP versions a connection may speak.
#[derive(Debug, Clone, Copy)]
enum Protocols {
    /// HTTP/1.1, or HTTP/2 when the client starts with its preface.
    Any,
    Http1,
    Http2,
}

async fn serve_connection<I>(io: TokioIo<I>, protocols: Protocols, conn: Conn)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true);
    let builder = match protocols {
        Protocols::Any => builder,
        Protocols::Http1 => builder.http1_only(),
        Protocols::Http2 => builder.http2_only(),
    };
    let conn = Arc::new(conn);
    let svc = hyper::service::service_fn(move |req| handle(conn.clone(), req));
    if let Err(e) = builder.serve_connection(io, svc).await {
        tracing::debug!("connection ended with an error: {e}");
    }
}
