//! Fault matrix, part 2: transport faults from purpose-built misbehaving servers (resets, stalls, refused
//! connections, DNS failure, broken bodies, idle keep-alive closes, oversized bodies).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dhis2::{Dhis2Client, Error, Limits, RetryPolicy};
use serde::Deserialize;
use serde_json::json;
use support::{Action, Resp};
use tokio::time::Instant;

fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(50))
        .jitter(0.0)
}

async fn client(url: &str) -> Dhis2Client {
    Dhis2Client::builder(url)
        .skip_version_probe(true)
        .retry_policy(fast_policy())
        .connect()
        .await
        .unwrap()
}

/// Answers with `first` on the first request, then `{"ok": true, "n": <request number>}`.
async fn first_then_ok(first: Action) -> support::Server {
    let n = Arc::new(AtomicUsize::new(0));
    support::start(move |_req| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        let first = first.clone();
        async move {
            if i == 0 {
                first
            } else {
                Action::Reply(Resp::json(200, json!({"ok": true, "n": i})))
            }
        }
    })
    .await
}

/// A large JSON answer with `status` whose connection is reset after half of the body.
fn reset_mid_body(status: u16) -> Action {
    let body = big_json(200);
    let half = body.len() / 2;
    Action::ResetMidBody(Resp::bytes(status, "application/json", body), half)
}

/// A server that sends the first half of a large body and then stalls, a client with a 3 s timeout, and how many
/// body bytes the server sends.
async fn stalled_body() -> (support::Server, Dhis2Client, usize) {
    let body = big_json(100);
    let half = body.len() / 2;
    let srv = support::always(Action::StallBody(
        Resp::bytes(200, "application/json", body),
        half,
    ))
    .await;
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .timeout(Duration::from_secs(3))
        .connect()
        .await
        .unwrap();
    (srv, c, half)
}

fn may_or_may_not(err: &Error) -> bool {
    err.to_string().contains("may or may not")
}

fn big_json(n: usize) -> Vec<u8> {
    let items: Vec<_> = (0..n)
        .map(|i| json!({"id": format!("id{i:09}"), "name": format!("Element {i}")}))
        .collect();
    json!({"pager": {"page": 1}, "dataElements": items})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn fault_connection_refused_is_transport_error_naming_the_request() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let c = client(&format!("http://{dead}")).await;
    let err = c
        .get_raw("api/me", &[("fields", "secretvalue")])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { path, .. } if path == "/api/me"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("GET /api/me"), "{text}");
    assert!(
        !text.contains("secretvalue"),
        "query values never appear: {text}"
    );
    // A refused POST certainly never reached the server: the error must not claim it may have.
    let err = c
        .post_raw("api/dataElements", &json!({}), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!may_or_may_not(&err), "{err}");
}

#[tokio::test]
async fn fault_dns_failure_is_transport_error() {
    // `.invalid` never resolves (RFC 6761), so no traffic leaves the machine.
    let c = client("http://dhis2-reliability-test.invalid").await;
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { path, .. } if path == "/api/me"),
        "{err:?}"
    );
    // Connecting with the handshake fails the same way, and leaves the client unconnected.
    let c2 = Dhis2Client::builder("http://dhis2-reliability-test.invalid")
        .build()
        .unwrap();
    let err = c2.connect().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(c2.state(), dhis2::ClientState::Unconnected);
}

#[tokio::test]
async fn fault_reset_before_headers_get_is_retried() {
    let srv = first_then_ok(Action::ResetBeforeHeaders).await;
    let c = client(&srv.url).await;
    let got = c.get_raw("api/me", &[]).await.unwrap();
    assert_eq!(got["n"], 1);
    assert_eq!(srv.stats.requests(), 2);
}

#[tokio::test]
async fn fault_reset_before_headers_post_is_not_retried_and_may_have_happened() {
    let srv = first_then_ok(Action::ResetBeforeHeaders).await;
    let c = client(&srv.url).await;
    let err = c
        .post_raw("api/dataElements", &json!({"name": "A"}), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { path, .. } if path == "/api/dataElements"),
        "{err:?}"
    );
    assert!(
        may_or_may_not(&err),
        "the caller must be told the write may have happened: {err}"
    );
    assert_eq!(
        srv.stats.requests(),
        1,
        "a POST that may have been applied is never resent"
    );
}

#[tokio::test]
async fn fault_reset_mid_body_get_is_retried() {
    let srv = first_then_ok(reset_mid_body(200)).await;
    let c = client(&srv.url).await;
    let got = c.get_raw("api/dataElements", &[]).await.unwrap();
    assert_eq!(got["n"], 1, "the second, complete answer is returned");
    assert_eq!(srv.stats.requests(), 2);
}

#[tokio::test]
async fn fault_reset_mid_body_is_not_resent_once_the_retry_budget_is_spent() {
    let srv = first_then_ok(reset_mid_body(200)).await;
    // No reserve and no share of deposits: the budget allows no retry at all.
    let budget = Arc::new(tower::retry::budget::TpsBudget::new(
        Duration::from_secs(1),
        0,
        0.0,
    ));
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .retry_policy(fast_policy().budget(budget))
        .connect()
        .await
        .unwrap();
    let err = c.get_raw("api/dataElements", &[]).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(srv.stats.requests(), 1, "the body failure was not resent");
}

#[tokio::test]
async fn fault_reset_mid_body_post_is_not_retried_and_may_have_happened() {
    let srv = first_then_ok(reset_mid_body(201)).await;
    let c = client(&srv.url).await;
    let err = c
        .post_raw("api/dataElements", &json!({"name": "A"}), &[])
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("POST /api/dataElements"), "{err}");
    assert!(may_or_may_not(&err), "{err}");
    assert_eq!(srv.stats.requests(), 1);
}

#[tokio::test(start_paused = true)]
async fn fault_headers_never_come_post_times_out_once() {
    let srv = support::always(Action::StallHeaders).await;
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::default())
        .connect()
        .await
        .unwrap();
    let start = Instant::now();
    let err = c
        .post_raw("api/dataElements", &json!({}), &[])
        .await
        .unwrap_err();
    assert_timed_out(
        &err,
        "/api/dataElements",
        start.elapsed(),
        Duration::from_secs(5)..Duration::from_millis(5500),
    );
    assert_eq!(
        srv.stats.requests(),
        1,
        "a timed-out POST may have been applied: not resent"
    );
}

#[tokio::test(start_paused = true)]
async fn fault_stalled_body_times_out() {
    let (_srv, c, _) = stalled_body().await;
    let start = Instant::now();
    let err = c.get_raw("api/dataElements", &[]).await.unwrap_err();
    assert_timed_out(
        &err,
        "/api/dataElements",
        start.elapsed(),
        Duration::from_secs(3)..Duration::from_secs(4),
    );
}

#[tokio::test(start_paused = true)]
async fn fault_overall_deadline_bounds_retries_and_body() {
    // Every attempt stalls for the full per-attempt timeout; the overall deadline cuts the call short.
    let srv = support::always(Action::StallHeaders).await;
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .timeout(Duration::from_secs(10))
        .deadline(Duration::from_secs(15))
        .retry_policy(RetryPolicy::default().jitter(0.0))
        .connect()
        .await
        .unwrap();
    let start = Instant::now();
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert_timed_out(
        &err,
        "/api/me",
        start.elapsed(),
        Duration::from_secs(15)..Duration::from_millis(15500),
    );
    assert_eq!(
        srv.stats.requests(),
        2,
        "attempt 1 timed out at 10 s, attempt 2 was cut at 15 s"
    );
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Element {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct ElementPage {
    data_elements: Vec<Element>,
}

/// `err` is a timeout of the request to `path`, which took a time within `range`.
fn assert_timed_out(err: &Error, path: &str, took: Duration, range: std::ops::Range<Duration>) {
    assert!(
        matches!(err, Error::Timeout { path: p, .. } if p == path),
        "{err:?}"
    );
    assert!(range.contains(&took), "{took:?}");
}

/// The JSON path a `Decode` error of `GET /api/dataElements` names.
fn decode_json_path(err: &Error) -> &str {
    match err {
        Error::Decode {
            path, json_path, ..
        } => {
            assert_eq!(path, "/api/dataElements");
            json_path
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn fault_invalid_utf8_is_decode_error_naming_the_json_path() {
    let mut body = br#"{"dataElements":[{"id":"a","name":"ok"},{"id":"b","name":"bad "#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, b'"', b'}', b']', b'}']);
    let srv = support::always(Resp::bytes(200, "application/json", body)).await;
    let c = client(&srv.url).await;
    let err = c
        .get::<ElementPage>("api/dataElements", &[])
        .await
        .unwrap_err();
    assert_eq!(
        decode_json_path(&err),
        "$.dataElements[1].name",
        "names where decoding failed"
    );
    assert!(err.to_string().contains("$.dataElements[1].name"), "{err}");
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
    // The untyped path fails the same way instead of inventing replacement characters.
    let err = c.get_raw("api/dataElements", &[]).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn fault_truncated_json_typed_names_the_json_path() {
    let body = br#"{"dataElements":[{"id":"a","name":"ok"},{"id":"b","na"#.to_vec();
    let srv = support::always(Resp::bytes(200, "application/json", body)).await;
    let c = client(&srv.url).await;
    let err = c
        .get::<ElementPage>("api/dataElements", &[])
        .await
        .unwrap_err();
    let json_path = decode_json_path(&err);
    assert!(json_path.starts_with("$.dataElements[1]"), "{json_path}");
}

#[tokio::test]
async fn fault_wrong_content_type_with_valid_json_is_accepted() {
    let srv = support::always(Resp::bytes(
        200,
        "text/html;charset=UTF-8",
        r#"{"dataElements":[{"id":"a","name":"A"}]}"#,
    ))
    .await;
    let c = client(&srv.url).await;
    let page = c.get::<ElementPage>("api/dataElements", &[]).await.unwrap();
    assert_eq!(page.data_elements.len(), 1);
    let raw = c.get_raw("api/dataElements", &[]).await.unwrap();
    assert_eq!(raw["dataElements"][0]["id"], "a");
}

#[tokio::test]
async fn fault_huge_body_beyond_size_cap_is_refused() {
    let body = big_json(5_000); // ~250 KB
    let len = body.len();
    let srv = support::always(Resp::bytes(200, "application/json", body)).await;
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .max_response_size(64 * 1024)
        .connect()
        .await
        .unwrap();
    let err = c.get_raw("api/dataElements", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::BodyTooLarge { path, limit: 65536, .. } if path == "/api/dataElements"),
        "{err:?}"
    );
    assert!(err.to_string().contains("65536"), "{err}");
    // Under the cap the same answer is fine.
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .max_response_size(len + 1)
        .connect()
        .await
        .unwrap();
    assert!(c.get_raw("api/dataElements", &[]).await.is_ok());
}

#[tokio::test]
async fn fault_idle_keepalive_close_next_request_succeeds() {
    let opts = support::Options {
        idle_close: Some(Duration::from_millis(30)),
        ..Default::default()
    };
    let srv = support::start_with(opts, |req| async move {
        Action::Reply(Resp::json(200, json!({"conn": req.conn})))
    })
    .await;
    // No retry policy: the pool itself must not hand out the dead connection.
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .limits(Limits::default().max_idle_per_host(4))
        .connect()
        .await
        .unwrap();
    for round in 0..3 {
        let got = c.get_raw("api/me", &[]).await.unwrap();
        assert_eq!(
            got["conn"], round,
            "each request after an idle close uses a fresh connection"
        );
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    assert_eq!(srv.stats.connections(), 3);
    assert_eq!(
        srv.stats.open_connections(),
        0,
        "the server closed them all"
    );
}

#[tokio::test]
async fn fault_close_delimited_body_is_read_to_the_end() {
    let srv = support::always(Action::Raw(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"ok\":true}".to_vec(),
    ))
    .await;
    let c = client(&srv.url).await;
    assert_eq!(c.get_raw("api/me", &[]).await.unwrap()["ok"], true);
}

#[tokio::test]
async fn fault_garbage_instead_of_http_is_transport_error() {
    let srv = support::always(Action::Raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec())).await;
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { path, .. } if path == "/api/me"),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fault_stalled_body_times_out_on_stream_and_get_response() {
    let (_srv, c, half) = stalled_body().await;
    // `stream` writes what arrived, then fails instead of hanging.
    let mut sink = Vec::new();
    let err = c
        .stream(http::Method::GET, "api/dataElements", &[], &mut sink)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Timeout { path, .. } if path == "/api/dataElements"),
        "{err:?}"
    );
    assert_eq!(sink.len(), half, "the part that arrived was streamed");
    // The raw response's body fails the same way when read.
    use http_body_util::BodyExt;
    let resp = c.get_response("api/dataElements", &[], &[]).await.unwrap();
    assert_eq!(resp.status(), 200);
    let start = Instant::now();
    let read = resp.into_body().collect().await;
    assert!(read.is_err(), "a stalled body must not hang");
    assert!(start.elapsed() >= Duration::from_secs(3) && start.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_refused_connection_names_the_server_in_the_message() {
    // A port nothing listens on: bound, then closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = dhis2::Dhis2Client::builder(format!("http://127.0.0.1:{port}"))
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    let err = client.get_raw("api/me", &[]).await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("http://127.0.0.1:{port}")), "{text}");
    assert!(text.to_ascii_lowercase().contains("refused"), "{text}");
    assert!(text.starts_with("GET /api/me"), "{text}");
}
