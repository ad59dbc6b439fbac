//! The limit: a bare hyper-util legacy client with the connector the `dhis2` client uses (the very same
//! `TlsConfig::connector`), sending the same headers the stack sends (Accept, Authorization), collecting bytes and
//! decoding nothing.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, Uri};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::io::AsyncWriteExt;

use crate::BenchError;

/// The bare client type (behind an `Arc` only to keep the workloads' contender enums small; each request
/// goes through `&Client`, as hand-written code does).
pub(crate) type BareClient = Arc<Client<HttpsConnector<HttpConnector>, Empty<Bytes>>>;

/// `Basic YWRtaW46ZGlzdHJpY3Q=` (admin:district), pre-encoded as a hand-tuned client would.
pub(crate) const BASIC_ADMIN: &str = "Basic YWRtaW46ZGlzdHJpY3Q=";

/// A client whose pool keeps up to `max_idle_per_host` idle connections.
pub(crate) fn client(max_idle_per_host: usize) -> Result<BareClient, BenchError> {
    client_trusting(&dhis2::TlsConfig::default(), max_idle_per_host)
}

/// Like [`client`], verifying certificates with `tls` (the shaped-link workloads trust the emulator's CA).
pub(crate) fn client_trusting(
    tls: &dhis2::TlsConfig,
    max_idle_per_host: usize,
) -> Result<BareClient, BenchError> {
    // The dhis2 client's own connector (nodelay, connect timeout, HTTPS or plain HTTP, ALPN h2 and http/1.1).
    let connector = tls
        .connector(Duration::from_secs(60))
        .map_err(|e| format!("cannot build the dhis2 connector: {e}"))?;
    // Pool settings as the dhis2 client builds them (timers set so the 90 s idle timeout works).
    Ok(Arc::new(
        Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(max_idle_per_host)
            .build(connector),
    ))
}

/// Parses `base + path_and_query` into a `Uri`.
pub(crate) fn uri(base: &str, path_and_query: &str) -> Result<Uri, BenchError> {
    format!("{base}{path_and_query}")
        .parse::<Uri>()
        .map_err(|e| format!("bad URI {base}{path_and_query}: {e}").into())
}

fn request(uri: &Uri) -> Result<Request<Empty<Bytes>>, BenchError> {
    Request::get(uri.clone())
        .header(header::ACCEPT, HeaderValue::from_static("application/json"))
        .header(header::AUTHORIZATION, HeaderValue::from_static(BASIC_ADMIN))
        .body(Empty::new())
        .map_err(|e| format!("cannot build GET {uri}: {e}").into())
}

/// Sends the GET; a non-2xx status is an error.
async fn send(client: &BareClient, uri: &Uri) -> Result<Response<Incoming>, BenchError> {
    let response = client
        .request(request(uri)?)
        .await
        .map_err(|e| format!("hyper_bare GET {uri}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("hyper_bare GET {uri}: status {status}").into());
    }
    Ok(response)
}

/// GET and collect the whole body.
pub(crate) async fn get_bytes(client: &BareClient, uri: &Uri) -> Result<Bytes, BenchError> {
    let response = send(client, uri).await?;
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("hyper_bare GET {uri}: body: {e}"))?;
    Ok(body.to_bytes())
}

/// GET and write the body frame by frame to `sink`; returns the bytes written.
pub(crate) async fn download<W: tokio::io::AsyncWrite + Unpin>(
    client: &BareClient,
    uri: &Uri,
    sink: &mut W,
) -> Result<u64, BenchError> {
    let response = send(client, uri).await?;
    let mut body = response.into_body();
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("hyper_bare GET {uri}: body: {e}"))?;
        if let Ok(data) = frame.into_data() {
            sink.write_all(&data)
                .await
                .map_err(|e| format!("hyper_bare GET {uri}: write: {e}"))?;
            written += data.len() as u64;
        }
    }
    sink.flush()
        .await
        .map_err(|e| format!("hyper_bare GET {uri}: flush: {e}"))?;
    Ok(written)
}
