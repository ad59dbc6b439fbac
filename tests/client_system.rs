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

#[tokio::test]
async fn info_expires_after_ttl_and_none_disables_caching() {
    let (srv, infos) = server(Duration::ZERO).await;
    let c = Dhis2Client::builder(&srv.url)
        .system_cache_ttl(Some(Duration::from_millis(40)))
        .connect()
        .await
        .unwrap();
    c.system().info().await.unwrap();
    assert_eq!(infos.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(60)).await;
    c.system().info().await.unwrap();
    assert_eq!(infos.load(Ordering::SeqCst), 2);

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
    assert!(c.system().setting("bad/key").await.is_err());
    assert!(c.system().setting("keyNotThere").await.is_err());
    let combo = c.system().default_category_combo().await.unwrap().unwrap();
    assert_eq!(combo["id"], "bjDvmb4bfuf");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_on_an_expired_cache_share_one_request() {
    let (srv, infos) = server(Duration::from_millis(50)).await;
    let c = Dhis2Client::builder(&srv.url)
        .system_cache_ttl(Some(Duration::from_millis(300)))
        .connect()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await; // the primed entry has expired
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
