//! limit_10k: 10,000 `GET /api/me` through 50 clones of one client with `max_concurrent_requests(20)`
//! (`dhis2_raw`) versus the same load with the limit off at concurrency 20 (`dhis2_unlimited`); `hyper_bare` at
//! concurrency 20 for reference. The emulator holds each request briefly (a `delay-headers` fault on the route) so
//! requests overlap, and its counters record the most it saw in flight at once.

use std::hint::black_box;
use std::time::Duration;

use dhis2_emulator::{Compression, Emulator, Fault, FaultPlan, Seed};
use http::Uri;
use tokio::runtime::Runtime;

use crate::contenders::dhis2c::{self, Dhis2, Limit, Setup};
use crate::contenders::hyper_bare::{self, BareClient};
use crate::drive::{block_on_within, STEP_LIMIT};
use crate::drive::{closed_loop, Load, Op};
use crate::outcome::{measure, Outcome, Phase};
use crate::server::ServerHost;
use crate::workload::{contender, metric, Plan, Workload};
use crate::BenchError;

const PATH: &str = "/api/me";

#[derive(Clone)]
struct HyperMe(BareClient, Uri);

impl Op for HyperMe {
    async fn call(&self) -> Result<(), BenchError> {
        black_box(hyper_bare::get_bytes(&self.0, &self.1).await?.len());
        Ok(())
    }
}

#[derive(Clone)]
struct Dhis2Me(Dhis2);

impl Op for Dhis2Me {
    async fn call(&self) -> Result<(), BenchError> {
        self.0.me_raw().await
    }
}

enum Client {
    HyperBare(HyperMe),
    Dhis2(Dhis2Me),
}

impl Client {
    async fn drive(&self, concurrency: usize, requests: u64) -> Result<Load, BenchError> {
        // The request budget ends a run; the time budget is only a guard against a stuck run.
        let guard = Duration::from_secs(120);
        match self {
            Client::HyperBare(op) => closed_loop(concurrency, requests, guard, op.clone()).await,
            Client::Dhis2(op) => closed_loop(concurrency, requests, guard, op.clone()).await,
        }
    }
}

/// Runs limit_10k.
pub(crate) fn run(host: &ServerHost, rt: &Runtime, plan: &Plan) -> Result<Outcome, BenchError> {
    // Identity answers, as to hyper_bare (loopback measures the client; compression is the WAN workloads' topic).
    let emulator = host.start_emulator(
        Emulator::builder()
            .seed(Seed::Empty)
            .compression(Compression::Off),
    )?;
    // Every /api/me waits this long before its answer, so requests overlap and in-flight counts mean something.
    emulator.faults().set(
        PATH,
        FaultPlan::always(Fault::DelayHeaders(plan.limit_server_delay)),
    );
    let counters = emulator.counters();
    let base = emulator.url().to_string();
    let limit = plan.limit_max;
    let mut notes = vec![format!(
        "limit_10k: the emulator holds each /api/me {} ms (a repeating delay-headers fault) so requests overlap, \
         and max_in_flight is its own counter, reset before each run; dhis2_unlimited is built with \
         Limits::unlimited() (no concurrency-limit layer in its stack) and driven by 20 tasks, so the ratio is \
         the cost of the limit layer with 50 tasks queueing for 20 permits",
        plan.limit_server_delay.as_millis()
    )];
    // (name, client, load tasks): each task owns one clone of the client.
    let mut contenders = vec![(
        contender::HYPER_BARE,
        (
            Client::HyperBare(HyperMe(
                hyper_bare::client(limit)?,
                hyper_bare::uri(&base, PATH)?,
            )),
            limit,
        ),
    )];
    let connected = block_on_within(rt, STEP_LIMIT, "dhis2 connect", async {
        let limited = dhis2c::connect(
            &base,
            Setup {
                max_idle: limit,
                limit: Limit::At(limit),
            },
        )
        .await?;
        let unlimited = dhis2c::connect(
            &base,
            Setup {
                max_idle: limit,
                limit: Limit::Off,
            },
        )
        .await?;
        Ok::<_, BenchError>((limited, unlimited))
    });
    match connected {
        Ok((limited, unlimited)) => {
            contenders.push((
                contender::DHIS2_RAW,
                (Client::Dhis2(Dhis2Me(limited)), plan.limit_clones),
            ));
            contenders.push((
                contender::DHIS2_UNLIMITED,
                (Client::Dhis2(Dhis2Me(unlimited)), limit),
            ));
        }
        Err(e) => notes.push(format!("limit_10k: dhis2 contenders left out: {e}")),
    }
    let mut outcome = measure(
        Workload::Limit10k,
        plan.runs,
        &contenders,
        |_, (client, tasks), phase| {
            let requests = match phase {
                Phase::Warmup => plan.limit_requests / 10,
                Phase::Measured => plan.limit_requests,
            };
            counters.reset();
            let load =
                block_on_within(rt, STEP_LIMIT, "a load run", client.drive(*tasks, requests))?;
            if load.completed != requests {
                return Err(format!("completed {} of {requests} requests", load.completed).into());
            }
            Ok(vec![
                (metric::REQ_PER_S, load.req_per_s()),
                (metric::MAX_IN_FLIGHT, counters.max_in_flight() as f64),
            ])
        },
    );
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}
