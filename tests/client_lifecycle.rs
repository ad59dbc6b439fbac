//! Lifecycle: build, connect, reconnect, close, failed connect, skip_version_probe.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dhis2::{BasicAuth, ClientState, Dhis2Client, Error, VersionKey};
use serde_json::json;
use support::{dhis2_like, Resp};
use tokio::sync::Notify;

async fn server() -> support::Server {
    dhis2_like("2.42.6", |r| async move {
        match r.path() {
            "/api/thing" => Resp::json(200, json!({"ok": true, "q": r.query()})),
            _ => Resp::json(404, json!({"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR", "message": "nope"})),
        }
    })
    .await
}

#[tokio::test]
async fn build_is_unconnected_and_calls_fail() {
    let srv = server().await;
    let client = Dhis2Client::builder(&srv.url).build().unwrap();
    assert_eq!(client.state(), ClientState::Unconnected);
    assert!(matches!(
        client.get_raw("api/thing", &[]).await,
        Err(Error::NotConnected)
    ));
    assert!(matches!(client.version_key(), Err(Error::NotConnected)));
    assert!(srv.requests().is_empty(), "build() must do no I/O");
}

#[tokio::test]
async fn connect_probe_call_reconnect_close() {
    let srv = server().await;
    let client = Dhis2Client::builder(&srv.url)
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .unwrap();
    assert_eq!(client.state(), ClientState::Connected);
    assert_eq!(client.version_key().unwrap(), VersionKey::V42);
    assert_eq!(client.raw_version().unwrap(), "2.42.6");
    assert_eq!(srv.count("/api/system/info"), 1);

    // info() is primed by connect: no second request.
    let info = client.system().info().await.unwrap();
    assert_eq!(info.version.value().map(String::as_str), Some("2.42.6"));
    assert_eq!(srv.count("/api/system/info"), 1);

    let body = client.get_raw("api/thing", &[("a", "1")]).await.unwrap();
    assert_eq!(body["ok"], true);
    let req = srv
        .requests()
        .into_iter()
        .find(|r| r.path() == "/api/thing")
        .unwrap();
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(req.header("x-requested-with"), Some("XMLHttpRequest"));
    assert!(req.header("user-agent").unwrap().starts_with("dhis2-rs/"));
    assert_eq!(
        req.header("authorization"),
        Some("Basic YWRtaW46ZGlzdHJpY3Q=")
    );

    // A clone shares the state.
    let clone = client.clone();
    clone.connect().await.unwrap();
    assert_eq!(
        srv.count("/api/system/info"),
        2,
        "connect twice refreshes the info"
    );
    assert_eq!(client.state(), ClientState::Connected);

    client.close().await;
    assert_eq!(clone.state(), ClientState::Closed);
    assert!(matches!(
        clone.get_raw("api/thing", &[]).await,
        Err(Error::Closed)
    ));
    assert!(matches!(clone.system().info().await, Err(Error::Closed)));
    assert!(matches!(clone.connect().await, Err(Error::Closed)));
}

#[tokio::test]
async fn failed_connect_leaves_unconnected() {
    // A port held but not listening: the connection is refused.
    let (_held, addr) = support::refusing_port();
    let client = Dhis2Client::builder(format!("http://{addr}"))
        .build()
        .unwrap();
    let err = client.connect().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(
        support::is_refused(&err),
        "not a refused connection: {err:?}"
    );
    assert_eq!(client.state(), ClientState::Unconnected);
    assert!(matches!(
        client.get_raw("api/x", &[]).await,
        Err(Error::NotConnected)
    ));
}

#[tokio::test]
async fn failed_reconnect_keeps_the_connection() {
    // The first handshake succeeds; every later /api/system/info answers 500, so the reconnect fails at a known
    // point (no dropped server, no waiting for sockets to close).
    let infos = Arc::new(AtomicUsize::new(0));
    let seen = infos.clone();
    let srv = support::start(move |r| {
        let n = if r.path() == "/api/system/info" {
            seen.fetch_add(1, Ordering::SeqCst)
        } else {
            0
        };
        async move {
            match n {
                0 => Resp::json(200, support::system_info("2.42.6")),
                _ => Resp::web_message(500, "the database is gone"),
            }
        }
    })
    .await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let err = client.connect().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, message, .. } if status.as_u16() == 500 && message == "the database is gone"),
        "{err:?}"
    );
    assert_eq!(infos.load(Ordering::SeqCst), 2, "the reconnect did probe");
    assert_eq!(client.state(), ClientState::Connected);
    assert_eq!(client.version_key().unwrap(), VersionKey::V42);
    assert_eq!(client.raw_version().unwrap(), "2.42.6");
}

#[tokio::test]
async fn skip_version_probe_makes_no_requests() {
    let srv = server().await;
    let client = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    assert!(srv.requests().is_empty());
    assert!(matches!(client.version_key(), Err(Error::VersionUnknown)));
    assert!(matches!(client.raw_version(), Err(Error::VersionUnknown)));
    let body = client.get_raw("/api/thing", &[]).await.unwrap();
    assert_eq!(body["ok"], true);
    let resp = client.get_response("api/missing", &[], &[]).await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn bad_configuration_fails_at_build() {
    assert!(matches!(
        Dhis2Client::builder("not a url").build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        Dhis2Client::builder("ftp://x").build(),
        Err(Error::Config(_))
    ));
    let err = Dhis2Client::builder("http://x")
        .limits(dhis2::Limits::default().max_concurrent_requests(0))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("max_concurrent_requests"), "{err}");
}

#[test]
fn client_is_send_sync_clone_static() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<Dhis2Client>();
}

#[tokio::test]
async fn state_is_connecting_while_the_handshake_runs() {
    // The server holds /api/system/info until the test releases it: the state is read while the handshake is
    // certainly in progress, whatever the machine's load.
    let arrived = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (a, rel) = (arrived.clone(), release.clone());
    let srv = support::start(move |r| {
        let (a, rel) = (a.clone(), rel.clone());
        async move {
            if r.path() == "/api/system/info" {
                a.notify_one();
                rel.notified().await;
                Resp::json(200, support::system_info("2.43.2"))
            } else {
                Resp::empty(404)
            }
        }
    })
    .await;
    let client = Dhis2Client::builder(&srv.url).build().unwrap();
    let c2 = client.clone();
    let task = tokio::spawn(async move { c2.connect().await });
    arrived.notified().await;
    assert_eq!(client.state(), ClientState::Connecting);
    // Calls during the first connect still fail cleanly.
    assert!(matches!(
        client.get_raw("api/x", &[]).await,
        Err(Error::NotConnected)
    ));
    assert!(matches!(client.version_key(), Err(Error::NotConnected)));
    release.notify_one();
    task.await.unwrap().unwrap();
    assert_eq!(client.state(), ClientState::Connected);
    assert_eq!(client.version_key().unwrap(), VersionKey::V43);
}

#[tokio::test]
async fn a_silent_server_cannot_hang_connect() {
    let srv = support::start(|_r| async move {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        Resp::empty(200)
    })
    .await;
    let client = Dhis2Client::builder(&srv.url)
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.connect().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(client.state(), ClientState::Unconnected);
}

#[tokio::test]
async fn failed_connect_leaves_no_connection_open() {
    let srv = support::dhis2_like("2.39.1", |_r| async { Resp::empty(404) }).await;
    let client = Dhis2Client::builder(&srv.url).build().unwrap();
    let err = client.connect().await.unwrap_err();
    assert!(matches!(err, Error::UnsupportedVersion { .. }), "{err:?}");
    assert!(!srv.requests().is_empty(), "the server was contacted");
    // The pool was dropped with the failed attempt: the server sees every connection closed.
    support::settle(
        "the server-side connections",
        std::time::Duration::from_secs(10),
        || srv.stats.open_connections() == 0,
    )
    .await;

    // Likewise after close().
    let srv = server().await;
    let client = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    client.get_raw("api/thing", &[]).await.unwrap();
    assert!(
        srv.stats.open_connections() >= 1,
        "keep-alive connection pooled"
    );
    client.close().await;
    support::settle(
        "the server-side connections",
        std::time::Duration::from_secs(10),
        || srv.stats.open_connections() == 0,
    )
    .await;
}

/// `connect_timeout` bounds the TCP connect. A listener whose accept queue is full makes the kernel drop new
/// SYNs, so a connect to it never completes: the call fails after exactly `connect_timeout` (2 s on tokio's
/// paused clock), well before the 30 s per-attempt timeout would.
#[tokio::test(start_paused = true)]
async fn connect_timeout_bounds_a_connect_that_never_completes() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    // Never accepts; a backlog of 0 leaves room for one queued connection.
    let _listener = socket.listen(0).unwrap();
    let mut fillers = Vec::new();
    loop {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500)) {
            Ok(s) => fillers.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(e) => panic!("filling the accept queue: {e}"),
        }
        assert!(fillers.len() < 64, "the accept queue never filled");
    }
    let client = Dhis2Client::builder(format!("http://{addr}"))
        .skip_version_probe(true)
        .timeout(std::time::Duration::from_secs(30))
        .connect_timeout(std::time::Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = client.get_raw("api/me", &[]).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&err, Error::Timeout { path, .. } if path == "/api/me"),
        "{err:?}"
    );
    assert!(
        took >= std::time::Duration::from_secs(2) && took < std::time::Duration::from_millis(2100),
        "the connect timeout (2 s) must end the call, not the request timeout (30 s): {took:?}"
    );
}
