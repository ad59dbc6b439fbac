//! Tracker import: async by default (job + report), sync mode with the bare report, and validation errors.

mod support;

use dhis2::models::{TrackedEntity, TrackerImportStatus};
use dhis2::Error;
use serde_json::json;
use support::emulator::fast_wait;

async fn an_org_unit(client: &dhis2::Dhis2Client) -> String {
    let page = client
        .tracker()
        .tracked_entities()
        .page_size(1)
        .page(1)
        .await
        .unwrap();
    page.items[0].org_unit.as_str().unwrap().to_string()
}

fn person(uid: &str, ou: &str) -> serde_json::Value {
    json!({"trackedEntity": uid, "trackedEntityType": "nEenWmSyUEp", "orgUnit": ou,
           "attributes": [{"attribute": "w75KJ2mc4zz", "value": "Ada"}],
           "enrollments": [{"program": "IpHINAT79UW", "orgUnit": ou, "enrolledAt": "2024-01-01",
                            "events": [{"programStage": "A03MvHHogjR", "orgUnit": ou, "occurredAt": "2024-01-02",
                                        "dataValues": [{"dataElement": "a3kGcGDCuk6", "value": "9"}]}]}]})
}

/// An emulator of `version`, a client, and a payload of one person (`uid`) in an org unit of the seed.
async fn one_person(
    version: &str,
    uid: &str,
) -> (
    dhis2_emulator::Emulator,
    dhis2::Dhis2Client,
    serde_json::Value,
) {
    let (emu, client) = support::emulator::start(version).await;
    let ou = an_org_unit(&client).await;
    (emu, client, json!({"trackedEntities": [person(uid, &ou)]}))
}

#[tokio::test]
async fn async_import_waits_for_the_job_and_returns_the_report() {
    let (_emu, client, payload) = one_person("2.42.6", "Bbbbbbbbbb1").await;
    let report = client
        .tracker()
        .import(&payload)
        .unwrap()
        .report_mode("FULL")
        .wait_options(fast_wait())
        .send()
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.stats.created, 3);
    assert!(
        report.bundle_report.value().is_some(),
        "FULL report mode keeps the bundle report"
    );
    let te: TrackedEntity = client
        .tracker()
        .get("Bbbbbbbbbb1", Some("*"))
        .await
        .unwrap();
    assert_eq!(te.enrollments.value().map(Vec::len), Some(1));
}

#[tokio::test]
async fn sync_import_returns_the_bare_report() {
    let (_emu, client, payload) = one_person("2.40.2.1", "Cccccccccc1").await;
    let report = client
        .tracker()
        .import(&payload)
        .unwrap()
        .sync()
        .send()
        .await
        .unwrap();
    assert_eq!(report.status.value(), Some(&TrackerImportStatus::Ok));
    assert_eq!(report.stats.total, 3);
    // Importing the same objects again with CREATE conflicts.
    let again = client
        .tracker()
        .import(&payload)
        .unwrap()
        .sync()
        .import_strategy("CREATE")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status.value(), Some(&TrackerImportStatus::Error));
    assert!(
        again
            .errors()
            .iter()
            .any(|e| e.error_code.as_str() == Some("E1030")),
        "{again:?}"
    );
}

#[tokio::test]
async fn validation_errors_reject_everything_in_atomic_mode() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let ou = an_org_unit(&client).await;
    let payload = json!({"trackedEntities": [
        {"trackedEntity": "Dddddddddd1", "trackedEntityType": "nEenWmSyUEp", "orgUnit": ou},
        {"trackedEntity": "Dddddddddd2", "orgUnit": "Nowhere0000"}]});
    let report = client
        .tracker()
        .import(&payload)
        .unwrap()
        .wait_options(fast_wait())
        .send()
        .await
        .unwrap();
    assert!(!report.is_ok());
    let codes: Vec<_> = report
        .errors()
        .iter()
        .filter_map(|e| e.error_code.as_str())
        .collect();
    assert!(
        codes.contains(&"E1121") && codes.contains(&"E1049"),
        "{codes:?}"
    );
    assert_eq!(report.errors()[0].uid.as_str(), Some("Dddddddddd2"));
    assert_eq!(report.stats.ignored, 2);
    let missing = client
        .tracker()
        .get::<TrackedEntity>("Dddddddddd1", None)
        .await
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    // Per-object mode keeps the valid one.
    let report = client
        .tracker()
        .import(&payload)
        .unwrap()
        .atomic_mode("OBJECT")
        .sync()
        .send()
        .await
        .unwrap();
    assert_eq!(report.stats.created, 1);
}

#[tokio::test]
async fn a_started_tracker_job_can_be_followed_through_system_tasks() {
    let (_emu, client, payload) = one_person("2.41.4", "Hhhhhhhhhh1").await;
    let job = client
        .tracker()
        .import(&payload)
        .unwrap()
        .start()
        .await
        .unwrap();
    assert_eq!(
        job.notifications_path(),
        format!("api/tracker/jobs/{}", job.id())
    );
    let generic = dhis2::accessors::tasks::JobRef::new("TRACKER_IMPORT_JOB", job.id()).unwrap();
    let outcome = client.tasks().wait(&generic, fast_wait()).await.unwrap();
    assert!(
        outcome.last_message().is_some_and(|m| m.contains("OK")),
        "{outcome:?}"
    );
    let report: dhis2::models::TrackerImportReport =
        client.tasks().summary(&generic).await.unwrap().unwrap();
    assert_eq!(report.stats.created, 3);
}

#[tokio::test]
async fn a_failed_tracker_job_is_an_error() {
    let (_emu, client, payload) = one_person("2.42.6", "Eeeeeeeeee1").await;
    let err = client
        .tracker()
        .import(&payload)
        .unwrap()
        .param("emulatorJobOutcome", "fail")
        .wait_options(fast_wait())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::JobFailed { job_type, .. } if job_type == "TRACKER_IMPORT_JOB"),
        "{err}"
    );
}
