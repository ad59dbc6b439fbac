//! paged_100k: the same 100,000 emulator org units page by page at `pageSize=1000` (`dhis2_typed`:
//! `resources().stream()`; `reqwest`: a hand-written loop following `pager.nextPage`) versus one `paging=false`
//! request (`dhis2_raw`: `get_raw`; `hyper_bare`: raw bytes).

use std::time::Instant;

use dhis2_emulator::{Compression, Emulator, Seed};
use http::Uri;
use tokio::runtime::Runtime;

use crate::contenders::by_hand;
use crate::contenders::dhis2c::{self, Dhis2, Limit, Setup};
use crate::contenders::hyper_bare::{self, BareClient};
use crate::drive::{block_on_within, STEP_LIMIT};
use crate::outcome::{measure, Outcome};
use crate::server::ServerHost;
use crate::workload::{contender, Plan, Workload};
use crate::workloads::decode::{probe_len, timed_fetch};
use crate::BenchError;

/// The `fields=` every contender asks for (the same for all): what a listing of org units typically needs.
const FIELDS: &str = "id,name,code,level,path,created,lastUpdated,parent[id]";

/// `fields=` percent-encoded for clients that take a ready query string.
fn encoded_fields() -> String {
    FIELDS.replace('[', "%5B").replace(']', "%5D")
}

/// An emulator holding exactly `plan.org_units` org units (empty seed plus the synthetic set), answering without
/// compression whatever the client asks (the same bytes to every contender: loopback measures the client; the
/// shaped-link workloads measure compression).
fn org_unit_emulator(host: &ServerHost, plan: &Plan) -> Result<Emulator, BenchError> {
    host.start_emulator(
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_org_units(plan.org_units)
            .compression(Compression::Off),
    )
}

enum Client {
    HyperBare(BareClient, Uri),
    Reqwest(reqwest::Client, String),
    Dhis2Typed(Dhis2, usize),
    Dhis2Raw(Dhis2),
}

impl Client {
    /// Fetches the whole list; returns the number of units (bytes for hyper_bare).
    async fn fetch(&self) -> Result<usize, BenchError> {
        match self {
            Client::HyperBare(client, uri) => Ok(hyper_bare::get_bytes(client, uri).await?.len()),
            Client::Reqwest(client, first) => {
                let mut url = first.clone();
                let mut seen = 0;
                loop {
                    let page: by_hand::OrgUnitList = by_hand::get_json(client, &url).await?;
                    seen += page.organisation_units.len();
                    match page.pager.and_then(|p| p.next_page) {
                        Some(next) => url = next,
                        None => return Ok(seen),
                    }
                }
            }
            Client::Dhis2Typed(client, page_size) => {
                client.org_units_paged(FIELDS, *page_size).await
            }
            Client::Dhis2Raw(client) => client.org_units_raw(FIELDS).await,
        }
    }
}

/// Runs paged_100k against the emulator, which pages the list itself.
pub(crate) fn run(host: &ServerHost, rt: &Runtime, plan: &Plan) -> Result<Outcome, BenchError> {
    let built = Instant::now();
    let emulator = org_unit_emulator(host, plan)?;
    let built = built.elapsed().as_secs_f64();
    let base = emulator.url().to_string();
    let fields = encoded_fields();
    let single = format!("/api/organisationUnits?paging=false&fields={fields}");
    let first_page = format!(
        "{base}/api/organisationUnits?fields={fields}&pageSize={}",
        plan.page_size
    );
    let render = Instant::now();
    let body_len = probe_len(rt, &base, &single)?;
    let render = render.elapsed().as_secs_f64();
    let cached = Instant::now();
    probe_len(rt, &base, &single)?;
    let cached = cached.elapsed().as_secs_f64();
    let mut notes = vec![
        format!(
            "paged_100k is served by the emulator (release build, on the server runtime) started with Seed::Empty \
             and synthetic_org_units({}) ({:.1} MiB for the paging=false list with fields={FIELDS}; {built:.2} s \
             to build the store); its first paging=false answer took {render:.3} s to render and fetch, a repeat \
             {cached:.3} s: large list answers are cached per store generation, and every contender's query is \
             answered once in the warmup, so the measured runs time the client",
            plan.org_units,
            body_len as f64 / (1024.0 * 1024.0)
        ),
        "paged_100k: reqwest decodes into a hand-written 8-field struct (what a user writes for these fields); \
         dhis2_typed into the generated OrganisationUnit model; dhis2_raw into serde_json"
            .to_string(),
    ];
    let mut contenders = vec![
        (
            contender::HYPER_BARE,
            Client::HyperBare(hyper_bare::client(1)?, hyper_bare::uri(&base, &single)?),
        ),
        (
            contender::REQWEST,
            Client::Reqwest(by_hand::client()?, first_page),
        ),
    ];
    let setup = Setup {
        max_idle: 1,
        limit: Limit::Default,
    };
    let connected = block_on_within(rt, STEP_LIMIT, "dhis2 connect", async {
        Ok::<_, BenchError>((
            dhis2c::connect(&base, setup).await?,
            dhis2c::connect(&base, setup).await?,
        ))
    });
    match connected {
        Ok((typed, raw)) => {
            contenders.push((
                contender::DHIS2_TYPED,
                Client::Dhis2Typed(typed, plan.page_size),
            ));
            contenders.push((contender::DHIS2_RAW, Client::Dhis2Raw(raw)));
        }
        Err(e) => notes.push(format!("paged_100k: dhis2 contenders left out: {e}")),
    }
    let expected = plan.org_units;
    let mut outcome = measure(
        Workload::Paged100k,
        plan.runs,
        &contenders,
        |name, client, _| {
            let want = if name == contender::HYPER_BARE {
                body_len
            } else {
                expected
            };
            timed_fetch(rt, name, client.fetch(), want)
        },
    );
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}
