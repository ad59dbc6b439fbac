//! Purpose-built misbehaving HTTP/1.1 servers for the reliability tests.
//!
//! A plain tokio `TcpListener` (optionally behind rustls) with a hand-written request reader, so each test decides
//! every byte and every failure: resets (RST, via `SO_LINGER 0`) before the headers or in the middle of a body,
//! stalls, truncated or invalid bodies, idle keep-alive closes. [`Stats`] counts requests, connections and
//! requests in flight. Connection tasks live in a `JoinSet` owned by the accept loop, so dropping the
//! [`Server`] stops everything, stalled connections included.
#![allow(dead_code)]

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

pub mod tls;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which accepted connection it came on (0-based).
    pub conn: usize,
}

impl Req {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, value: serde_json::Value) -> Resp {
        Resp::bytes(status, "application/json;charset=UTF-8", value.to_string())
    }
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Resp {
        Resp {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }
    pub fn empty(status: u16) -> Resp {
        Resp {
            status,
            headers: vec![],
            body: vec![],
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Resp {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// A DHIS2 WebMessage error body with this status.
    pub fn web_message(status: u16, message: &str) -> Resp {
        Resp::json(
            status,
            serde_json::json!({"httpStatus": "Error", "httpStatusCode": status, "status": "ERROR", "message": message}),
        )
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer and keep the connection open.
    Reply(Resp),
    /// Reset the connection (RST) without answering.
    ResetBeforeHeaders,
    /// Send the headers (with the full `Content-Length`) and the first `sent` bytes of the body, then reset.
    ResetMidBody(Resp, usize),
    /// Never answer; keep the connection open.
    StallHeaders,
    /// Send the headers and the first `sent` bytes of the body, then never send the rest.
    StallBody(Resp, usize),
    /// Write these bytes as they are, then close.
    Raw(Vec<u8>),
}

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
    /// Every request seen (only kept when the server was started with `keep_log`).
    pub fn log(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }
}

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
    /// Keep every request in [`Stats::log`].
    pub keep_log: bool,
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

/// Starts a plain-HTTP server on 127.0.0.1.
pub async fn start<F, Fut>(handler: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Action> + Send + 'static,
{
    start_with(Options::default(), handler).await
}

/// Starts a plain-HTTP server with options.
pub async fn start_with<F, Fut>(opts: Options, handler: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Action> + Send + 'static,
{
    spawn_server(opts, None, handler).await
}

/// Starts a TLS server on 127.0.0.1; `url` is `https://localhost:PORT`.
pub async fn start_tls<F, Fut>(acceptor: tokio_rustls::TlsAcceptor, handler: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Action> + Send + 'static,
{
    spawn_server(Options::default(), Some(acceptor), handler).await
}

async fn spawn_server<F, Fut>(
    opts: Options,
    tls: Option<tokio_rustls::TlsAcceptor>,
    handler: F,
) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Action> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let handler: Handler = Arc::new(move |r| Box::pin(handler(r)));
    let st = stats.clone();
    let is_tls = tls.is_some();
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
    let url = if is_tls {
        format!("https://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    Server {
        addr,
        url,
        stats,
        task,
    }
}

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

async fn read_request<S: Conn>(
    reader: &mut BufReader<S>,
    idle: Option<Duration>,
) -> std::io::Result<Option<(String, String, Vec<(String, String)>, Vec<u8>)>> {
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
    Ok(Some((method, target, headers, body)))
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
        let Some((method, target, headers, body)) =
            read_request(&mut reader, opts.idle_close).await?
        else {
            return Ok(());
        };
        let req = Req {
            method,
            target,
            headers,
            body,
            conn,
        };
        stats.requests.fetch_add(1, Ordering::SeqCst);
        *stats
            .per_path
            .lock()
            .unwrap()
            .entry(req.path().to_string())
            .or_default() += 1;
        if opts.keep_log {
            stats.log.lock().unwrap().push(req.clone());
        }
        let _in_flight = InFlight::enter(&stats);
        let action = handler(req).await;
        let stream = reader.get_mut();
        match action {
            Action::Reply(resp) => {
                let mut out = head(&resp, resp.body.len());
                out.extend_from_slice(&resp.body);
                stream.write_all(&out).await?;
                stream.flush().await?;
            }
            Action::ResetBeforeHeaders => {
                stream.arm_reset();
                return Ok(());
            }
            Action::ResetMidBody(resp, sent) => {
                let mut out = head(&resp, resp.body.len());
                out.extend_from_slice(&resp.body[..sent.min(resp.body.len())]);
                stream.write_all(&out).await?;
                stream.flush().await?;
                // Let the client read what was sent before the reset discards it.
                tokio::time::sleep(Duration::from_millis(20)).await;
                stream.arm_reset();
                return Ok(());
            }
            Action::StallHeaders => return wait_for_close(&mut reader).await,
            Action::StallBody(resp, sent) => {
                let mut out = head(&resp, resp.body.len());
                out.extend_from_slice(&resp.body[..sent.min(resp.body.len())]);
                stream.write_all(&out).await?;
                stream.flush().await?;
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

/// A minimal `/api/system/info` body.
pub fn system_info(version: &str) -> serde_json::Value {
    serde_json::json!({
        "version": version,
        "revision": "abc1234",
        "calendar": "iso8601",
        "systemName": "Reliability test server",
    })
}

/// Captures `tracing` output into a shared buffer.
#[derive(Clone, Default)]
pub struct LogBuffer(pub Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

/// Open file descriptors of this process (Linux: entries of `/proc/self/fd`).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Resident set size in KiB (Linux: `VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
