//! Canonical base URL resolution: redirects followed without credentials, login suffixes stripped, and the
//! cross-origin adoption rules.

mod support;

use std::sync::Arc;

use dhis2::{BasicAuth, Dhis2Client};
use support::{start, system_info, Req, Resp};

/// A DHIS2-ish server whose root redirects to its login page (like a real unauthenticated browser request).
async fn dhis2_with_login(prefix: &'static str) -> support::Server {
    start(move |r: Req| async move {
        let path = r.path().to_string();
        let Some(rest) = path.strip_prefix(prefix) else {
            return Resp::empty(404);
        };
        match rest {
            "" | "/" => Resp::redirect(302, &format!("{prefix}/dhis-web-login/")),
            "/dhis-web-login/" => Resp::bytes(200, "text/html", "<html>login</html>"),
            "/api/system/info" => Resp::json(200, system_info("2.42.6")),
            "/api/thing" => Resp::json(200, serde_json::json!({"ok": true})),
            _ => Resp::empty(404),
        }
    })
    .await
}

#[tokio::test]
async fn same_origin_login_redirect_is_stripped() {
    let srv = dhis2_with_login("/dhis").await;
    let c = Dhis2Client::builder(format!("{}/dhis/", srv.url))
        .auth(BasicAuth::new("admin", "s3cret-pass"))
        .connect()
        .await
        .unwrap();
    assert_eq!(c.base_url(), format!("{}/dhis", srv.url));
    assert_eq!(c.get_raw("api/thing", &[]).await.unwrap()["ok"], true);
    // The canonical-URL probe went out without credentials.
    for r in srv.requests() {
        if !r.path().starts_with("/dhis/api/") {
            assert!(
                r.header("authorization").is_none(),
                "credentials sent to {}",
                r.target
            );
        }
    }
}

#[tokio::test]
async fn cross_origin_same_domain_dhis2_target_is_adopted_without_credentials() {
    // "play.dhis2.org -> play.im.dhis2.org" on loopback: 127.0.0.1 and localhost are different origins, so
    // emulate it with two servers on the same host (same registrable domain: the IP) and different ports.
    let target = dhis2_with_login("").await;
    let target_url = target.url.clone();
    let origin = start(move |_r: Req| {
        let t = target_url.clone();
        async move { Resp::redirect(301, &format!("{t}/")) }
    })
    .await;
    let c = Dhis2Client::builder(&origin.url)
        .auth(BasicAuth::new("admin", "s3cret-pass"))
        .connect()
        .await
        .unwrap();
    assert_eq!(c.base_url(), target.url);
    // Nothing carried credentials during the handshake, on either server.
    for r in origin.requests() {
        assert!(r.header("authorization").is_none());
    }
    let info_reqs: Vec<_> = target.requests();
    let handshake: Vec<_> = info_reqs
        .iter()
        .take_while(|r| r.header("authorization").is_none())
        .collect();
    assert!(
        handshake.iter().any(|r| r.path() == "/api/system/info"),
        "target checked for a DHIS2 body"
    );
    // After the handshake, credentials go to the adopted base only.
    assert!(info_reqs
        .iter()
        .any(|r| r.header("authorization").is_some()));
}

#[tokio::test]
async fn cross_origin_target_that_is_not_dhis2_is_ignored() {
    let other = support::always(Resp::bytes(200, "text/html", "<html>not dhis2</html>")).await;
    let other_url = other.url.clone();
    let info_count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let ic = info_count.clone();
    let origin = start(move |r: Req| {
        let o = other_url.clone();
        let ic = ic.clone();
        async move {
            match r.path() {
                "/" => Resp::redirect(302, &format!("{o}/somewhere")),
                "/api/system/info" => {
                    ic.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Resp::json(200, system_info("2.41.3"))
                }
                _ => Resp::empty(404),
            }
        }
    })
    .await;
    let c = Dhis2Client::builder(&origin.url).connect().await.unwrap();
    assert_eq!(c.base_url(), origin.url, "kept the configured URL");
    assert_eq!(info_count.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cross_domain_redirect_is_ignored() {
    // localhost vs 127.0.0.1: different registrable domains, so never adopted even though it is DHIS2.
    let target = dhis2_with_login("").await;
    let port = target.addr.port();
    let origin = start(move |r: Req| async move {
        match r.path() {
            "/" => Resp::redirect(302, &format!("http://localhost:{port}/")),
            "/api/system/info" => Resp::json(200, system_info("2.42.6")),
            _ => Resp::empty(404),
        }
    })
    .await;
    let c = Dhis2Client::builder(&origin.url).connect().await.unwrap();
    assert_eq!(c.base_url(), origin.url);
}

#[tokio::test]
async fn https_is_never_traded_for_http() {
    use support::tls::{acceptor, self_signed};
    let (cert_pem, acc) = {
        let (cert, key) = self_signed(&["localhost"]);
        (cert.clone(), acceptor(&cert, &key))
    };
    let plain = dhis2_with_login("").await;
    let plain_port = plain.addr.port();
    let secure = support::start_tls(acc, move |r: Req| async move {
        match r.path() {
            "/" => Resp::redirect(301, &format!("http://localhost:{plain_port}/")),
            "/api/system/info" => Resp::json(200, system_info("2.43.1")),
            _ => Resp::empty(404),
        }
    })
    .await;
    let ca = support::tls::temp_file("ca.pem", &cert_pem);
    let c = Dhis2Client::builder(&secure.url)
        .tls(dhis2::TlsConfig::ca_bundle(&ca))
        .connect()
        .await
        .unwrap();
    assert_eq!(c.base_url(), secure.url);
    assert_eq!(c.raw_version().unwrap(), "2.43.1");
    assert!(
        plain.requests().is_empty(),
        "the http target was never contacted"
    );
}

#[tokio::test]
async fn same_origin_redirect_to_a_non_dhis2_path_is_not_adopted() {
    let srv = start(|r: Req| async move {
        match r.path() {
            "/" => Resp::redirect(302, "/dhis-web-dashboard/"),
            "/dhis-web-dashboard/" => Resp::bytes(200, "text/html", "<html>app</html>"),
            "/api/system/info" => Resp::json(200, system_info("2.42.6")),
            _ => Resp::bytes(404, "text/html", "<html>404</html>"),
        }
    })
    .await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    assert_eq!(c.base_url(), srv.url);
}

/// A server that resets the first connection before answering (not up yet), then answers normally.
async fn resets_first_connection() -> support::Server {
    let first = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    support::start(move |r: support::Req| {
        let first = first.swap(false, std::sync::atomic::Ordering::SeqCst);
        async move {
            if first {
                return support::Action::ResetBeforeHeaders;
            }
            match r.path() {
                "/api/system/info" => Resp::json(200, support::system_info("2.42.6")).into(),
                _ => Resp::json(200, serde_json::json!({"ok": true})).into(),
            }
        }
    })
    .await
}

#[tokio::test]
async fn connect_retries_the_handshake_under_the_retry_policy() {
    let srv = resets_first_connection().await;
    let client = Dhis2Client::builder(&srv.url)
        .retry_policy(dhis2::RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)))
        .connect()
        .await
        .unwrap();
    assert_eq!(client.raw_version().unwrap(), "2.42.6");
    // The fault happened: the first try of the canonical-URL check was reset, the second answered.
    assert_eq!(srv.count("/"), 2);
}

#[tokio::test]
async fn without_a_retry_policy_connect_fails_at_the_first_fault() {
    let srv = resets_first_connection().await;
    let err = Dhis2Client::builder(&srv.url).connect().await.unwrap_err();
    assert!(matches!(err, dhis2::Error::Transport { .. }), "{err:?}");
    assert_eq!(srv.count("/"), 1);
}
