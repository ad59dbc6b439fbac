//! Names of workloads, contenders and metrics, and the sizes of a full and a quick run.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::BenchError;

/// The workloads of DESIGN section 7, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Workload {
    SmallGetC1,
    SmallGetC64,
    Decode100k,
    Paged100k,
    Stream1Gib,
    Limit10k,
    EmulatorList,
    EmulatorMe,
}

impl Workload {
    pub(crate) const ALL: [Workload; 8] = [
        Workload::SmallGetC1,
        Workload::SmallGetC64,
        Workload::Decode100k,
        Workload::Paged100k,
        Workload::Stream1Gib,
        Workload::Limit10k,
        Workload::EmulatorList,
        Workload::EmulatorMe,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Workload::SmallGetC1 => "small_get_c1",
            Workload::SmallGetC64 => "small_get_c64",
            Workload::Decode100k => "decode_100k",
            Workload::Paged100k => "paged_100k",
            Workload::Stream1Gib => "stream_1gib",
            Workload::Limit10k => "limit_10k",
            Workload::EmulatorList => "emulator_list",
            Workload::EmulatorMe => "emulator_me",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Workload {
    type Err = BenchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Workload::ALL.iter().map(|w| w.as_str()).collect();
                format!(
                    "unknown workload {s:?}; expected one of {}",
                    names.join(", ")
                )
                .into()
            })
    }
}

/// Contender names as they appear in the report.
pub(crate) mod contender {
    pub(crate) const DHIS2_TYPED: &str = "dhis2_typed";
    pub(crate) const DHIS2_RAW: &str = "dhis2_raw";
    pub(crate) const DHIS2_GET_RESPONSE: &str = "dhis2_get_response";
    pub(crate) const DHIS2_UNLIMITED: &str = "dhis2_unlimited";
    pub(crate) const HYPER_BARE: &str = "hyper_bare";
    pub(crate) const REQWEST: &str = "reqwest";
    /// small_get: bare hyper plus a `serde_json::Value` decode (the same work as `dhis2_raw`).
    pub(crate) const HYPER_DECODE: &str = "hyper_decode";
    /// decode_100k: bare hyper plus plain `#[derive(Deserialize)]` structs (no `Field`, no unknown-key capture).
    pub(crate) const SERDE_PLAIN_TYPED: &str = "serde_plain_typed";
    /// decode_100k: bare hyper plus a `serde_json::Value` decode.
    pub(crate) const SERDE_VALUE: &str = "serde_value";
}

/// Metric names as they appear in the report.
pub(crate) mod metric {
    pub(crate) const REQ_PER_S: &str = "req_per_s";
    pub(crate) const SECONDS: &str = "seconds";
    pub(crate) const MIB_PER_S: &str = "mib_per_s";
    pub(crate) const PEAK_RSS_MIB: &str = "peak_rss_mib";
    pub(crate) const MAX_IN_FLIGHT: &str = "max_in_flight";
}

/// Sizes of one benchmark run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) quick: bool,
    /// Measured runs per contender (the median of these is reported).
    pub(crate) runs: usize,
    /// small_get: stop after this many requests...
    pub(crate) small_get_requests: u64,
    /// ...or after this long, whichever comes first.
    pub(crate) small_get_max_time: Duration,
    /// small_get: each run is split into this many slices, contenders taking turns slice by slice.
    pub(crate) small_get_slices: usize,
    /// Requests per contender before measuring (opens pooled connections, warms caches).
    pub(crate) warmup_requests: u64,
    /// Objects in the decode_100k / paged_100k list.
    pub(crate) org_units: usize,
    /// paged_100k page size.
    pub(crate) page_size: usize,
    /// Bytes in the stream_1gib export (the emulator generates `export_rows()` rows of about this many bytes).
    pub(crate) export_bytes: u64,
    /// limit_10k total requests, clones, limit.
    pub(crate) limit_requests: u64,
    pub(crate) limit_clones: usize,
    pub(crate) limit_max: usize,
    /// Server-side time per limit_10k request, so requests overlap and the in-flight count means something.
    pub(crate) limit_server_delay: Duration,
    /// emulator_list / emulator_me: load tasks, and the time each measured run lasts.
    pub(crate) emulator_concurrency: usize,
    pub(crate) emulator_time: Duration,
}

/// Average bytes of one synthetic data value row of the emulator's export (its `synthetic` module documents 281).
pub(crate) const EXPORT_ROW_BYTES: u64 = 281;

impl Plan {
    pub(crate) fn new(quick: bool, runs: Option<usize>) -> Plan {
        if quick {
            Plan {
                quick,
                runs: runs.unwrap_or(3),
                small_get_requests: 20_000,
                small_get_max_time: Duration::from_secs(1),
                small_get_slices: 5,
                warmup_requests: 500,
                org_units: 100_000,
                page_size: 1000,
                export_bytes: 256 << 20,
                limit_requests: 2_000,
                limit_clones: 50,
                limit_max: 20,
                limit_server_delay: Duration::from_millis(1),
                emulator_concurrency: 64,
                emulator_time: Duration::from_secs(1),
            }
        } else {
            Plan {
                quick,
                runs: runs.unwrap_or(5),
                small_get_requests: 100_000,
                small_get_max_time: Duration::from_secs(10),
                small_get_slices: 10,
                warmup_requests: 2_000,
                org_units: 100_000,
                page_size: 1000,
                export_bytes: 1 << 30,
                limit_requests: 10_000,
                limit_clones: 50,
                limit_max: 20,
                limit_server_delay: Duration::from_millis(1),
                emulator_concurrency: 64,
                emulator_time: Duration::from_secs(3),
            }
        }
    }

    /// Rows of the emulator's synthetic export that make about `export_bytes`.
    pub(crate) fn export_rows(&self) -> u64 {
        self.export_bytes / EXPORT_ROW_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(w.as_str().parse::<Workload>().unwrap(), w);
        }
        assert!("small_get".parse::<Workload>().is_err());
    }

    #[test]
    fn quick_plan_is_smaller() {
        let (q, f) = (Plan::new(true, None), Plan::new(false, None));
        assert!(q.runs < f.runs);
        assert!(q.small_get_requests < f.small_get_requests);
        assert!(q.export_bytes < f.export_bytes);
        assert_eq!(f.export_bytes, 1 << 30);
        assert_eq!(f.limit_requests, 10_000);
        assert_eq!(Plan::new(false, Some(2)).runs, 2);
        // 1 GiB of rows at 281 bytes each: about 3.82 million.
        assert_eq!(f.export_rows(), 3_821_145);
        assert!(q.emulator_time < f.emulator_time);
    }
}
