//! The concurrency limit holds across clones of one client, and across clients sharing a limit.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dhis2::{Dhis2Client, Limits, SharedLimit};
use serde_json::json;
use support::{start, Resp};

struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
    total: AtomicUsize,
}

async fn counting_server() -> (support::Server, Arc<Gauge>) {
    let g = Arc::new(Gauge {
        now: AtomicUsize::new(0),
        max: AtomicUsize::new(0),
        total: AtomicUsize::new(0),
    });
    let gc = g.clone();
    let srv = start(move |_r| {
        let g = gc.clone();
        async move {
            let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
            g.max.fetch_max(n, Ordering::SeqCst);
            g.total.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(15)).await;
            g.now.fetch_sub(1, Ordering::SeqCst);
            Resp::json(200, json!({"ok": true}))
        }
    })
    .await;
    (srv, g)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_holds_across_50_clones() {
    let (srv, g) = counting_server().await;
    let client = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .limits(Limits::default().max_concurrent_requests(5))
        .connect()
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..3 {
                c.get_raw("api/x", &[]).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(g.total.load(Ordering::SeqCst), 150);
    let max = g.max.load(Ordering::SeqCst);
    assert!(max <= 5, "limit exceeded: {max} in flight");
    assert!(max >= 2, "requests did not overlap at all: {max}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_limit_shared_by_two_clients() {
    let (srv, g) = counting_server().await;
    let shared = SharedLimit::new(3);
    let mk = || {
        Dhis2Client::builder(&srv.url)
            .skip_version_probe(true)
            .limits(Limits::default().shared(shared.clone()))
            .build()
            .unwrap()
    };
    let (a, b) = (mk(), mk());
    a.connect().await.unwrap();
    b.connect().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            c.get_raw("api/x", &[]).await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let max = g.max.load(Ordering::SeqCst);
    assert!(max <= 3, "shared limit exceeded: {max}");
    assert!(max >= 2, "no overlap: {max}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlimited_removes_the_limit() {
    let (srv, g) = counting_server().await;
    // `unlimited` wins over the earlier size, and even a size of 0 (otherwise refused) is then accepted.
    let client = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .limits(Limits::default().max_concurrent_requests(0).unlimited())
        .connect()
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.get_raw("api/x", &[]).await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(g.total.load(Ordering::SeqCst), 12);
    let max = g.max.load(Ordering::SeqCst);
    assert!(
        max > 1,
        "requests were serialised although the limit is off: {max}"
    );
    // A later size turns the limit back on.
    let limited = Limits::default().unlimited().max_concurrent_requests(0);
    let err = Dhis2Client::builder(&srv.url)
        .limits(limited)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, dhis2::Error::Config(m) if m.contains("max_concurrent_requests")),
        "{err:?}"
    );
}
