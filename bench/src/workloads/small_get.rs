//! small_get_c1 / small_get_c64: `GET /api/me` (about 1 KB of JSON) from a fixed-cost server, closed loop.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use http::Uri;
use tokio::runtime::Runtime;

use crate::contenders::hyper_bare::{self, BareClient};
use crate::contenders::{by_hand, dhis2c};
use crate::drive::{block_on_within, STEP_LIMIT};
use crate::drive::{closed_loop, Load, Op};
use crate::outcome::{measure_sliced, Outcome, Phase};
use crate::server::ServerHost;
use crate::workload::{contender, metric, Plan, Workload};
use crate::BenchError;

const PATH: &str = "/api/me";

/// bare hyper: bytes only.
#[derive(Clone)]
struct HyperMe {
    client: BareClient,
    uri: Uri,
}

impl Op for HyperMe {
    async fn call(&self) -> Result<(), BenchError> {
        let bytes = hyper_bare::get_bytes(&self.client, &self.uri).await?;
        black_box(bytes.len());
        Ok(())
    }
}

/// bare hyper plus the decode `dhis2_raw` does: bytes into `serde_json::Value` (the same-work baseline).
#[derive(Clone)]
struct HyperDecodeMe {
    client: BareClient,
    uri: Uri,
}

impl Op for HyperDecodeMe {
    async fn call(&self) -> Result<(), BenchError> {
        let bytes = hyper_bare::get_bytes(&self.client, &self.uri).await?;
        let me: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("hyper_decode GET {}: decode: {e}", self.uri))?;
        black_box(me.get("username").is_some());
        Ok(())
    }
}

/// reqwest: decode into `serde_json::Value`, as a user without models does.
#[derive(Clone)]
struct ReqwestMe {
    client: reqwest::Client,
    url: Arc<str>,
}

impl Op for ReqwestMe {
    async fn call(&self) -> Result<(), BenchError> {
        let me: serde_json::Value = by_hand::get_json(&self.client, &self.url).await?;
        black_box(me.get("username").is_some());
        Ok(())
    }
}

enum SmallClient {
    HyperBare(HyperMe),
    HyperDecode(HyperDecodeMe),
    Reqwest(ReqwestMe),
    Dhis2(dhis2c::SmallGet),
}

impl SmallClient {
    async fn drive(
        &self,
        concurrency: usize,
        requests: u64,
        time: Duration,
    ) -> Result<Load, BenchError> {
        match self {
            SmallClient::HyperBare(op) => {
                closed_loop(concurrency, requests, time, op.clone()).await
            }
            SmallClient::HyperDecode(op) => {
                closed_loop(concurrency, requests, time, op.clone()).await
            }
            SmallClient::Reqwest(op) => closed_loop(concurrency, requests, time, op.clone()).await,
            SmallClient::Dhis2(op) => closed_loop(concurrency, requests, time, op.clone()).await,
        }
    }
}

/// Runs one small_get workload at `concurrency`.
pub(crate) fn run(
    host: &ServerHost,
    rt: &Runtime,
    plan: &Plan,
    workload: Workload,
    concurrency: usize,
) -> Result<Outcome, BenchError> {
    let server = host.start()?;
    let base = server.url();
    let mut notes = vec![
        "small_get: hyper_bare and dhis2_get_response collect the body bytes only; dhis2_raw (serde_json map), \
         dhis2_typed (dhis2::models::Me), hyper_decode (the hyper_bare client, then serde_json::Value) and \
         reqwest (serde_json::Value) also decode the JSON; the typed and raw targets are therefore set against \
         hyper_decode, the same work without the stack"
            .to_string(),
    ];
    // Every pool may keep one idle connection per load task, so no contender reconnects mid-run.
    let idle = concurrency.max(1);
    let mut contenders: Vec<(&'static str, SmallClient)> = vec![
        (
            contender::HYPER_BARE,
            SmallClient::HyperBare(HyperMe {
                client: hyper_bare::client(idle)?,
                uri: hyper_bare::uri(&base, PATH)?,
            }),
        ),
        (
            contender::HYPER_DECODE,
            SmallClient::HyperDecode(HyperDecodeMe {
                client: hyper_bare::client(idle)?,
                uri: hyper_bare::uri(&base, PATH)?,
            }),
        ),
        (
            contender::REQWEST,
            SmallClient::Reqwest(ReqwestMe {
                client: by_hand::client()?,
                url: Arc::from(format!("{base}{PATH}")),
            }),
        ),
    ];
    match block_on_within(
        rt,
        STEP_LIMIT,
        "dhis2 connect",
        dhis2c::small_get_contenders(&base, PATH, idle),
    ) {
        Ok(list) => contenders.extend(list.into_iter().map(|(n, op)| (n, SmallClient::Dhis2(op)))),
        Err(e) => notes.push(format!("{workload}: dhis2 contenders left out: {e}")),
    }
    let slices = plan.small_get_slices as u64;
    let mut outcome = measure_sliced(
        workload,
        plan.runs,
        plan.small_get_slices,
        &contenders,
        metric::REQ_PER_S,
        |client, phase| {
            let (requests, time) = match phase {
                Phase::Warmup => (plan.warmup_requests, plan.small_get_max_time),
                Phase::Measured => (
                    plan.small_get_requests / slices,
                    plan.small_get_max_time / plan.small_get_slices as u32,
                ),
            };
            block_on_within(
                rt,
                time + STEP_LIMIT,
                "a load slice",
                client.drive(concurrency, requests, time),
            )
        },
    );
    notes.append(&mut outcome.notes);
    let bare = outcome
        .rows
        .iter()
        .find(|r| r.contender == contender::HYPER_BARE && r.metric == metric::REQ_PER_S)
        .map(|r| r.summary.median);
    notes.push(decode_cost_note(workload, concurrency, bare));
    outcome.notes = notes;
    Ok(outcome)
}

/// What decoding the answer alone costs (in this process, no network), next to hyper_bare's time per request: the
/// part of the typed/raw gap to hyper_bare (which decodes nothing) that no client stack can remove.
fn decode_cost_note(workload: Workload, concurrency: usize, bare_req_per_s: Option<f64>) -> String {
    const N: u32 = 20_000;
    let body = crate::canned::ME.as_bytes();
    let time = |decode: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        for _ in 0..N {
            black_box(decode());
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(N)
    };
    let typed = time(&|| serde_json::from_slice::<dhis2::models::Me>(body).is_ok());
    let value = time(&|| serde_json::from_slice::<serde_json::Value>(body).is_ok());
    let budget = match bare_req_per_s {
        Some(rate) if rate > 0.0 => {
            let per_request = 1e6 / rate * concurrency.min(crate::server::client_threads()) as f64;
            format!(
                "; hyper_bare completes a request every {per_request:.2} us per client thread here, so adding \
                 the decode alone holds a typed client to at most {:.2}x of it and a JSON-map client to {:.2}x",
                per_request / (per_request + typed),
                per_request / (per_request + value)
            )
        }
        _ => String::new(),
    };
    format!(
        "{workload}: decoding the {} B /api/me answer alone takes {typed:.2} us into dhis2::models::Me and \
         {value:.2} us into serde_json::Value as reqwest does (dhis2_raw's own decoder builds the same map about \
         13% faster; mean of {N} decodes in this process){budget}",
        body.len()
    )
}
