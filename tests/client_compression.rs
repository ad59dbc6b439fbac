//! Compression on every call path: the client asks for gzip, decodes it for typed, raw, `get_response`, `stream`
//! and `export_to` alike, hands over the bytes as sent when the caller asks for its own encoding, and names an
//! encoding it cannot decode instead of failing at JSON byte 0.

mod support;

use std::io::Write;

use dhis2::{Dhis2Client, Error};
use http::Method;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use support::{dhis2_like, Req, Resp};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut dec = flate2::write::GzDecoder::new(&mut out);
    dec.write_all(data).unwrap();
    dec.finish().unwrap();
    out
}

/// A big JSON document (so compression matters) that the server below gzips when asked.
fn document() -> Value {
    let units: Vec<Value> = (0..500)
        .map(|i| json!({"id": format!("OrgUnit{i:04}"), "name": format!("Clinic number {i}"), "level": 4}))
        .collect();
    json!({"pager": {"page": 1, "total": 500}, "organisationUnits": units})
}

/// Answers `document()` gzipped when `Accept-Encoding` names gzip, plain otherwise, like nginx with `gzip on`.
fn like_nginx(r: &Req) -> Resp {
    let body = document().to_string();
    let wants_gzip = r
        .header("accept-encoding")
        .is_some_and(|v| v.contains("gzip"));
    if wants_gzip {
        Resp::bytes(200, "application/json", gzip(body.as_bytes()))
            .header("content-encoding", "gzip")
            .header("vary", "Accept-Encoding")
    } else {
        Resp::bytes(200, "application/json", body)
    }
}

async fn nginx_like_server() -> support::Server {
    dhis2_like("2.42.6", |r| async move { like_nginx(&r) }).await
}

#[tokio::test]
async fn every_call_path_asks_for_gzip_and_gets_decoded_json() {
    let srv = nginx_like_server().await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let want = document();

    let typed: Value = client.get("api/organisationUnits", &[]).await.unwrap();
    assert_eq!(typed, want);
    let raw = client.get_raw("api/organisationUnits", &[]).await.unwrap();
    assert_eq!(Value::Object(raw), want);

    let resp = client
        .get_response("api/organisationUnits", &[], &[])
        .await
        .unwrap();
    assert!(resp.headers().get("content-encoding").is_none());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), want);

    let mut sink = Vec::new();
    let n = client
        .stream(Method::GET, "api/organisationUnits", &[], &mut sink)
        .await
        .unwrap();
    assert_eq!(n as usize, sink.len());
    assert_eq!(serde_json::from_slice::<Value>(&sink).unwrap(), want);

    // Every request after the handshake asked for gzip, and the server did compress.
    let asked: Vec<_> = srv
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/api/organisationUnits")
        .collect();
    assert_eq!(asked.len(), 4);
    for r in &asked {
        let ae = r.header("accept-encoding").unwrap_or_default();
        assert!(ae.contains("gzip") && ae.contains("deflate"), "{ae}");
    }
}

#[tokio::test]
async fn export_to_decodes_a_gzipped_data_value_set() {
    let body = json!({"dataValues": [{"dataElement": "fbfJHSPpUQD", "period": "202401", "orgUnit": "DiszpKrYNg8", "value": "12"}]}).to_string();
    let srv = dhis2_like("2.42.6", move |r: Req| {
        let body = body.clone();
        async move {
            if r.header("accept-encoding")
                .is_some_and(|v| v.contains("gzip"))
            {
                Resp::bytes(200, "application/json", gzip(body.as_bytes()))
                    .header("content-encoding", "gzip")
            } else {
                Resp::json(404, json!({"message": "asked without gzip"}))
            }
        }
    })
    .await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let mut out = Vec::new();
    let query = dhis2::accessors::data_values::ExportQuery::new()
        .data_set("pBOMPrpg1QX")
        .period("202401")
        .org_unit("DiszpKrYNg8");
    let n = client
        .data_values()
        .export_to(&query, &mut out)
        .await
        .unwrap();
    assert_eq!(n as usize, out.len());
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["dataValues"][0]["value"], "12");
}

#[tokio::test]
async fn own_accept_encoding_gets_the_bytes_as_sent() {
    let srv = nginx_like_server().await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let resp = client
        .get_response("api/organisationUnits", &[], &[("accept-encoding", "gzip")])
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let sent = resp.into_body().collect().await.unwrap().to_bytes();
    // Still gzip: save it untouched, inflate it later.
    assert_eq!(&sent[..2], &[0x1f, 0x8b]);
    let inflated: Value = serde_json::from_slice(&gunzip(&sent)).unwrap();
    assert_eq!(inflated, document());
}

#[tokio::test]
async fn compression_off_asks_for_nothing() {
    let srv = nginx_like_server().await;
    let client = Dhis2Client::builder(&srv.url)
        .compression(false)
        .connect()
        .await
        .unwrap();
    let v: Value = client.get("api/organisationUnits", &[]).await.unwrap();
    assert_eq!(v, document());
    let r = srv
        .requests()
        .into_iter()
        .find(|r| r.path() == "/api/organisationUnits")
        .unwrap();
    assert_eq!(r.header("accept-encoding"), None);
}

#[tokio::test]
async fn an_encoding_the_client_cannot_decode_is_named() {
    let srv = dhis2_like("2.42.6", |r: Req| async move {
        match r.path() {
            // An encoding no client decodes.
            "/api/compress" => Resp::bytes(200, "application/json", b"\x1f\x9d\x90junk".to_vec())
                .header("content-encoding", "compress"),
            // gzip sent although compression is off and nobody asked.
            _ => Resp::bytes(200, "application/json", gzip(b"{\"a\":1}"))
                .header("content-encoding", "gzip"),
        }
    })
    .await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let err = client.get_raw("api/compress", &[]).await.unwrap_err();
    match &err {
        Error::UnsupportedEncoding {
            method,
            path,
            encoding,
        } => {
            assert_eq!(method, Method::GET);
            assert_eq!(path, "/api/compress");
            assert_eq!(encoding, "compress");
        }
        other => panic!("expected UnsupportedEncoding, got {other:?}"),
    }
    assert!(err.to_string().contains("`compress`"), "{err}");
    let mut sink = Vec::new();
    let err = client
        .stream(Method::GET, "api/compress", &[], &mut sink)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedEncoding { .. }), "{err:?}");
    assert!(sink.is_empty());

    let off = Dhis2Client::builder(&srv.url)
        .compression(false)
        .connect()
        .await
        .unwrap();
    let err = off.get_raw("api/unasked", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedEncoding { encoding, .. } if encoding == "gzip"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_a_transport_error_naming_the_call() {
    let srv = dhis2_like("2.42.6", |_r: Req| async move {
        let mut body = gzip(document().to_string().as_bytes());
        let mid = body.len() / 2;
        body[mid..].iter_mut().for_each(|b| *b = 0xff);
        Resp::bytes(200, "application/json", body).header("content-encoding", "gzip")
    })
    .await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let err = client.get_raw("api/broken", &[]).await.unwrap_err();
    match &err {
        Error::Transport { method, path, .. } => {
            assert_eq!(method, Method::GET);
            assert_eq!(path, "/api/broken");
        }
        other => panic!("expected a transport (body) error, got {other:?}"),
    }
}

#[tokio::test]
async fn chunked_gzip_answers_keep_the_connection_for_the_next_call() {
    // nginx compresses on the fly and sends the result chunked; the connection must go back to the pool.
    let srv = dhis2_like("2.42.6", |r| async move { like_nginx(&r).chunked() }).await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let before = srv
        .stats
        .connections
        .load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..10 {
        let v: Value = client.get("api/organisationUnits", &[]).await.unwrap();
        assert_eq!(v, document());
    }
    let opened = srv
        .stats
        .connections
        .load(std::sync::atomic::Ordering::SeqCst)
        - before;
    assert!(
        opened <= 1,
        "{opened} new connections for 10 sequential calls"
    );
}
