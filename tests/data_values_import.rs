//! Data value import against the emulator: conflicts with row indexes on both sides of the 2.43 status change,
//! async imports through the job registry, and the single-value API.

mod support;

use dhis2::accessors::data_values::{ExportQuery, ImportOptions, ValueKey};
use dhis2::models::{DataValue, DataValueSet, ImportStatus};
use dhis2::Error;
use support::emulator::fast_wait;

fn payload(t: &support::emulator::Target, values: [&str; 3]) -> DataValueSet {
    DataValueSet::new(vec![
        DataValue::new(&t.data_element, "202401", &t.org_unit, values[0]),
        DataValue::new(&t.second_element, "202401", &t.org_unit, values[1]),
        DataValue::new(&t.data_element, "202402", &t.org_unit, values[2]),
    ])
    .with_data_set(&t.data_set)
}

async fn conflicts_are_a_summary_not_an_error(version: &str) {
    let (_emu, client) = support::emulator::start(version).await;
    let t = support::emulator::target(&client).await;
    // The middle value is not a number: one conflict at index 1, the other two stored.
    let summary = client
        .data_values()
        .import(
            &payload(&t, ["11", "not a number", "13"]),
            &ImportOptions::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{version}: a WARNING summary is an answer, not an error: {e}"));
    assert_eq!(
        summary.status.value(),
        Some(&ImportStatus::Warning),
        "{version}: {summary:?}"
    );
    assert_eq!(summary.conflicts().len(), 1, "{version}: {summary:?}");
    let conflict = &summary.conflicts()[0];
    assert_eq!(
        conflict.indexes.value(),
        Some(&vec![1]),
        "{version}: {conflict:?}"
    );
    assert!(
        conflict
            .error_code
            .as_str()
            .is_some_and(|c| c.starts_with('E')),
        "{conflict:?}"
    );
    assert_eq!(summary.conflicts_for_index(1).len(), 1);
    assert!(summary.conflicts_for_index(0).is_empty());
    let count = summary.import_count.value().expect("importCount");
    assert_eq!(count.ignored.get(), Some(1));
    let stored = count.imported.get().unwrap_or(0) + count.updated.get().unwrap_or(0);
    assert_eq!(stored, 2, "{version}: {count:?}");

    // The stored values come back in an export.
    let set = client
        .data_values()
        .export(
            &ExportQuery::new()
                .data_set(&t.data_set)
                .period("202402")
                .org_unit(&t.org_unit),
        )
        .await
        .unwrap();
    assert!(set
        .data_values
        .iter()
        .any(|v| v.data_element.as_str() == Some(t.data_element.as_str())
            && v.value.as_str() == Some("13")));
}

#[tokio::test]
async fn conflicts_on_2_42_answer_409_but_return_the_summary() {
    conflicts_are_a_summary_not_an_error("2.42.6").await;
}

#[tokio::test]
async fn conflicts_on_2_43_answer_200_and_return_the_summary() {
    conflicts_are_a_summary_not_an_error("2.43.2").await;
}

#[tokio::test]
async fn clean_import_succeeds_and_dry_run_stores_nothing() {
    let (_emu, client) = support::emulator::start("2.41.4").await;
    let t = support::emulator::target(&client).await;
    let dry = client
        .data_values()
        .import(
            &payload(&t, ["901", "902", "903"]),
            &ImportOptions::new().dry_run(true),
        )
        .await
        .unwrap();
    assert_eq!(dry.status.value(), Some(&ImportStatus::Success));
    let key = ValueKey::new(&t.second_element, "202401", &t.org_unit);
    assert_ne!(
        client.data_values().get(&key).await.unwrap().as_deref(),
        Some("902")
    );
    // The same payload as raw JSON bytes (e.g. read from a file) imports the same way.
    let raw = serde_json::to_vec(&payload(&t, ["901", "902", "903"])).unwrap();
    let again = client
        .data_values()
        .import_json(raw, &ImportOptions::new().dry_run(true))
        .await
        .unwrap();
    assert_eq!(again.status.value(), Some(&ImportStatus::Success));
    let real = client
        .data_values()
        .import(&payload(&t, ["901", "902", "903"]), &ImportOptions::new())
        .await
        .unwrap();
    assert_eq!(real.status.value(), Some(&ImportStatus::Success));
    assert!(real.conflicts().is_empty());
    assert_eq!(
        client.data_values().get(&key).await.unwrap().as_deref(),
        Some("902")
    );
}

#[tokio::test]
async fn set_level_rejection_on_2_43_is_an_error() {
    let (_emu, client) = support::emulator::start("2.43.2").await;
    let t = support::emulator::target(&client).await;
    let bad = DataValueSet::new(vec![DataValue::new(
        &t.data_element,
        "202401",
        &t.org_unit,
        "1",
    )])
    .with_data_set("Xx1234567890");
    let err = client
        .data_values()
        .import(&bad, &ImportOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    assert!(err.to_string().contains("/api/dataValueSets"), "{err}");
}

#[tokio::test]
async fn async_import_waits_for_the_job_and_reads_its_summary() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let t = support::emulator::target(&client).await;
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    let wait = fast_wait().on_notification(move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let summary = client
        .data_values()
        .import_and_wait(&payload(&t, ["21", "x", "23"]), &ImportOptions::new(), wait)
        .await
        .unwrap();
    assert_eq!(summary.conflicts().len(), 1);
    assert_eq!(summary.conflicts()[0].indexes.value(), Some(&vec![1]));
    assert!(
        seen.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the progress callback saw notifications"
    );
}

#[tokio::test]
async fn single_values_are_set_read_and_deleted() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let t = support::emulator::target(&client).await;
    let key = ValueKey::new(&t.data_element, "202303", &t.org_unit);
    client
        .data_values()
        .set(&key, "77", Some("from a test"))
        .await
        .unwrap();
    assert_eq!(
        client.data_values().get(&key).await.unwrap().as_deref(),
        Some("77")
    );
    client.data_values().delete(&key).await.unwrap();
    assert_eq!(client.data_values().get(&key).await.unwrap(), None);
    let unknown = ValueKey::new("Xx1234567890", "202303", &t.org_unit);
    let err = client
        .data_values()
        .set(&unknown, "1", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err}");
}
