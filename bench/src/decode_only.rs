//! `dhis2-bench decode-only`: the decode_100k payload decoded from bytes already in memory, no network, by each
//! decoder in turn (issue 11, section 6). For profiling (`--decoder NAME` runs only that one) and for reading
//! the decode cost apart from the transport. Prints a table; writes no report.

use std::hint::black_box;
use std::time::Instant;

use dhis2::models::OrganisationUnit;
use dhis2::Page;

use crate::contenders::plain;
use crate::stats::summarize;
use crate::workload::contender as c;
use crate::BenchError;

/// Options of `decode-only`.
#[derive(Debug, Clone)]
pub(crate) struct DecodeOptions {
    /// Units in the payload.
    pub(crate) units: usize,
    /// Timed decodes per decoder.
    pub(crate) runs: usize,
    /// Only this decoder (for a profiler); all when `None`.
    pub(crate) decoder: Option<String>,
    /// Also write the payload here (to time other decoders on it outside this workspace).
    pub(crate) save: Option<std::path::PathBuf>,
}

/// The decoders, each with the baseline its target is measured against.
pub(crate) const DECODERS: &[(&str, Option<&str>)] = &[
    (c::SERDE_PLAIN_TYPED, None),
    (c::DHIS2_TYPED, Some(c::SERDE_PLAIN_TYPED)),
    (c::SERDE_VALUE, None),
    (c::DHIS2_RAW, Some(c::SERDE_VALUE)),
];

/// A decoded list, held so that decoding and dropping can be timed apart.
pub(crate) enum Decoded {
    Plain(plain::OrgUnitList),
    Typed(Page<OrganisationUnit>),
    Value(serde_json::Value),
}

impl Decoded {
    /// The number of units in the list.
    pub(crate) fn units(&self) -> Result<usize, BenchError> {
        match self {
            Decoded::Plain(list) => Ok(list.organisation_units.len()),
            Decoded::Typed(page) => Ok(page.items.len()),
            Decoded::Value(value) => units_of(value),
        }
    }
}

/// Decodes `bytes` with `decoder`, keeping the result.
pub(crate) fn decode_kept(decoder: &str, bytes: &[u8]) -> Result<Decoded, BenchError> {
    Ok(match decoder {
        c::SERDE_PLAIN_TYPED => Decoded::Plain(serde_json::from_slice(bytes)?),
        c::DHIS2_TYPED => Decoded::Typed(serde_json::from_slice(bytes)?),
        c::SERDE_VALUE => Decoded::Value(serde_json::from_slice(bytes)?),
        c::DHIS2_RAW => Decoded::Value(dhis2::__bench::decode_raw(bytes)?),
        other => return Err(format!("unknown decoder {other:?}").into()),
    })
}

/// Decodes `bytes` with `decoder`; returns the number of units and drops the result (as in decode_100k, where
/// the decoded list is dropped inside the measured fetch).
pub(crate) fn decode(decoder: &str, bytes: &[u8]) -> Result<usize, BenchError> {
    let decoded = decode_kept(decoder, bytes)?;
    black_box(&decoded).units()
}

fn units_of(value: &serde_json::Value) -> Result<usize, BenchError> {
    value["organisationUnits"]
        .as_array()
        .map(Vec::len)
        .ok_or_else(|| "no organisationUnits array".into())
}

/// Runs the decoders and prints median, min and max milliseconds (wall and this thread's CPU time, decoding and
/// dropping the result) and each one's ratio to its baseline, and the CPU time of the drop alone.
pub(crate) fn run(opts: &DecodeOptions) -> Result<(), BenchError> {
    if cfg!(debug_assertions) {
        eprintln!("dhis2-bench: WARNING: debug build; numbers mean nothing. Use --release.");
    }
    let bytes = crate::org_units::list_json(opts.units);
    if let Some(path) = &opts.save {
        std::fs::write(path, &bytes)
            .map_err(|e| format!("cannot write the payload to {}: {e}", path.display()))?;
    }
    let selected: Vec<(&str, Option<&str>)> = match &opts.decoder {
        Some(name) => {
            let found = DECODERS.iter().find(|(d, _)| d == name).ok_or_else(|| {
                let names: Vec<&str> = DECODERS.iter().map(|(d, _)| *d).collect();
                format!(
                    "unknown decoder {name:?}; expected one of {}",
                    names.join(", ")
                )
            })?;
            vec![*found]
        }
        None => DECODERS.to_vec(),
    };
    eprintln!(
        "dhis2-bench decode-only: {} units, {:.1} MiB ({} bytes a unit), {} runs after one warmup, order rotated",
        opts.units,
        bytes.len() as f64 / (1024.0 * 1024.0),
        bytes.len() / opts.units.max(1),
        opts.runs
    );
    {
        use dhis2::models::{AttributeValue, IdRef, Sharing, Translation, UserRef};
        use std::mem::size_of;
        eprintln!(
            "dhis2-bench decode-only: bytes held inline: OrganisationUnit {} (the plain struct {}), Sharing {}, \
             UserRef {}, AttributeValue {}, Translation {}, IdRef {}",
            size_of::<OrganisationUnit>(),
            size_of::<plain::OrgUnit>(),
            size_of::<Sharing>(),
            size_of::<UserRef>(),
            size_of::<AttributeValue>(),
            size_of::<Translation>(),
            size_of::<IdRef>()
        );
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); selected.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); selected.len()];
    let mut cpu_drop: Vec<Vec<f64>> = vec![Vec::new(); selected.len()];
    for (name, _) in &selected {
        let n = decode(name, &bytes)?;
        if n != opts.units {
            return Err(format!("{name} saw {n} units, expected {}", opts.units).into());
        }
    }
    for run in 0..opts.runs {
        for k in 0..selected.len() {
            let i = (k + run) % selected.len();
            let cpu_start = thread_cpu_ns();
            let start = Instant::now();
            let decoded = decode_kept(selected[i].0, black_box(&bytes))?;
            black_box(&decoded);
            let cpu_decoded = thread_cpu_ns();
            drop(decoded);
            times[i].push(start.elapsed().as_secs_f64() * 1e3);
            if let (Some(a), Some(b), Some(c)) = (cpu_start, cpu_decoded, thread_cpu_ns()) {
                cpu[i].push(c.saturating_sub(a) as f64 / 1e6);
                cpu_drop[i].push(c.saturating_sub(b) as f64 / 1e6);
            }
        }
    }
    let median = |t: &[f64]| summarize(t).map_or(f64::NAN, |s| s.median);
    println!(
        "| decoder | wall median ms | min | max | vs baseline | CPU median ms | min | vs baseline | of which drop |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (i, (name, baseline)) in selected.iter().enumerate() {
        let Some(s) = summarize(&times[i]) else {
            continue;
        };
        let j = baseline.and_then(|b| selected.iter().position(|(d, _)| *d == b));
        let ratio = |series: &[Vec<f64>]| {
            j.map_or_else(String::new, |j| {
                format!(
                    "{:.2}x {}",
                    median(&series[i]) / median(&series[j]),
                    selected[j].0
                )
            })
        };
        let (cpu_median, cpu_min) =
            summarize(&cpu[i]).map_or((f64::NAN, f64::NAN), |c| (c.median, c.min));
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {} | {cpu_median:.1} | {cpu_min:.1} | {} | {:.1} |",
            s.median,
            s.min,
            s.max,
            ratio(&times),
            ratio(&cpu),
            median(&cpu_drop[i])
        );
    }
    Ok(())
}

/// CPU time this thread has run, in nanoseconds (Linux `/proc/thread-self/schedstat`); on a shared machine less
/// noisy than wall time, since time the thread waits for a core is left out.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decoder_counts_the_units() {
        let bytes = crate::org_units::list_json(300);
        for (name, _) in DECODERS {
            assert_eq!(decode(name, &bytes).unwrap(), 300, "{name}");
        }
        assert!(decode("nope", &bytes).is_err());
    }

    #[test]
    fn the_typed_model_keeps_the_payload_losslessly() {
        let bytes = crate::org_units::list_json(300);
        let page: Page<OrganisationUnit> = serde_json::from_slice(&bytes).unwrap();
        // Every key of the payload is modelled: nothing lands in `extra`.
        assert!(page.items.iter().all(|u| u.extra.is_empty()));
        let back = serde_json::to_vec(&page).unwrap();
        let a: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&back).unwrap();
        assert_eq!(a, b);
    }
}
