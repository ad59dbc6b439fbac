//! Waiting for async jobs: completion, failure (including 2.44, which clears a failed job's notifications),
//! a job that never finishes (timeout naming the job), and the notification stream.

mod support;

use std::time::Duration;

use dhis2::accessors::data_values::ImportOptions;
use dhis2::accessors::tasks::{JobRef, WaitOptions};
use dhis2::models::{DataValue, DataValueSet, ImportSummary};
use dhis2::Error;
use futures_util::StreamExt;

fn wait(timeout_ms: u64) -> WaitOptions {
    support::emulator::fast_wait().timeout(Duration::from_millis(timeout_ms))
}

async fn start_job(
    version: &str,
    outcome: Option<&str>,
) -> (dhis2_emulator::Emulator, dhis2::Dhis2Client, JobRef) {
    let (emu, client) = support::emulator::start(version).await;
    let t = support::emulator::target(&client).await;
    let set = DataValueSet::new(vec![DataValue::new(
        &t.data_element,
        "202401",
        &t.org_unit,
        "5",
    )])
    .with_data_set(&t.data_set);
    let mut options = ImportOptions::new();
    if let Some(o) = outcome {
        // Emulator-only hook that makes the job fail or hang.
        options = options.param("emulatorJobOutcome", o);
    }
    let job = client
        .data_values()
        .import_async(&set, &options)
        .await
        .unwrap();
    assert_eq!(job.job_type(), "DATAVALUE_IMPORT");
    assert_eq!(job.id().len(), 11);
    (emu, client, job)
}

#[tokio::test]
async fn a_completed_job_has_notifications_and_a_summary() {
    let (_emu, client, job) = start_job("2.42.6", None).await;
    let outcome = client.tasks().wait(&job, wait(10_000)).await.unwrap();
    assert!(outcome
        .notifications
        .last()
        .is_some_and(|n| n.is_completed()));
    assert!(outcome.last_message().is_some());
    let summary: ImportSummary = client
        .tasks()
        .summary(&job)
        .await
        .unwrap()
        .expect("a summary");
    assert!(summary.import_count.value().is_some());
}

async fn failing_job_is_detected(version: &str) {
    let (_emu, client, job) = start_job(version, Some("fail")).await;
    let err = client.tasks().wait(&job, wait(10_000)).await.unwrap_err();
    match &err {
        Error::JobFailed {
            job_type,
            job_id,
            message,
        } => {
            assert_eq!(job_type, "DATAVALUE_IMPORT");
            assert_eq!(job_id, job.id());
            assert!(!message.is_empty());
        }
        other => panic!("{version}: expected JobFailed, got {other}"),
    }
    assert!(err.to_string().contains(job.id()), "{err}");
    // No summary for a failed job: the server answers 200 with an empty body.
    assert!(client
        .tasks()
        .summary::<ImportSummary>(&job)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_failed_job_is_an_error_on_2_42() {
    failing_job_is_detected("2.42.6").await;
}

#[tokio::test]
async fn a_failed_job_is_an_error_on_2_44_even_with_cleared_notifications() {
    failing_job_is_detected("2.44-SNAPSHOT").await;
}

#[tokio::test]
async fn a_job_that_never_finishes_times_out_naming_the_job() {
    let (_emu, client, job) = start_job("2.42.6", Some("hang")).await;
    let started = std::time::Instant::now();
    let err = client.tasks().wait(&job, wait(300)).await.unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        Error::JobTimeout {
            job_type,
            job_id,
            waited,
            ..
        } => {
            assert_eq!(job_type, "DATAVALUE_IMPORT");
            assert_eq!(job_id, job.id());
            assert!(*waited >= Duration::from_millis(300), "{waited:?}");
        }
        other => panic!("expected JobTimeout, got {other}"),
    }
    assert!(
        elapsed < Duration::from_secs(3),
        "the wait stops at its timeout: {elapsed:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(job.id()) && text.contains("DATAVALUE_IMPORT") && text.contains("ms"),
        "{text}"
    );
}

#[tokio::test]
async fn watch_streams_each_notification_once_and_ends() {
    let (_emu, client, job) = start_job("2.43.2", None).await;
    let items: Vec<_> = client.tasks().watch(&job, wait(10_000)).collect().await;
    assert!(items.len() >= 2, "start and completion: {items:?}");
    let notes: Vec<_> = items.into_iter().map(Result::unwrap).collect();
    assert!(notes.last().unwrap().is_completed());
    assert!(notes[..notes.len() - 1].iter().all(|n| !n.is_completed()));
    let mut ids: Vec<_> = notes
        .iter()
        .map(|n| n.uid.as_str().unwrap().to_string())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), notes.len());
}

#[tokio::test]
async fn watch_ends_with_the_failure() {
    let (_emu, client, job) = start_job("2.44-SNAPSHOT", Some("fail")).await;
    let items: Vec<_> = client.tasks().watch(&job, wait(10_000)).collect().await;
    assert!(
        matches!(items.last(), Some(Err(Error::JobFailed { .. }))),
        "{items:?}"
    );
}
