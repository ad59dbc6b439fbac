//! The proxy environment variables (`HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, either case) are followed by default and
//! ignored with `Proxy::none()`. One test in its own binary: the environment is the process's.

mod support;

use dhis2::{Dhis2Client, Proxy};
use serde_json::{json, Value};
use support::{dhis2_like, proxy, Req, Resp};

const VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn clear_env() {
    for v in VARS {
        std::env::remove_var(v);
    }
}

/// Calls `/api/thing` with a client built from `builder`; true when the proxy saw that call.
async fn went_through(proxy: &proxy::Proxy, builder: dhis2::ClientBuilder) -> bool {
    let before = proxy.seen().heads.len();
    let client = builder.connect().await.unwrap();
    let v: Value = client.get("api/thing", &[]).await.unwrap();
    assert_eq!(v, json!({"ok": true}));
    proxy.seen().heads[before..]
        .iter()
        .any(|h| h.contains("/api/thing"))
}

#[tokio::test]
async fn proxy_environment_is_followed_by_default_and_ignored_on_request() {
    let srv = dhis2_like("2.42.6", |_r: Req| async move {
        Resp::json(200, json!({"ok": true}))
    })
    .await;
    let proxy = proxy::start(None).await;
    let builder = || Dhis2Client::builder(&srv.url);

    clear_env();
    assert!(!went_through(&proxy, builder()).await, "no variable set");

    std::env::set_var("HTTP_PROXY", &proxy.url);
    assert!(went_through(&proxy, builder()).await, "HTTP_PROXY");
    assert!(
        !went_through(&proxy, builder().proxy(Proxy::none())).await,
        "Proxy::none() ignores the environment"
    );

    std::env::set_var("NO_PROXY", "example.org,127.0.0.1");
    assert!(
        !went_through(&proxy, builder()).await,
        "NO_PROXY lists the host"
    );

    clear_env();
    std::env::set_var("all_proxy", &proxy.url);
    assert!(went_through(&proxy, builder()).await, "all_proxy");
    std::env::set_var("no_proxy", "127.0.0.0/8");
    assert!(!went_through(&proxy, builder()).await, "no_proxy CIDR");
    clear_env();
}
