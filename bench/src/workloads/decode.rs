//! decode_100k: fetch 100,000 org units from the emulator in one `paging=false` request (about 23 MB of JSON)
//! and decode them: `dhis2_typed` into models, `dhis2_raw` into `serde_json::Value`, `reqwest` into hand-written
//! structs, `hyper_bare` not at all (raw bytes, the transport limit).

use std::future::Future;
use std::hint::black_box;
use std::time::Instant;

use dhis2_emulator::{Emulator, Seed};

use http::Uri;
use tokio::runtime::Runtime;

use crate::contenders::by_hand;
use crate::contenders::dhis2c::{self, Dhis2, Limit, Setup};
use crate::contenders::hyper_bare::{self, BareClient};
use crate::drive::{block_on_within, STEP_LIMIT};
use crate::outcome::{measure, Outcome};
use crate::server::ServerHost;
use crate::workload::{contender, metric, Plan, Workload};
use crate::BenchError;

/// The `fields=` every contender asks for (the same for all): what a listing of org units typically needs.
pub(crate) const FIELDS: &str = "id,name,code,level,path,created,lastUpdated,parent[id]";

/// `fields=` percent-encoded for clients that take a ready query string.
pub(crate) fn encoded_fields() -> String {
    FIELDS.replace('[', "%5B").replace(']', "%5D")
}

/// An emulator holding exactly `plan.org_units` org units (empty seed plus the synthetic set).
pub(crate) fn org_unit_emulator(host: &ServerHost, plan: &Plan) -> Result<Emulator, BenchError> {
    host.start_emulator(
        Emulator::builder()
            .seed(Seed::Empty)
            .synthetic_org_units(plan.org_units),
    )
}

/// Fetches `path` once with a bare client: its body length, and the emulator's list cache warmed for it.
pub(crate) fn probe_len(rt: &Runtime, base: &str, path: &str) -> Result<usize, BenchError> {
    let client = hyper_bare::client(1)?;
    let uri = hyper_bare::uri(base, path)?;
    block_on_within(rt, STEP_LIMIT, "probe", async {
        Ok::<_, BenchError>(hyper_bare::get_bytes(&client, &uri).await?.len())
    })
}

/// Times one whole fetch of `name` and checks it saw `want` units (bytes for hyper_bare): one `seconds` sample.
pub(crate) fn timed_fetch(
    rt: &Runtime,
    name: &'static str,
    fetch: impl Future<Output = Result<usize, BenchError>>,
    want: usize,
) -> Result<Vec<(&'static str, f64)>, BenchError> {
    let start = Instant::now();
    let seen = block_on_within(rt, STEP_LIMIT, name, fetch)?;
    let seconds = start.elapsed().as_secs_f64();
    if black_box(seen) != want {
        return Err(format!("{name} saw {seen}, expected {want}").into());
    }
    Ok(vec![(metric::SECONDS, seconds)])
}

enum Client {
    HyperBare(BareClient, Uri),
    Reqwest(reqwest::Client, String),
    Dhis2Typed(Dhis2),
    Dhis2Raw(Dhis2),
}

impl Client {
    /// One fetch + decode; returns the number of units seen (bytes for hyper_bare).
    async fn fetch(&self) -> Result<usize, BenchError> {
        match self {
            Client::HyperBare(client, uri) => Ok(hyper_bare::get_bytes(client, uri).await?.len()),
            Client::Reqwest(client, url) => {
                let list: by_hand::OrgUnitList = by_hand::get_json(client, url).await?;
                Ok(list.organisation_units.len())
            }
            Client::Dhis2Typed(client) => client.org_units_typed(FIELDS).await,
            Client::Dhis2Raw(client) => client.org_units_raw(FIELDS).await,
        }
    }
}

/// Runs decode_100k against the emulator.
pub(crate) fn run(host: &ServerHost, rt: &Runtime, plan: &Plan) -> Result<Outcome, BenchError> {
    let built = Instant::now();
    let emulator = org_unit_emulator(host, plan)?;
    let built = built.elapsed().as_secs_f64();
    let base = emulator.url().to_string();
    let query = format!(
        "/api/organisationUnits?paging=false&fields={}",
        encoded_fields()
    );
    let render = Instant::now();
    let body_len = probe_len(rt, &base, &query)?;
    let render = render.elapsed().as_secs_f64();
    let cached = Instant::now();
    probe_len(rt, &base, &query)?;
    let cached = cached.elapsed().as_secs_f64();
    let mut notes = vec![format!(
        "decode_100k and paged_100k are served by the emulator (release build, on the server runtime) started \
         with Seed::Empty and synthetic_org_units({}) ({:.1} MiB for the paging=false list with these fields; \
         {built:.2} s to build the store); its first paging=false answer took {render:.3} s to render and fetch, \
         a repeat {cached:.3} s: large list answers are cached per store generation, and every contender's \
         query is answered once in the warmup, so the measured runs time the client",
        plan.org_units,
        body_len as f64 / (1024.0 * 1024.0)
    )];
    let mut contenders = vec![
        (
            contender::HYPER_BARE,
            Client::HyperBare(hyper_bare::client(1)?, hyper_bare::uri(&base, &query)?),
        ),
        (
            contender::REQWEST,
            Client::Reqwest(by_hand::client()?, format!("{base}{query}")),
        ),
    ];
    let setup = Setup {
        max_idle: 1,
        limit: Limit::Default,
    };
    match block_on_within(rt, STEP_LIMIT, "dhis2 connect", async {
        Ok::<_, BenchError>((
            dhis2c::connect(&base, setup).await?,
            dhis2c::connect(&base, setup).await?,
        ))
    }) {
        Ok((typed, raw)) => {
            contenders.push((contender::DHIS2_TYPED, Client::Dhis2Typed(typed)));
            contenders.push((contender::DHIS2_RAW, Client::Dhis2Raw(raw)));
        }
        Err(e) => notes.push(format!("decode_100k: dhis2 contenders left out: {e}")),
    }
    notes.push(
        "decode_100k/paged_100k: reqwest decodes into a hand-written 8-field struct (what a user writes for \
         these fields); dhis2_typed into the generated OrganisationUnit model (every DHIS2 property a Field, \
         unknown keys kept); dhis2_raw into serde_json; hyper_bare only collects the bytes"
            .to_string(),
    );
    let expected = plan.org_units;
    let mut outcome = measure(
        Workload::Decode100k,
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
