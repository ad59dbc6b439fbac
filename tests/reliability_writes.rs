//! No duplicate writes: 1,000 POSTs against a server that injects 503s, resets before applying, and resets after
//! applying (the "did it happen?" case). The client never resends a POST on its own, and its errors say when a
//! write may have been applied, so a careful caller creates every object exactly once. With
//! `retry_non_idempotent(true)` the client does resend, and the server sees duplicates: the test measures them.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dhis2::{Dhis2Client, Error, Limits, RetryPolicy};
use serde_json::{json, Value};
use support::{Action, Resp};

const OBJECTS: usize = 1_000;

/// What the server does with the n-th POST (deterministic, so runs are reproducible).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// 503, nothing applied.
    Unavailable,
    /// Connection reset before anything was applied.
    ResetBeforeApply,
    /// Applied, then the connection reset before the answer.
    ApplyThenReset,
    /// Applied, then the connection reset in the middle of the answer's body.
    ApplyThenResetMidBody,
}

fn fault_for(n: usize) -> Fault {
    match n % 10 {
        3 => Fault::Unavailable,
        6 => Fault::ResetBeforeApply,
        8 => Fault::ApplyThenReset,
        _ if n % 17 == 5 => Fault::ApplyThenResetMidBody,
        _ => Fault::None,
    }
}

#[derive(Default)]
struct Store {
    /// id -> object.
    objects: HashMap<String, Value>,
    /// code -> how many times an object with it was created.
    creates_by_code: HashMap<String, usize>,
    /// POSTs of an id that already existed (each would be a duplicate if the server did not refuse it).
    duplicate_id_posts: usize,
    /// POSTs received per code (to compare with what the caller sent).
    posts_by_code: HashMap<String, usize>,
    /// Ids whose read the server already failed once.
    reads_failed: HashSet<String>,
}

struct Dhis2Writes {
    server: support::Server,
    store: Arc<Mutex<Store>>,
    faults_applied_then_reset: Arc<AtomicUsize>,
}

async fn write_server() -> Dhis2Writes {
    let store = Arc::new(Mutex::new(Store::default()));
    let posts = Arc::new(AtomicUsize::new(0));
    let gets = Arc::new(AtomicUsize::new(0));
    let applied_reset = Arc::new(AtomicUsize::new(0));
    let (st, ar) = (store.clone(), applied_reset.clone());
    let server = support::start(move |req| {
        let (store, posts, gets, applied_reset) = (st.clone(), posts.clone(), gets.clone(), ar.clone());
        async move {
            let path = req.path().to_string();
            if req.method == "GET" {
                let id = path.trim_start_matches("/api/dataElements/");
                // Reads fail too now and then (each id's at most once, so the client's own retries always get
                // through however the concurrent requests interleave); the client retries those by itself.
                if gets.fetch_add(1, Ordering::SeqCst) % 7 == 2
                    && store.lock().unwrap().reads_failed.insert(id.to_string())
                {
                    return Action::ResetBeforeHeaders;
                }
                return match store.lock().unwrap().objects.get(id) {
                    Some(obj) => Action::Reply(Resp::json(200, obj.clone())),
                    None => Action::Reply(Resp::web_message(404, &format!("DataElement with id {id} could not be found."))),
                };
            }
            assert_eq!((req.method.as_str(), path.as_str()), ("POST", "/api/dataElements"));
            let n = posts.fetch_add(1, Ordering::SeqCst);
            let mut obj: Value = serde_json::from_slice(&req.body).unwrap();
            let code = obj["code"].as_str().unwrap().to_string();
            let fault = fault_for(n);
            let mut s = store.lock().unwrap();
            *s.posts_by_code.entry(code.clone()).or_default() += 1;
            match fault {
                Fault::Unavailable => return Action::Reply(Resp::web_message(503, "Service Unavailable")),
                Fault::ResetBeforeApply => return Action::ResetBeforeHeaders,
                _ => {}
            }
            let id = match obj["id"].as_str() {
                Some(id) => id.to_string(),
                None => {
                    let id = format!("gen{n:08}");
                    obj["id"] = json!(id);
                    id
                }
            };
            if s.objects.contains_key(&id) {
                s.duplicate_id_posts += 1;
                return Action::Reply(Resp::web_message(409, &format!("Object with id {id} already exists")));
            }
            s.objects.insert(id.clone(), obj);
            *s.creates_by_code.entry(code).or_default() += 1;
            let created = Resp::json(
                201,
                json!({"httpStatus": "Created", "httpStatusCode": 201, "status": "OK",
                       "response": {"responseType": "ObjectReport", "uid": id, "errorReports": []}}),
            );
            match fault {
                Fault::ApplyThenReset => {
                    applied_reset.fetch_add(1, Ordering::SeqCst);
                    Action::ResetBeforeHeaders
                }
                Fault::ApplyThenResetMidBody => {
                    applied_reset.fetch_add(1, Ordering::SeqCst);
                    let half = created.body.len() / 2;
                    Action::ResetMidBody(created, half)
                }
                _ => Action::Reply(created),
            }
        }
    })
    .await;
    Dhis2Writes {
        server,
        store,
        faults_applied_then_reset: applied_reset,
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .max_attempts(5)
}

async fn client(url: &str, policy: RetryPolicy) -> Dhis2Client {
    Dhis2Client::builder(url)
        .skip_version_probe(true)
        .retry_policy(policy)
        .limits(Limits::default().max_concurrent_requests(16))
        .connect()
        .await
        .unwrap()
}

/// Creates one object the careful way: resend only what certainly did not happen, look before resending what
/// may have. Returns how many POSTs the caller sent.
async fn create_exactly_once(c: &Dhis2Client, id: &str, code: &str) -> usize {
    let obj = json!({"id": id, "code": code, "name": code, "shortName": code});
    let mut sent = 0;
    loop {
        sent += 1;
        match c.post_raw("api/dataElements", &obj, &[]).await {
            Ok(answer) => {
                assert_eq!(answer["response"]["uid"], id);
                return sent;
            }
            // The server answered 503: it did not apply the write.
            Err(e) if e.status().map(|s| s.as_u16()) == Some(503) => continue,
            Err(e @ Error::Transport { .. }) => {
                assert!(e.to_string().contains("may or may not"), "{e}");
                match c.get_raw(&format!("api/dataElements/{id}"), &[]).await {
                    Ok(found) => {
                        assert_eq!(found["code"], code);
                        return sent;
                    }
                    Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => continue,
                    Err(e) => panic!("check after a failed write: {e}"),
                }
            }
            Err(e) => panic!("unexpected error for {code}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_1000_posts_under_faults_create_each_object_exactly_once() {
    let srv = write_server().await;
    let c = client(&srv.server.url, policy()).await;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..20 {
        let c = c.clone();
        tasks.spawn(async move {
            let mut sent = HashMap::new();
            for i in (worker..OBJECTS).step_by(20) {
                let id = format!("de{i:09}");
                let code = format!("CODE_{i}");
                sent.insert(code.clone(), create_exactly_once(&c, &id, &code).await);
            }
            sent
        });
    }
    let mut caller_posts = HashMap::new();
    while let Some(r) = tasks.join_next().await {
        caller_posts.extend(r.unwrap());
    }
    let s = srv.store.lock().unwrap();
    assert_eq!(s.objects.len(), OBJECTS);
    assert_eq!(s.creates_by_code.len(), OBJECTS);
    let duplicates: usize = s.creates_by_code.values().map(|n| n - 1).sum();
    assert_eq!(duplicates, 0, "objects created twice");
    assert_eq!(
        s.duplicate_id_posts, 0,
        "POSTs of an object that already existed"
    );
    // The client never resent a POST on its own: the server saw exactly the POSTs the caller made.
    assert_eq!(s.posts_by_code, caller_posts);
    let total_posts: usize = caller_posts.values().sum();
    assert!(
        total_posts > OBJECTS * 11 / 10,
        "faults were injected: {total_posts} POSTs"
    );
    assert!(srv.faults_applied_then_reset.load(Ordering::SeqCst) > 100);
    println!(
        "writes: {OBJECTS} objects, {total_posts} POSTs, {} applied-then-reset, duplicates 0",
        srv.faults_applied_then_reset.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_retry_non_idempotent_resends_and_duplicates_what_was_applied() {
    let srv = write_server().await;
    let c = client(&srv.server.url, policy().retry_non_idempotent(true)).await;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..20 {
        let c = c.clone();
        tasks.spawn(async move {
            let mut failed = 0;
            for i in (worker..OBJECTS).step_by(20) {
                let code = format!("CODE_{i}");
                // No id: the server assigns one, as DHIS2 does.
                let obj = json!({"code": code, "name": code, "shortName": code});
                if c.post_raw("api/dataElements", &obj, &[]).await.is_err() {
                    failed += 1;
                }
            }
            failed
        });
    }
    let mut failed = 0;
    while let Some(r) = tasks.join_next().await {
        failed += r.unwrap();
    }
    let s = srv.store.lock().unwrap();
    let duplicates: usize = s.creates_by_code.values().map(|n| n - 1).sum();
    let applied_then_reset = srv.faults_applied_then_reset.load(Ordering::SeqCst);
    // A write that was applied and then lost its answer is resent by the client and applied again (unless the
    // attempts ran out first).
    assert!(
        duplicates > 0,
        "retry_non_idempotent resends applied writes"
    );
    assert!(
        duplicates <= applied_then_reset && duplicates >= applied_then_reset * 9 / 10,
        "{duplicates} duplicates for {applied_then_reset} applied-then-reset POSTs"
    );
    // A call that failed may still have been applied (its last attempt was applied, then reset).
    assert!(
        s.creates_by_code.len() >= OBJECTS - failed,
        "every code created at least once unless it failed"
    );
    println!("writes with retry_non_idempotent: {duplicates} duplicates out of {OBJECTS} objects ({failed} calls failed)");
}
