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
    /// Through the shaped link (`bench/src/workloads/wan.rs`), `wan` profile.
    WanOrgUnits100k,
    WanExport1mValues,
    WanSmallGetC64,
    /// The list and the small calls through the `poor` profile, smaller.
    PoorOrgUnits2k,
    PoorSmallGetC64,
}

impl Workload {
    pub(crate) const ALL: [Workload; 13] = [
        Workload::SmallGetC1,
        Workload::SmallGetC64,
        Workload::Decode100k,
        Workload::Paged100k,
        Workload::Stream1Gib,
        Workload::Limit10k,
        Workload::EmulatorList,
        Workload::EmulatorMe,
        Workload::WanOrgUnits100k,
        Workload::WanExport1mValues,
        Workload::WanSmallGetC64,
        Workload::PoorOrgUnits2k,
        Workload::PoorSmallGetC64,
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
            Workload::WanOrgUnits100k => "wan_org_units_100k",
            Workload::WanExport1mValues => "wan_export_1m_values",
            Workload::WanSmallGetC64 => "wan_small_get_c64",
            Workload::PoorOrgUnits2k => "poor_org_units_2k",
            Workload::PoorSmallGetC64 => "poor_small_get_c64",
        }
    }

    /// Whether the workload runs through the shaped link (its limit row is `wire_limit`, not `hyper_bare`).
    pub(crate) fn is_shaped(self) -> bool {
        matches!(
            self,
            Workload::WanOrgUnits100k
                | Workload::WanExport1mValues
                | Workload::WanSmallGetC64
                | Workload::PoorOrgUnits2k
                | Workload::PoorSmallGetC64
        )
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
    /// Shaped link: the dhis2 client with `compression(false)`.
    pub(crate) const DHIS2_NO_COMPRESSION: &str = "dhis2_no_compression";
    /// Shaped link: the dhis2 client forced to HTTP/1.1 (`http1_only()`).
    pub(crate) const DHIS2_HTTP1: &str = "dhis2_http1";
    /// Shaped link: reqwest with its `gzip`, `http2` and rustls features.
    pub(crate) const REQWEST_GZIP: &str = "reqwest_gzip";
    /// Shaped link: the physical limit (bytes on the wire over the link rate plus unavoidable round trips).
    pub(crate) const WIRE_LIMIT: &str = "wire_limit";
    /// stream_1gib: the dhis2 download with gzip on (the emulator compresses, the client decodes).
    pub(crate) const DHIS2_GZIP: &str = "dhis2_gzip";
}

/// Metric names as they appear in the report.
pub(crate) mod metric {
    pub(crate) const REQ_PER_S: &str = "req_per_s";
    pub(crate) const SECONDS: &str = "seconds";
    pub(crate) const MIB_PER_S: &str = "mib_per_s";
    pub(crate) const PEAK_RSS_MIB: &str = "peak_rss_mib";
    pub(crate) const MAX_IN_FLIGHT: &str = "max_in_flight";
    /// Shaped link: MiB that crossed the link towards the client in the timed window (relay counter: TLS
    /// records, HTTP framing and bodies as sent).
    pub(crate) const WIRE_MIB: &str = "wire_mib";
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
    /// stream_1gib: runs of `dhis2_gzip` (no warmup).
    pub(crate) stream_gzip_runs: usize,
    /// Shaped-link workloads: measured runs of the small calls...
    pub(crate) wan_small_runs: usize,
    /// ...of the contenders that ask for gzip on the list and the export...
    pub(crate) wan_runs: usize,
    /// ...and of `dhis2_no_compression` and `hyper_bare`, whose transfers take several times as long.
    pub(crate) wan_plain_runs: usize,
    /// Org units of `wan_org_units_100k` and of `poor_org_units_2k`.
    pub(crate) wan_org_units: usize,
    pub(crate) poor_org_units: usize,
    /// Data values of `wan_export_1m_values`; the uncompressed contenders download this many times fewer.
    pub(crate) wan_export_values: u64,
    pub(crate) wan_export_plain_divisor: u64,
    /// Calls of `wan_small_get_c64` and of `poor_small_get_c64`.
    pub(crate) wan_calls: u64,
    pub(crate) poor_calls: u64,
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
                stream_gzip_runs: 1,
                wan_small_runs: runs.unwrap_or(1),
                wan_runs: runs.unwrap_or(1),
                wan_plain_runs: 1,
                wan_org_units: 10_000,
                poor_org_units: 500,
                wan_export_values: 100_000,
                wan_export_plain_divisor: 10,
                wan_calls: 320,
                poor_calls: 128,
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
                stream_gzip_runs: 2,
                wan_small_runs: runs.unwrap_or(3),
                wan_runs: runs.unwrap_or(2),
                wan_plain_runs: 1,
                wan_org_units: 100_000,
                poor_org_units: 2_000,
                wan_export_values: 1_000_000,
                wan_export_plain_divisor: 20,
                wan_calls: 1_280,
                poor_calls: 192,
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
        // The shaped-link sizes the issue names, smaller when quick.
        assert_eq!(f.wan_org_units, 100_000);
        assert_eq!(f.wan_export_values, 1_000_000);
        assert!(q.wan_org_units < f.wan_org_units && q.wan_export_values < f.wan_export_values);
        assert!(q.wan_calls < f.wan_calls && q.poor_calls < f.poor_calls);
        assert!(f.wan_plain_runs <= f.wan_runs && q.wan_plain_runs <= q.wan_runs);
        for w in Workload::ALL {
            assert_eq!(
                w.is_shaped(),
                w.as_str().starts_with("wan_") || w.as_str().starts_with("poor_")
            );
        }
    }
}
