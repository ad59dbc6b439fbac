//! Fault matrix, part 1: statuses, bodies and timeouts injected by the emulator's fault plans.
//!
//! Each test is one row of `docs/RELIABILITY.md`. Backoff and `Retry-After` waits run on tokio's paused clock
//! (`start_paused`), so they are measured exactly and cost no wall time.

use std::time::Duration;

use dhis2::{BasicAuth, Dhis2Client, Error, RetryPolicy};
use dhis2_emulator::{Emulator, Fault, FaultPlan, RetryAfter, Seed};
use tokio::time::Instant;

async fn emulator() -> Emulator {
    Emulator::builder().seed(Seed::Empty).start().await.unwrap()
}

fn policy() -> RetryPolicy {
    RetryPolicy::default().jitter(0.0)
}

/// A fresh emulator and a client connected to it with `policy` (`None`: the default); then `path` follows `plan`
/// (set after connecting, so the handshake is not affected).
async fn faulty(
    path: &str,
    plan: FaultPlan,
    policy: Option<RetryPolicy>,
) -> (Emulator, Dhis2Client) {
    let emu = emulator().await;
    let mut b = Dhis2Client::builder(emu.url()).auth(BasicAuth::new("admin", "district"));
    if let Some(p) = policy {
        b = b.retry_policy(p);
    }
    let c = b.connect().await.unwrap();
    emu.faults().set(path, plan);
    (emu, c)
}

#[tokio::test(start_paused = true)]
async fn fault_429_retry_after_seconds_is_waited_then_succeeds() {
    let (emu, c) = faulty(
        "/api/me",
        FaultPlan::sequence([Fault::StatusRetryAfter(429, RetryAfter::Seconds(4))]),
        Some(policy()),
    )
    .await;
    let start = Instant::now();
    let me = c.system().me().await.unwrap();
    let waited = start.elapsed();
    assert_eq!(me.username, "admin");
    assert_eq!(emu.counters().requests("/api/me"), 2);
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_millis(4500),
        "Retry-After: 4 must set the delay (not the 0.5 s backoff): {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fault_429_retry_after_http_date_is_waited_then_succeeds() {
    let (emu, c) = faulty(
        "/api/me",
        FaultPlan::sequence([Fault::StatusRetryAfter(
            429,
            RetryAfter::DateIn(Duration::from_secs(8)),
        )]),
        Some(policy()),
    )
    .await;
    let start = Instant::now();
    c.system().me().await.unwrap();
    let waited = start.elapsed();
    assert_eq!(emu.counters().requests("/api/me"), 2);
    // An HTTP date has one-second resolution: 8 s ahead means 7-8 s from now.
    assert!(
        waited >= Duration::from_secs(6) && waited <= Duration::from_millis(8500),
        "Retry-After as a date: {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fault_retry_after_beyond_max_delay_is_capped() {
    let (_emu, c) = faulty(
        "/api/me",
        FaultPlan::sequence([Fault::StatusRetryAfter(503, RetryAfter::Seconds(3600))]),
        Some(policy().max_delay(Duration::from_secs(2))),
    )
    .await;
    let start = Instant::now();
    c.system().me().await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_millis(2500),
        "Retry-After: 3600 capped at max_delay 2 s: {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fault_503_without_retry_after_backs_off_exponentially() {
    let (emu, c) = faulty("/api/me", FaultPlan::statuses([503, 503]), Some(policy())).await;
    let start = Instant::now();
    c.system().me().await.unwrap();
    let waited = start.elapsed();
    assert_eq!(emu.counters().requests("/api/me"), 3);
    // base 0.5 s, factor 2, no jitter: 0.5 s + 1 s.
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_millis(1700),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fault_502_beyond_attempt_budget_surfaces_last_response() {
    let (emu, c) = faulty(
        "/api/me",
        FaultPlan::always(Fault::Status(502)),
        Some(policy()),
    )
    .await;
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert_eq!(emu.counters().requests("/api/me"), 3, "max_attempts 3");
    match &err {
        Error::Api {
            status,
            path,
            web_message,
            ..
        } => {
            assert_eq!(status.as_u16(), 502);
            assert_eq!(path, "/api/me");
            let wm = web_message
                .as_deref()
                .expect("the WebMessage of the last 502 is parsed");
            assert_eq!(wm.http_status_code.value(), Some(&502));
        }
        other => panic!("expected the real 502, got {other:?}"),
    }
    assert!(err.to_string().contains("GET /api/me"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn fault_504_beyond_attempt_budget_get_response_returns_it() {
    let (emu, c) = faulty(
        "/api/me",
        FaultPlan::always(Fault::Status(504)),
        Some(policy()),
    )
    .await;
    let resp = c.get_response("api/me", &[], &[]).await.unwrap();
    assert_eq!(resp.status(), 504);
    assert_eq!(emu.counters().requests("/api/me"), 3);
}

#[tokio::test(start_paused = true)]
async fn fault_503_on_post_is_not_retried() {
    let (emu, c) = faulty(
        "/api/dataElements",
        FaultPlan::always(Fault::Status(503)),
        Some(policy()),
    )
    .await;
    let before = emu.counters().writes_applied();
    let err = c
        .post_raw(
            "api/dataElements",
            &serde_json::json!({"name": "X", "shortName": "X"}),
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err:?}");
    assert_eq!(
        emu.counters().requests("/api/dataElements"),
        1,
        "POST is not retried"
    );
    assert_eq!(emu.counters().writes_applied(), before);
}

#[tokio::test(start_paused = true)]
async fn fault_429_on_post_is_surfaced_not_retried() {
    let (emu, c) = faulty(
        "/api/dataElements",
        FaultPlan::always(Fault::StatusRetryAfter(429, RetryAfter::Seconds(1))),
        Some(policy()),
    )
    .await;
    let err = c
        .post_raw("api/dataElements", &serde_json::json!({"name": "X"}), &[])
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429), "{err:?}");
    assert_eq!(emu.counters().requests("/api/dataElements"), 1);
}

#[tokio::test]
async fn fault_html_login_page_200_is_not_json() {
    let (_emu, c) = faulty("/api/me", FaultPlan::always(Fault::HtmlLoginPage), None).await;
    let err = c.system().me().await.unwrap_err();
    match &err {
        Error::NotJson {
            path,
            status,
            content_type,
            snippet,
            ..
        } => {
            assert_eq!(path, "/api/me");
            assert_eq!(status.as_u16(), 200);
            assert!(
                content_type.as_deref().unwrap_or("").contains("html"),
                "{content_type:?}"
            );
            assert!(
                snippet.contains('<'),
                "keeps a snippet of the page: {snippet:?}"
            );
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
}

#[tokio::test]
async fn fault_empty_200_on_get_is_empty_read() {
    let (_emu, c) = faulty("/api/me", FaultPlan::always(Fault::Empty200), None).await;
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::EmptyRead { path, .. } if path == "/api/me"),
        "{err:?}"
    );
    assert!(err.to_string().contains("GET /api/me"), "{err}");
}

#[tokio::test]
async fn fault_302_to_login_page_is_unauthorized() {
    let (emu, c) = faulty(
        "/api/me",
        FaultPlan::always(Fault::Redirect {
            status: 302,
            location: "/dhis-web-login/".into(),
        }),
        None,
    )
    .await;
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    match &err {
        Error::Unauthorized { path, location, .. } => {
            assert_eq!(path, "/api/me");
            assert!(
                location.as_deref().unwrap_or("").contains("dhis-web-login"),
                "{location:?}"
            );
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert_eq!(
        emu.counters().requests("/api/me"),
        1,
        "the redirect is not followed"
    );
}

#[tokio::test]
async fn fault_truncated_json_is_decode_error_naming_the_path() {
    let (emu, _) = faulty("/api/me", FaultPlan::always(Fault::TruncatedJson), None).await;
    // Plain JSON cut short: with compression on, the emulator truncates the gzip stream instead, which is a body
    // error (tests/client_compression.rs); here the JSON itself must be incomplete.
    let c = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .compression(false)
        .connect()
        .await
        .unwrap();
    let err = c.system().me().await.unwrap_err();
    match &err {
        Error::Decode { path, .. } => assert_eq!(path, "/api/me"),
        other => panic!("expected Decode, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("GET /api/me") && text.contains("cannot decode"),
        "{text}"
    );
}

#[tokio::test]
async fn fault_wrong_password_is_unauthorized_with_hint() {
    let emu = emulator().await;
    let c = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "wrong-password"))
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(!err.to_string().contains("wrong-password"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn fault_headers_never_come_get_times_out_per_attempt() {
    let emu = emulator().await;
    let c = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .timeout(Duration::from_secs(2))
        .retry_policy(policy())
        .connect()
        .await
        .unwrap();
    emu.faults().set(
        "/api/me",
        FaultPlan::always(Fault::DelayHeaders(Duration::from_secs(3600))),
    );
    let start = Instant::now();
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(&err, Error::Timeout { path, .. } if path == "/api/me"),
        "{err:?}"
    );
    assert_eq!(
        emu.counters().requests("/api/me"),
        3,
        "a timed-out GET is retried"
    );
    // 3 attempts x 2 s + backoff 0.5 s + 1 s: bounded, never the server's hour.
    assert!(
        took >= Duration::from_millis(7500) && took < Duration::from_secs(8),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fault_reset_before_headers_get_is_retried() {
    let (emu, c) = faulty(
        "/api/me",
        FaultPlan::sequence([Fault::ResetBeforeHeaders]),
        Some(policy()),
    )
    .await;
    let me = c.system().me().await.unwrap();
    assert_eq!(me.username, "admin");
    assert_eq!(emu.counters().requests("/api/me"), 2);
}
