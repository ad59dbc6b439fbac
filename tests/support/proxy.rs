//! An HTTP proxy for tests: CONNECT tunnels (recording the CONNECT head and every byte it relays) and plain-http
//! forwarding of absolute-form requests (one request per connection), optionally demanding Basic credentials.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Each request head it received, as text (CONNECT and absolute-form requests alike).
    pub heads: Vec<String>,
    /// Every byte relayed through CONNECT tunnels, client to server.
    pub tunneled: Vec<u8>,
}

/// A running proxy; dropping it stops accepting.
pub struct Proxy {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts a proxy on 127.0.0.1; with `auth` (a full `Proxy-Authorization` value) it answers 407 to any
/// request without it.
pub async fn start(auth: Option<String>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            let (seen, auth) = (s.clone(), auth.clone());
            tokio::spawn(async move {
                let _ = serve(conn, seen, auth).await;
            });
        }
    });
    Proxy { url, seen, task }
}

/// Reads up to the end of a head; returns the head and whatever came after it.
async fn read_head(conn: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

async fn serve(
    mut client: TcpStream,
    seen: Arc<Mutex<Seen>>,
    auth: Option<String>,
) -> std::io::Result<()> {
    let (head, rest) = read_head(&mut client).await?;
    seen.lock().unwrap().heads.push(head.clone());
    if let Some(want) = &auth {
        if header(&head, "proxy-authorization") != Some(want.as_str()) {
            client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await?;
            return Ok(());
        }
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if method == "CONNECT" {
        let mut server = TcpStream::connect(target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        seen.lock().unwrap().tunneled.extend_from_slice(&rest);
        server.write_all(&rest).await?;
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        let up = async {
            let mut buf = [0u8; 8192];
            loop {
                let n = cr.read(&mut buf).await?;
                if n == 0 {
                    return sw.shutdown().await;
                }
                seen.lock().unwrap().tunneled.extend_from_slice(&buf[..n]);
                sw.write_all(&buf[..n]).await?;
            }
        };
        let down = tokio::io::copy(&mut sr, &mut cw);
        let _ = tokio::join!(up, down);
        return Ok(());
    }
    // Absolute-form: http://host:port/path. Forward as origin-form, one request per connection.
    let without_scheme = target.strip_prefix("http://").unwrap_or(target);
    let (authority, path) = match without_scheme.find('/') {
        Some(i) => (&without_scheme[..i], &without_scheme[i..]),
        None => (without_scheme, "/"),
    };
    let mut forwarded = format!("{method} {path} HTTP/1.1\r\n");
    for line in head.lines().skip(1) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if line.is_empty()
            || name.eq_ignore_ascii_case("proxy-authorization")
            || name.eq_ignore_ascii_case("connection")
        {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("connection: close\r\n\r\n");
    let len: usize = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = rest;
    while body.len() < len {
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let mut server = TcpStream::connect(authority).await?;
    server.write_all(forwarded.as_bytes()).await?;
    server.write_all(&body).await?;
    let (resp_head, mut resp_body) = read_head(&mut server).await?;
    let resp_len: usize = header(&resp_head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while resp_body.len() < resp_len {
        let mut chunk = [0u8; 8192];
        let n = server.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        resp_body.extend_from_slice(&chunk[..n]);
    }
    let resp_head = resp_head.trim_end_matches("\r\n\r\n");
    client
        .write_all(format!("{resp_head}\r\nconnection: close\r\n\r\n").as_bytes())
        .await?;
    client.write_all(&resp_body).await?;
    client.shutdown().await
}
