//! The targets of issues 6 and 11 and the "ratio to the limit" column (`hyper_bare` on loopback, `wire_limit`
//! through the shaped link).

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
    /// Speed relative to another row at least `factor`: `median(of) / median` for `seconds`, `median /
    /// median(of)` for rates.
    MinSpeed(&'static str, f64),
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
        // Issue 11, section 5: the 1 GiB export with gzip on.
        (Stream1Gib, c::DHIS2_GZIP, m::PEAK_RSS_MIB) => vec![Check::Max(32.0)],
        (WanOrgUnits100k | WanExport1mValues, c::DHIS2_TYPED, m::SECONDS) => vec![
            Check::MinSpeed(c::WIRE_LIMIT, 0.85),
            Check::MinSpeed(c::DHIS2_NO_COMPRESSION, 5.0),
            Check::MinSpeed(c::REQWEST_GZIP, 1.0),
        ],
        (PoorOrgUnits2k, c::DHIS2_TYPED, m::SECONDS) => vec![
            Check::MinSpeed(c::DHIS2_NO_COMPRESSION, 5.0),
            Check::MinSpeed(c::REQWEST_GZIP, 1.0),
        ],
        (WanSmallGetC64 | PoorSmallGetC64, c::DHIS2_TYPED, m::SECONDS) => {
            vec![Check::MinSpeed(c::REQWEST_GZIP, 1.0)]
        }
        (WanExport1mValues, c::DHIS2_TYPED, m::PEAK_RSS_MIB) => vec![Check::Max(32.0)],
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
            Check::MinSpeed(of, f) => format!("speed >= {f:.2}x {of}"),
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
            Check::MinSpeed(of, f) => {
                let Some(reference) = find(rows, row.workload, of, row.metric) else {
                    return Some(Err(format!("no {of} row")));
                };
                speed(row, reference).is_some_and(|s| s >= f)
            }
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

/// The row a workload's rows are compared with in the `vs limit` column.
pub(crate) fn limit_contender(workload: Workload) -> &'static str {
    if workload.is_shaped() {
        c::WIRE_LIMIT
    } else {
        c::HYPER_BARE
    }
}

/// Speed relative to the limit (`hyper_bare` on loopback, `wire_limit` through the shaped link) in the same
/// workload and metric (above 1 = faster than the limit).
///
/// For `seconds` that is `limit / row`; for rates `row / limit`; for memory, in-flight counts and bytes on the
/// wire the plain `row / limit`.
pub(crate) fn ratio_to_limit(row: &Row, rows: &[Row]) -> Option<f64> {
    let limit = find(
        rows,
        row.workload,
        limit_contender(row.workload),
        row.metric,
    )?;
    speed(row, limit)
}

/// `reference / row` for `seconds`, `row / reference` otherwise; `None` when not finite.
fn speed(row: &Row, reference: &Row) -> Option<f64> {
    let (a, b) = (row.summary.median, reference.summary.median);
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
    fn shaped_rows_are_held_to_the_wire_limit_compression_off_and_reqwest() {
        let w = Workload::WanOrgUnits100k;
        let rows = vec![
            row(w, c::DHIS2_TYPED, m::SECONDS, 2.0),
            row(w, c::DHIS2_NO_COMPRESSION, m::SECONDS, 12.0),
            row(w, c::REQWEST_GZIP, m::SECONDS, 2.1),
            row(w, c::HYPER_BARE, m::SECONDS, 11.0),
            row(w, c::WIRE_LIMIT, m::SECONDS, 1.8),
            row(w, c::DHIS2_TYPED, m::WIRE_MIB, 5.0),
            row(w, c::DHIS2_NO_COMPRESSION, m::WIRE_MIB, 30.0),
            row(w, c::WIRE_LIMIT, m::WIRE_MIB, 5.0),
        ];
        // 1.8 / 2.0 = 0.9 of the limit, 6x compression off, faster than reqwest.
        assert_eq!(evaluate(&rows[0], &rows), Some(Ok(true)));
        assert_eq!(ratio_to_limit(&rows[0], &rows), Some(0.9));
        // Bytes: the plain quotient (6x the limit's bytes); hyper_bare is no reference here.
        assert_eq!(ratio_to_limit(&rows[6], &rows), Some(6.0));
        assert_eq!(evaluate(&rows[3], &rows), None);
        assert_eq!(
            describe(&checks(w, c::DHIS2_TYPED, m::SECONDS), m::SECONDS),
            "speed >= 0.85x wire_limit, speed >= 5.00x dhis2_no_compression, speed >= 1.00x reqwest_gzip"
        );
        // 1.8 / 2.2 = 0.82 of the limit: missed.
        let slow = vec![
            row(w, c::DHIS2_TYPED, m::SECONDS, 2.2),
            rows[1].clone(),
            rows[2].clone(),
            rows[4].clone(),
        ];
        assert_eq!(evaluate(&slow[0], &slow), Some(Ok(false)));
        // Without the reqwest row the check cannot be made.
        let partial = vec![rows[0].clone(), rows[1].clone(), rows[4].clone()];
        assert!(matches!(evaluate(&partial[0], &partial), Some(Err(_))));
        // The small calls only need to beat reqwest; the 1 GiB gzip download its memory bound.
        let small = vec![
            row(Workload::WanSmallGetC64, c::DHIS2_TYPED, m::SECONDS, 3.0),
            row(Workload::WanSmallGetC64, c::REQWEST_GZIP, m::SECONDS, 2.9),
        ];
        assert_eq!(evaluate(&small[0], &small), Some(Ok(false)));
        let gzip = row(Workload::Stream1Gib, c::DHIS2_GZIP, m::PEAK_RSS_MIB, 12.0);
        assert_eq!(evaluate(&gzip, &[]), Some(Ok(true)));
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
