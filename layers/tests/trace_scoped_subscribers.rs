//! `HttpTraceLayer` under scoped subscribers: a thread whose own subscriber listens has every call traced while
//! other threads install, drop, or lack theirs. Its own test binary, so this process registers tower-http's
//! callsites here and nowhere else.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use bytes::Bytes;
use dhis2_layers::{BoxError, HttpTraceLayer, ResponseBody};
use http::{Request, Response};
use http_body_util::BodyExt;
use tower::{Layer, ServiceExt};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

async fn echo(req: Request<String>) -> Result<Response<ResponseBody>, BoxError> {
    Ok(Response::new(dhis2_layers::body::full_response_body(
        Bytes::from(req.into_body()),
    )))
}

/// One call through the trace layer, body read to the end.
fn call(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let svc = HttpTraceLayer::new().layer(tower::service_fn(echo));
        let resp = svc.oneshot(Request::new("hi".to_owned())).await.unwrap();
        resp.into_body().collect().await.unwrap();
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Counts the spans it is asked to open; listens at every level.
struct Counting(Arc<AtomicUsize>);

impl Subscriber for Counting {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.0.fetch_add(1, Ordering::SeqCst) as u64 + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Listens to nothing: installing and dropping it rebuilds the process-wide hint towards `OFF`.
struct Off;

impl Subscriber for Off {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::OFF)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn every_call_is_traced_while_other_threads_change_their_subscribers() {
    let spans = Arc::new(AtomicUsize::new(0));
    let _guard = tracing::subscriber::set_default(Counting(spans.clone()));
    let rt = runtime();

    // Phase 1: a thread with no subscriber calls first. Were it to enter tower-http's trace (as when the decision
    // came from the process-wide hint, which our subscriber raised), it would register tower-http's callsites
    // while ours is the only dispatcher, and tracing would cache them as "never" for every thread.
    let first_call_done = Arc::new(Barrier::new(2));
    let churn = Arc::new(Barrier::new(5));
    let stop = Arc::new(AtomicBool::new(false));
    let mut others = Vec::new();
    for i in 0..4 {
        let (first_call_done, churn, stop) = (first_call_done.clone(), churn.clone(), stop.clone());
        others.push(std::thread::spawn(move || {
            let rt = runtime();
            if i == 0 {
                call(&rt);
                first_call_done.wait();
            }
            // Phase 2: install and drop scoped subscribers, calling with and without one.
            churn.wait();
            while !stop.load(Ordering::Relaxed) {
                let guard = tracing::subscriber::set_default(Off);
                call(&rt);
                drop(guard);
                call(&rt);
            }
        }));
    }
    first_call_done.wait();
    call(&rt);
    assert_eq!(
        spans.load(Ordering::SeqCst),
        1,
        "the first call was not traced"
    );

    churn.wait();
    let calls = 1_000;
    for _ in 0..calls {
        call(&rt);
    }
    stop.store(true, Ordering::Relaxed);
    for t in others {
        t.join().unwrap();
    }
    // tower-http opens one span per call.
    assert_eq!(spans.load(Ordering::SeqCst), calls + 1);
}
