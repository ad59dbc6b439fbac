//! Retry through the full client: statuses, connection errors, idempotency, Retry-After, last response surfaced.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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

/// `err` is the API error with this status and WebMessage message.
#[track_caller]
fn assert_api(err: &Error, want: u16, want_message: &str) {
    assert!(
        matches!(err, Error::Api { status, message, .. } if status.as_u16() == want && message == want_message),
        "expected Api {want} {want_message:?}, got {err:?}"
    );
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
    // 500 is not in the list: the first answer is the error.
    let (srv, hits) = sequence(vec![500], None).await;
    let c = client(&srv.url, fast_policy()).await;
    let err = c.get_raw("api/flaky", &[]).await.unwrap_err();
    assert_api(&err, 500, "attempt 0");
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
    let err = c.get_raw("api/flaky", &[]).await.unwrap_err();
    assert_api(&err, 503, "attempt 0");
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
    let err = c.post_raw("api/flaky", &json!({}), &[]).await.unwrap_err();
    assert_api(&err, 503, "attempt 0");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let err = c.patch_raw("api/flaky", &json!([]), &[]).await.unwrap_err();
    assert_api(&err, 503, "attempt 1");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // PUT and DELETE are idempotent: three attempts, the last answer surfaced.
    let err = c.put_raw("api/flaky", &json!({}), &[]).await.unwrap_err();
    assert_api(&err, 503, "attempt 4");
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

/// One `status` answer with `Retry-After: retry_after` far beyond `max_delay`: the client waits exactly the cap
/// (300 ms, on tokio's paused clock), not the 2 ms backoff and not the header's value, then succeeds on the second
/// attempt.
async fn assert_retry_after_capped(status: u16, retry_after: String) {
    let (srv, hits) = sequence(vec![status], Some(("retry-after", retry_after.clone()))).await;
    let c = client(&srv.url, fast_policy()).await;
    let start = tokio::time::Instant::now();
    c.get_raw("api/flaky", &[]).await.unwrap();
    let took = start.elapsed();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(310),
        "Retry-After {retry_after:?} must be waited for exactly max_delay (300 ms): {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_is_honoured_and_capped() {
    assert_retry_after_capped(503, "120".into()).await;
}

#[tokio::test(start_paused = true)]
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

/// A refused connection never reached the server, so even a POST is retried. The port is held but not listening
/// (the kernel refuses the first attempt); the test starts listening on it during the backoff. On the paused
/// clock the backoff is exactly 150 ms and the test wakes at 75 ms, so the order is fixed; the response's attempt
/// count proves the first attempt failed, and a POST is retried only after an error that was certainly not sent.
#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_even_for_post() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tower::ServiceExt;

    let (socket, addr) = support::refusing_port();
    let c = client(
        &format!("http://{addr}"),
        fast_policy()
            .base_delay(Duration::from_millis(150))
            .max_attempts(4),
    )
    .await;
    let mut post = tokio::spawn({
        let c = c.clone();
        async move {
            let req = http::Request::post("/api/x")
                .header("content-type", "application/json")
                .body(dhis2::RequestBody::from("{}"))
                .unwrap();
            c.oneshot(req).await
        }
    });
    tokio::time::sleep(Duration::from_millis(75)).await;
    let listener = socket.listen(16).unwrap();
    let (mut s, _) = tokio::select! {
        accepted = listener.accept() => accepted.unwrap(),
        done = &mut post => panic!("the POST ended without a retry: {:?}", done.unwrap().map(|r| r.status())),
    };
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"POST /api/x "), "the retried request");
    let body = br#"{"ok":true}"#;
    let head = format!(
        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let resp = post.await.unwrap().unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        dhis2::layers::RetryAttempts::of(&resp),
        2,
        "one refused attempt, then the one that got through"
    );

    // Without a server at all, every attempt is refused: a transport error naming the request, and a refused
    // connection by its type.
    let (_held, dead) = support::refusing_port();
    let c = client(&format!("http://{dead}"), fast_policy()).await;
    let err = c.get_raw("api/y", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { path, .. } if path == "/api/y"),
        "{err:?}"
    );
    assert!(
        support::is_refused(&err),
        "not a refused connection: {err:?}"
    );
}
