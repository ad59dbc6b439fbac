//! Async jobs over HTTP: the JobConfiguration envelope, polling `/api/system/tasks` to completion, summaries, and
//! the emulator-only hooks for failing and never-finishing jobs (with 2.44's clearing of stale notifications).

mod data_support;

use std::time::Duration;

use data_support::*;
use serde_json::{json, Value};

fn new_element(name: &str) -> String {
    json!({"dataElements": [{"name": name, "shortName": name, "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}]})
        .to_string()
}

fn job_of(v: &Value) -> (String, String) {
    let resp = &v["response"];
    (
        resp["jobType"].as_str().unwrap().to_string(),
        resp["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn metadata_import_job_completes_with_a_summary() {
    let (_emu, base) = start("2.42.6").await;
    let r = post(
        &base,
        "/api/metadata?async=true",
        &new_element("Async element"),
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["status"], "OK");
    assert_eq!(v["message"], "Initiated METADATA_IMPORT");
    let resp = &v["response"];
    assert_eq!(resp["responseType"], "JobConfiguration");
    assert_eq!(resp["jobType"], "METADATA_IMPORT");
    assert_eq!(resp["jobStatus"], "SCHEDULED");
    let (ty, id) = job_of(&v);
    assert_eq!(
        resp["relativeNotifierEndpoint"],
        format!("/api/system/tasks/METADATA_IMPORT/{id}")
    );
    assert!(r
        .header("location")
        .unwrap()
        .ends_with("/api/system/tasks/METADATA_IMPORT"));

    // Before completion the summary is an empty 200.
    let early = get(&base, &format!("/api/system/taskSummaries/{ty}/{id}")).await;
    assert_eq!(early.status, 200);
    assert!(early.body.is_empty());

    let notes = poll_until_completed(&base, &ty, &id).await;
    let newest = &notes[0];
    assert_eq!(newest["level"], "INFO");
    assert_eq!(newest["category"], "METADATA_IMPORT");
    assert_eq!(newest["dataType"], "PARAMETERS");
    assert_eq!(newest["data"]["importStrategy"], "CREATE_AND_UPDATE");
    assert!(newest["message"]
        .as_str()
        .unwrap()
        .starts_with("Import complete with status OK, 1 created"));
    assert!(
        notes.as_array().unwrap().len() >= 2,
        "newest first, older ones kept"
    );
    assert_eq!(
        notes.as_array().unwrap().last().unwrap()["completed"],
        false
    );

    let summary = get(&base, &format!("/api/system/taskSummaries/{ty}/{id}")).await;
    assert_eq!(summary.header("cache-control"), Some("no-store"));
    let s = summary.json();
    assert!(
        s.get("responseType").is_none(),
        "the summary is the bare ImportReport"
    );
    assert_eq!(s["status"], "OK");
    assert_eq!(s["stats"]["created"], 1);

    let by_type = get(&base, "/api/system/tasks/METADATA_IMPORT").await.json();
    assert!(by_type[&id].is_array());
    let all = get(&base, "/api/system/tasks").await.json();
    assert!(all["METADATA_IMPORT"][&id].is_array());
    // The element really exists.
    let list = get(&base, "/api/dataElements?paging=false&fields=id,name")
        .await
        .json();
    assert!(list["dataElements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "Async element"));
}

#[tokio::test]
async fn data_value_import_job_reports_the_import_summary() {
    let (_emu, base) = start("2.40.2.1").await;
    let (_, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let body = json!({"dataValues": [{"dataElement": referred, "period": "202507", "orgUnit": ous[0], "value": "3"}]}).to_string();
    let v = post(&base, "/api/dataValueSets?async=true", &body)
        .await
        .json();
    let (ty, id) = job_of(&v);
    assert_eq!(ty, "DATAVALUE_IMPORT");
    poll_until_completed(&base, &ty, &id).await;
    let s = get(&base, &format!("/api/system/taskSummaries/{ty}/{id}"))
        .await
        .json();
    assert_eq!(s["responseType"], "ImportSummary");
    assert_eq!(s["importCount"]["imported"], 1);
}

#[tokio::test]
async fn failing_job_reports_an_error_notification() {
    let (_emu, base) = start("2.42.6").await;
    let v = post(
        &base,
        "/api/metadata?async=true&emulatorJobOutcome=fail",
        &new_element("Doomed"),
    )
    .await
    .json();
    let (ty, id) = job_of(&v);
    let notes = poll_until_completed(&base, &ty, &id).await;
    assert_eq!(notes[0]["level"], "ERROR");
    assert!(
        notes.as_array().unwrap().len() >= 2,
        "pre-2.44 keeps the history"
    );
    let s = get(&base, &format!("/api/system/taskSummaries/{ty}/{id}")).await;
    assert!(s.body.is_empty());
    let list = get(&base, "/api/dataElements?paging=false&fields=id,name")
        .await
        .json();
    assert!(!list["dataElements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "Doomed"));
}

#[tokio::test]
async fn failed_job_notifications_are_cleared_on_2_44() {
    let (_emu, base) = start("2.44-SNAPSHOT").await;
    let v = post(
        &base,
        "/api/metadata?async=true&emulatorJobOutcome=fail",
        &new_element("Doomed"),
    )
    .await
    .json();
    let (ty, id) = job_of(&v);
    let notes = poll_until_completed(&base, &ty, &id).await;
    let notes = notes.as_array().unwrap();
    assert_eq!(notes.len(), 1, "stale notifications are cleared: {notes:?}");
    assert_eq!(notes[0]["level"], "ERROR");
    assert_eq!(notes[0]["completed"], true);
}

#[tokio::test]
async fn hanging_job_never_completes_and_can_be_cancelled() {
    let (_emu, base) = start("2.42.6").await;
    let v = post(
        &base,
        "/api/metadata?async=true&emulatorJobOutcome=hang",
        &new_element("Stuck"),
    )
    .await
    .json();
    let (ty, id) = job_of(&v);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let notes = get(&base, &format!("/api/system/tasks/{ty}/{id}"))
        .await
        .json();
    assert_eq!(notes[0]["completed"], false);
    assert_eq!(notes[0]["message"], "Import process started");
    assert_eq!(
        delete(&base, &format!("/api/system/tasks/{ty}/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        get(&base, "/api/system/tasks/METADATA_IMPORT/abcdefghijk")
            .await
            .json(),
        json!([])
    );
}

#[tokio::test]
async fn versioned_requests_keep_the_api_version_in_the_location_before_2_43() {
    let (_emu, base) = start("2.41.3").await;
    let r = post(
        &base,
        "/api/40/metadata?async=true",
        &new_element("Versioned"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("location")
            .unwrap()
            .ends_with("/api/40/system/tasks/METADATA_IMPORT"),
        "{:?}",
        r.header("location")
    );
    let (ty, id) = job_of(&r.json());
    poll_until_completed(&base, &ty, &id).await;
}

#[tokio::test]
async fn emulator_hooks_fail_or_hang_the_next_job() {
    let (emu, base) = start("2.43.1").await;
    emu.fail_next_job();
    let v = post(&base, "/api/metadata?async=true", &new_element("Hooked"))
        .await
        .json();
    let (ty, id) = job_of(&v);
    let notes = poll_until_completed(&base, &ty, &id).await;
    assert_eq!(notes[0]["level"], "ERROR");

    emu.hang_next_job();
    let v = post(
        &base,
        "/api/metadata?async=true",
        &new_element("Hooked again"),
    )
    .await
    .json();
    let (ty, id) = job_of(&v);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        get(&base, &format!("/api/system/tasks/{ty}/{id}"))
            .await
            .json()[0]["completed"],
        false
    );

    // The hook applies once: the following job completes.
    let v = post(
        &base,
        "/api/metadata?async=true",
        &new_element("Hooked finally"),
    )
    .await
    .json();
    let (ty, id) = job_of(&v);
    let notes = poll_until_completed(&base, &ty, &id).await;
    assert_eq!(notes[0]["level"], "INFO");
}
