//! Secrets: Basic, PAT, bearer and session-cookie values never appear in `Debug`, `Display`, error messages or
//! tracing output captured at TRACE level, through successes, retries, 401s, redirects and transport errors; the
//! auth headers are marked sensitive.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dhis2::layers::auth::AuthLayer;
use dhis2::{
    AuthProvider, BasicAuth, BearerAuth, Dhis2Client, PatAuth, RetryPolicy, SessionCookieAuth,
};
use serde_json::json;
use support::{Action, LogBuffer, Resp};
use tower::{Layer, ServiceExt};

const BASIC_PASSWORD: &str = "basic-pw-Zq81xK";
const PAT: &str = "d2p_pAtSeCrEt0123456789abcdefghijklmnopqrstuvwxyzAB1a2b3c";
const BEARER: &str = "bearer-token-Yu72Lm";
const COOKIE: &str = "JSESSIONIDVALUE9f8e7d";
const XSRF: &str = "xsrf-token-Qw34Er";

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every form a secret could leak in.
fn needles() -> Vec<String> {
    let mut v: Vec<String> = [BASIC_PASSWORD, PAT, BEARER, COOKIE, XSRF]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.push(base64(format!("admin:{BASIC_PASSWORD}").as_bytes()));
    v
}

fn assert_clean(what: &str, text: &str) {
    for secret in needles() {
        assert!(
            !text.contains(&secret),
            "{what} leaks a secret ({secret}):\n{text}"
        );
    }
}

fn log_buffer() -> &'static LogBuffer {
    static BUF: OnceLock<LogBuffer> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = LogBuffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(buf.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buf
    })
}

/// A DHIS2-like server: `/api/flaky` answers 503 once, `/api/denied` 401, `/api/moved` redirects to another
/// origin, `/api/reset` resets the connection; everything else succeeds.
async fn server() -> support::Server {
    let flaky = Arc::new(AtomicUsize::new(0));
    support::start(move |req| {
        let flaky = flaky.clone();
        async move {
            match req.path() {
                "/api/system/info" => {
                    Action::Reply(Resp::json(200, support::system_info("2.42.1")))
                }
                "/api/flaky" if flaky.fetch_add(1, Ordering::SeqCst) % 2 == 0 => {
                    Action::Reply(Resp::web_message(503, "Service Unavailable"))
                }
                "/api/denied" => Action::Reply(
                    Resp::web_message(401, "Bad credentials")
                        .header("www-authenticate", "Basic realm=\"DHIS2\""),
                ),
                "/api/moved" => {
                    Action::Reply(Resp::empty(302).header("location", "http://localhost:9/api/me"))
                }
                "/api/reset" => Action::ResetBeforeHeaders,
                _ => Action::Reply(Resp::json(
                    200,
                    json!({"username": "admin", "id": "xE7jOejl9FI"}),
                )),
            }
        }
    })
    .await
}

async fn exercise<P: AuthProvider + Clone>(name: &str, provider: P) {
    let srv = server().await;
    assert_clean(&format!("{name} provider Debug"), &format!("{provider:?}"));
    let builder = Dhis2Client::builder(&srv.url).auth(provider).retry_policy(
        RetryPolicy::default()
            .base_delay(Duration::from_millis(1))
            .jitter(0.0),
    );
    assert_clean(&format!("{name} builder Debug"), &format!("{builder:?}"));
    let c = builder.connect().await.unwrap();
    assert_clean(&format!("{name} client Debug"), &format!("{c:?}"));

    assert_eq!(c.get_raw("api/me", &[]).await.unwrap()["username"], "admin");
    assert!(c.get_raw("api/flaky", &[]).await.is_ok());
    let resp = c.get_response("api/me", &[], &[]).await.unwrap();
    assert_clean(&format!("{name} response Debug"), &format!("{resp:?}"));
    let mut errors = Vec::new();
    errors.push(c.get_raw("api/denied", &[]).await.unwrap_err());
    errors.push(c.get_raw("api/moved", &[]).await.unwrap_err());
    errors.push(c.post_raw("api/reset", &json!({}), &[]).await.unwrap_err());
    errors.push(c.get_raw("api/reset", &[]).await.unwrap_err());
    for e in &errors {
        assert_clean(&format!("{name} error Display"), &e.to_string());
        assert_clean(&format!("{name} error Debug"), &format!("{e:?}"));
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            assert_clean(&format!("{name} error source"), &format!("{s} {s:?}"));
            source = s.source();
        }
    }
    // The server did get the credentials (so they were in play the whole time).
    assert!(srv.stats.requests() >= 8);
    c.close().await;
}

#[tokio::test]
async fn secrets_never_in_debug_display_errors_or_trace_logs() {
    let logs = log_buffer();
    exercise("basic", BasicAuth::new("admin", BASIC_PASSWORD)).await;
    exercise("pat", PatAuth::new(PAT)).await;
    exercise("bearer", BearerAuth::new(BEARER)).await;
    exercise("cookie", SessionCookieAuth::new(COOKIE).with_xsrf(XSRF)).await;
    let text = logs.contents();
    // The capture worked: per-attempt spans, retries and failures are all in it.
    assert!(text.contains("/api/flaky"), "tracing output was captured");
    assert!(
        text.contains("retry"),
        "retry decisions were captured:\n{text}"
    );
    assert!(
        text.contains("TRACE") || text.contains("DEBUG"),
        "low levels were captured"
    );
    assert_clean("captured tracing output", &text);
    println!(
        "secrets: {} bytes of TRACE output searched for {} secrets, 0 found",
        text.len(),
        needles().len()
    );
}

#[tokio::test]
async fn secrets_auth_headers_are_marked_sensitive() {
    async fn headers_seen<P: AuthProvider>(provider: P) -> http::HeaderMap {
        let inner = tower::service_fn(|req: http::Request<dhis2::RequestBody>| async move {
            {
                // Hand the request headers back as the response headers (cloning keeps the sensitive flag).
                let mut resp = http::Response::new(http_body_util::Empty::<bytes::Bytes>::new());
                *resp.headers_mut() = req.headers().clone();
                Ok::<_, dhis2::BoxError>(resp)
            }
        });
        let svc = AuthLayer::new(provider)
            .for_origin("http://dhis2.example".parse().unwrap())
            .unwrap()
            .layer(inner);
        let req = http::Request::get("http://dhis2.example/api/me")
            .body(dhis2::RequestBody::empty())
            .unwrap();
        svc.oneshot(req).await.unwrap().headers().clone()
    }
    let checks: Vec<(&str, http::HeaderMap, Vec<&str>)> = vec![
        (
            "basic",
            headers_seen(BasicAuth::new("admin", BASIC_PASSWORD)).await,
            vec!["authorization"],
        ),
        (
            "pat",
            headers_seen(PatAuth::new(PAT)).await,
            vec!["authorization"],
        ),
        (
            "bearer",
            headers_seen(BearerAuth::new(BEARER)).await,
            vec!["authorization"],
        ),
        (
            "cookie",
            headers_seen(SessionCookieAuth::new(COOKIE).with_xsrf(XSRF)).await,
            vec!["cookie", "x-xsrf-token"],
        ),
    ];
    for (name, headers, names) in checks {
        for h in names {
            let v = headers
                .get(h)
                .unwrap_or_else(|| panic!("{name}: no {h} header"));
            assert!(v.is_sensitive(), "{name}: {h} is not marked sensitive");
            assert_eq!(format!("{v:?}"), "Sensitive", "{name}: {h} Debug");
        }
    }
    // Credentials are only for their origin.
    let inner = tower::service_fn(|req: http::Request<dhis2::RequestBody>| async move {
        {
            // Hand the request headers back as the response headers (cloning keeps the sensitive flag).
            let mut resp = http::Response::new(http_body_util::Empty::<bytes::Bytes>::new());
            *resp.headers_mut() = req.headers().clone();
            Ok::<_, dhis2::BoxError>(resp)
        }
    });
    let svc = AuthLayer::new(PatAuth::new(PAT))
        .for_origin("http://dhis2.example".parse().unwrap())
        .unwrap()
        .layer(inner);
    let req = http::Request::get("http://elsewhere.example/api/me")
        .body(dhis2::RequestBody::empty())
        .unwrap();
    let seen = svc.oneshot(req).await.unwrap().headers().clone();
    assert!(
        seen.get("authorization").is_none(),
        "credentials sent to another origin"
    );
}
