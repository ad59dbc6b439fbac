//! Push a data value set as an async import job, follow the job with a progress bar, print the summary.
//!
//! With `DHIS2_URL` set (plus `DHIS2_PAT`, or `DHIS2_USERNAME`/`DHIS2_PASSWORD`) it talks to that server;
//! otherwise it starts the embedded `dhis2-emulator` and logs in as admin/district.
//!
//! ```sh
//! cargo run --example push_data_values
//! ```

use std::time::Duration;

use dhis2::accessors::data_values::ImportOptions;
use dhis2::accessors::tasks::WaitOptions;
use dhis2::models::{DataValue, DataValueSet, ImportSummary};
use dhis2::{BasicAuth, Dhis2Client, Profile};
use indicatif::{ProgressBar, ProgressStyle};

// `pub` so that the test suite can run it (tests/examples_run.rs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _emulator = None;
    let builder = if std::env::var_os("DHIS2_URL").is_some() {
        Profile::from_env()?.builder()
    } else {
        let emulator = dhis2_emulator::Emulator::builder()
            .version("2.42.6")
            .start()
            .await?;
        println!(
            "no DHIS2_URL: using the embedded emulator at {}",
            emulator.url()
        );
        let builder =
            Dhis2Client::builder(emulator.url()).auth(BasicAuth::new("admin", "district"));
        _emulator = Some(emulator);
        builder
    };
    let client = builder.connect().await?;

    // Pick a monthly data set, its data elements and an org unit it is assigned to.
    let sets = client
        .get_raw(
            "api/dataSets",
            &[
                ("fields", "id,name,periodType,dataSetElements[dataElement[id,valueType]],organisationUnits[id]"),
                ("filter", "periodType:eq:Monthly"),
                ("pageSize", "1"),
            ],
        )
        .await?;
    let ds = sets["dataSets"]
        .get(0)
        .ok_or("the server has no monthly data set")?;
    let ou = ds["organisationUnits"][0]["id"]
        .as_str()
        .ok_or("the data set has no org unit")?;
    let values: Vec<DataValue> = ds["dataSetElements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            matches!(
                e["dataElement"]["valueType"].as_str(),
                Some("NUMBER" | "INTEGER" | "INTEGER_POSITIVE")
            )
        })
        .filter_map(|e| e["dataElement"]["id"].as_str())
        .enumerate()
        .map(|(i, de)| DataValue::new(de, "202401", ou, (10 + i).to_string()))
        .collect();
    println!(
        "pushing {} values to data set {} ({})",
        values.len(),
        ds["name"],
        ds["id"]
    );
    let set = DataValueSet::new(values).with_data_set(ds["id"].as_str().unwrap_or_default());

    // Start the job, then wait for it with a spinner that shows each notification.
    let job = client
        .data_values()
        .import_async(&set, &ImportOptions::new())
        .await?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")?);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar.set_message(format!("job {job} started"));
    let progress = bar.clone();
    let wait = WaitOptions::new()
        .interval(Duration::from_millis(250))
        .timeout(Duration::from_secs(300))
        .on_notification(move |n| {
            progress.set_message(n.message.as_str().unwrap_or("").to_owned())
        });
    let outcome = client.tasks().wait(&job, wait).await?;
    bar.finish_with_message(format!("job {} finished in {:?}", job, outcome.elapsed));

    let summary: ImportSummary = client
        .tasks()
        .summary(&job)
        .await?
        .ok_or("the job left no summary")?;
    let count = summary.import_count.value().cloned().unwrap_or_default();
    println!(
        "status {:?}: imported {}, updated {}, ignored {}, conflicts {}",
        summary.status.value(),
        count.imported.get().unwrap_or(0),
        count.updated.get().unwrap_or(0),
        count.ignored.get().unwrap_or(0),
        summary.conflicts().len()
    );
    for c in summary.conflicts() {
        println!(
            "  conflict at {:?}: {}",
            c.indexes.value(),
            c.value.as_str().unwrap_or("")
        );
    }
    client.close().await;
    Ok(())
}
