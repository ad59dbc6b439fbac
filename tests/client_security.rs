//! Credentials never show up in Debug output or traces, and never go to another origin.

mod support;

use dhis2::{BasicAuth, Dhis2Client, Error, PatAuth, Profile, SessionCookieAuth};
use http::Request;
use serde_json::json;
use support::{dhis2_like, LogBuffer, Resp};
use tower::ServiceExt;

const PASSWORD: &str = "Sup3r-Secret-Pw";
const PAT: &str = "d2p_lyt5j9WqXaVzJsUhvGJ1w0Ea5GL4jkszazPSWo5HWLFC1QnPCi";
const COOKIE: &str = "JSESSIONID-secret-cookie-value";
const XSRF: &str = "xsrf-secret-token-value";

fn assert_clean(text: &str) {
    use base64_free as b64;
    for secret in [
        PASSWORD,
        PAT,
        COOKIE,
        XSRF,
        &b64::encode(&format!("admin:{PASSWORD}")),
    ] {
        assert!(
            !text.contains(secret),
            "secret {secret:?} leaked into: {text}"
        );
    }
}

/// Base64 without a dependency (only for building the needle to search for).
mod base64_free {
    pub fn encode(s: &str) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = (chunk[0] as u32) << 16
                | (*chunk.get(1).unwrap_or(&0) as u32) << 8
                | *chunk.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

#[test]
fn base64_helper_is_right() {
    assert_eq!(
        base64_free::encode("admin:district"),
        "YWRtaW46ZGlzdHJpY3Q="
    );
}

#[tokio::test]
async fn debug_output_has_no_secrets() {
    let srv = dhis2_like("2.42.6", |_| async { Resp::empty(404) }).await;
    let builder = Dhis2Client::builder(&srv.url).auth(BasicAuth::new("admin", PASSWORD));
    let text = format!("{builder:?}");
    assert!(text.contains("[configured]"));
    let client = builder.connect().await.unwrap();
    let mut all = format!(
        "{client:?} {:?} {:?}",
        BasicAuth::new("admin", PASSWORD),
        PatAuth::new(PAT)
    );
    all.push_str(&format!(
        "{:?}",
        SessionCookieAuth::new(COOKIE).with_xsrf(XSRF)
    ));
    let vars = |k: &str| match k {
        "DHIS2_URL" => Some("https://x.example".to_string()),
        "DHIS2_SESSION_COOKIE" => Some(COOKIE.to_string()),
        "DHIS2_SESSION_XSRF" => Some(XSRF.to_string()),
        _ => None,
    };
    all.push_str(&format!("{:?}", Profile::from_vars(vars).unwrap()));
    let vars = |k: &str| match k {
        "DHIS2_URL" => Some("https://x.example".to_string()),
        "DHIS2_PAT" => Some(PAT.to_string()),
        _ => None,
    };
    all.push_str(&format!("{:?}", Profile::from_vars(vars).unwrap()));
    let vars = |k: &str| match k {
        "DHIS2_URL" => Some("https://x.example".to_string()),
        "DHIS2_USERNAME" => Some("admin".to_string()),
        "DHIS2_PASSWORD" => Some(PASSWORD.to_string()),
        _ => None,
    };
    all.push_str(&format!("{:?}", Profile::from_vars(vars).unwrap()));
    assert!(all.contains("admin"));
    assert_clean(&all);
}

#[tokio::test]
async fn traces_have_no_secrets() {
    let buf = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buf.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let srv = dhis2_like("2.42.6", |r| async move {
        match r.path() {
            "/api/denied" => Resp::json(401, json!({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"})),
            _ => Resp::json(200, json!({"ok": true})).header("set-cookie", "JSESSIONID=server-cookie; Path=/"),
        }
    })
    .await;
    for builder in [
        Dhis2Client::builder(&srv.url).auth(BasicAuth::new("admin", PASSWORD)),
        Dhis2Client::builder(&srv.url).auth(PatAuth::new(PAT)),
        Dhis2Client::builder(&srv.url).auth(SessionCookieAuth::new(COOKIE).with_xsrf(XSRF)),
    ] {
        let c = builder
            .retry_policy(
                dhis2::RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)),
            )
            .connect()
            .await
            .unwrap();
        c.get_raw("api/thing", &[]).await.unwrap();
        let err = c.get_raw("api/denied", &[]).await.unwrap_err();
        assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
        let _ = c.system().me().await;
    }
    // The secrets did reach the server (so the test would catch a leak)...
    let reqs = srv.requests();
    assert!(reqs
        .iter()
        .any(|r| r.header("authorization").is_some_and(|v| v.contains(PAT))));
    assert!(reqs
        .iter()
        .any(|r| r.header("cookie").is_some_and(|v| v.contains(COOKIE))));
    // ...and tracing captured the requests, but not the secrets.
    let out = buf.contents();
    assert!(
        out.contains("/api/thing") || out.contains("GET"),
        "nothing traced: {out}"
    );
    assert_clean(&out);
}

#[tokio::test]
async fn credentials_never_go_to_another_origin() {
    let other = support::always(Resp::json(200, json!({"other": true}))).await;
    let srv = dhis2_like("2.42.6", |_| async { Resp::json(200, json!({"ok": true})) }).await;
    let c = Dhis2Client::builder(&srv.url)
        .auth(BasicAuth::new("admin", PASSWORD))
        .connect()
        .await
        .unwrap();
    // The helpers refuse absolute URLs outside the base URL.
    let err = c
        .get_raw(&format!("{}/api/x", other.url), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, dhis2::Error::Config(_)), "{err:?}");
    // Through the tower::Service interface the request goes out, without credentials.
    let req = Request::get(format!("{}/api/x", other.url))
        .body(dhis2::RequestBody::empty())
        .unwrap();
    let resp = c.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let seen = other.requests();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].header("authorization").is_none());
    // The base origin does get them.
    c.get_raw("api/x", &[]).await.unwrap();
    assert!(srv
        .requests()
        .iter()
        .any(|r| r.header("authorization").is_some()));
}

#[test]
fn builder_debug_redacts_a_password_in_the_url() {
    let b = Dhis2Client::builder(format!("https://admin:{PASSWORD}@x.example"));
    let text = format!("{b:?}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(matches!(b.build(), Err(dhis2::Error::Config(_))));
}
