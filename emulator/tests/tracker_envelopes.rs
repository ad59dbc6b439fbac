//! Tracker lists and imports on the wire: each version's envelope (WIRE.md 4.3) and the async/sync import
//! answers (WIRE.md 9.3).

mod common;

use common::*;
use serde_json::Value;

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn list_envelopes_per_version() {
    let emu = start("2.40.2.1").await;
    let v = get_json(&emu, "/api/tracker/trackedEntities?pageSize=2").await;
    assert_eq!(keys(&v), ["page", "pageSize", "instances"]);
    let v = get_json(
        &emu,
        "/api/tracker/events?pageSize=2&page=2&totalPages=true",
    )
    .await;
    assert_eq!(
        keys(&v),
        [
            "page",
            "pageSize",
            "total",
            "pageCount",
            "prevPage",
            "nextPage",
            "instances"
        ]
    );

    let emu = start("2.41.4").await;
    let v = get_json(&emu, "/api/tracker/enrollments?pageSize=3&totalPages=true").await;
    assert_eq!(
        keys(&v),
        [
            "enrollments",
            "pager",
            "page",
            "pageSize",
            "total",
            "pageCount"
        ]
    );
    assert_eq!(
        keys(&v["pager"]),
        ["page", "pageSize", "total", "pageCount"]
    );

    let emu = start("2.42.6").await;
    let v = get_json(
        &emu,
        "/api/tracker/trackedEntities?pageSize=2&orgUnitMode=ALL",
    )
    .await;
    assert_eq!(keys(&v), ["pager", "trackedEntities"]);
    let next = v["pager"]["nextPage"].as_str().unwrap();
    assert!(
        next.starts_with(emu.url()) && next.contains("orgUnitMode=ALL") && next.ends_with("page=2"),
        "{next}"
    );
    let te = &v["trackedEntities"][0];
    assert_eq!(
        te["createdBy"]["uid"], "M5zQapPyTZI",
        "tracker user references use uid"
    );
    assert_eq!(te["createdAt"].as_str().unwrap().len(), 23);
    let unpaged = get_json(
        &emu,
        "/api/tracker/relationships?trackedEntity=x&paging=false",
    )
    .await;
    assert_eq!(keys(&unpaged), ["relationships"]);
}

#[tokio::test]
async fn bad_parameters_and_unknown_objects() {
    let emu = start("2.42.6").await;
    let r = get(&emu, "/api/tracker/relationships").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["httpStatus"], "Bad Request");
    let r = get(&emu, "/api/tracker/events?page=abc").await;
    assert_eq!(r.status, 400);
    let r = get(&emu, "/api/tracker/events/Aaaaaaaaaaa").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["message"],
        "Event with id Aaaaaaaaaaa could not be found."
    );
}

#[tokio::test]
async fn async_import_answers_a_tracker_job_and_serves_its_report() {
    let emu = start("2.42.6").await;
    let ou = get_json(&emu, "/api/tracker/trackedEntities?pageSize=1").await["trackedEntities"][0]
        ["orgUnit"]
        .clone();
    let body = serde_json::json!({"trackedEntities": [{"trackedEntity": "Ffffffffff1", "trackedEntityType": "nEenWmSyUEp", "orgUnit": ou}]});
    let r = call(&emu, "POST", "/api/tracker", Some(&body.to_string())).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["message"], "Tracker job added");
    assert_eq!(
        v["response"]["responseType"], "TrackerJob",
        "2.42.5+ strips the suffix again"
    );
    let id = v["response"]["id"].as_str().unwrap().to_string();
    assert!(r
        .header("location")
        .unwrap()
        .ends_with(&format!("/api/tracker/jobs/{id}")));
    let mut done = false;
    for _ in 0..100 {
        let notes = get_json(&emu, &format!("/api/tracker/jobs/{id}")).await;
        if notes
            .as_array()
            .unwrap()
            .first()
            .is_some_and(|n| n["completed"] == true)
        {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(done, "the job completes");
    let report = get_json(&emu, &format!("/api/tracker/jobs/{id}/report")).await;
    assert_eq!(report["status"], "OK");
    assert_eq!(report["stats"]["created"], 1);
    assert!(
        report.get("bundleReport").is_none(),
        "reportMode defaults to ERRORS"
    );
    let full = get_json(
        &emu,
        &format!("/api/tracker/jobs/{id}/report?reportMode=FULL"),
    )
    .await;
    assert_eq!(
        full["bundleReport"]["typeReportMap"]["TRACKED_ENTITY"]["stats"]["created"],
        1
    );
}

#[tokio::test]
async fn sync_import_answers_the_bare_report_with_409_on_error() {
    let emu = start("2.41.4").await;
    let body = serde_json::json!({"trackedEntities": [{"trackedEntity": "Gggggggggg1", "orgUnit": "Nowhere0000"}]});
    let r = call(
        &emu,
        "POST",
        "/api/tracker?async=false",
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert!(
        v.get("httpStatus").is_none(),
        "a bare report, not a WebMessage"
    );
    assert_eq!(v["status"], "ERROR");
    assert_eq!(keys(&v), ["status", "validationReport", "stats"]);
}
