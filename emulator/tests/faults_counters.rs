//! Programmable faults (each kind) and the counters tests read.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dhis2_emulator::{Emulator, Fault, FaultPlan, RetryAfter, Seed};

#[tokio::test]
async fn status_sequence_then_normal_and_counters() {
    let emu = start("2.42.6").await;
    emu.faults().set("/api/me", FaultPlan::statuses([503, 502]));
    let r = get(&emu, "/api/me").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["httpStatus"], "Service Unavailable");
    assert_eq!(get(&emu, "/api/me").await.status, 502);
    assert_eq!(get(&emu, "/api/me").await.status, 200);
    assert_eq!(emu.counters().requests("/api/me"), 3);
    assert_eq!(emu.counters().requests("/api/system/info"), 0);
    assert_eq!(emu.counters().total_requests(), 3);
    assert_eq!(emu.counters().in_flight(), 0);
}

#[tokio::test]
async fn retry_after_seconds_and_date() {
    let emu = start("2.42.6").await;
    emu.faults().set(
        "/api/me",
        FaultPlan::sequence([
            Fault::StatusRetryAfter(429, RetryAfter::Seconds(7)),
            Fault::StatusRetryAfter(503, RetryAfter::DateIn(Duration::from_secs(30))),
        ]),
    );
    let r = get(&emu, "/api/me").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    let r = get(&emu, "/api/me").await;
    assert_eq!(r.status, 503);
    let date = httpdate::parse_http_date(r.header("retry-after").unwrap()).unwrap();
    let ahead = date
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    assert!(
        ahead > Duration::from_secs(20) && ahead <= Duration::from_secs(31),
        "{ahead:?}"
    );
}

#[tokio::test]
async fn delays_before_headers_and_mid_body() {
    let emu = start("2.42.6").await;
    emu.faults().set(
        "/api/me",
        FaultPlan::sequence([
            Fault::DelayHeaders(Duration::from_millis(200)),
            Fault::DelayBody(Duration::from_millis(200)),
        ]),
    );
    let t = Instant::now();
    let r = get(&emu, "/api/me").await;
    assert_eq!(r.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));
    let t = Instant::now();
    let r = get(&emu, "/api/me").await;
    assert_eq!(r.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        r.json()["username"],
        "admin",
        "body is complete after the pause"
    );
}

#[tokio::test]
async fn resets_before_and_during_body() {
    let emu = start("2.42.6").await;
    emu.faults().set(
        "/api/me",
        FaultPlan::sequence([Fault::ResetBeforeHeaders, Fault::ResetDuringBody]),
    );
    let auth = basic("admin", "district");
    let e = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert!(e.is_err(), "expected a transport error, got {e:?}");
    let e = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert!(e.is_err(), "expected a short body, got {e:?}");
    assert_eq!(get(&emu, "/api/me").await.status, 200);
}

#[tokio::test]
async fn body_faults() {
    let emu = start("2.42.6").await;
    emu.faults().set(
        "/api/system/info",
        FaultPlan::sequence([Fault::TruncatedJson, Fault::HtmlLoginPage, Fault::Empty200]),
    );
    let r = get(&emu, "/api/system/info").await;
    assert_eq!(r.status, 200);
    assert!(!r.body.is_empty());
    assert!(
        serde_json::from_slice::<serde_json::Value>(&r.body).is_err(),
        "truncated body parsed"
    );
    assert!(r.body.starts_with(b"{\"contextPath\""));
    let r = get(&emu, "/api/system/info").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("j_username"));
    let r = get(&emu, "/api/system/info").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn redirects_same_origin_and_other_host() {
    let emu = start("2.42.6").await;
    emu.faults().set(
        "/api/dataElements*",
        FaultPlan::sequence([
            Fault::Redirect {
                status: 302,
                location: "/api/indicators".into(),
            },
            Fault::Redirect {
                status: 307,
                location: "http://other.example:8080/api/dataElements".into(),
            },
        ]),
    );
    let r = get(&emu, "/api/dataElements?fields=id").await;
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/api/indicators", emu.url())
    );
    let r = get(&emu, "/api/dataElements/abcdefghijk").await;
    assert_eq!(r.status, 307);
    assert_eq!(
        r.header("location"),
        Some("http://other.example:8080/api/dataElements")
    );
    assert_eq!(get(&emu, "/api/dataElements").await.status, 200);
}

#[tokio::test]
async fn faults_from_spec_strings() {
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .fault("/api/me=500,pass,404")
        .start()
        .await
        .unwrap();
    assert_eq!(get(&emu, "/api/me").await.status, 500);
    assert_eq!(get(&emu, "/api/me").await.status, 200);
    assert_eq!(get(&emu, "/api/me").await.status, 404);
    assert_eq!(get(&emu, "/api/me").await.status, 200);
    assert!(Emulator::builder()
        .seed(Seed::Empty)
        .fault("nonsense")
        .start()
        .await
        .is_err());
    emu.faults().set_spec("/api/me=repeat:418").unwrap();
    assert_eq!(get(&emu, "/api/me").await.status, 418);
    assert_eq!(get(&emu, "/api/me").await.status, 418);
    emu.faults().clear("/api/me");
    assert_eq!(get(&emu, "/api/me").await.status, 200);
}

#[tokio::test]
async fn max_in_flight_counts_concurrent_requests() {
    let emu = start("2.42.6").await;
    emu.faults().set(
        "/api/me",
        FaultPlan::always(Fault::DelayHeaders(Duration::from_millis(300))),
    );
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = emu.url().to_string();
        tasks.push(tokio::spawn(async move {
            let auth = basic("admin", "district");
            raw(&url, "GET", "/api/me", &[("Authorization", &auth)], None)
                .await
                .unwrap()
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(emu.counters().max_in_flight(), 6);
    assert_eq!(emu.counters().in_flight(), 0);
    emu.counters().reset();
    assert_eq!(emu.counters().max_in_flight(), 0);
    assert_eq!(emu.counters().requests("/api/me"), 0);
}
