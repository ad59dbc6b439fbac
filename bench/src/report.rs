//! `REPORT.md` and `report.json` (the JSON shape is fixed by DESIGN section 7).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::outcome::Row;
use crate::targets;
use crate::BenchError;

/// Everything the report says besides the rows.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) commit: String,
    pub(crate) date: String,
    pub(crate) quick: bool,
    /// Human lines: machine, thread split, sizes.
    pub(crate) setup: Vec<String>,
    pub(crate) notes: Vec<String>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    commit: &'a str,
    date: &'a str,
    quick: bool,
    rows: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    workload: &'a str,
    contender: &'a str,
    metric: &'a str,
    median: f64,
    min: f64,
    max: f64,
    runs: usize,
}

/// Rounds for readability; sub-millisecond digits of a noisy machine carry no information.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The `report.json` text.
pub(crate) fn json(meta: &Meta, rows: &[Row]) -> Result<String, BenchError> {
    let report = JsonReport {
        commit: &meta.commit,
        date: &meta.date,
        quick: meta.quick,
        rows: rows
            .iter()
            .map(|r| JsonRow {
                workload: r.workload.as_str(),
                contender: r.contender,
                metric: r.metric,
                median: round(r.summary.median),
                min: round(r.summary.min),
                max: round(r.summary.max),
                runs: r.summary.runs,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report)
        .map_err(|e| format!("cannot serialise report.json: {e}"))?;
    text.push('\n');
    Ok(text)
}

fn fmt_value(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// The `REPORT.md` text.
pub(crate) fn markdown(meta: &Meta, rows: &[Row]) -> String {
    let mut md = String::new();
    let mode = if meta.quick {
        "quick (`--quick`)"
    } else {
        "full"
    };
    let _ = writeln!(md, "# dhis2-rs benchmark report\n");
    let _ = writeln!(md, "- commit: `{}`", meta.commit);
    let _ = writeln!(md, "- date: {}", meta.date);
    let _ = writeln!(md, "- mode: {mode}");
    for line in &meta.setup {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(
        md,
        "\nReproduce: `cargo run --release -p dhis2-bench -- [--quick]` (see `bench/README.md`).\n"
    );
    md.push_str(&table(rows));
    md.push_str(
        "\n`vs hyper_bare` is speed relative to the bare hyper-util client in the same workload and run \
         (above 1.00x = faster): `median / hyper_bare` for rates, `hyper_bare / median` for `seconds`, and the plain \
         quotient for `peak_rss_mib` and `max_in_flight`. Targets compare medians measured side by side in this run.\n",
    );
    if !meta.notes.is_empty() {
        md.push_str("\n## Notes\n\n");
        for note in &meta.notes {
            let _ = writeln!(md, "- {note}");
        }
    }
    md
}

/// The Markdown table alone (the README quotes it).
pub(crate) fn table(rows: &[Row]) -> String {
    let mut md = String::new();
    md.push_str("| workload | contender | metric | median | min | max | runs | vs hyper_bare | target | met |\n");
    md.push_str("|---|---|---|---:|---:|---:|---:|---:|---|---|\n");
    for row in rows {
        let ratio = targets::ratio_to_limit(row, rows)
            .map_or_else(|| "-".to_string(), |r| format!("{r:.2}x"));
        let target = targets::describe(
            &targets::checks(row.workload, row.contender, row.metric),
            row.metric,
        );
        let met = match targets::evaluate(row, rows) {
            None => "-".to_string(),
            Some(Ok(true)) => "yes".to_string(),
            Some(Ok(false)) => "**no**".to_string(),
            Some(Err(why)) => format!("n/a ({why})"),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.workload,
            row.contender,
            row.metric,
            fmt_value(row.summary.median),
            fmt_value(row.summary.min),
            fmt_value(row.summary.max),
            row.summary.runs,
            ratio,
            if target.is_empty() { "-" } else { &target },
            met
        );
    }
    md
}

/// Writes both files into `dir`.
pub(crate) fn write(dir: &Path, meta: &Meta, rows: &[Row]) -> Result<(), BenchError> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let md_path = dir.join("REPORT.md");
    std::fs::write(&md_path, markdown(meta, rows))
        .map_err(|e| format!("cannot write {}: {e}", md_path.display()))?;
    let json_path = dir.join("report.json");
    std::fs::write(&json_path, json(meta, rows)?)
        .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
    Ok(())
}

/// `git rev-parse HEAD` of the workspace, or `"unknown"`.
pub(crate) fn git_commit() -> String {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Command::new("git")
        .arg("-C")
        .arg(workspace)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::summarize;
    use crate::workload::{contender as c, metric as m, Workload};

    fn rows() -> Vec<Row> {
        let mk = |contender, v| Row {
            workload: Workload::SmallGetC64,
            contender,
            metric: m::REQ_PER_S,
            summary: summarize(&[v, v * 1.1, v * 0.9]).unwrap(),
        };
        vec![
            mk(c::HYPER_BARE, 40000.0),
            mk(c::HYPER_DECODE, 39000.0),
            mk(c::REQWEST, 30000.0),
            mk(c::DHIS2_RAW, 38000.0),
        ]
    }

    fn meta() -> Meta {
        Meta {
            commit: "abc".into(),
            date: "2026-01-01T00:00:00Z".into(),
            quick: true,
            setup: vec!["2 cores".into()],
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn json_has_the_design_shape() {
        let text = json(&meta(), &rows()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 4);
        assert_eq!(v["commit"], "abc");
        assert_eq!(v["quick"], true);
        let row = &v["rows"][3];
        assert_eq!(row.as_object().unwrap().len(), 7);
        assert_eq!(row["workload"], "small_get_c64");
        assert_eq!(row["contender"], "dhis2_raw");
        assert_eq!(row["metric"], "req_per_s");
        assert_eq!(row["median"], 38000.0);
        assert_eq!(row["min"], 34200.0);
        assert_eq!(row["max"], 41800.0);
        assert_eq!(row["runs"], 3);
        // Keys in DESIGN's order (serde_json::Value may sort them, so look at the text).
        let pos = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
        assert!(
            pos("commit") < pos("date") && pos("date") < pos("quick") && pos("quick") < pos("rows")
        );
        let order = [
            "workload",
            "contender",
            "metric",
            "median",
            "min",
            "max",
            "runs",
        ];
        assert!(order.windows(2).all(|w| pos(w[0]) < pos(w[1])));
    }

    #[test]
    fn markdown_has_ratio_target_and_notes() {
        let md = markdown(&meta(), &rows());
        let line = md
            .lines()
            .find(|l| l.starts_with("| small_get_c64 | dhis2_raw"))
            .unwrap();
        assert!(line.contains("0.95x"), "{line}");
        assert!(
            line.contains(">= 0.90x hyper_decode, >= 1.00x reqwest"),
            "{line}"
        );
        assert!(line.ends_with("| yes |"), "{line}");
        assert!(md.contains("- a note"));
        assert!(md.contains("quick"));
    }

    #[test]
    fn dates_format_as_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400 + 3661), "2000-02-29T01:01:01Z");
        assert_eq!(format_utc(1_798_761_599), "2026-12-31T23:59:59Z");
    }
}
