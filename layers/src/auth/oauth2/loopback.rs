//! The loopback receiver of the authorization-code flow: a one-shot HTTP/1 listener on 127.0.0.1 that waits for
//! the browser's redirect carrying `code` and `state`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::form::percent_decode;
use crate::auth::AuthError;

const MAX_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(10);

const OK_PAGE: &str =
    "<!doctype html><html><head><title>dhis2-rs</title></head><body><h1>Signed in</h1>\
<p>You can close this window and return to the application.</p></body></html>";
const FAIL_PAGE: &str =
    "<!doctype html><html><head><title>dhis2-rs</title></head><body><h1>Sign-in failed</h1>\
<p>Return to the application for details.</p></body></html>";
const NOT_FOUND_PAGE: &str = "<!doctype html><html><body>Not found</body></html>";

/// Waits on `listener` for a request to `path` and returns its `code` after checking `state`. Requests to other
/// paths (e.g. `/favicon.ico`) get 404 and are ignored.
pub(crate) async fn receive_code(
    listener: &TcpListener,
    path: &str,
    state: &str,
) -> Result<String, AuthError> {
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|e| AuthError::Other {
            context: "OAuth2 loopback receiver: accept",
            source: Box::new(e),
        })?;
        let target = match tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream)).await {
            Ok(Some(target)) => target,
            // Junk or a slow client: drop it and keep waiting for the browser.
            _ => continue,
        };
        let (req_path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
        if req_path != path {
            respond(&mut stream, "404 Not Found", NOT_FOUND_PAGE).await;
            continue;
        }
        let params = parse_query(query);
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let outcome = if let Some(error) = get("error") {
            let description = get("error_description")
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            Err(AuthError::Flow(format!(
                "the authorization server answered `{error}`{description}"
            )))
        } else if get("state") != Some(state) {
            Err(AuthError::Flow(
                "the redirect's `state` does not match the one sent (possible CSRF); aborted"
                    .into(),
            ))
        } else {
            match get("code") {
                Some(code) if !code.is_empty() => Ok(code.to_owned()),
                _ => Err(AuthError::Flow("the redirect carries no `code`".into())),
            }
        };
        match &outcome {
            Ok(_) => respond(&mut stream, "200 OK", OK_PAGE).await,
            Err(_) => respond(&mut stream, "400 Bad Request", FAIL_PAGE).await,
        }
        return outcome;
    }
}

/// Reads the request head and returns the request-target of a `GET` request line.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            break;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
    let line_end = buf.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&buf[..line_end])
        .ok()?
        .trim_end_matches('\r');
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if method != "GET" || !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return None;
    }
    Some(target.to_owned())
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

async fn respond(stream: &mut TcpStream, status: &str, page: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    // The browser may already be gone; the outcome is decided either way.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
