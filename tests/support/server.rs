//! The one hand-written HTTP/1.1 test server (plain or behind rustls).
//!
//! A tokio `TcpListener` with a hand-written request reader (Content-Length bodies, keep-alive), so each test decides
//! every byte and every failure: statuses, redirects, graceful closes, resets (RST, via `SO_LINGER 0`) before the
//! headers or in the middle of a body, stalls, raw bytes, idle keep-alive closes. [`Stats`] counts requests,
//! connections and requests in flight and keeps every request (unless [`Options::skip_log`]). Connection tasks live in
//! a `JoinSet` owned by the accept loop, so dropping the [`Server`] stops everything, stalled connections included.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::message::{system_info, Action, Req, Resp};

/// Counters a test reads.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub connections: AtomicUsize,
    pub open_connections: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    per_path: Mutex<HashMap<String, usize>>,
    log: Mutex<Vec<Req>>,
}

impl Stats {
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
    pub fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::SeqCst)
    }
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
    pub fn count(&self, path: &str) -> usize {
        self.per_path
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }
    /// Every request seen (empty when the server was started with `skip_log`).
    pub fn log(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }
}

/// Counts a request in flight until dropped.
struct InFlight(Arc<Stats>);

impl InFlight {
    fn enter(stats: &Arc<Stats>) -> InFlight {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(stats.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts an open connection until dropped.
struct Open(Arc<Stats>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

type Handler = Arc<dyn Fn(Req) -> Pin<Box<dyn Future<Output = Action> + Send>> + Send + Sync>;

/// Server settings.
#[derive(Clone, Default)]
pub struct Options {
    /// Close a keep-alive connection that stays idle this long.
    pub idle_close: Option<Duration>,
    /// Keep no request in [`Stats::log`] (for tests that measure memory).
    pub skip_log: bool,
}

/// A running server; dropping it stops the accept loop and every connection.
pub struct Server {
    pub addr: SocketAddr,
    pub url: String,
    pub stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Every request seen so far.
    pub fn requests(&self) -> Vec<Req> {
        self.stats.log()
    }
    /// How many requests had this path.
    pub fn count(&self, path: &str) -> usize {
        self.stats.count(path)
    }
}

/// A stream whose connection can be made to reset (RST) on close.
pub trait Conn: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    fn arm_reset(&self);
}

impl Conn for TcpStream {
    // `SO_LINGER 0` is deprecated in tokio because a positive linger blocks on drop; zero never blocks.
    #[allow(deprecated)]
    fn arm_reset(&self) {
        let _ = self.set_linger(Some(Duration::ZERO));
    }
}

impl Conn for tokio_rustls::server::TlsStream<TcpStream> {
    #[allow(deprecated)]
    fn arm_reset(&self) {
        let _ = self.get_ref().0.set_linger(Some(Duration::ZERO));
    }
}

/// Starts a plain-HTTP server on 127.0.0.1; the handler answers with a [`Resp`] or any other [`Action`].
pub async fn start<F, Fut, R>(handler: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Action>,
{
    start_with(Options::default(), handler).await
}

/// Starts a plain-HTTP server with options.
pub async fn start_with<F, Fut, R>(opts: Options, handler: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Action>,
{
    spawn_server(opts, None, handler).await
}

/// Starts a TLS server on 127.0.0.1; `url` is `https://localhost:PORT`.
pub async fn start_tls<F, Fut, R>(acceptor: tokio_rustls::TlsAcceptor, handler: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Action>,
{
    spawn_server(Options::default(), Some(acceptor), handler).await
}

/// Starts a plain-HTTP server that answers every request with `action`.
pub async fn always(action: impl Into<Action>) -> Server {
    let action = action.into();
    start(move |_req| {
        let action = action.clone();
        async move { action }
    })
    .await
}

/// A server that answers `/api/system/info` with `version` and `/api/me` with a user; other paths go to `other`.
pub async fn dhis2_like<F, Fut, R>(version: &'static str, other: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Action>,
{
    let other = Arc::new(other);
    start(move |r: Req| {
        let other = other.clone();
        async move {
            match r.path() {
                "/api/system/info" => Resp::json(200, system_info(version)).into(),
                "/api/me" => Resp::json(
                    200,
                    serde_json::json!({"id": "xE7jOejl9FI", "username": "admin", "displayName": "John Traore"}),
                )
                .into(),
                _ => other(r).await.into(),
            }
        }
    })
    .await
}

async fn spawn_server<F, Fut, R>(
    opts: Options,
    tls: Option<tokio_rustls::TlsAcceptor>,
    handler: F,
) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Action>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let handler: Handler = Arc::new(move |r| {
        let reply = handler(r);
        Box::pin(async move { reply.await.into() })
    });
    let st = stats.clone();
    let url = match tls {
        Some(_) => format!("https://localhost:{}", addr.port()),
        None => format!("http://{addr}"),
    };
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                // Reap finished connection tasks so the set does not grow without bound.
                Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            };
            let Ok((stream, _)) = accepted else { return };
            let id = st.connections.fetch_add(1, Ordering::SeqCst);
            st.open_connections.fetch_add(1, Ordering::SeqCst);
            let open = Open(st.clone());
            let (handler, st, opts, tls) = (handler.clone(), st.clone(), opts.clone(), tls.clone());
            conns.spawn(async move {
                let _open = open;
                match tls {
                    None => {
                        let _ = serve_conn(stream, id, handler, st, opts).await;
                    }
                    Some(acceptor) => {
                        if let Ok(s) = acceptor.accept(stream).await {
                            let _ = serve_conn(s, id, handler, st, opts).await;
                        }
                    }
                }
            });
        }
    });
    Server {
        addr,
        url,
        stats,
        task,
    }
}

/// The status line and headers of `resp`, announcing `content_length`.
fn head(resp: &Resp, content_length: usize) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(resp.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-length: {content_length}\r\n",
        resp.status
    );
    for (n, v) in &resp.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Reads one request; `None` when the client closed (or stayed idle longer than `idle`).
async fn read_request<S: Conn>(
    reader: &mut BufReader<S>,
    conn: usize,
    idle: Option<Duration>,
) -> std::io::Result<Option<Req>> {
    let mut line = String::new();
    let n = match idle {
        Some(d) => match tokio::time::timeout(d, reader.read_line(&mut line)).await {
            Ok(r) => r?,
            Err(_) => return Ok(None), // idle too long: close
        },
        None => reader.read_line(&mut line).await?,
    };
    if n == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).await?;
    Ok(Some(Req {
        method,
        target,
        headers,
        body,
        conn,
    }))
}

/// Writes `resp` chunked: the head, the body as one chunk, and the terminator, in one write.
async fn write_chunked<S: Conn>(stream: &mut S, resp: &Resp) -> std::io::Result<()> {
    let reason = http::StatusCode::from_u16(resp.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\ntransfer-encoding: chunked\r\n",
        resp.status
    );
    for (n, v) in &resp.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("\r\n{:x}\r\n", resp.body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(&resp.body);
    out.extend_from_slice(b"\r\n0\r\n\r\n");
    stream.write_all(&out).await?;
    stream.flush().await
}

/// Writes the head of `resp` and the first `sent` bytes of its body.
async fn write_partial<S: Conn>(stream: &mut S, resp: &Resp, sent: usize) -> std::io::Result<()> {
    let mut out = head(resp, resp.body.len());
    out.extend_from_slice(&resp.body[..sent.min(resp.body.len())]);
    stream.write_all(&out).await?;
    stream.flush().await
}

async fn serve_conn<S: Conn>(
    stream: S,
    conn: usize,
    handler: Handler,
    stats: Arc<Stats>,
    opts: Options,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(req) = read_request(&mut reader, conn, opts.idle_close).await? else {
            return Ok(());
        };
        stats.requests.fetch_add(1, Ordering::SeqCst);
        *stats
            .per_path
            .lock()
            .unwrap()
            .entry(req.path().to_string())
            .or_default() += 1;
        if !opts.skip_log {
            stats.log.lock().unwrap().push(req.clone());
        }
        let _in_flight = InFlight::enter(&stats);
        let action = handler(req).await;
        let stream = reader.get_mut();
        match action {
            Action::Reply(resp) if resp.chunked => write_chunked(stream, &resp).await?,
            Action::Reply(resp) => write_partial(stream, &resp, resp.body.len()).await?,
            Action::Close => return Ok(()),
            Action::ResetBeforeHeaders => {
                stream.arm_reset();
                return Ok(());
            }
            Action::ResetMidBody(resp, sent) => {
                write_partial(stream, &resp, sent).await?;
                // Let the client read what was sent before the reset discards it.
                tokio::time::sleep(Duration::from_millis(20)).await;
                stream.arm_reset();
                return Ok(());
            }
            Action::StallHeaders => return wait_for_close(&mut reader).await,
            Action::StallBody(resp, sent) => {
                write_partial(stream, &resp, sent).await?;
                return wait_for_close(&mut reader).await;
            }
            Action::Raw(bytes) => {
                stream.write_all(&bytes).await?;
                stream.flush().await?;
                stream.shutdown().await?;
                return Ok(());
            }
        }
    }
}

/// Stalls until the client closes the connection (so a test can see that a cancelled request let it go).
async fn wait_for_close<S: Conn>(reader: &mut BufReader<S>) -> std::io::Result<()> {
    let mut buf = [0u8; 512];
    loop {
        if reader.read(&mut buf).await? == 0 {
            return Ok(());
        }
    }
}

/// A loopback address that refuses connections (the kernel answers RST) for as long as the returned socket lives:
/// the socket is bound, so nobody else can take the port, but not listening. Calling `listen` on it later turns
/// the same address into a server.
pub fn refusing_port() -> (tokio::net::TcpSocket, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// The I/O error kinds along `err`'s source chain (to tell a refused connection from any other transport error).
pub fn io_kinds(err: &(dyn std::error::Error + 'static)) -> Vec<std::io::ErrorKind> {
    std::iter::successors(Some(err), |e| e.source())
        .filter_map(|e| e.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
        .collect()
}

/// Whether `err` is a connection the server refused: a connect error with `ConnectionRefused` in its chain.
pub fn is_refused(err: &dhis2::Error) -> bool {
    err.is_connect() && io_kinds(err).contains(&std::io::ErrorKind::ConnectionRefused)
}
