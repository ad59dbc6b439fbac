//! stream_1gib: a 1 GiB data value export from the emulator (`synthetic_data_values`, generated row by row as
//! it streams) written to a file, each download in its own child process (this binary re-executed with the hidden
//! `__stream-child` subcommand) so the peak RSS measured is that download's alone.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dhis2_emulator::{Emulator, Seed};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

use crate::args::{ChildArgs, STREAM_CHILD};
use crate::contenders::dhis2c::Dhis2;
use crate::contenders::hyper_bare;
use crate::drive::STEP_LIMIT;
use crate::outcome::{measure, Outcome};
use crate::server::{self, ServerHost};
use crate::workload::{contender, metric, Plan, Workload};
use crate::{rss, BenchError};

/// The export the clients download (the emulator's synthetic export ignores the parameters; they are what a
/// real export would carry).
const PATH: &str =
    "/api/dataValueSets?dataSet=BfMAe6Itzgt&period=2024&orgUnit=ImspTQPwCqd&children=true";

/// What the child prints on stdout (one JSON line).
#[derive(Debug, Serialize, Deserialize)]
struct ChildReport {
    bytes: u64,
    seconds: f64,
    peak_rss_kib: u64,
}

/// Runs the workload: for each run and contender, one child process downloads the export.
pub(crate) fn run(host: &ServerHost, _rt: &Runtime, plan: &Plan) -> Result<Outcome, BenchError> {
    let rows = plan.export_rows();
    let emulator = host.start_emulator(
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_data_values(rows),
    )?;
    let url = emulator.url().to_string();
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find the bench binary to re-run: {e}"))?;
    let contenders = [(contender::HYPER_BARE, ()), (contender::DHIS2_RAW, ())];
    // The export's size is the emulator's; the first complete download fixes it and every other must match.
    let mut expected: Option<u64> = None;
    let mut outcome = measure(
        Workload::Stream1Gib,
        plan.runs,
        &contenders,
        |name, _, _phase| {
            let out = std::env::temp_dir()
                .join(format!("dhis2-bench-{}-{name}.json", std::process::id()));
            let result = run_child(&exe, name, &url, &out);
            let _ = std::fs::remove_file(&out);
            let report = result?;
            let want = *expected.get_or_insert(report.bytes);
            if report.bytes != want || want < rows * 200 {
                return Err(format!(
                    "{name} wrote {} bytes, expected {want} ({rows} rows)",
                    report.bytes
                )
                .into());
            }
            let mib = report.bytes as f64 / (1024.0 * 1024.0);
            Ok(vec![
                (metric::MIB_PER_S, mib / report.seconds.max(1e-9)),
                (metric::PEAK_RSS_MIB, report.peak_rss_kib as f64 / 1024.0),
            ])
        },
    );
    drop(emulator);
    outcome.notes.insert(
        0,
        format!(
            "stream_1gib: the emulator streams its synthetic_data_values({rows}) export ({} bytes, chunked, rows \
             generated as they are sent); each download runs in a child process writing to a file in the temp \
             dir (deleted after each run), and peak_rss_mib is that child's VmHWM",
            expected.unwrap_or(0)
        ),
    );
    Ok(outcome)
}

fn run_child(
    exe: &PathBuf,
    name: &str,
    url: &str,
    out: &PathBuf,
) -> Result<ChildReport, BenchError> {
    let mut child = Command::new(exe)
        .arg(STREAM_CHILD)
        .args(["--contender", name, "--url", url, "--path", PATH, "--out"])
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the {name} child process: {e}"))?;
    // A stuck download must not hang the benchmark: poll, and kill this child (by its own handle) past the limit.
    let deadline = Instant::now() + STEP_LIMIT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} child did not finish within {STEP_LIMIT:?}").into());
            }
            Err(e) => return Err(format!("cannot wait for the {name} child: {e}").into()),
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("cannot read the {name} child's output: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{name} child failed ({}): {}", output.status, stderr.trim()).into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line)
        .map_err(|e| format!("{name} child printed {line:?}, not a report: {e}").into())
}

/// The child process: download with one client to a file, print a [`ChildReport`].
pub(crate) fn child_main(args: &ChildArgs) -> Result<(), BenchError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(server::client_threads())
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the child runtime: {e}"))?;
    let (bytes, seconds) = rt.block_on(async {
        let mut file = tokio::fs::File::create(&args.out)
            .await
            .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
        // The clock starts once the client is built (and, for dhis2, connected): the download is measured.
        let (bytes, start) = match args.contender.as_str() {
            contender::HYPER_BARE => {
                let client = hyper_bare::client(1)?;
                let uri = hyper_bare::uri(&args.url, &args.path)?;
                let start = Instant::now();
                (hyper_bare::download(&client, &uri, &mut file).await?, start)
            }
            contender::DHIS2_RAW => {
                let client = Dhis2::for_download(&args.url).await?;
                let start = Instant::now();
                (client.stream_to_file(&args.path, &mut file).await?, start)
            }
            other => return Err(BenchError::from(format!("no stream contender {other:?}"))),
        };
        Ok::<_, BenchError>((bytes, start.elapsed().as_secs_f64()))
    })?;
    drop(rt);
    let peak_rss_kib = rss::peak_rss_kib().ok_or("cannot read VmHWM from /proc/self/status")?;
    let report = ChildReport {
        bytes,
        seconds,
        peak_rss_kib,
    };
    let line = serde_json::to_string(&report)
        .map_err(|e| format!("cannot print the child report: {e}"))?;
    println!("{line}");
    Ok(())
}
