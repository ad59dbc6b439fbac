//! Proxies: https goes through a CONNECT tunnel that carries only `Proxy-Authorization` in the clear (DHIS2
//! credentials stay inside TLS), plain http is sent to the proxy in absolute form, `NO_PROXY` exceptions go
//! direct, and a proxy that refuses is a clear error. Each test checks what the proxy and the server each saw.

mod support;

use dhis2::{BasicAuth, Dhis2Client, Error, Proxy, TlsConfig};
use serde_json::{json, Value};
use support::{dhis2_like, proxy, Req, Resp};

const PASSWORD: &str = "Sup3r-Secret-Pw";
/// `Basic base64("etl:pw")`.
const PROXY_AUTH: &str = "Basic ZXRsOnB3";

async fn tls_server() -> (support::Server, std::path::PathBuf) {
    let (cert, key) = support::tls::self_signed(&["localhost"]);
    let ca = support::tls::temp_file("ca.pem", &cert);
    let srv = support::start_tls(support::tls::acceptor(&cert, &key), |r: Req| async move {
        match r.path() {
            "/api/system/info" => Resp::json(200, support::system_info("2.42.6")),
            _ => Resp::json(200, json!({"ok": true})),
        }
    })
    .await;
    (srv, ca)
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_and_dhis2_credentials_stay_inside_tls() {
    let (srv, ca) = tls_server().await;
    let proxy = proxy::start(Some(PROXY_AUTH.into())).await;
    let client = Dhis2Client::builder(&srv.url)
        .tls(TlsConfig::ca_bundle(&ca))
        .proxy(Proxy::all(&proxy.url).basic_auth("etl", "pw"))
        .auth(BasicAuth::new("admin", PASSWORD))
        .connect()
        .await
        .unwrap();
    let v: Value = client.get("api/thing", &[]).await.unwrap();
    assert_eq!(v, json!({"ok": true}));

    let seen = proxy.seen();
    let port = srv.addr.port();
    assert!(!seen.heads.is_empty());
    for head in &seen.heads {
        assert!(
            head.starts_with(&format!("CONNECT localhost:{port} HTTP/1.1")),
            "{head}"
        );
        assert!(head.contains(PROXY_AUTH), "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("\nauthorization:"),
            "{head}"
        );
    }
    // What the proxy relayed was TLS: no request line, no DHIS2 credentials in the clear.
    let relayed = String::from_utf8_lossy(&seen.tunneled);
    assert!(!seen.tunneled.is_empty());
    assert!(
        !relayed.contains("GET /api"),
        "plain HTTP inside the tunnel"
    );
    assert!(
        !relayed.contains("YWRtaW46"),
        "DHIS2 credentials crossed the proxy"
    );
    // The server got the DHIS2 credentials, and never the proxy's.
    let reqs = srv.requests();
    assert!(reqs
        .iter()
        .any(|r| r.path() == "/api/thing" && r.header("authorization").is_some()));
    assert!(reqs
        .iter()
        .all(|r| r.header("proxy-authorization").is_none()));
}

#[tokio::test]
async fn plain_http_is_sent_to_the_proxy_in_absolute_form_with_proxy_credentials() {
    let srv = dhis2_like("2.42.6", |_r: Req| async move {
        Resp::json(200, json!({"ok": true}))
    })
    .await;
    let proxy = proxy::start(Some(PROXY_AUTH.into())).await;
    let client = Dhis2Client::builder(&srv.url)
        .proxy(Proxy::all(&proxy.url).basic_auth("etl", "pw"))
        .connect()
        .await
        .unwrap();
    let v: Value = client.get("api/thing", &[]).await.unwrap();
    assert_eq!(v, json!({"ok": true}));
    let seen = proxy.seen();
    let target = format!("GET {}/api/thing HTTP/1.1", srv.url);
    let head = seen
        .heads
        .iter()
        .find(|h| h.starts_with(&target))
        .unwrap_or_else(|| panic!("no `{target}` among {:?}", seen.heads));
    assert!(head.contains(PROXY_AUTH), "{head}");
    // Every request reached the server through the proxy, which strips its own credentials.
    let reqs = srv.requests();
    assert!(reqs.iter().any(|r| r.path() == "/api/thing"));
    assert!(reqs
        .iter()
        .all(|r| r.header("proxy-authorization").is_none()));
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    let srv = dhis2_like("2.42.6", |_r: Req| async move {
        Resp::json(200, json!({"ok": true}))
    })
    .await;
    let proxy = proxy::start(None).await;
    let client = Dhis2Client::builder(&srv.url)
        .proxy(Proxy::all(&proxy.url).no_proxy("localhost,127.0.0.1"))
        .connect()
        .await
        .unwrap();
    let _: Value = client.get("api/thing", &[]).await.unwrap();
    assert!(proxy.seen().heads.is_empty(), "{:?}", proxy.seen().heads);
    assert!(srv.count("/api/thing") == 1);
}

#[tokio::test]
async fn a_proxy_that_refuses_the_credentials_is_a_clear_connect_error() {
    let (srv, ca) = tls_server().await;
    let proxy = proxy::start(Some(PROXY_AUTH.into())).await;
    let err = Dhis2Client::builder(&srv.url)
        .tls(TlsConfig::ca_bundle(&ca))
        .proxy(Proxy::all(&proxy.url).basic_auth("etl", "wrong"))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(
        err.is_connect(),
        "a refused tunnel never reached the server: {err:?}"
    );
    assert!(!err.is_timeout());
    let chain = std::iter::successors(Some(&err as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .map(ToString::to_string)
    .collect::<Vec<_>>()
    .join(" / ");
    assert!(chain.contains("proxy authorization required"), "{chain}");
    // The server was never reached.
    assert!(srv.requests().is_empty());
}

#[test]
fn an_https_proxy_url_is_refused_at_build() {
    let err = Dhis2Client::builder("https://dhis2.example.org")
        .proxy(Proxy::all("https://proxy.example.org:3128"))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("only http:// proxies"), "{err}");
}

#[test]
fn proxy_credentials_never_reach_debug() {
    let proxy = Proxy::all("http://proxy.example.org:3128").basic_auth("etl", "pw-secret-value");
    let shown = format!("{proxy:?}");
    assert!(!shown.contains("pw-secret-value"), "{shown}");
    let builder = Dhis2Client::builder("https://dhis2.example.org")
        .proxy(Proxy::all("http://etl:url-secret@proxy.example.org:3128"));
    let shown = format!("{builder:?}");
    assert!(!shown.contains("url-secret"), "{shown}");
}
