//! Stream a data value export straight to a file with a progress bar (constant memory whatever the size).
//!
//! With `DHIS2_URL` set it exports from that server (set `DHIS2_DATA_SET`, `DHIS2_ORG_UNIT` and optionally
//! `DHIS2_PERIOD`); otherwise it starts the embedded emulator with 200,000 synthetic values and exports them.
//!
//! ```sh
//! cargo run --example export_to_file -- /tmp/values.json
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use dhis2::accessors::data_values::ExportQuery;
use dhis2::accessors::progress::Progress;
use dhis2::{BasicAuth, Dhis2Client, Profile};
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("dhis2-data-values.json"));
    export(&out).await?;
    Ok(())
}

/// Exports to `out` and returns the bytes written. `pub` so that the test suite can run it
/// (tests/examples_run.rs).
pub async fn export(out: &Path) -> Result<u64, Box<dyn std::error::Error>> {
    let mut _emulator = None;
    let (builder, data_set, org_unit) = if std::env::var_os("DHIS2_URL").is_some() {
        let ds = std::env::var("DHIS2_DATA_SET").map_err(|_| "set DHIS2_DATA_SET")?;
        let ou = std::env::var("DHIS2_ORG_UNIT").map_err(|_| "set DHIS2_ORG_UNIT")?;
        (Profile::from_env()?.builder(), Some(ds), Some(ou))
    } else {
        let emulator = dhis2_emulator::Emulator::builder()
            .version("2.42.6")
            .synthetic_data_values(200_000)
            .start()
            .await?;
        println!(
            "no DHIS2_URL: using the embedded emulator at {}",
            emulator.url()
        );
        let builder =
            Dhis2Client::builder(emulator.url()).auth(BasicAuth::new("admin", "district"));
        _emulator = Some(emulator);
        (builder, None, None)
    };
    let client = builder.connect().await?;
    let data_set = match data_set {
        Some(ds) => ds,
        None => {
            let sets = client
                .get_raw(
                    "api/dataSets",
                    &[
                        ("fields", "id"),
                        ("filter", "periodType:eq:Monthly"),
                        ("pageSize", "1"),
                    ],
                )
                .await?;
            sets["dataSets"][0]["id"]
                .as_str()
                .ok_or("no monthly data set")?
                .to_owned()
        }
    };
    let org_unit = match org_unit {
        Some(ou) => ou,
        None => {
            let roots = client
                .get_raw(
                    "api/organisationUnits",
                    &[("filter", "level:eq:1"), ("fields", "id")],
                )
                .await?;
            roots["organisationUnits"][0]["id"]
                .as_str()
                .ok_or("no root org unit")?
                .to_owned()
        }
    };
    let period = std::env::var("DHIS2_PERIOD").unwrap_or_else(|_| "202401".to_owned());
    let query = ExportQuery::new()
        .data_set(&data_set)
        .period(&period)
        .org_unit(&org_unit)
        .children(true);

    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} [{elapsed}] {bytes} written ({bytes_per_sec})",
    )?);
    let progress_bar = bar.clone();
    let progress = Progress::new(move |bytes| progress_bar.set_position(bytes));

    let started = Instant::now();
    let mut file = tokio::fs::File::create(out).await?;
    let written = client
        .data_values()
        .export_to_with_progress(&query, &mut file, progress)
        .await?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {written} bytes to {} in {secs:.2} s ({:.1} MiB/s)",
        out.display(),
        written as f64 / (1024.0 * 1024.0) / secs.max(1e-9)
    );
    client.close().await;
    Ok(written)
}
