//! emulator_list / emulator_me: how many simple requests per second the emulator (release build, demo seed, on
//! the server runtime) answers to the bare hyper-util client at concurrency 64, so the report shows whether the
//! emulator could be the bottleneck of a client benchmark (issue 3).

use std::hint::black_box;

use dhis2_emulator::{Emulator, Seed};
use http::Uri;
use tokio::runtime::Runtime;

use crate::contenders::hyper_bare::{self, BareClient};
use crate::drive::{block_on_within, closed_loop, Op, STEP_LIMIT};
use crate::outcome::{measure, Outcome, Phase};
use crate::server::ServerHost;
use crate::workload::{contender, metric, Plan, Workload};
use crate::BenchError;

/// A simple list: the first page of 50 data elements with the default fields (`id,displayName`).
pub(crate) const LIST_PATH: &str = "/api/dataElements?pageSize=50";
/// The current user, as every client asks for it.
pub(crate) const ME_PATH: &str = "/api/me";

#[derive(Clone)]
struct HyperGet(BareClient, Uri);

impl Op for HyperGet {
    async fn call(&self) -> Result<(), BenchError> {
        black_box(hyper_bare::get_bytes(&self.0, &self.1).await?.len());
        Ok(())
    }
}

/// Runs emulator_list or emulator_me.
pub(crate) fn run(
    host: &ServerHost,
    rt: &Runtime,
    plan: &Plan,
    workload: Workload,
) -> Result<Outcome, BenchError> {
    let path = match workload {
        Workload::EmulatorMe => ME_PATH,
        _ => LIST_PATH,
    };
    let emulator = host.start_emulator(Emulator::builder().seed(Seed::Demo))?;
    let concurrency = plan.emulator_concurrency;
    let op = HyperGet(
        hyper_bare::client(concurrency)?,
        hyper_bare::uri(emulator.url(), path)?,
    );
    let contenders = [(contender::HYPER_BARE, op)];
    let mut outcome = measure(workload, plan.runs, &contenders, |_, op, phase| {
        let time = match phase {
            Phase::Warmup => plan.emulator_time / 4,
            Phase::Measured => plan.emulator_time,
        };
        let load = block_on_within(
            rt,
            time + STEP_LIMIT,
            "a load run",
            closed_loop(concurrency, u64::MAX, time, op.clone()),
        )?;
        Ok(vec![(metric::REQ_PER_S, load.req_per_s())])
    });
    outcome.notes.insert(
        0,
        format!(
            "{workload}: the emulator itself (release build, demo seed, one server thread like every workload) \
             answering GET {path} to hyper_bare at concurrency {concurrency} for {} s per run; compare with \
             small_get_c64/hyper_bare, which is the same client against the fixed-cost canned server",
            plan.emulator_time.as_secs_f64()
        ),
    );
    Ok(outcome)
}
