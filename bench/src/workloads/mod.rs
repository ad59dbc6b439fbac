//! One module per workload of DESIGN section 7.

pub(crate) mod decode;
pub(crate) mod emulator;
pub(crate) mod limit;
pub(crate) mod paged;
pub(crate) mod small_get;
pub(crate) mod stream;
pub(crate) mod wan;

use tokio::runtime::Runtime;

use crate::outcome::Outcome;
use crate::server::ServerHost;
use crate::workload::{Plan, Workload};
use crate::BenchError;

/// Runs one workload through all its contenders.
pub(crate) fn run(
    workload: Workload,
    host: &ServerHost,
    rt: &Runtime,
    plan: &Plan,
) -> Result<Outcome, BenchError> {
    match workload {
        Workload::SmallGetC1 => small_get::run(host, rt, plan, workload, 1),
        Workload::SmallGetC64 => small_get::run(host, rt, plan, workload, 64),
        Workload::Decode100k => decode::run(host, rt, plan),
        Workload::Paged100k => paged::run(host, rt, plan),
        Workload::Stream1Gib => stream::run(host, rt, plan),
        Workload::Limit10k => limit::run(host, rt, plan),
        Workload::EmulatorList | Workload::EmulatorMe => emulator::run(host, rt, plan, workload),
        Workload::WanOrgUnits100k
        | Workload::WanExport1mValues
        | Workload::WanSmallGetC64
        | Workload::PoorOrgUnits2k
        | Workload::PoorSmallGetC64 => wan::run(workload, host, rt, plan),
    }
}
