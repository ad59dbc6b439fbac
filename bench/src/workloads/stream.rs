//! stream_1gib: a 1 GiB data value export from the emulator (`synthetic_data_values`, generated row by row as
//! it streams) written to a file, each download in its own child process (this binary re-executed with the hidden
//! `__stream-child` subcommand) so the peak RSS measured is that download's alone.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dhis2_emulator::{Compression, Emulator, Seed};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

use crate::args::{ChildArgs, STREAM_CHILD};
use crate::contenders::dhis2c::Dhis2;
use crate::contenders::hyper_bare;
use crate::drive::STEP_LIMIT;
use crate::outcome::{measure, Outcome, Samples};
use crate::server::{self, ServerHost};
use crate::workload::{contender, metric, Plan, Workload};
use crate::{rss, BenchError};

/// The export the clients download (the emulator's synthetic export ignores the parameters; they are what a
/// real export would carry).
const PATH: &str =
    "/api/dataValueSets?dataSet=BfMAe6Itzgt&period=2024&orgUnit=ImspTQPwCqd&children=true";

/// What the child prints on stdout (one JSON line).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChildReport {
    pub(crate) bytes: u64,
    pub(crate) seconds: f64,
    pub(crate) peak_rss_kib: u64,
}

impl ChildReport {
    /// Prints the report as the child's last stdout line.
    pub(crate) fn print(&self) -> Result<(), BenchError> {
        let line = serde_json::to_string(self)
            .map_err(|e| format!("cannot print the child report: {e}"))?;
        println!("{line}");
        Ok(())
    }
}

/// Runs the workload: for each run and contender, one child process downloads the export.
pub(crate) fn run(host: &ServerHost, _rt: &Runtime, plan: &Plan) -> Result<Outcome, BenchError> {
    let rows = plan.export_rows();
    // Identity answers for hyper_bare and dhis2_raw (the same bytes for both: the client is measured); gzip, as
    // behind nginx, for dhis2_gzip from a second emulator.
    let emulator = host.start_emulator(
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_data_values(rows)
            .compression(Compression::Off),
    )?;
    let gzip_emulator = host.start_emulator(
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_data_values(rows)
            .compression(Compression::Gzip),
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
            check_and_rate(name, result?, &mut expected, rows)
        },
    );
    drop(emulator);
    // dhis2_gzip: the same download from the gzip emulator, decoded by the client; runs of its own (no warmup:
    // each is a new process), fewer, as the emulator's gzip on one core makes it the slowest.
    let gzip_url = gzip_emulator.url().to_string();
    let mut gzip = Samples::new(Workload::Stream1Gib);
    for run in 0..plan.stream_gzip_runs {
        let name = contender::DHIS2_GZIP;
        let out =
            std::env::temp_dir().join(format!("dhis2-bench-{}-{name}.json", std::process::id()));
        let result = run_child(&exe, name, &gzip_url, &out);
        let _ = std::fs::remove_file(&out);
        match result.and_then(|r| check_and_rate(name, r, &mut expected, rows)) {
            Ok(values) => values.into_iter().for_each(|(m, v)| gzip.push(name, m, v)),
            Err(e) => {
                outcome.notes.push(format!(
                    "stream_1gib/{name}: failed in run {}, left out: {e}",
                    run + 1
                ));
                gzip = Samples::new(Workload::Stream1Gib);
                break;
            }
        }
    }
    drop(gzip_emulator);
    outcome.rows.append(&mut gzip.into_outcome(Vec::new()).rows);
    outcome.notes.insert(
        0,
        format!(
            "stream_1gib: the emulator streams its synthetic_data_values({rows}) export ({} bytes, chunked, rows \
             generated as they are sent) without compression to hyper_bare and dhis2_raw; dhis2_gzip is the \
             dhis2_raw download from an emulator that gzips it (level 1, on the server's one core; {} runs, no \
             warmup) and the client decodes it (mib_per_s counts decoded bytes); each download runs in a child \
             process writing to a file in the temp dir (deleted after each run), and peak_rss_mib is that \
             child's VmHWM",
            expected.unwrap_or(0),
            plan.stream_gzip_runs
        ),
    );
    Ok(outcome)
}

/// Checks a child's download against the export's size (the first complete one fixes it); its metrics.
fn check_and_rate(
    name: &str,
    report: ChildReport,
    expected: &mut Option<u64>,
    rows: u64,
) -> Result<Vec<(&'static str, f64)>, BenchError> {
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
}

fn run_child(exe: &Path, name: &str, url: &str, out: &Path) -> Result<ChildReport, BenchError> {
    let args: Vec<OsString> = vec![
        STREAM_CHILD.into(),
        "--contender".into(),
        name.into(),
        "--url".into(),
        url.into(),
        "--path".into(),
        PATH.into(),
        "--out".into(),
        out.into(),
    ];
    spawn_child(exe, name, &args)
}

/// Runs this binary with `args` (a hidden child subcommand and its flags) and reads the [`ChildReport`] it
/// prints; kills it past [`STEP_LIMIT`].
pub(crate) fn spawn_child(
    exe: &Path,
    name: &str,
    args: &[OsString],
) -> Result<ChildReport, BenchError> {
    let mut child = Command::new(exe)
        .args(args)
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
            // dhis2_gzip is the same client; its emulator compresses.
            contender::DHIS2_RAW | contender::DHIS2_GZIP => {
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
    ChildReport {
        bytes,
        seconds,
        peak_rss_kib,
    }
    .print()
}
