//! decode_100k: fetch 100,000 org units in one `paging=false` request (about 23 MB of JSON) and decode them:
//! `dhis2_typed` into models, `dhis2_raw` into `serde_json::Value`, `reqwest` into hand-written structs,
//! `hyper_bare` not at all (raw bytes, the transport limit).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use http::Uri;
use tokio::runtime::Runtime;

use crate::contenders::by_hand;
use crate::contenders::dhis2c::{self, Dhis2, Limit, Setup};
use crate::contenders::hyper_bare::{self, BareClient};
use crate::drive::{block_on_within, STEP_LIMIT};
use crate::orgunits::{self, OrgUnits};
use crate::outcome::{measure, Outcome};
use crate::server::{ServerConfig, ServerHost};
use crate::workload::{contender, metric, Plan, Workload};
use crate::BenchError;

/// `fields=` percent-encoded for clients that take a ready query string.
pub(crate) fn encoded_fields() -> String {
    orgunits::FIELDS.replace('[', "%5B").replace(']', "%5D")
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
            Client::Dhis2Typed(client) => client.org_units_typed(orgunits::FIELDS).await,
            Client::Dhis2Raw(client) => client.org_units_raw(orgunits::FIELDS).await,
        }
    }
}

/// Runs decode_100k against a fixed-cost server holding the list pre-rendered.
pub(crate) fn run(host: &ServerHost, rt: &Runtime, plan: &Plan) -> Result<Outcome, BenchError> {
    let units = Arc::new(OrgUnits::generate(plan.org_units));
    let body_len = units.full().len();
    let server = host.start(ServerConfig {
        org_units: Some(units),
        ..ServerConfig::default()
    })?;
    let base = server.url();
    let query = format!(
        "/api/organisationUnits?paging=false&fields={}",
        encoded_fields()
    );
    let mut notes = vec![format!(
        "decode_100k and paged_100k are served by the bench's own fixed-cost server ({} org units, {:.1} MiB \
         pre-rendered), not the emulator: it has no large synthetic org-unit option, and a pre-rendered list keeps \
         server time out of the client's figure",
        plan.org_units,
        body_len as f64 / (1024.0 * 1024.0)
    )];
    let mut contenders = vec![
        (
            contender::HYPER_BARE,
            Client::HyperBare(hyper_bare::client(1), hyper_bare::uri(&base, &query)?),
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
            let start = Instant::now();
            let seen = block_on_within(rt, STEP_LIMIT, name, client.fetch())?;
            let seconds = start.elapsed().as_secs_f64();
            let want = if name == contender::HYPER_BARE {
                body_len
            } else {
                expected
            };
            if black_box(seen) != want {
                return Err(format!("{name} saw {seen}, expected {want}").into());
            }
            Ok(vec![(metric::SECONDS, seconds)])
        },
    );
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}
