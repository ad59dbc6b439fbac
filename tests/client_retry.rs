//! Retry through the full client: statuses, connection errors, idempotency, Retry-After, last response surfaced.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dhis2::{Dhis2Client, Error, RetryPolicy};
use serde_json::json;
use support::{start, Action, Resp};

fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(300))
        .jitter(0.0)
}

/// A server answering `statuses` in turn for `/api/flaky` (then 200), counting attempts.
async fn sequence(
    statuses: Vec<u16>,
    extra: Option<(&'static str, String)>,
) -> (support::Server, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let statuses = Arc::new(statuses);
    let srv = start(move |r| {
        let h = h.clone();
        let statuses = statuses.clone();
        let extra = extra.clone();
        async move {
            if r.path() != "/api/flaky" {
                return Resp::empty(404);
            }
            let n = h.fetch_add(1, Ordering::SeqCst);
            match statuses.get(n) {
                Some(s) => {
                    let mut reply = Resp::json(*s, json!({"httpStatus": "Service Unavailable", "httpStatusCode": *s, "status": "ERROR", "message": format!("attempt {n}")}));
                    if let Some((k, v)) = &extra {
                        reply = reply.header(k, v);
                    }
                    reply
                }
                None => Resp::json(200, json!({"attempt": n})),
            }
        }
    })
    .await;
    (srv, hits)
}

async fn client(url: &str, policy: RetryPolicy) -> Dhis2Client {
    Dhis2Client::builder(url)
        .skip_version_probe(true)
        .retry_policy(policy)
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn retries_each_retryable_status() {
    for status in [429, 502, 503, 504] {
        let (srv, hits) = sequence(vec![status], None).await;
        let c = client(&srv.url, fast_policy()).await;
        let got = c.get_raw("api/flaky", &[]).await.unwrap();
        assert_eq!(got["attempt"], 1, "status {status}");
        assert_eq!(hits.load(Ordering::SeqCst), 2, "status {status}");
    }
    // 500 is not in the list.
    let (srv, hits) = sequence(vec![500], None).await;
    let c = client(&srv.url, fast_policy()).await;
    assert!(c.get_raw("api/flaky", &[]).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn no_retries_by_default() {
    let (srv, hits) = sequence(vec![503], None).await;
    let c = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    assert!(c.get_raw("api/flaky", &[]).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn last_response_is_surfaced_when_attempts_run_out() {
    let (srv, hits) = sequence(vec![503; 10], None).await;
    let c = client(&srv.url, fast_policy()).await;
    let err = c.get_raw("api/flaky", &[]).await.unwrap_err();
    match &err {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(status.as_u16(), 503);
            assert_eq!(message, "attempt 2", "the last (third) response");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // get_response sees the real 503 too.
    let resp = c.get_response("api/flaky", &[], &[]).await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(hits.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn post_and_patch_are_not_retried_unless_opted_in() {
    let (srv, hits) = sequence(vec![503; 10], None).await;
    let c = client(&srv.url, fast_policy()).await;
    assert!(c.post_raw("api/flaky", &json!({}), &[]).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(c.patch_raw("api/flaky", &json!([]), &[]).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // PUT and DELETE are idempotent.
    assert!(c.put_raw("api/flaky", &json!({}), &[]).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 5);

    let (srv, hits) = sequence(vec![503, 503], None).await;
    let c = client(&srv.url, fast_policy().retry_non_idempotent(true)).await;
    let got = c
        .post_raw("api/flaky", &json!({"x": 1}), &[])
        .await
        .unwrap();
    assert_eq!(got["attempt"], 2);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // The body was resent intact.
    assert!(srv.requests().iter().all(|r| r.body == br#"{"x":1}"#));
}

/// One `status` answer with `Retry-After: retry_after` far beyond `max_delay`: the client waits, but only up to
/// the cap (300 ms), then succeeds on the second attempt.
async fn assert_retry_after_capped(status: u16, retry_after: String) {
    let (srv, hits) = sequence(vec![status], Some(("retry-after", retry_after.clone()))).await;
    let c = client(&srv.url, fast_policy()).await;
    let start = Instant::now();
    c.get_raw("api/flaky", &[]).await.unwrap();
    let took = start.elapsed();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert!(
        took >= Duration::from_millis(250),
        "Retry-After {retry_after:?} ignored: {took:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "Retry-After {retry_after:?} not capped: {took:?}"
    );
}

#[tokio::test]
async fn retry_after_seconds_is_honoured_and_capped() {
    assert_retry_after_capped(503, "120".into()).await;
}

#[tokio::test]
async fn retry_after_http_date_is_honoured_and_capped() {
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(100));
    assert_retry_after_capped(429, when).await;
}

#[tokio::test]
async fn dropped_connection_is_retried_for_get() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let srv = start(move |_r| {
        let n = h.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Action::Close
            } else {
                Resp::json(200, json!({"ok": true})).into()
            }
        }
    })
    .await;
    let c = client(&srv.url, fast_policy()).await;
    assert_eq!(c.get_raw("api/x", &[]).await.unwrap()["ok"], true);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn connection_refused_is_retried_even_for_post() {
    // Reserve a port, free it, and start listening on it only after the first attempt failed.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    drop(std_listener);
    let c = client(
        &format!("http://{addr}"),
        fast_policy()
            .base_delay(Duration::from_millis(150))
            .max_attempts(4),
    )
    .await;
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0u8; 4096];
        let _ = s.read(&mut buf).await.unwrap();
        let body = br#"{"ok":true}"#;
        let head = format!(
            "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
    });
    let got = c.post_raw("api/x", &json!({}), &[]).await.unwrap();
    assert_eq!(got["ok"], true);
    server.await.unwrap();

    // Without a server at all, the error is a transport error naming the request.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let c = client(&format!("http://{dead}"), fast_policy()).await;
    let err = c.get_raw("api/y", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { path, .. } if path == "/api/y"),
        "{err:?}"
    );
}
