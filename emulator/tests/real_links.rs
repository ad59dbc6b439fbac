//! The emulator on the wire like a real deployment (issue 11 §4): response compression (gzip by default, br,
//! zstd, off) with nginx's rules, byte counters, HTTP/2 with prior knowledge on the plain port, and TLS with ALPN.
//!
//! Every test runs on tokio's single-threaded test runtime, which also runs the emulator: when the client has read
//! an answer, the server has already counted the bytes it wrote (no waiting, no sleeps).

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{basic, raw, Resp};
use dhis2_emulator::{Compression, Emulator, FaultPlan, Seed};
use http_body_util::{BodyExt, Empty};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

/// About 250 org units of ~300 bytes: a list answer far above the 1 KiB minimum.
const BIG: &str = "/api/organisationUnits?pageSize=250&fields=id,name,shortName,code,path,level";
/// One id: far below the minimum.
const SMALL: &str = "/api/organisationUnits?pageSize=1&fields=id";

async fn start(compression: Compression) -> Emulator {
    Emulator::builder()
        .seed(Seed::Empty)
        .synthetic_org_units(300)
        .compression(compression)
        .start()
        .await
        .expect("emulator starts")
}

/// A GET as admin over HTTP/1.1, with an optional `Accept-Encoding`.
async fn get(emu: &Emulator, path: &str, accept_encoding: Option<&str>) -> Resp {
    let auth = basic("admin", "district");
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("Accept", "application/json"),
    ];
    if let Some(ae) = accept_encoding {
        headers.push(("Accept-Encoding", ae));
    }
    raw(emu.url(), "GET", path, &headers, None)
        .await
        .expect("request succeeds")
}

fn gunzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut out)?;
    Ok(out)
}

fn unbrotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(body, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn unzstd(body: &[u8]) -> Vec<u8> {
    zstd::stream::decode_all(body).expect("valid zstd")
}

fn vary_accept_encoding(r: &Resp) -> bool {
    r.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("vary") && v.to_ascii_lowercase().contains("accept-encoding")
    })
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON body")
}

#[tokio::test]
async fn gzip_only_when_asked_and_above_the_minimum_size() {
    let emu = start(Compression::default()).await;
    let plain = get(&emu, BIG, None).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None, "nobody asked");
    assert!(plain.body.len() > 20 * 1024, "{} bytes", plain.body.len());
    // Eligible by type and size: Vary is set whatever the request asked (nginx `gzip_vary on`).
    assert!(vary_accept_encoding(&plain), "{:?}", plain.headers);

    let gz = get(&emu, BIG, Some("gzip, deflate, br, zstd")).await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(vary_accept_encoding(&gz), "{:?}", gz.headers);
    assert_eq!(
        gz.header("content-length"),
        None,
        "the encoded length is not known up front"
    );
    assert!(
        gz.body.len() * 3 < plain.body.len(),
        "{} compressed vs {} plain",
        gz.body.len(),
        plain.body.len()
    );
    let decoded = gunzip(&gz.body).expect("valid gzip");
    assert_eq!(json(&decoded), json(&plain.body));

    // q=0 refuses gzip; an encoding the emulator does not offer gets identity.
    for ae in ["gzip;q=0", "br", "identity", "compress"] {
        let r = get(&emu, BIG, Some(ae)).await;
        assert_eq!(r.header("content-encoding"), None, "{ae}");
        assert_eq!(json(&r.body), json(&plain.body), "{ae}");
    }

    let small = get(&emu, SMALL, Some("gzip")).await;
    assert_eq!(small.status, 200);
    assert!(
        small.body.len() < Compression::MIN_LENGTH as usize,
        "{} bytes",
        small.body.len()
    );
    assert_eq!(small.header("content-encoding"), None, "below the minimum");
    assert!(!vary_accept_encoding(&small));
    json(&small.body);
}

#[tokio::test]
async fn compression_off_sends_identity() {
    let emu = start(Compression::Off).await;
    assert_eq!(emu.compression(), Compression::Off);
    let r = get(&emu, BIG, Some("gzip, br, zstd")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None);
    assert!(!vary_accept_encoding(&r), "{:?}", r.headers);
    assert!(r.header("content-length").is_some());
    json(&r.body);
}

#[tokio::test]
async fn br_and_zstd_each_offer_only_their_coding() {
    for (setting, name) in [(Compression::Br, "br"), (Compression::Zstd, "zstd")] {
        let emu = start(setting).await;
        let plain = get(&emu, BIG, None).await;
        let r = get(&emu, BIG, Some("gzip, br, zstd")).await;
        assert_eq!(r.header("content-encoding"), Some(name));
        assert!(vary_accept_encoding(&r));
        assert!(r.body.len() * 3 < plain.body.len(), "{name}");
        let decoded = match setting {
            Compression::Br => unbrotli(&r.body),
            _ => unzstd(&r.body),
        };
        assert_eq!(json(&decoded), json(&plain.body), "{name}");
        // Only that one coding is offered: a gzip-only client gets identity.
        let gz_only = get(&emu, BIG, Some("gzip")).await;
        assert_eq!(gz_only.header("content-encoding"), None, "{name}");
        assert_eq!(json(&gz_only.body), json(&plain.body), "{name}");
    }
}

#[tokio::test]
async fn counters_show_the_compressed_bytes_on_the_wire() {
    let emu = start(Compression::Gzip).await;
    let counters = emu.counters();
    counters.reset();
    let plain = get(&emu, BIG, None).await;
    assert_eq!(counters.body_bytes_sent(), plain.body.len() as u64);
    let wire_plain = counters.bytes_sent();
    assert!(
        wire_plain > plain.body.len() as u64,
        "headers are on the wire too"
    );

    counters.reset();
    assert_eq!((counters.bytes_sent(), counters.body_bytes_sent()), (0, 0));
    let gz = get(&emu, BIG, Some("gzip")).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(
        counters.body_bytes_sent(),
        gz.body.len() as u64,
        "the encoded body, as received"
    );
    let wire_gz = counters.bytes_sent();
    assert!(wire_gz > gz.body.len() as u64);
    assert!(
        wire_gz * 3 < wire_plain,
        "{wire_gz} bytes on the wire gzipped vs {wire_plain} plain"
    );
}

#[tokio::test]
async fn a_compressed_export_streams_and_decodes_to_the_same_rows() {
    let n = 200_000u64;
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .synthetic_data_values(n)
        .start()
        .await
        .expect("emulator starts");
    let path = "/api/dataValueSets?dataSet=any&period=202401&orgUnit=any";
    let plain = get(&emu, path, None).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    let counters = emu.counters();
    counters.reset();
    let gz = get(&emu, path, Some("gzip")).await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(
        gz.header("transfer-encoding"),
        Some("chunked"),
        "streamed: no Content-Length"
    );
    assert_eq!(counters.body_bytes_sent(), gz.body.len() as u64);
    assert!(gz.body.len() * 4 < plain.body.len());
    let decoded = gunzip(&gz.body).expect("valid gzip");
    // Synthetic rows are a function of their index: the same export byte for byte.
    assert_eq!(decoded.len(), plain.body.len());
    assert!(decoded == plain.body, "decoded export differs");
    let rows = json(&decoded)["dataValues"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(rows as u64, n);
}

/// A client that gives up after a few frames of an export of about a terabyte: the answer can only arrive if the
/// compressed body streams (buffering it first would never end).
#[tokio::test]
async fn a_huge_compressed_export_arrives_as_it_is_generated() {
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .synthetic_data_values(4_000_000_000)
        .start()
        .await
        .expect("emulator starts");
    let counters = emu.counters();
    let run = async {
        let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let req = Request::get("/api/dataValueSets?dataSet=any&period=202401&orgUnit=any")
            .header("host", emu.addr().to_string())
            .header("authorization", basic("admin", "district"))
            .header("accept-encoding", "gzip")
            .body(Empty::<Bytes>::new())
            .expect("request");
        let resp = sender.send_request(req).await.expect("response head");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-encoding"], "gzip");
        let mut body = resp.into_body();
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        while decoder.get_ref().len() < 1 << 20 {
            let frame = body.frame().await.expect("more body").expect("body frame");
            if let Some(data) = frame.data_ref() {
                decoder.write_all(data).expect("valid gzip so far");
            }
        }
        let text = decoder.get_ref();
        assert!(
            text.starts_with(b"{\"dataValues\":[{\"dataElement\":\""),
            "{}",
            String::from_utf8_lossy(&text[..80])
        );
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the first megabyte arrives long before a terabyte could be generated");
    assert!(
        counters.body_bytes_sent() < 1 << 30,
        "{} bytes sent",
        counters.body_bytes_sent()
    );
}

#[tokio::test]
async fn a_truncated_gzip_answer_is_a_body_the_client_cannot_decode() {
    let emu = start(Compression::Gzip).await;
    let route = BIG.split('?').next().unwrap_or(BIG);
    emu.faults().set(
        route,
        FaultPlan::sequence([dhis2_emulator::Fault::TruncatedJson]),
    );
    let r = get(&emu, BIG, Some("gzip")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str()),
        "a complete message of the encoded half"
    );
    assert!(
        gunzip(&r.body).is_err(),
        "half a gzip stream must not decode"
    );
    // Without Accept-Encoding the same fault is broken JSON, as before.
    emu.faults().set(
        route,
        FaultPlan::sequence([dhis2_emulator::Fault::TruncatedJson]),
    );
    let r = get(&emu, BIG, None).await;
    assert_eq!(r.header("content-encoding"), None);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
}

type H2 = hyper::client::conn::http2::SendRequest<Empty<Bytes>>;

async fn h2_handshake<I>(io: I) -> H2
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(conn);
    sender
}

fn request(base: &str, path: &str, accept_encoding: Option<&str>) -> Request<Empty<Bytes>> {
    let mut b = Request::get(format!("{base}{path}"))
        .header("authorization", basic("admin", "district"))
        .header("accept", "application/json");
    if let Some(ae) = accept_encoding {
        b = b.header("accept-encoding", ae);
    }
    b.body(Empty::new()).expect("request")
}

async fn h2_get(
    sender: &mut H2,
    base: &str,
    path: &str,
    accept_encoding: Option<&str>,
) -> hyper::Result<(Response<()>, Bytes)> {
    sender.ready().await?;
    let resp = sender
        .send_request(request(base, path, accept_encoding))
        .await?;
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await?.to_bytes();
    Ok((Response::from_parts(parts, ()), bytes))
}

#[tokio::test]
async fn h2c_with_prior_knowledge_on_the_plain_port() {
    let emu = start(Compression::Gzip).await;
    let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    let mut h2 = h2_handshake(tcp).await;
    let (resp, body) = h2_get(
        &mut h2,
        emu.url(),
        "/api/organisationUnits?pageSize=1",
        None,
    )
    .await
    .expect("h2 answer");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.version(), Version::HTTP_2);
    // HTTP/2 has no Host header; links are still absolute on the authority the client used.
    let next = json(&body)["pager"]["nextPage"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        next.starts_with(&format!("{}/api/organisationUnits?", emu.url())),
        "{next}"
    );
    // Compression on HTTP/2 too, on the same connection.
    let (resp, body) = h2_get(&mut h2, emu.url(), BIG, Some("gzip"))
        .await
        .expect("h2 answer");
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    json(&gunzip(&body).expect("valid gzip"));
    // And HTTP/1.1 on the same port.
    let r = get(&emu, SMALL, None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn reset_faults_on_h2_reset_the_stream_not_the_connection() {
    let emu = start(Compression::Gzip).await;
    let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    let mut h2 = h2_handshake(tcp).await;
    emu.faults()
        .set_spec("/api/me=reset,reset-body")
        .expect("spec");
    let before = h2_get(&mut h2, emu.url(), "/api/me", None).await;
    assert!(before.is_err(), "reset before headers: {before:?}");
    let during = h2_get(&mut h2, emu.url(), "/api/me", None).await;
    assert!(during.is_err(), "reset during the body: {during:?}");
    let (resp, body) = h2_get(&mut h2, emu.url(), "/api/me", None)
        .await
        .expect("the connection outlives its reset streams");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(json(&body)["username"], "admin");
    assert_eq!(emu.counters().requests("/api/me"), 3);
}

fn tls_connector(ca_pem: &str, alpn: &[&[u8]]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("PEM certificate"))
            .expect("CA accepted");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn tls_with_alpn_serves_h2_and_http1() {
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .synthetic_org_units(300)
        .tls_self_signed()
        .start()
        .await
        .expect("emulator starts");
    let base = emu.url().to_string();
    assert_eq!(base, format!("https://{}", emu.addr()));
    let ca = emu.ca_pem().expect("a TLS emulator has a CA").to_string();
    let ca_path = emu.ca_path().expect("CA file").to_path_buf();
    assert_eq!(
        std::fs::read_to_string(&ca_path).expect("CA file readable"),
        ca
    );

    // Offered both, the server picks h2; the certificate is valid for the IP of the URL and for localhost.
    for name in ["127.0.0.1", "localhost"] {
        let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
        let server_name = ServerName::try_from(name.to_string()).expect("server name");
        let tls = tls_connector(&ca, &[b"h2", b"http/1.1"])
            .connect(server_name, tcp)
            .await
            .expect("TLS handshake with the emulator's CA");
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "{name}");
        let mut h2 = h2_handshake(tls).await;
        let (resp, body) = h2_get(&mut h2, &base, "/api/organisationUnits?pageSize=1", None)
            .await
            .expect("h2 over TLS");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.version(), Version::HTTP_2);
        let next = json(&body)["pager"]["nextPage"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_default();
        assert!(next.starts_with(&format!("{base}/api/")), "{next}");
        let (resp, body) = h2_get(&mut h2, &base, BIG, Some("gzip"))
            .await
            .expect("h2 over TLS");
        assert_eq!(resp.headers()["content-encoding"], "gzip");
        json(&gunzip(&body).expect("valid gzip"));
    }

    // A client that offers only http/1.1 gets it.
    let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    let server_name = ServerName::try_from("127.0.0.1").expect("server name");
    let tls = tls_connector(&ca, &[b"http/1.1"])
        .connect(server_name, tcp)
        .await
        .expect("TLS handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(conn);
    let req = Request::get("/api/system/info")
        .header("host", emu.addr().to_string())
        .header("authorization", basic("admin", "district"))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let resp = sender.send_request(req).await.expect("HTTP/1.1 over TLS");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.version(), Version::HTTP_11);
    let info = json(&resp.into_body().collect().await.expect("body").to_bytes());
    assert!(info["version"].is_string(), "{info}");

    // A client that does not trust the CA is refused.
    let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    let other = Emulator::builder()
        .seed(Seed::Empty)
        .tls_self_signed()
        .start()
        .await
        .expect("second emulator");
    let untrusted = tls_connector(other.ca_pem().unwrap_or_default(), &[b"h2"])
        .connect(ServerName::try_from("127.0.0.1").expect("name"), tcp)
        .await;
    assert!(untrusted.is_err(), "another CA must not verify");

    drop(emu);
    assert!(
        !ca_path.exists(),
        "the CA file is removed with the emulator"
    );
}

#[tokio::test]
async fn a_plain_emulator_has_no_ca() {
    let emu = start(Compression::Gzip).await;
    assert!(emu.url().starts_with("http://"));
    assert_eq!(emu.ca_pem(), None);
    assert_eq!(emu.ca_path(), None);
}
