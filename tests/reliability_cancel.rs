//! Cancellation: dropping a request future mid-flight releases its concurrency permit and its connection; a
//! cancelled job wait leaves nothing running.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dhis2::accessors::tasks::{JobRef, WaitOptions};
use dhis2::{Dhis2Client, Limits, RetryPolicy};
use serde_json::json;
use support::{Action, Resp};
use tokio::sync::Notify;

/// `/api/slow` never answers (until the client hangs up); everything else answers at once.
async fn slow_and_fast() -> support::Server {
    support::start(|req| async move {
        match req.path() {
            "/api/slow" => Action::StallHeaders,
            "/api/slow-body" => Action::StallBody(
                Resp::bytes(200, "application/json", r#"{"a":"0123456789"}"#),
                5,
            ),
            _ => Action::Reply(Resp::json(200, json!({"ok": true}))),
        }
    })
    .await
}

async fn client(url: &str, limit: usize) -> Dhis2Client {
    Dhis2Client::builder(url)
        .skip_version_probe(true)
        .retry_policy(RetryPolicy::default())
        .limits(Limits::default().max_concurrent_requests(limit))
        .connect()
        .await
        .unwrap()
}

/// Waits for `ok` (see [`support::settle`]); the bound only turns a hang into a failure.
async fn settle(what: &str, ok: impl FnMut() -> bool) {
    support::settle(what, Duration::from_secs(10), ok).await
}

/// Starts `GET slow_path` (the server stalls it) and drops it once the server is holding it; then `GET /api/fast`
/// must get through: with limit 1, only if the dropped request gave its permit back (the 10 s bound turns a
/// permit that never comes back into a failure instead of a hang).
async fn drop_slow_then_fast(srv: &support::Server, c: &Dhis2Client, slow_path: &str) {
    let slow = c.get_raw(slow_path, &[]);
    tokio::select! {
        r = slow => panic!("the stalled request answered: {r:?}"),
        () = settle("the stalled request at the server", || srv.stats.in_flight() == 1) => {}
    }
    let fast = tokio::time::timeout(Duration::from_secs(10), c.get_raw("api/fast", &[])).await;
    assert_eq!(
        fast.expect("the permit was not released").unwrap()["ok"],
        true
    );
}

#[tokio::test]
async fn cancel_dropped_request_releases_permit_and_connection() {
    let srv = slow_and_fast().await;
    let c = client(&srv.url, 1).await;
    // Holds the only permit, then is dropped mid-flight (the server has the request and is stalling).
    drop_slow_then_fast(&srv, &c, "api/slow").await;
    assert_eq!(srv.stats.count("/api/slow"), 1);
    // The cancelled request's connection was closed (the server saw the hang-up), not left dangling.
    settle("the stalled server request", || srv.stats.in_flight() == 0).await;
    settle("the cancelled connection", || {
        srv.stats.open_connections() <= 1
    })
    .await;
    assert_eq!(
        srv.stats.count("/api/slow"),
        1,
        "a cancelled request is not retried behind the caller's back"
    );
}

#[tokio::test]
async fn cancel_dropped_body_read_releases_permit_and_connection() {
    let srv = slow_and_fast().await;
    let c = client(&srv.url, 1).await;
    drop_slow_then_fast(&srv, &c, "api/slow-body").await;
    settle("the stalled body", || srv.stats.in_flight() == 0).await;
    settle("the cancelled connection", || {
        srv.stats.open_connections() <= 1
    })
    .await;
}

#[tokio::test]
async fn cancel_many_aborted_tasks_return_every_permit() {
    let srv = slow_and_fast().await;
    let c = client(&srv.url, 5).await;
    let stuck: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.get_raw("api/slow", &[]).await })
        })
        .collect();
    settle("five requests at the server", || srv.stats.in_flight() == 5).await;
    for t in &stuck {
        t.abort();
    }
    for t in stuck {
        assert!(t.await.unwrap_err().is_cancelled());
    }
    // All five permits are back: five requests run at the same time.
    let fast: Vec<_> = (0..5).map(|_| c.get_raw("api/fast", &[])).collect();
    let all = tokio::time::timeout(
        Duration::from_secs(10),
        futures_util::future::join_all(fast),
    )
    .await
    .expect("permits were not released");
    assert!(all.iter().all(|r| r.is_ok()));
    settle("the stalled requests", || srv.stats.in_flight() == 0).await;
    assert_eq!(
        srv.stats.count("/api/slow"),
        5,
        "queued requests that were aborted never reached the server"
    );
}

/// On tokio's paused clock: the wait is dropped right after the server saw its third poll (explicit
/// synchronisation, not a count of polls in some stretch of real time); then a whole minute passes, in which a
/// leftover poller (every 20 ms) would have polled about 3,000 times.
#[tokio::test(start_paused = true)]
async fn cancel_job_wait_leaves_nothing_running() {
    let polls = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(Notify::new());
    let (p, n) = (polls.clone(), polled.clone());
    let srv = support::start(move |req| {
        let (p, n) = (p.clone(), n.clone());
        async move {
            if req.path().starts_with("/api/system/tasks/") {
                p.fetch_add(1, Ordering::SeqCst);
                n.notify_one();
                return Action::Reply(Resp::json(
                    200,
                    json!([{"uid": "n1", "level": "INFO", "category": "DATAVALUE_IMPORT",
                            "time": "2026-01-01T00:00:00.000", "message": "Importing", "completed": false}]),
                ));
            }
            Action::Reply(Resp::json(200, json!({"ok": true})))
        }
    })
    .await;
    let c = client(&srv.url, 1).await;
    let job = JobRef::new("DATAVALUE_IMPORT", "aBcDeFgHiJk").unwrap();
    let tasks = c.tasks();
    let wait = tasks.wait(&job, WaitOptions::new().interval(Duration::from_millis(20)));
    let three_polls = async {
        while polls.load(Ordering::SeqCst) < 3 {
            polled.notified().await;
        }
    };
    tokio::select! {
        r = wait => panic!("the job never completes, yet the wait ended: {r:?}"),
        () = three_polls => {}
    }
    // The wait is dropped. A poll already written may still land: let everything in flight settle first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen = polls.load(Ordering::SeqCst);
    assert!(
        (3..=4).contains(&seen),
        "polls when the wait was dropped: {seen}"
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        polls.load(Ordering::SeqCst),
        seen,
        "nothing kept polling after the wait was dropped"
    );
    assert_eq!(srv.stats.in_flight(), 0);
    // And its permit is free (limit 1).
    let fast = tokio::time::timeout(Duration::from_secs(10), c.get_raw("api/fast", &[])).await;
    assert!(fast.expect("permit released").is_ok());
}
