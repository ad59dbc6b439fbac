//! Composition: user layers, the client as a tower::Service, and from_service.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dhis2::{Dhis2Client, RequestBody, ResponseBody, RetryPolicy};
use http::{Request, Response};
use serde_json::json;
use support::{dhis2_like, Resp};
use tower::ServiceExt;

#[tokio::test]
async fn user_layer_sees_each_logical_request_once_above_retry() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let srv = dhis2_like("2.42.6", move |r| {
        let h = h.clone();
        async move {
            if r.path() != "/api/thing" {
                return Resp::empty(404);
            }
            let n = h.fetch_add(1, Ordering::SeqCst);
            assert_eq!(
                r.header("x-tenant"),
                Some("acme"),
                "header from the user layer"
            );
            if n == 0 {
                Resp::empty(503)
            } else {
                Resp::json(200, json!({"ok": true}))
            }
        }
    })
    .await;
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let layer = tower::layer::layer_fn(move |inner: dhis2::BoxService| {
        let s = s.clone();
        tower::util::MapRequest::new(inner, move |mut req: Request<RequestBody>| {
            s.fetch_add(1, Ordering::SeqCst);
            // Layers see absolute URIs (BaseUrl runs above them).
            assert!(req.uri().scheme().is_some());
            req.headers_mut()
                .insert("x-tenant", "acme".parse().unwrap());
            req
        })
    });
    let c = Dhis2Client::builder(&srv.url)
        .layer(layer)
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .connect()
        .await
        .unwrap();
    let before = seen.load(Ordering::SeqCst);
    c.get_raw("api/thing", &[]).await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst) - before, 1);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "retried below the user layer"
    );
}

#[tokio::test]
async fn client_is_a_tower_service() {
    let srv = dhis2_like("2.42.6", |r| async move {
        Resp::json(200, json!({"path": r.path()}))
    })
    .await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let req = Request::get("/api/anything")
        .body(RequestBody::empty())
        .unwrap();
    let resp = c.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], br#"{"path":"/api/anything"}"#);
    // The version tag is attached to responses.
    let req = Request::get("/api/anything")
        .body(RequestBody::empty())
        .unwrap();
    let resp = c.clone().oneshot(req).await.unwrap();
    assert_eq!(
        resp.extensions()
            .get::<dhis2::Dhis2Version>()
            .map(|v| v.major()),
        Some(42)
    );
}

#[tokio::test]
async fn from_service_wraps_a_user_stack() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let svc = tower::service_fn(move |req: Request<RequestBody>| {
        c2.fetch_add(1, Ordering::SeqCst);
        async move {
            let body = match req.uri().path() {
                "/base/api/system/info" => json!({"version": "2.41.2"}),
                p => json!({"uri": req.uri().to_string(), "path": p}),
            };
            let resp: Response<ResponseBody> = Response::builder()
                .header("content-type", "application/json")
                .body(dhis2::layers::body::full_response_body(Bytes::from(
                    body.to_string(),
                )))
                .unwrap();
            Ok::<_, dhis2::BoxError>(resp)
        }
    });
    let c = Dhis2Client::from_service(svc, "http://svc.example/base").unwrap();
    assert_eq!(c.state(), dhis2::ClientState::Connected);
    assert!(matches!(c.version_key(), Err(dhis2::Error::VersionUnknown)));
    let got = c.get_raw("api/me", &[("a", "b")]).await.unwrap();
    assert_eq!(got["uri"], "http://svc.example/base/api/me?a=b");
    c.connect().await.unwrap();
    assert_eq!(c.version_key().unwrap(), dhis2::VersionKey::V41);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // After connect the probe sits on top of the user's stack: responses carry the version, and the primed
    // probe sends no request of its own.
    let resp = c.get_response("api/me", &[], &[]).await.unwrap();
    assert_eq!(
        resp.extensions()
            .get::<dhis2::Dhis2Version>()
            .map(|v| v.major()),
        Some(41)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn connect_applies_a_user_layer_once() {
    #[derive(Clone)]
    struct Counting(Arc<AtomicUsize>);
    impl<S> tower::Layer<S> for Counting {
        type Service = S;
        fn layer(&self, inner: S) -> S {
            self.0.fetch_add(1, Ordering::SeqCst);
            inner
        }
    }
    let emu = dhis2_emulator::Emulator::builder().start().await.unwrap();
    let applied = Arc::new(AtomicUsize::new(0));
    let c = Dhis2Client::builder(emu.url())
        .auth(dhis2::BasicAuth::new("admin", "district"))
        .layer(Counting(applied.clone()))
        .connect()
        .await
        .unwrap();
    assert_eq!(applied.load(Ordering::SeqCst), 1);
    c.get_raw("api/me", &[]).await.unwrap();
    c.connect().await.unwrap();
    assert_eq!(applied.load(Ordering::SeqCst), 2, "once per connect");
}
