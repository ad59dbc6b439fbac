//! Small purpose-built HTTP/1.1 servers for the client's integration tests.
//!
//! The server is a plain tokio `TcpListener` with a hand-written HTTP/1.1 reader (Content-Length bodies,
//! keep-alive), so tests control every byte: statuses, headers, redirects, dropped connections.
#![allow(dead_code)]

pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn query(&self) -> &str {
        self.target.split_once('?').map(|(_, q)| q).unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Reply {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Close,
}

impl Reply {
    pub fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply::Response {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json;charset=UTF-8".into(),
            )],
            body: value.to_string().into_bytes(),
        }
    }
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Response {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }
    pub fn empty(status: u16) -> Reply {
        Reply::Response {
            status,
            headers: vec![],
            body: vec![],
        }
    }
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Response {
            status,
            headers: vec![("location".into(), location.into())],
            body: vec![],
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Response { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// A running test server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    /// Connections currently open (accepted and not yet closed by either side).
    pub open: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path() == path).count()
    }
}

type Handler =
    Arc<dyn Fn(Recorded) -> std::pin::Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// Starts a plain-HTTP server on 127.0.0.1 with `handler`.
pub async fn serve<F, Fut>(handler: F) -> TestServer
where
    F: Fn(Recorded) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let handler: Handler = Arc::new(move |r| Box::pin(handler(r)));
    let recs = requests.clone();
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let open2 = open.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let recs = recs.clone();
            let open = open2.clone();
            open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = handle_conn(stream, handler, recs).await;
                open.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    TestServer {
        addr,
        url: format!("http://{addr}"),
        requests,
        open,
        task,
    }
}

/// Starts a TLS server (rustls) on 127.0.0.1 with `handler`; `url` uses `https://localhost:PORT`.
pub async fn serve_tls<F, Fut>(acceptor: tokio_rustls::TlsAcceptor, handler: F) -> TestServer
where
    F: Fn(Recorded) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let handler: Handler = Arc::new(move |r| Box::pin(handler(r)));
    let recs = requests.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let recs = recs.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    let _ = handle_conn(tls, handler, recs).await;
                }
            });
        }
    });
    TestServer {
        addr,
        url: format!("https://localhost:{}", addr.port()),
        requests,
        open: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        task,
    }
}

async fn handle_conn<S>(
    stream: S,
    handler: Handler,
    recs: Arc<Mutex<Vec<Recorded>>>,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).await?;
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
        let rec = Recorded {
            method,
            target,
            headers,
            body,
        };
        recs.lock().unwrap().push(rec.clone());
        match handler(rec).await {
            Reply::Close => return Ok(()),
            Reply::Response {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (n, v) in headers {
                    out.push_str(&format!("{n}: {v}\r\n"));
                }
                out.push_str("\r\n");
                let stream = reader.get_mut();
                stream.write_all(out.as_bytes()).await?;
                stream.write_all(&body).await?;
                stream.flush().await?;
            }
        }
    }
}

/// A minimal system-info body for `version`.
pub fn system_info(version: &str) -> serde_json::Value {
    serde_json::json!({
        "version": version,
        "revision": "abc1234",
        "calendar": "iso8601",
        "systemName": "Test DHIS2",
        "contextPath": "http://localhost"
    })
}

/// A server that answers `/api/system/info` with `version` and `/api/me` with a user; other paths go to `other`.
pub async fn dhis2_like<F, Fut>(version: &'static str, other: F) -> TestServer
where
    F: Fn(Recorded) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let other = Arc::new(other);
    serve(move |r: Recorded| {
        let other = other.clone();
        async move {
            match r.path() {
                "/api/system/info" => Reply::json(200, system_info(version)),
                "/api/me" => Reply::json(
                    200,
                    serde_json::json!({"id": "xE7jOejl9FI", "username": "admin", "displayName": "John Traore"}),
                ),
                _ => other(r).await,
            }
        }
    })
    .await
}

/// Captures `tracing` output (all levels) into a shared buffer.
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
