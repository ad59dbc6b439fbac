//! `client.system()`: cached, primed, single-flight info; me; settings; default category combo.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dhis2::Dhis2Client;
use serde_json::json;
use support::{start, system_info, Req, Resp};

async fn server(info_delay: Duration) -> (support::Server, Arc<AtomicUsize>) {
    let infos = Arc::new(AtomicUsize::new(0));
    let ic = infos.clone();
    let srv = start(move |r: Req| {
        let ic = ic.clone();
        async move {
            match r.path() {
                "/api/system/info" => {
                    ic.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(info_delay).await;
                    Resp::json(200, system_info("2.42.6"))
                }
                "/api/me" => Resp::json(200, json!({"id": "xE7jOejl9FI", "username": "admin", "displayName": "John Traore", "futureField": 1})),
                "/api/systemSettings/keyUiLocale" => Resp::json(200, json!({"keyUiLocale": "fr"})),
                "/api/systemSettings/keyPlain" => Resp::bytes(200, "text/plain", "ethiopian"),
                "/api/systemSettings/keyMissing" => Resp::empty(200),
                "/api/categoryCombos" => {
                    assert!(r.query().contains("filter=name%3Aeq%3Adefault"));
                    Resp::json(200, json!({"categoryCombos": [{"id": "bjDvmb4bfuf", "name": "default"}]}))
                }
                _ => Resp::empty(404),
            }
        }
    })
    .await;
    (srv, infos)
}

#[tokio::test]
async fn info_is_primed_cached_and_invalidated() {
    let (srv, infos) = server(Duration::ZERO).await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    assert_eq!(infos.load(Ordering::SeqCst), 1);
    for _ in 0..5 {
        let info = c.system().info().await.unwrap();
        assert_eq!(info.version.value().unwrap(), "2.42.6");
    }
    assert_eq!(infos.load(Ordering::SeqCst), 1, "cached");
    c.system().invalidate().await;
    c.system().info().await.unwrap();
    assert_eq!(infos.load(Ordering::SeqCst), 2);
}

// On tokio's paused clock (the cache reads tokio's `Instant`), the TTL is crossed exactly, not by sleeping
// through it in real time.
#[tokio::test(start_paused = true)]
async fn info_expires_after_ttl_and_none_disables_caching() {
    let (srv, infos) = server(Duration::ZERO).await;
    let c = Dhis2Client::builder(&srv.url)
        .system_cache_ttl(Some(Duration::from_secs(40)))
        .connect()
        .await
        .unwrap();
    c.system().info().await.unwrap();
    assert_eq!(infos.load(Ordering::SeqCst), 1, "primed by connect");
    tokio::time::advance(Duration::from_secs(39)).await;
    c.system().info().await.unwrap();
    assert_eq!(
        infos.load(Ordering::SeqCst),
        1,
        "still fresh 1 s before the TTL"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    c.system().info().await.unwrap();
    assert_eq!(infos.load(Ordering::SeqCst), 2, "expired after the TTL");
    c.system().info().await.unwrap();
    assert_eq!(
        infos.load(Ordering::SeqCst),
        2,
        "the refreshed entry is cached"
    );

    let c = Dhis2Client::builder(&srv.url)
        .system_cache_ttl(None)
        .connect()
        .await
        .unwrap();
    let before = infos.load(Ordering::SeqCst);
    c.system().info().await.unwrap();
    c.system().info().await.unwrap();
    assert_eq!(infos.load(Ordering::SeqCst), before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_request() {
    let (srv, infos) = server(Duration::from_millis(50)).await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    c.system().invalidate().await;
    let before = infos.load(Ordering::SeqCst);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let c = c.clone();
        tasks.push(tokio::spawn(
            async move { c.system().info().await.unwrap() },
        ));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(infos.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn me_settings_and_default_combo() {
    let (srv, _) = server(Duration::ZERO).await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let me = c.system().me().await.unwrap();
    assert_eq!(me.username, "admin");
    assert_eq!(me.display_name.value().unwrap(), "John Traore");
    assert_eq!(
        c.system().setting("keyUiLocale").await.unwrap(),
        json!("fr")
    );
    assert_eq!(
        c.system().setting("keyPlain").await.unwrap(),
        json!("ethiopian")
    );
    assert_eq!(
        c.system().setting("keyMissing").await.unwrap(),
        serde_json::Value::Null
    );
    // A key is one path segment: ".." is refused before sending, "bad/key" stays one (encoded) segment.
    let err = c.system().setting("..").await.unwrap_err();
    assert!(matches!(err, dhis2::Error::Config(_)), "{err:?}");
    let err = c.system().setting("bad/key").await.unwrap_err();
    assert!(
        matches!(&err, dhis2::Error::Api { status, .. } if status.as_u16() == 404),
        "{err:?}"
    );
    assert!(srv
        .requests()
        .iter()
        .any(|r| r.target == "/api/systemSettings/bad%2Fkey"));
    // The server's 404 comes back as an API error with its status.
    let err = c.system().setting("keyNotThere").await.unwrap_err();
    assert!(
        matches!(&err, dhis2::Error::Api { status, .. } if status.as_u16() == 404),
        "{err:?}"
    );
    let combo = c.system().default_category_combo().await.unwrap().unwrap();
    assert_eq!(combo["id"], "bjDvmb4bfuf");
}

// Paused clock: the primed entry expires exactly, and the refreshed one cannot expire again while the 100
// callers are still arriving, however slowly they are scheduled.
#[tokio::test(start_paused = true)]
async fn concurrent_callers_on_an_expired_cache_share_one_request() {
    let (srv, infos) = server(Duration::from_millis(50)).await;
    let c = Dhis2Client::builder(&srv.url)
        .system_cache_ttl(Some(Duration::from_secs(300)))
        .connect()
        .await
        .unwrap();
    tokio::time::advance(Duration::from_secs(301)).await; // the primed entry has expired
    let before = infos.load(Ordering::SeqCst);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.system().info().await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(infos.load(Ordering::SeqCst), before + 1);
}
