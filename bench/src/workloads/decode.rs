//! decode_100k: fetch 100,000 org units in one `paging=false&fields=*` answer (realistic `fields=*` units, about
//! 62 MB, see `org_units.rs`) from the fixed-cost server and decode them: `dhis2_typed` into the generated
//! lossless models, `dhis2_raw` with `get_raw`; the baselines fetch with bare hyper and decode into plain derive
//! structs (`serde_plain_typed`) or `serde_json::Value` (`serde_value`); `reqwest` decodes into the same plain
//! structs; `hyper_bare` does not decode at all (the transport limit).

use std::future::Future;
use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use http::Uri;
use tokio::runtime::Runtime;

use crate::contenders::dhis2c::{self, Dhis2, Limit, Setup};
use crate::contenders::hyper_bare::{self, BareClient};
use crate::contenders::{by_hand, plain};
use crate::decode_only;
use crate::drive::{block_on_within, STEP_LIMIT};
use crate::outcome::{measure, Outcome};
use crate::server::ServerHost;
use crate::workload::{contender, metric, Plan, Workload};
use crate::BenchError;

/// Fetches `path` once with a bare client: its body length (and, on the emulator, its list cache warmed).
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

/// The query every contender sends (the fixed-cost server answers the same list to any query).
const QUERY: &str = "/api/organisationUnits?paging=false&fields=*";

enum Client {
    HyperBare(BareClient, Uri),
    /// Bare hyper, then `decode_only::decode(decoder, ..)` (`serde_plain_typed` or `serde_value`).
    HyperThen(&'static str, BareClient, Uri),
    Reqwest(reqwest::Client, String),
    Dhis2Typed(Dhis2),
    Dhis2Raw(Dhis2),
}

impl Client {
    /// One fetch + decode (the decoded list is dropped before it returns); returns the number of units seen
    /// (bytes for hyper_bare).
    async fn fetch(&self) -> Result<usize, BenchError> {
        match self {
            Client::HyperBare(client, uri) => Ok(hyper_bare::get_bytes(client, uri).await?.len()),
            Client::HyperThen(decoder, client, uri) => {
                let bytes = hyper_bare::get_bytes(client, uri).await?;
                decode_only::decode(decoder, &bytes)
            }
            Client::Reqwest(client, url) => {
                let list: plain::OrgUnitList = by_hand::get_json(client, url).await?;
                Ok(list.organisation_units.len())
            }
            Client::Dhis2Typed(client) => client.org_units_typed("*").await,
            Client::Dhis2Raw(client) => client.org_units_raw("*").await,
        }
    }
}

/// Runs decode_100k against the fixed-cost server.
pub(crate) fn run(host: &ServerHost, rt: &Runtime, plan: &Plan) -> Result<Outcome, BenchError> {
    let list = Bytes::from(crate::org_units::list_json(plan.org_units));
    let body_len = list.len();
    let server = host.start_with_org_units(list)?;
    let base = server.url();
    let mut notes = vec![format!(
        "decode_100k: {} realistic fields=* org units ({:.1} MiB, {} bytes a unit: sharing, translations, \
         attribute values, a geometry on one in ten; bench/src/org_units.rs) served from memory by the fixed-cost \
         server; serde_plain_typed and serde_value fetch with the hyper_bare client and decode with \
         serde_json::from_slice into plain derive structs (no Field, unknown keys skipped) and into \
         serde_json::Value; reqwest decodes into the same plain structs; dhis2_typed into the generated \
         OrganisationUnit model (every DHIS2 property a Field, unknown keys kept); dhis2_raw is get_raw; \
         `dhis2-bench decode-only` times the same decoders on bytes in memory",
        plan.org_units,
        body_len as f64 / (1024.0 * 1024.0),
        body_len / plan.org_units.max(1)
    )];
    let bare = |decoder: Option<&'static str>| -> Result<Client, BenchError> {
        let (client, uri) = (hyper_bare::client(1)?, hyper_bare::uri(&base, QUERY)?);
        Ok(match decoder {
            Some(d) => Client::HyperThen(d, client, uri),
            None => Client::HyperBare(client, uri),
        })
    };
    let mut contenders = vec![
        (contender::HYPER_BARE, bare(None)?),
        (
            contender::SERDE_PLAIN_TYPED,
            bare(Some(contender::SERDE_PLAIN_TYPED))?,
        ),
        (contender::SERDE_VALUE, bare(Some(contender::SERDE_VALUE))?),
        (
            contender::REQWEST,
            Client::Reqwest(by_hand::client()?, format!("{base}{QUERY}")),
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
    drop(server);
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}
