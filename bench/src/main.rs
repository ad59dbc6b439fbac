//! The dhis2 benchmark program (DESIGN section 7, issue 6).
//!
//! Runs every workload through every contender against the same local server in one process and one run, then
//! writes `bench/REPORT.md` and `bench/report.json`. `cargo run --release -p dhis2-bench -- [--quick]`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod args;
mod canned;
mod contenders;
mod decode_only;
mod drive;
mod link;
mod org_units;
mod outcome;
mod report;
mod rss;
mod server;
mod stats;
mod targets;
mod workload;
mod workloads;

use std::process::ExitCode;
use std::time::Instant;

use args::{Command, Options};
use outcome::{Outcome, Row};
use server::ServerHost;
use workload::{Plan, Workload};

/// Errors of the benchmark: a message naming what failed and where.
pub(crate) type BenchError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("dhis2-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            print!("{}", args::USAGE);
            Ok(())
        }
        Command::Bench(opts) => run_bench(&opts),
        Command::StreamChild(child) => workloads::stream::child_main(&child),
        Command::WanChild(child) => workloads::wan::child_main(&child),
        Command::DecodeOnly(opts) => decode_only::run(&opts),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dhis2-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_bench(opts: &Options) -> Result<(), BenchError> {
    if cfg!(debug_assertions) {
        eprintln!("dhis2-bench: WARNING: debug build; numbers mean nothing. Use --release.");
    }
    let started = Instant::now();
    let plan = Plan::new(opts.quick, opts.runs);
    let host = ServerHost::new()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(server::client_threads())
        .thread_name("bench-client")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the client runtime: {e}"))?;
    let selected: Vec<Workload> = if opts.only.is_empty() {
        Workload::ALL.to_vec()
    } else {
        Workload::ALL
            .into_iter()
            .filter(|w| opts.only.contains(w))
            .collect()
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for workload in selected {
        let t = Instant::now();
        eprintln!("dhis2-bench: {workload} ...");
        let result = workloads::run(workload, &host, &client_rt, &plan);
        match result {
            Ok(Outcome {
                rows: mut r,
                notes: mut n,
            }) => {
                rows.append(&mut r);
                notes.append(&mut n);
            }
            Err(e) => notes.push(format!("{workload}: not measured: {e}")),
        }
        eprintln!(
            "dhis2-bench: {workload} done in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    notes.extend(emulator_note(&rows));
    // small_get_c1 and small_get_c64 share their explanatory note.
    let mut seen = Vec::new();
    notes.retain(|n| {
        let fresh = !seen.contains(n);
        seen.push(n.clone());
        fresh
    });
    drop(client_rt);
    drop(host);
    let meta = report::Meta {
        commit: report::git_commit(),
        date: report::now_utc(),
        quick: plan.quick,
        setup: setup_lines(&plan, started.elapsed().as_secs_f64()),
        notes,
    };
    report::write(&opts.out_dir, &meta, &rows)?;
    println!("{}", report::table(&rows));
    for note in &meta.notes {
        println!("note: {note}");
    }
    eprintln!(
        "dhis2-bench: wrote {} and {} ({:.0} s in all)",
        opts.out_dir.join("REPORT.md").display(),
        opts.out_dir.join("report.json").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How the emulator's own request rate compares with the canned server's, for the same bare client (issue 3:
/// the emulator must not be the bottleneck of the client benchmarks).
fn emulator_note(rows: &[Row]) -> Option<String> {
    let median = |w: Workload| {
        rows.iter()
            .find(|r| {
                r.workload == w
                    && r.contender == workload::contender::HYPER_BARE
                    && r.metric == workload::metric::REQ_PER_S
            })
            .map(|r| r.summary.median)
    };
    let canned = median(Workload::SmallGetC64)?;
    let me = median(Workload::EmulatorMe)?;
    let list = median(Workload::EmulatorList)?;
    Some(format!(
        "emulator throughput: GET /api/me {me:.0} req/s and GET /api/dataElements?pageSize=50 {list:.0} req/s, \
         {:.2}x and {:.2}x what the same hyper_bare client gets from the canned server (small_get_c64, {canned:.0} \
         req/s); the large workloads are served from cached or directly formatted bytes (bench/README.md, \
         Fairness)",
        me / canned,
        list / canned
    ))
}

fn setup_lines(plan: &Plan, total_secs: f64) -> Vec<String> {
    vec![
        format!(
            "machine: {} cores; server runtime {} worker thread(s), client runtime {} worker thread(s) \
             (in one process; the stream_1gib client runs in a child process with {} worker thread(s)); \
             small_get uses a fixed-cost canned server, every other workload the emulator (release build) on \
             the server runtime",
            server::cores(),
            server::server_threads(),
            server::client_threads(),
            server::client_threads()
        ),
        format!(
            "runs: {} measured per contender after one warmup, order rotated each run; median, min, max reported",
            plan.runs
        ),
        format!(
            "sizes: small_get {} requests or {} s per run, in {} slices taken in turn with the other \
             contenders; {} org units (page size {}); export {} rows (~{} MiB); limit {} requests via {} clones, \
             limit {}, server holds each request {} ms; emulator_* {} s per run at concurrency {}",
            plan.small_get_requests,
            plan.small_get_max_time.as_secs_f64(),
            plan.small_get_slices,
            plan.org_units,
            plan.page_size,
            plan.export_rows(),
            plan.export_bytes >> 20,
            plan.limit_requests,
            plan.limit_clones,
            plan.limit_max,
            plan.limit_server_delay.as_millis(),
            plan.emulator_time.as_secs_f64(),
            plan.emulator_concurrency
        ),
        format!(
            "shaped link (wan_*, poor_*): {} org units (poor: {}), export {} values (dhis2_no_compression and \
             hyper_bare: {} and projected), {} small calls (poor: {}) from 64 tasks; runs: {} for the list and \
             export contenders that ask for gzip, {} for the others, {} for the small calls",
            plan.wan_org_units,
            plan.poor_org_units,
            plan.wan_export_values,
            plan.wan_export_values / plan.wan_export_plain_divisor.max(1),
            plan.wan_calls,
            plan.poor_calls,
            plan.wan_runs,
            plan.wan_plain_runs,
            plan.wan_small_runs
        ),
        format!("wall time of this benchmark run: {total_secs:.0} s"),
    ]
}
