//! The shaped-link workloads (issue 11, section 5): the emulator over TLS with gzip on, reached through the
//! relay of `link.rs` with the `wan` profile (20 Mbit/s, 40 ms each way) or the `poor` one (2 Mbit/s, 150 ms).
//!
//! - `wan_org_units_100k` / `poor_org_units_2k`: one `paging=false&fields=*` org unit list, decoded into types.
//! - `wan_export_1m_values`: a streamed data value export written to a file, each download in a child process
//!   (this binary with the hidden `__wan-child` subcommand) so its peak RSS is its own.
//! - `wan_small_get_c64` / `poor_small_get_c64`: a fixed number of `GET /api/me` from 64 tasks.
//!
//! Every measured run starts from a new, unconnected client, so the TCP and TLS handshakes are inside the timed
//! window, and ends when the work is done (the list decoded, the file written, the last call answered). The
//! `wire_limit` row is the physical limit of the same work (see [`wire_limit_seconds`]).

use std::ffi::OsString;
use std::hint::black_box;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use dhis2::models::{Me, OrganisationUnit};
use dhis2::query::Query;
use dhis2::{BasicAuth, Dhis2Client, Limits, TlsConfig};
use dhis2_emulator::{Compression, Emulator, EmulatorBuilder, Seed};
use http::{Method, Uri};
use tokio::io::AsyncWriteExt;
use tokio::runtime::Runtime;

use crate::args::{ChildArgs, WAN_CHILD};
use crate::contenders::hyper_bare::{self, BareClient};
use crate::contenders::{by_hand, plain};
use crate::drive::{block_on_within, closed_loop, Op, STEP_LIMIT};
use crate::link::{Link, Profile};
use crate::outcome::{rotation, Outcome, Samples};
use crate::server::{self, ServerHost};
use crate::workload::{contender, metric, Plan, Workload};
use crate::workloads::stream::{spawn_child, ChildReport};
use crate::{rss, BenchError};

const MIB: f64 = 1024.0 * 1024.0;

/// The org unit list every contender asks for (dhis2 builds the same query with `Query`).
const ORG_UNITS: &str = "/api/organisationUnits?paging=false&fields=*";
/// The small call.
const ME: &str = "/api/me";
/// The export (the emulator's synthetic export ignores the parameters; they are what a real export carries).
const EXPORT: &str =
    "/api/dataValueSets?dataSet=BfMAe6Itzgt&period=2024&orgUnit=ImspTQPwCqd&children=true";
/// Load tasks of the small-call workloads.
const CONCURRENCY: usize = 64;

/// How a contender is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The dhis2 client: defaults, but for `compression(false)` or `http1_only()`.
    Dhis2 { compression: bool, http1: bool },
    /// reqwest with `gzip` (and `http2`, rustls with the emulator's CA).
    ReqwestGzip,
    /// Bare hyper-util on the dhis2 connector, no `Accept-Encoding`.
    HyperBare,
}

impl Who {
    /// Whether it asks for compressed answers.
    fn compressed(self) -> bool {
        match self {
            Who::Dhis2 { compression, .. } => compression,
            Who::ReqwestGzip => true,
            Who::HyperBare => false,
        }
    }

    fn of(name: &str) -> Option<Who> {
        CONTENDERS.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
    }
}

/// The contenders, in report order.
const CONTENDERS: [(&str, Who); 5] = [
    (
        contender::DHIS2_TYPED,
        Who::Dhis2 {
            compression: true,
            http1: false,
        },
    ),
    (
        contender::DHIS2_NO_COMPRESSION,
        Who::Dhis2 {
            compression: false,
            http1: false,
        },
    ),
    (
        contender::DHIS2_HTTP1,
        Who::Dhis2 {
            compression: true,
            http1: true,
        },
    ),
    (contender::REQWEST_GZIP, Who::ReqwestGzip),
    (contender::HYPER_BARE, Who::HyperBare),
];

/// Round trips a workload cannot avoid, besides moving its bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LimitModel {
    /// Before the first request: TCP (1) and TLS 1.3 (1).
    pub(crate) handshake_rtts: u32,
    /// Requests that must follow each other: 1 for one large answer; `ceil(calls / concurrency)` for calls made
    /// by `concurrency` tasks one after another.
    pub(crate) rounds: u64,
}

/// The physical limit of a workload, in seconds:
///
/// `handshake_rtts * RTT + max(rounds * RTT, RTT + down_bytes * 8 / rate)`
///
/// `down_bytes` are the bytes of the best contender that crossed the link towards the client in its timed window
/// (TLS records, HTTP framing, the body as sent). For a single answer (`rounds` = 1) it is the issue's "bytes over
/// the rate plus the unavoidable round trips": handshakes, then one request/response round trip plus the time to
/// send the answer. Calls made one after another by concurrent tasks need at least `rounds` round trips, and the
/// link must carry all their bytes; those two overlap (answers stream while other calls wait), so the limit takes
/// the larger rather than the sum, which would not be a lower bound.
pub(crate) fn wire_limit_seconds(profile: Profile, model: LimitModel, down_bytes: u64) -> f64 {
    let rtt = profile.rtt().as_secs_f64();
    let transfer = rtt + down_bytes as f64 * 8.0 / profile.bits_per_s;
    f64::from(model.handshake_rtts) * rtt + (model.rounds as f64 * rtt).max(transfer)
}

/// The relay's runtime: one worker thread of its own, so the link's timers are not held up by the emulator
/// compressing on the server runtime or by a client decoding.
struct LinkHost {
    rt: Runtime,
}

impl LinkHost {
    fn new() -> Result<LinkHost, BenchError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bench-link")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the link runtime: {e}"))?;
        Ok(LinkHost { rt })
    }

    fn start(&self, upstream: SocketAddr, profile: Profile) -> Result<Link, BenchError> {
        self.rt.block_on(Link::start(upstream, profile))
    }
}

/// A TLS emulator seen through a shaped link.
struct Target {
    /// `https://127.0.0.1:RELAY_PORT` (the emulator's certificate covers 127.0.0.1).
    base: String,
    ca_path: PathBuf,
    ca_pem: String,
    link: Link,
    /// Kept running for as long as the target lives.
    _emulator: Emulator,
}

impl Target {
    fn start(
        host: &ServerHost,
        links: &LinkHost,
        builder: EmulatorBuilder,
        profile: Profile,
    ) -> Result<Target, BenchError> {
        let emulator =
            host.start_emulator(builder.compression(Compression::Gzip).tls_self_signed())?;
        let ca_path = emulator
            .ca_path()
            .ok_or("the TLS emulator has no CA file")?
            .to_path_buf();
        let ca_pem = emulator
            .ca_pem()
            .ok_or("the TLS emulator has no CA")?
            .to_string();
        let link = links.start(emulator.addr(), profile)?;
        Ok(Target {
            base: format!("https://{}", link.addr),
            ca_path,
            ca_pem,
            link,
            _emulator: emulator,
        })
    }

    fn down_bytes(&self) -> u64 {
        self.link.counters.snapshot().1
    }
}

/// A dhis2 client through the link, connected (TCP, TLS, `GET /api/system/info`); `max_idle` overrides the
/// pool's default idle connections per host.
async fn dhis2_client(
    t: &Target,
    compression: bool,
    http1: bool,
    max_idle: Option<usize>,
) -> Result<Dhis2Client, BenchError> {
    let mut limits = Limits::default();
    if let Some(n) = max_idle {
        limits = limits.max_idle_per_host(n);
    }
    let mut builder = Dhis2Client::builder(&t.base)
        .auth(BasicAuth::new("admin", "district"))
        .tls(TlsConfig::ca_bundle_only(&t.ca_path))
        .compression(compression)
        .limits(limits);
    if http1 {
        builder = builder.http1_only();
    }
    builder
        .connect()
        .await
        .map_err(|e| format!("dhis2 connect to {}: {e}", t.base).into())
}

/// reqwest as a user sets it up for a DHIS2 behind TLS with an own CA: gzip on (ALPN offers h2 and http/1.1).
fn reqwest_client(ca_pem: &str) -> Result<reqwest::Client, BenchError> {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes())
        .map_err(|e| format!("reqwest: bad CA: {e}"))?;
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .gzip(true)
        .build()
        .map_err(|e| format!("cannot build the reqwest client: {e}").into())
}

/// The bare client on the dhis2 connector trusting the emulator's CA (ALPN h2 and http/1.1; hyper's default
/// HTTP/2 windows), with the dhis2 client's pool settings.
fn bare_client(ca_path: &Path, max_idle: usize) -> Result<BareClient, BenchError> {
    hyper_bare::client_trusting(&TlsConfig::ca_bundle_only(ca_path), max_idle)
}

/// What one measured run gave.
#[derive(Debug, Clone)]
struct RunResult {
    seconds: f64,
    /// Bytes that crossed the link towards the client in the timed window.
    down: u64,
    /// Further metrics of the run.
    extra: Vec<(&'static str, f64)>,
    /// True when `seconds` and `down` are projected from a smaller download (not eligible for the limit).
    projected: bool,
}

/// Measured runs of every contender (rotating the order each run; a contender with fewer runs sits out the
/// later ones), the rows of each (`seconds`, `wire_mib`, the extras) and the `wire_limit` rows.
struct WanMeasure {
    workload: Workload,
    samples: Samples,
    /// Down bytes per contender, of its unprojected runs.
    bytes: Vec<(&'static str, Vec<u64>)>,
    notes: Vec<String>,
    failed: Vec<&'static str>,
}

impl WanMeasure {
    fn new(workload: Workload) -> WanMeasure {
        WanMeasure {
            workload,
            samples: Samples::new(workload),
            bytes: Vec::new(),
            notes: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Unmeasured: every contender once through the link with shaping off (warms the emulator's list cache for
    /// each contender's exact request, and the code paths). A contender that fails is left out.
    fn warmup(
        &mut self,
        link: &Link,
        mut one: impl FnMut(&'static str, Who) -> Result<(), BenchError>,
    ) {
        link.set_shaped(false);
        for (name, who) in CONTENDERS {
            if let Err(e) = one(name, who) {
                self.notes.push(format!(
                    "{}/{name}: failed during warmup, left out: {e}",
                    self.workload
                ));
                self.failed.push(name);
            }
        }
        link.set_shaped(true);
    }

    fn run(
        &mut self,
        runs_of: impl Fn(Who) -> usize,
        mut one: impl FnMut(&'static str, Who) -> Result<RunResult, BenchError>,
    ) {
        let order: Vec<usize> = (0..CONTENDERS.len()).collect();
        let most = CONTENDERS
            .iter()
            .map(|(_, w)| runs_of(*w))
            .max()
            .unwrap_or(0);
        for run in 0..most {
            for i in rotation(&order, run) {
                let (name, who) = CONTENDERS[i];
                if run >= runs_of(who) || self.failed.contains(&name) {
                    continue;
                }
                match one(name, who) {
                    Ok(r) => {
                        self.samples.push(name, metric::SECONDS, r.seconds);
                        self.samples
                            .push(name, metric::WIRE_MIB, r.down as f64 / MIB);
                        for (m, v) in r.extra {
                            self.samples.push(name, m, v);
                        }
                        if !r.projected {
                            match self.bytes.iter_mut().find(|(n, _)| *n == name) {
                                Some((_, v)) => v.push(r.down),
                                None => self.bytes.push((name, vec![r.down])),
                            }
                        }
                    }
                    Err(e) => {
                        self.notes.push(format!(
                            "{}/{name}: failed in run {}, left out: {e}",
                            self.workload,
                            run + 1
                        ));
                        self.failed.push(name);
                    }
                }
            }
        }
    }

    /// Adds the `wire_limit` rows (from the contender with the fewest median bytes on the wire) and the notes on
    /// bytes and fractions; returns the outcome.
    fn finish(
        mut self,
        profile: Profile,
        model: LimitModel,
        calls: Option<u64>,
        mut notes: Vec<String>,
    ) -> Outcome {
        let failed = std::mem::take(&mut self.failed);
        self.bytes.retain(|(n, _)| !failed.contains(n));
        let best = self
            .bytes
            .iter()
            .filter_map(|(n, v)| median_u64(v).map(|m| (*n, m, v)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((name, median, runs)) = best {
            for &down in runs {
                let seconds = wire_limit_seconds(profile, model, down);
                self.samples
                    .push(contender::WIRE_LIMIT, metric::SECONDS, seconds);
                self.samples
                    .push(contender::WIRE_LIMIT, metric::WIRE_MIB, down as f64 / MIB);
                if let Some(calls) = calls {
                    self.samples.push(
                        contender::WIRE_LIMIT,
                        metric::REQ_PER_S,
                        calls as f64 / seconds,
                    );
                }
            }
            notes.push(format!(
                "{}: wire_limit = {} RTT of handshakes + max({} x RTT, RTT + bytes x 8 / rate) with RTT {} ms and \
                 rate {} Mbit/s, from the bytes of the contender with the fewest on the wire ({name}, median \
                 {:.2} MiB) = {:.3} s; `vs limit` is wire_limit / seconds (1.00x = the physical limit)",
                self.workload,
                model.handshake_rtts,
                model.rounds,
                profile.rtt().as_millis(),
                profile.bits_per_s / 1e6,
                median / MIB,
                wire_limit_seconds(profile, model, median as u64),
            ));
        }
        let mut outcome = self.samples.into_outcome(Vec::new());
        outcome.rows.retain(|r| !failed.contains(&r.contender));
        notes.append(&mut self.notes);
        outcome.notes = notes;
        outcome
    }
}

fn median_u64(v: &[u64]) -> Option<f64> {
    let f: Vec<f64> = v.iter().map(|&b| b as f64).collect();
    crate::stats::summarize(&f).map(|s| s.median)
}

/// Runs one shaped-link workload.
pub(crate) fn run(
    workload: Workload,
    host: &ServerHost,
    rt: &Runtime,
    plan: &Plan,
) -> Result<Outcome, BenchError> {
    let links = LinkHost::new()?;
    match workload {
        Workload::WanOrgUnits100k => org_units(
            workload,
            host,
            &links,
            rt,
            plan,
            Profile::WAN,
            plan.wan_org_units,
        ),
        Workload::PoorOrgUnits2k => org_units(
            workload,
            host,
            &links,
            rt,
            plan,
            Profile::POOR,
            plan.poor_org_units,
        ),
        Workload::WanExport1mValues => export(host, &links, plan),
        Workload::WanSmallGetC64 => small_get(
            workload,
            host,
            &links,
            rt,
            plan,
            Profile::WAN,
            plan.wan_calls,
        ),
        Workload::PoorSmallGetC64 => small_get(
            workload,
            host,
            &links,
            rt,
            plan,
            Profile::POOR,
            plan.poor_calls,
        ),
        other => Err(format!("{other} is not a shaped-link workload").into()),
    }
}

fn runs_of(plan: &Plan) -> impl Fn(Who) -> usize + '_ {
    move |who| {
        if who.compressed() {
            plan.wan_runs
        } else {
            plan.wan_plain_runs
        }
    }
}

/// The setup note of a workload: the link, the server, how runs are made.
fn runs_note(workload: Workload, profile: Profile, runs: &str, warmup: bool) -> String {
    format!(
        "{workload}: `{}` link ({} Mbit/s and {} ms each way; one relay shared by every connection, on its own \
         thread; a new connection waits one RTT for its TCP handshake); emulator over TLS (self-signed CA, ALPN \
         h2 and http/1.1) with gzip at level 1; every run starts from a new client, so handshakes are timed \
         (dhis2: connect(), with its GET /api/system/info); {runs}{}",
        profile.name,
        profile.bits_per_s / 1e6,
        profile.delay.as_millis(),
        if warmup {
            "; one unmeasured warmup each with shaping off"
        } else {
            ""
        }
    )
}

/// "N runs for the gzip contenders, M for the others".
fn split_runs(plan: &Plan) -> String {
    format!(
        "{} runs for the contenders that ask for gzip, {} for dhis2_no_compression and hyper_bare (their \
         transfers take several times as long)",
        plan.wan_runs, plan.wan_plain_runs
    )
}

/// `wan_org_units_100k` / `poor_org_units_2k`.
fn org_units(
    workload: Workload,
    host: &ServerHost,
    links: &LinkHost,
    rt: &Runtime,
    plan: &Plan,
    profile: Profile,
    units: usize,
) -> Result<Outcome, BenchError> {
    let target = Target::start(
        host,
        links,
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_org_units(units),
        profile,
    )?;
    let t = &target;
    let fetch = |who: Who| async move {
        match who {
            Who::Dhis2 { compression, http1 } => {
                let start = Instant::now();
                let client = dhis2_client(t, compression, http1, None).await?;
                let connect = start.elapsed().as_secs_f64();
                let query = Query::new().fields("*").paging(false);
                let resources = client.resources().map_err(|e| format!("dhis2: {e}"))?;
                let page = resources
                    .of::<OrganisationUnit>()
                    .list(&query)
                    .await
                    .map_err(|e| format!("dhis2 list: {e}"))?;
                Ok::<_, BenchError>((black_box(page.items).len(), Some(connect)))
            }
            Who::ReqwestGzip => {
                let client = reqwest_client(&t.ca_pem)?;
                let url = format!("{}{ORG_UNITS}", t.base);
                let list: plain::OrgUnitList = by_hand::get_json(&client, &url).await?;
                Ok((black_box(list.organisation_units).len(), None))
            }
            Who::HyperBare => {
                let client = bare_client(&t.ca_path, 1)?;
                let uri = hyper_bare::uri(&t.base, ORG_UNITS)?;
                Ok((hyper_bare::get_bytes(&client, &uri).await?.len(), None))
            }
        }
    };
    let mut m = WanMeasure::new(workload);
    let mut body_len = 0usize;
    m.warmup(&t.link, |name, who| {
        let (seen, _) = block_on_within(rt, STEP_LIMIT, name, fetch(who))?;
        if who == Who::HyperBare {
            body_len = seen;
        } else if seen != units {
            return Err(format!("{name} saw {seen} org units, expected {units}").into());
        }
        Ok(())
    });
    let mut connects = ConnectTimes::default();
    m.run(runs_of(plan), |name, who| {
        let before = t.down_bytes();
        let start = Instant::now();
        let (seen, connect) = block_on_within(rt, STEP_LIMIT, name, fetch(who))?;
        let seconds = start.elapsed().as_secs_f64();
        connects.add(name, connect);
        let want = if who == Who::HyperBare {
            body_len
        } else {
            units
        };
        if seen != want {
            return Err(format!("{name} saw {seen}, expected {want}").into());
        }
        Ok(RunResult {
            seconds,
            down: t.down_bytes() - before,
            extra: Vec::new(),
            projected: false,
        })
    });
    let notes = vec![
        runs_note(workload, profile, &split_runs(plan), true),
        format!(
            "{workload}: GET /api/organisationUnits?paging=false&fields=* of Seed::Empty + \
             synthetic_org_units({units}) ({:.1} MiB as JSON; the emulator's cached answer, gzipped per request); \
             the dhis2 contenders decode into the generated OrganisationUnit model (resources().list()), \
             reqwest_gzip into plain derive structs (bench/src/contenders/plain.rs), hyper_bare collects bytes",
            body_len as f64 / MIB
        ),
    ];
    let notes = notes
        .into_iter()
        .chain(connects.note(workload, profile))
        .collect();
    let model = LimitModel {
        handshake_rtts: 2,
        rounds: 1,
    };
    let outcome = m.finish(profile, model, None, notes);
    drop(target);
    Ok(with_bytes_note(workload, outcome))
}

/// `wan_export_1m_values`: each download in a child process; the uncompressed contenders download an export
/// `wan_export_plain_divisor` times smaller (from a second emulator) and their `seconds` and `wire_mib` are
/// projected to the full size.
fn export(host: &ServerHost, links: &LinkHost, plan: &Plan) -> Result<Outcome, BenchError> {
    let workload = Workload::WanExport1mValues;
    let profile = Profile::WAN;
    let rows = plan.wan_export_values;
    let divisor = plan.wan_export_plain_divisor.max(1);
    let small_rows = rows / divisor;
    let full = Target::start(
        host,
        links,
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_data_values(rows),
        profile,
    )?;
    let small = Target::start(
        host,
        links,
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_data_values(small_rows),
        profile,
    )?;
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find the bench binary to re-run: {e}"))?;
    let rtt = profile.rtt().as_secs_f64();
    // Decoded sizes: the first complete download from each emulator fixes it; every other must match.
    let mut sizes: [Option<u64>; 2] = [None, None];
    let mut download = |name: &'static str, who: Who| -> Result<RunResult, BenchError> {
        let (t, which, factor) = if who.compressed() {
            (&full, 0, 1.0)
        } else {
            (&small, 1, divisor as f64)
        };
        let out = std::env::temp_dir().join(format!(
            "dhis2-bench-wan-{}-{name}.json",
            std::process::id()
        ));
        let before = t.down_bytes();
        let args: [OsString; 11] = [
            WAN_CHILD.into(),
            "--contender".into(),
            name.into(),
            "--url".into(),
            t.base.clone().into(),
            "--path".into(),
            EXPORT.into(),
            "--ca".into(),
            t.ca_path.clone().into_os_string(),
            "--out".into(),
            out.clone().into_os_string(),
        ];
        let result = spawn_child(&exe, name, &args);
        let _ = std::fs::remove_file(&out);
        let report = result?;
        let down = t.down_bytes() - before;
        let want_rows = if which == 0 { rows } else { small_rows };
        let want = *sizes[which].get_or_insert(report.bytes);
        if report.bytes != want || want < want_rows * 200 {
            return Err(format!(
                "{name} wrote {} bytes, expected {want} ({want_rows} rows)",
                report.bytes
            )
            .into());
        }
        // Projected: the fixed part (3 RTT: TCP, TLS, request) once, the rest (bandwidth-bound) scaled.
        let fixed = (3.0 * rtt).min(report.seconds);
        Ok(RunResult {
            seconds: fixed + (report.seconds - fixed) * factor,
            down: (down as f64 * factor) as u64,
            extra: vec![
                (
                    metric::MIB_PER_S,
                    report.bytes as f64 / MIB / report.seconds.max(1e-9),
                ),
                (metric::PEAK_RSS_MIB, report.peak_rss_kib as f64 / 1024.0),
            ],
            projected: factor != 1.0,
        })
    };
    let mut m = WanMeasure::new(workload);
    // No warmup: the export is generated as it streams (nothing to cache), and each run is a new process.
    m.run(runs_of(plan), &mut download);
    let notes = vec![
        runs_note(workload, profile, &split_runs(plan), false),
        format!(
            "{workload}: GET /api/dataValueSets streamed (chunked) from Seed::Empty + synthetic_data_values({rows}) \
             ({:.1} MiB decoded) and written to a file by a child process per run (peak_rss_mib is its VmHWM, \
             mib_per_s decoded MiB per second); dhis2_* use stream(), reqwest_gzip a loop over chunk(), \
             hyper_bare the bare download; dhis2_no_compression and hyper_bare download an export {divisor} \
             times smaller ({small_rows} values, {:.1} MiB) and their seconds and wire_mib are projected to \
             the full export: 3 RTT once plus the rest of their time times {divisor} (their transfer is \
             bandwidth-bound: uncompressed, the full export would take about {:.0} s a run)",
            sizes[0].unwrap_or(0) as f64 / MIB,
            sizes[1].unwrap_or(0) as f64 / MIB,
            sizes[0].unwrap_or(0) as f64 * 8.0 / profile.bits_per_s,
        ),
    ];
    let model = LimitModel {
        handshake_rtts: 2,
        rounds: 1,
    };
    let outcome = m.finish(profile, model, None, notes);
    drop((full, small));
    Ok(with_bytes_note(workload, outcome))
}

/// The small call through one of the clients.
#[derive(Clone)]
enum SmallOp {
    Dhis2(Dhis2Client),
    Reqwest(reqwest::Client, Arc<str>),
    Bare(BareClient, Uri),
}

impl Op for SmallOp {
    async fn call(&self) -> Result<(), BenchError> {
        match self {
            SmallOp::Dhis2(client) => {
                let me: Me = client
                    .get(ME, &[])
                    .await
                    .map_err(|e| format!("dhis2 GET {ME}: {e}"))?;
                black_box(me);
            }
            SmallOp::Reqwest(client, url) => {
                let me: serde_json::Value = by_hand::get_json(client, url).await?;
                black_box(me);
            }
            SmallOp::Bare(client, uri) => {
                black_box(hyper_bare::get_bytes(client, uri).await?.len());
            }
        }
        Ok(())
    }
}

/// `wan_small_get_c64` / `poor_small_get_c64`.
fn small_get(
    workload: Workload,
    host: &ServerHost,
    links: &LinkHost,
    rt: &Runtime,
    plan: &Plan,
    profile: Profile,
    calls: u64,
) -> Result<Outcome, BenchError> {
    let target = Target::start(host, links, Emulator::builder().seed(Seed::Demo), profile)?;
    let t = &target;
    let url: Arc<str> = Arc::from(format!("{}{ME}", t.base));
    let batch = |who: Who, calls: u64| {
        let url = url.clone();
        async move {
            // Every pool may keep one idle connection per load task (as in small_get on loopback).
            let start = Instant::now();
            let mut connect = None;
            let op = match who {
                Who::Dhis2 { compression, http1 } => {
                    let client = dhis2_client(t, compression, http1, Some(CONCURRENCY)).await?;
                    connect = Some(start.elapsed().as_secs_f64());
                    SmallOp::Dhis2(client)
                }
                Who::ReqwestGzip => SmallOp::Reqwest(reqwest_client(&t.ca_pem)?, url),
                Who::HyperBare => SmallOp::Bare(
                    bare_client(&t.ca_path, CONCURRENCY)?,
                    hyper_bare::uri(&t.base, ME)?,
                ),
            };
            let load = closed_loop(CONCURRENCY, calls, STEP_LIMIT, op).await?;
            if load.completed != calls {
                return Err(BenchError::from(format!(
                    "{} of {calls} calls done",
                    load.completed
                )));
            }
            Ok(connect)
        }
    };
    let mut m = WanMeasure::new(workload);
    m.warmup(&t.link, |name, who| {
        block_on_within(rt, STEP_LIMIT, name, batch(who, CONCURRENCY as u64)).map(drop)
    });
    let mut connects = ConnectTimes::default();
    let mut conns: Vec<(&'static str, Vec<u64>)> = Vec::new();
    m.run(
        |_| plan.wan_small_runs,
        |name, who| {
            let (_, before, c0) = t.link.counters.snapshot();
            let start = Instant::now();
            let connect = block_on_within(rt, STEP_LIMIT, name, batch(who, calls))?;
            let seconds = start.elapsed().as_secs_f64();
            connects.add(name, connect);
            let (_, after, c1) = t.link.counters.snapshot();
            match conns.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push(c1 - c0),
                None => conns.push((name, vec![c1 - c0])),
            }
            Ok(RunResult {
                seconds,
                down: after - before,
                extra: vec![(metric::REQ_PER_S, calls as f64 / seconds)],
                projected: false,
            })
        },
    );
    let opened: Vec<String> = conns
        .iter()
        .map(|(n, v)| format!("{n} {}", v.iter().max().copied().unwrap_or(0)))
        .collect();
    let notes = vec![
        runs_note(
            workload,
            profile,
            &format!("{} runs each", plan.wan_small_runs),
            true,
        ),
        format!(
            "{workload}: {calls} GET {ME} (Seed::Demo; a small answer) from {CONCURRENCY} tasks, each call after \
             the previous one of its task; dhis2_* decode into dhis2::models::Me, reqwest_gzip into \
             serde_json::Value, hyper_bare collects bytes; every pool may keep {CONCURRENCY} idle connections; \
             TCP connections opened in a run (most): {}",
            opened.join(", ")
        ),
    ];
    let notes = notes
        .into_iter()
        .chain(connects.note(workload, profile))
        .collect();
    let model = LimitModel {
        handshake_rtts: 2,
        rounds: calls.div_ceil(CONCURRENCY as u64),
    };
    let outcome = m.finish(profile, model, Some(calls), notes);
    drop(target);
    Ok(with_bytes_note(workload, outcome))
}

/// How long the dhis2 contenders' `connect()` took in the measured runs (part of their timed window).
#[derive(Default)]
struct ConnectTimes(Vec<(&'static str, Vec<f64>)>);

impl ConnectTimes {
    fn add(&mut self, name: &'static str, seconds: Option<f64>) {
        let Some(seconds) = seconds else { return };
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(seconds),
            None => self.0.push((name, vec![seconds])),
        }
    }

    /// "dhis2 connect() took ... (in RTTs)".
    fn note(&self, workload: Workload, profile: Profile) -> Option<String> {
        let rtt = profile.rtt().as_secs_f64();
        let parts: Vec<String> = self
            .0
            .iter()
            .filter_map(|(n, v)| {
                let m = crate::stats::summarize(v)?.median;
                Some(format!("{n} {m:.3} s ({:.1} RTT)", m / rtt))
            })
            .collect();
        (!parts.is_empty()).then(|| {
            format!(
                "{workload}: of their time, dhis2 connect() (TCP and TLS handshakes, the canonical-URL request, \
                 GET /api/system/info) took, median: {}",
                parts.join(", ")
            )
        })
    }
}

/// A note with each contender's bytes on the wire and its fraction of the wire limit (the closing summary).
fn with_bytes_note(workload: Workload, mut outcome: Outcome) -> Outcome {
    let median = |c: &str, m: &str| {
        outcome
            .rows
            .iter()
            .find(|r| r.contender == c && r.metric == m)
            .map(|r| r.summary.median)
    };
    let Some(limit) = median(contender::WIRE_LIMIT, metric::SECONDS) else {
        return outcome;
    };
    let parts: Vec<String> = CONTENDERS
        .iter()
        .filter_map(|(name, _)| {
            let seconds = median(name, metric::SECONDS)?;
            let mib = median(name, metric::WIRE_MIB)?;
            Some(format!(
                "{name} {mib:.2} MiB, {seconds:.2} s, {:.2} of the limit",
                limit / seconds
            ))
        })
        .collect();
    outcome.notes.push(format!(
        "{workload}: on the wire (towards the client, median) and fraction of wire_limit ({limit:.2} s): {}",
        parts.join("; ")
    ));
    outcome
}

/// The `__wan-child` process: one export download through the link, to a file; prints a [`ChildReport`].
pub(crate) fn child_main(args: &ChildArgs) -> Result<(), BenchError> {
    let who =
        Who::of(&args.contender).ok_or_else(|| format!("no wan contender {:?}", args.contender))?;
    let ca = args.ca.as_ref().ok_or("--ca is required")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(server::client_threads())
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the child runtime: {e}"))?;
    let (bytes, seconds) = rt.block_on(async {
        let mut file = tokio::fs::File::create(&args.out)
            .await
            .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
        // The clock starts before the client exists: handshakes are part of the download.
        let start = Instant::now();
        let bytes = match who {
            Who::Dhis2 { compression, http1 } => {
                let mut builder = Dhis2Client::builder(&args.url)
                    .auth(BasicAuth::new("admin", "district"))
                    .tls(TlsConfig::ca_bundle_only(ca))
                    .compression(compression);
                if http1 {
                    builder = builder.http1_only();
                }
                let client = builder
                    .connect()
                    .await
                    .map_err(|e| format!("dhis2 connect: {e}"))?;
                let (path, query) = args
                    .path
                    .split_once('?')
                    .unwrap_or((args.path.as_str(), ""));
                let params: Vec<(&str, &str)> = query
                    .split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .collect();
                client
                    .stream(Method::GET, path, &params, &mut file)
                    .await
                    .map_err(|e| format!("dhis2 stream {path}: {e}"))?
            }
            Who::ReqwestGzip => {
                let ca_pem = std::fs::read_to_string(ca)
                    .map_err(|e| format!("cannot read {}: {e}", ca.display()))?;
                let client = reqwest_client(&ca_pem)?;
                let url = format!("{}{}", args.url, args.path);
                let mut response = client
                    .get(&url)
                    .basic_auth("admin", Some("district"))
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| format!("reqwest GET {url}: {e}"))?;
                let mut written = 0u64;
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|e| format!("reqwest GET {url}: body: {e}"))?
                {
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| format!("write: {e}"))?;
                    written += chunk.len() as u64;
                }
                file.flush().await.map_err(|e| format!("flush: {e}"))?;
                written
            }
            Who::HyperBare => {
                let client = bare_client(ca, 1)?;
                let uri = hyper_bare::uri(&args.url, &args.path)?;
                hyper_bare::download(&client, &uri, &mut file).await?
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_of_one_answer_is_handshakes_round_trip_and_transfer() {
        // 2.5 MB at 20 Mbit/s is 1 s; plus 3 x 80 ms (TCP, TLS, request).
        let single = LimitModel {
            handshake_rtts: 2,
            rounds: 1,
        };
        let s = wire_limit_seconds(Profile::WAN, single, 2_500_000);
        assert!((s - 1.24).abs() < 1e-9, "{s}");
        // With nothing to send, still the three round trips.
        let s = wire_limit_seconds(Profile::WAN, single, 0);
        assert!((s - 0.24).abs() < 1e-9, "{s}");
    }

    #[test]
    fn limit_of_many_calls_is_the_larger_of_rounds_and_transfer() {
        // 2000 calls by 64 tasks: 32 rounds of 300 ms on the poor link, more than moving 1 MB at 2 Mbit/s.
        let model = LimitModel {
            handshake_rtts: 2,
            rounds: 2000u64.div_ceil(64),
        };
        assert_eq!(model.rounds, 32);
        let s = wire_limit_seconds(Profile::POOR, model, 1_000_000);
        assert!((s - (0.6 + 32.0 * 0.3)).abs() < 1e-9, "{s}");
        // 10 MB would take 40 s: then the transfer (plus one round trip) is the bound.
        let s = wire_limit_seconds(Profile::POOR, model, 10_000_000);
        assert!((s - (0.6 + 0.3 + 40.0)).abs() < 1e-9, "{s}");
    }

    fn result(seconds: f64, down: u64, projected: bool) -> RunResult {
        RunResult {
            seconds,
            down,
            extra: vec![(metric::REQ_PER_S, 1.0 / seconds)],
            projected,
        }
    }

    #[test]
    fn measure_gives_contender_rows_and_a_limit_from_the_fewest_bytes() {
        let mut m = WanMeasure::new(Workload::WanSmallGetC64);
        let mut seen = Vec::new();
        m.run(
            |who| if who.compressed() { 3 } else { 1 },
            |name, who| {
                seen.push(name);
                match who {
                    Who::HyperBare => Err("unreachable".into()),
                    // Projected rows never set the limit, however small.
                    Who::Dhis2 {
                        compression: false, ..
                    } => Ok(result(9.0, 1, true)),
                    Who::Dhis2 { http1: true, .. } => Ok(result(2.0, 2_000_000, false)),
                    _ => Ok(result(1.5, 2_500_000, false)),
                }
            },
        );
        // 3 gzip contenders x 3 runs + 2 plain contenders x 1 run.
        assert_eq!(seen.len(), 11);
        let model = LimitModel {
            handshake_rtts: 2,
            rounds: 1,
        };
        let out = m.finish(Profile::WAN, model, Some(100), vec!["first".into()]);
        let find = |c: &str, metric: &str| {
            out.rows
                .iter()
                .find(|r| r.contender == c && r.metric == metric)
                .map(|r| r.summary)
        };
        // hyper_bare failed: no rows, a note.
        assert!(find(contender::HYPER_BARE, metric::SECONDS).is_none());
        assert!(out
            .notes
            .iter()
            .any(|n| n.contains("hyper_bare") && n.contains("unreachable")));
        assert_eq!(out.notes[0], "first");
        let typed = find(contender::DHIS2_TYPED, metric::SECONDS).unwrap();
        assert_eq!((typed.median, typed.runs), (1.5, 3));
        let plain = find(contender::DHIS2_NO_COMPRESSION, metric::WIRE_MIB).unwrap();
        assert_eq!(plain.runs, 1);
        // The limit comes from dhis2_http1's 2 MB: 0.24 s + 0.8 s.
        let limit = find(contender::WIRE_LIMIT, metric::SECONDS).unwrap();
        assert!((limit.median - 1.04).abs() < 1e-9, "{limit:?}");
        assert_eq!(limit.runs, 3);
        let limit_mib = find(contender::WIRE_LIMIT, metric::WIRE_MIB).unwrap();
        assert!((limit_mib.median - 2_000_000.0 / MIB).abs() < 1e-9);
        let rate = find(contender::WIRE_LIMIT, metric::REQ_PER_S).unwrap();
        assert!((rate.median - 100.0 / 1.04).abs() < 1e-9);
        // Row order: contenders as listed, then the limit.
        assert_eq!(out.rows.last().unwrap().contender, contender::WIRE_LIMIT);
        assert_eq!(out.rows[0].contender, contender::DHIS2_TYPED);
        let with_note = with_bytes_note(Workload::WanSmallGetC64, out);
        let note = with_note.notes.last().unwrap();
        assert!(
            note.contains("dhis2_typed 2.38 MiB, 1.50 s, 0.69 of the limit"),
            "{note}"
        );
    }

    #[test]
    fn contender_names_map_back() {
        for (name, who) in CONTENDERS {
            assert_eq!(Who::of(name), Some(who));
        }
        assert_eq!(Who::of("reqwest"), None);
        assert!(!Who::of(contender::DHIS2_NO_COMPRESSION)
            .unwrap()
            .compressed());
        assert!(Who::of(contender::DHIS2_HTTP1).unwrap().compressed());
    }
}
