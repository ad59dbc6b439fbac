//! The targets of issue 6 and the "ratio to the limit" column.

use crate::outcome::Row;
use crate::workload::{contender as c, metric as m, Workload};

/// One condition on a row's median, against another row of the same workload and metric or a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Check {
    /// `median >= factor * median(of)`.
    MinRatio(&'static str, f64),
    /// `median <= factor * median(of)`.
    MaxRatio(&'static str, f64),
    /// `median <= limit`.
    Max(f64),
}

/// The checks that apply to a (workload, contender, metric).
pub(crate) fn checks(workload: Workload, contender: &str, metric: &str) -> Vec<Check> {
    use Workload::*;
    match (workload, contender, metric) {
        // Both decode the JSON, as hyper_decode does; bare hyper does not (issue 11, section 5).
        (SmallGetC1 | SmallGetC64, c::DHIS2_RAW | c::DHIS2_TYPED, m::REQ_PER_S) => {
            vec![
                Check::MinRatio(c::HYPER_DECODE, 0.90),
                Check::MinRatio(c::REQWEST, 1.0),
            ]
        }
        (SmallGetC1 | SmallGetC64, c::DHIS2_GET_RESPONSE, m::REQ_PER_S) => {
            vec![
                Check::MinRatio(c::HYPER_BARE, 0.85),
                Check::MinRatio(c::REQWEST, 1.0),
            ]
        }
        // Issue 11, section 6: decoding at plain-serde speed.
        (Decode100k, c::DHIS2_TYPED, m::SECONDS) => {
            vec![Check::MaxRatio(c::SERDE_PLAIN_TYPED, 1.2)]
        }
        (Decode100k, c::DHIS2_RAW, m::SECONDS) => vec![Check::MaxRatio(c::SERDE_VALUE, 1.2)],
        (Paged100k, c::DHIS2_TYPED, m::SECONDS) => vec![Check::MaxRatio(c::DHIS2_RAW, 1.25)],
        (Stream1Gib, c::DHIS2_RAW, m::PEAK_RSS_MIB) => vec![Check::Max(32.0)],
        (Stream1Gib, c::DHIS2_RAW, m::MIB_PER_S) => vec![Check::MinRatio(c::HYPER_BARE, 0.8)],
        (Limit10k, c::DHIS2_RAW, m::REQ_PER_S) => {
            vec![Check::MinRatio(c::DHIS2_UNLIMITED, 0.9)]
        }
        (Limit10k, c::DHIS2_RAW, m::MAX_IN_FLIGHT) => vec![Check::Max(20.0)],
        _ => Vec::new(),
    }
}

/// How the target reads in the report.
pub(crate) fn describe(checks: &[Check], metric: &str) -> String {
    let parts: Vec<String> = checks
        .iter()
        .map(|check| match *check {
            Check::MinRatio(of, f) => format!(">= {f:.2}x {of}"),
            Check::MaxRatio(of, f) if metric == m::SECONDS => format!("time <= {f:.2}x {of}"),
            Check::MaxRatio(of, f) => format!("<= {f:.2}x {of}"),
            Check::Max(limit) => format!("<= {limit}"),
        })
        .collect();
    parts.join(", ")
}

/// Whether the row meets its checks: `None` when it has none, `Some(Err(why))` when a reference row is missing.
pub(crate) fn evaluate(row: &Row, rows: &[Row]) -> Option<Result<bool, String>> {
    let checks = checks(row.workload, row.contender, row.metric);
    if checks.is_empty() {
        return None;
    }
    let mut met = true;
    for check in checks {
        let ok = match check {
            Check::Max(limit) => row.summary.median <= limit,
            Check::MinRatio(of, f) | Check::MaxRatio(of, f) => {
                let Some(reference) = find(rows, row.workload, of, row.metric) else {
                    return Some(Err(format!("no {of} row")));
                };
                match check {
                    Check::MinRatio(..) => row.summary.median >= f * reference.summary.median,
                    _ => row.summary.median <= f * reference.summary.median,
                }
            }
        };
        met &= ok;
    }
    Some(Ok(met))
}

/// Speed relative to `hyper_bare` in the same workload and metric (above 1 = faster than the limit).
///
/// For `seconds` that is `hyper_bare / row`; for rates `row / hyper_bare`; for memory and in-flight counts the
/// plain `row / hyper_bare`.
pub(crate) fn ratio_to_limit(row: &Row, rows: &[Row]) -> Option<f64> {
    let limit = find(rows, row.workload, c::HYPER_BARE, row.metric)?;
    let (a, b) = (row.summary.median, limit.summary.median);
    let ratio = if row.metric == m::SECONDS {
        b / a
    } else {
        a / b
    };
    ratio.is_finite().then_some(ratio)
}

fn find<'r>(rows: &'r [Row], workload: Workload, contender: &str, metric: &str) -> Option<&'r Row> {
    rows.iter()
        .find(|r| r.workload == workload && r.contender == contender && r.metric == metric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::summarize;

    fn row(workload: Workload, contender: &'static str, metric: &'static str, v: f64) -> Row {
        Row {
            workload,
            contender,
            metric,
            summary: summarize(&[v]).unwrap(),
        }
    }

    #[test]
    fn small_get_needs_both_references() {
        let rows = vec![
            row(Workload::SmallGetC1, c::HYPER_BARE, m::REQ_PER_S, 100.0),
            row(Workload::SmallGetC1, c::REQWEST, m::REQ_PER_S, 80.0),
            row(Workload::SmallGetC1, c::HYPER_DECODE, m::REQ_PER_S, 90.0),
            row(Workload::SmallGetC1, c::DHIS2_RAW, m::REQ_PER_S, 82.0),
            row(Workload::SmallGetC1, c::DHIS2_TYPED, m::REQ_PER_S, 79.0),
            row(
                Workload::SmallGetC1,
                c::DHIS2_GET_RESPONSE,
                m::REQ_PER_S,
                86.0,
            ),
        ];
        // Decoding contenders are held to the same-work baseline (0.9 x 90 = 81), not to bare hyper.
        assert_eq!(evaluate(&rows[3], &rows), Some(Ok(true)));
        assert_eq!(evaluate(&rows[4], &rows), Some(Ok(false)));
        assert_eq!(evaluate(&rows[5], &rows), Some(Ok(true)));
        assert_eq!(evaluate(&rows[0], &rows), None);
        assert_eq!(evaluate(&rows[2], &rows), None);
        assert_eq!(ratio_to_limit(&rows[5], &rows), Some(0.86));
        assert_eq!(
            describe(
                &checks(Workload::SmallGetC64, c::DHIS2_RAW, m::REQ_PER_S),
                m::REQ_PER_S
            ),
            ">= 0.90x hyper_decode, >= 1.00x reqwest"
        );
        let without_reqwest = vec![rows[0].clone(), rows[2].clone(), rows[3].clone()];
        assert!(matches!(evaluate(&rows[3], &without_reqwest), Some(Err(_))));
        let without_decode = vec![rows[0].clone(), rows[1].clone(), rows[3].clone()];
        assert!(matches!(evaluate(&rows[3], &without_decode), Some(Err(_))));
    }

    #[test]
    fn decode_targets_are_against_plain_serde() {
        let rows = vec![
            row(Workload::Decode100k, c::SERDE_PLAIN_TYPED, m::SECONDS, 1.0),
            row(Workload::Decode100k, c::SERDE_VALUE, m::SECONDS, 2.0),
            row(Workload::Decode100k, c::DHIS2_TYPED, m::SECONDS, 1.19),
            row(Workload::Decode100k, c::DHIS2_RAW, m::SECONDS, 2.5),
        ];
        assert_eq!(evaluate(&rows[2], &rows), Some(Ok(true)));
        assert_eq!(evaluate(&rows[3], &rows), Some(Ok(false)));
        assert_eq!(
            describe(
                &checks(Workload::Decode100k, c::DHIS2_TYPED, m::SECONDS),
                m::SECONDS
            ),
            "time <= 1.20x serde_plain_typed"
        );
    }

    #[test]
    fn seconds_ratio_is_inverted_and_absolute_limits_apply() {
        let rows = vec![
            row(Workload::Decode100k, c::HYPER_BARE, m::SECONDS, 1.0),
            row(Workload::Decode100k, c::DHIS2_TYPED, m::SECONDS, 2.0),
            row(Workload::Decode100k, c::SERDE_PLAIN_TYPED, m::SECONDS, 2.5),
            row(Workload::Stream1Gib, c::DHIS2_RAW, m::PEAK_RSS_MIB, 33.0),
            row(Workload::Limit10k, c::DHIS2_RAW, m::MAX_IN_FLIGHT, 20.0),
        ];
        assert_eq!(ratio_to_limit(&rows[1], &rows), Some(0.5));
        assert_eq!(evaluate(&rows[1], &rows), Some(Ok(true)));
        assert_eq!(evaluate(&rows[3], &rows), Some(Ok(false)));
        assert_eq!(evaluate(&rows[4], &rows), Some(Ok(true)));
        assert_eq!(
            describe(
                &checks(Workload::Paged100k, c::DHIS2_TYPED, m::SECONDS),
                m::SECONDS
            ),
            "time <= 1.25x dhis2_raw"
        );
    }
}
