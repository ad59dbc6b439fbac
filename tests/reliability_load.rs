//! Load: 10,000 requests from 50 clones of one client with the limit at 20. All complete, the server never sees
//! more than 20 in flight, and open file descriptors and memory return to their starting level.
//!
//! This binary holds a single test so that `/proc/self/fd` and RSS measure this workload alone.

mod support;

use std::time::{Duration, Instant};

use dhis2::{Dhis2Client, Limits};
use serde_json::json;
use support::{Action, Resp};

const CLONES: usize = 50;
const PER_CLONE: usize = 200;
const LIMIT: usize = 20;

async fn round(client: &Dhis2Client) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CLONES {
        let c = client.clone();
        tasks.spawn(async move {
            let mut ok = 0;
            for i in 0..PER_CLONE {
                let got = c.get_raw("api/ping", &[]).await.unwrap();
                assert_eq!(got["pong"], true, "request {i}");
                ok += 1;
            }
            ok
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        done += r.unwrap();
    }
    done
}

/// Waits up to 5 s for `ok` (see [`support::settle`]).
async fn settle(what: &str, ok: impl FnMut() -> bool) {
    support::settle(what, Duration::from_secs(5), ok).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_10k_requests_50_clones_limit_20() {
    // No request log: this test measures memory.
    let quiet = support::Options {
        skip_log: true,
        ..Default::default()
    };
    let srv = support::start_with(quiet, |_req| async {
        // Hold the request briefly so concurrent requests overlap at the server.
        tokio::task::yield_now().await;
        Action::Reply(Resp::json(200, json!({"pong": true})))
    })
    .await;
    let fds_start = support::open_fds();

    let client = Dhis2Client::builder(&srv.url)
        .skip_version_probe(true)
        .limits(
            Limits::default()
                .max_concurrent_requests(LIMIT)
                .max_idle_per_host(LIMIT)
                .pool_idle_timeout(Duration::from_millis(300)),
        )
        .connect()
        .await
        .unwrap();

    let started = Instant::now();
    let first = round(&client).await;
    let rss_after_first = support::rss_kib();
    let second = round(&client).await;
    let rss_after_second = support::rss_kib();
    let took = started.elapsed();
    let total = first + second;
    let fds_busy = support::open_fds();
    assert!(
        fds_busy > fds_start,
        "pooled connections hold descriptors while the client lives"
    );

    assert_eq!(first, CLONES * PER_CLONE);
    assert_eq!(srv.stats.requests(), total);
    assert!(
        srv.stats.max_in_flight() <= LIMIT,
        "server saw {} in flight",
        srv.stats.max_in_flight()
    );
    assert!(
        srv.stats.max_in_flight() >= LIMIT / 2,
        "the load was concurrent: {}",
        srv.stats.max_in_flight()
    );
    assert!(
        srv.stats.connections() <= LIMIT * 2,
        "connections were pooled: {}",
        srv.stats.connections()
    );
    // A leak of even 1 KiB per request would add ~10 MiB in the second round.
    assert!(
        rss_after_second <= rss_after_first + 6 * 1024,
        "memory grew from {rss_after_first} KiB to {rss_after_second} KiB over a second round of {second} requests"
    );

    // Idle pooled connections are closed after pool_idle_timeout; close() drops the rest.
    client.close().await;
    drop(client);
    settle("server-side connections", || {
        srv.stats.open_connections() == 0
    })
    .await;
    settle("file descriptors", || support::open_fds() <= fds_start + 1).await;
    let fds_end = support::open_fds();
    println!(
        "load: {total} requests in {took:?}, max in flight {} (limit {LIMIT}), {} connections, \
         fds {fds_start} -> {fds_busy} -> {fds_end}, RSS {rss_after_first} -> {rss_after_second} KiB",
        srv.stats.max_in_flight(),
        srv.stats.connections()
    );
}
