//! What a workload hands back: summarised rows and notes for the report.

use crate::drive::Load;
use crate::stats::{summarize, Summary};
use crate::workload::Workload;
use crate::BenchError;

/// One (workload, contender, metric) figure.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) workload: Workload,
    pub(crate) contender: &'static str,
    pub(crate) metric: &'static str,
    pub(crate) summary: Summary,
}

/// The rows and notes of one workload.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) rows: Vec<Row>,
    pub(crate) notes: Vec<String>,
}

/// Samples collected run by run, in first-seen order.
#[derive(Debug)]
pub(crate) struct Samples {
    workload: Workload,
    series: Vec<(&'static str, &'static str, Vec<f64>)>,
}

impl Samples {
    pub(crate) fn new(workload: Workload) -> Samples {
        Samples {
            workload,
            series: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, contender: &'static str, metric: &'static str, value: f64) {
        match self
            .series
            .iter_mut()
            .find(|(c, m, _)| *c == contender && *m == metric)
        {
            Some((_, _, values)) => values.push(value),
            None => self.series.push((contender, metric, vec![value])),
        }
    }

    /// Summarises every series into the outcome.
    pub(crate) fn into_outcome(self, notes: Vec<String>) -> Outcome {
        let workload = self.workload;
        let rows = self
            .series
            .into_iter()
            .filter_map(|(contender, metric, values)| {
                summarize(&values).map(|summary| Row {
                    workload,
                    contender,
                    metric,
                    summary,
                })
            })
            .collect();
        Outcome { rows, notes }
    }
}

/// The order contenders run in during run `run`: rotated each run so none always goes first (warm caches,
/// CPU frequency, neighbours' load spread over all of them).
pub(crate) fn rotation<T: Clone>(items: &[T], run: usize) -> Vec<T> {
    let mut v = items.to_vec();
    if !v.is_empty() {
        let k = run % v.len();
        v.rotate_left(k);
    }
    v
}

/// Whether a run counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Unmeasured: opens connections, warms caches and the allocator.
    Warmup,
    /// Measured.
    Measured,
}

/// Runs one warmup and then `runs` measured runs of every contender, rotating the order each run.
///
/// `one_run` returns the (metric, value) pairs of one run. A contender that fails is dropped from the workload
/// (its partial samples would mislead) and the error goes into the notes.
pub(crate) fn measure<C>(
    workload: Workload,
    runs: usize,
    contenders: &[(&'static str, C)],
    mut one_run: impl FnMut(&'static str, &C, Phase) -> Result<Vec<(&'static str, f64)>, BenchError>,
) -> Outcome {
    let mut notes = Vec::new();
    let mut failed: Vec<&'static str> = Vec::new();
    let mut samples = Samples::new(workload);
    for (name, contender) in contenders {
        if let Err(e) = one_run(name, contender, Phase::Warmup) {
            notes.push(format!(
                "{workload}/{name}: failed during warmup, left out: {e}"
            ));
            failed.push(name);
        }
    }
    let order: Vec<usize> = (0..contenders.len()).collect();
    for run in 0..runs {
        for i in rotation(&order, run) {
            let (name, contender) = &contenders[i];
            if failed.contains(name) {
                continue;
            }
            match one_run(name, contender, Phase::Measured) {
                Ok(values) => {
                    for (metric, value) in values {
                        samples.push(name, metric, value);
                    }
                }
                Err(e) => {
                    notes.push(format!(
                        "{workload}/{name}: failed in run {}, left out: {e}",
                        run + 1
                    ));
                    failed.push(name);
                }
            }
        }
    }
    samples.series.retain(|(c, _, _)| !failed.contains(c));
    samples.into_outcome(notes)
}

/// Closed-loop measurement in slices: each run is split into `slices` short slices and the contenders take turns
/// slice by slice (rotating), so background load on a shared machine hits them all alike. A run's figure is
/// `sum(completed) / sum(elapsed)` over its slices.
pub(crate) fn measure_sliced<C>(
    workload: Workload,
    runs: usize,
    slices: usize,
    contenders: &[(&'static str, C)],
    metric: &'static str,
    mut one_slice: impl FnMut(&C, Phase) -> Result<Load, BenchError>,
) -> Outcome {
    let mut notes = Vec::new();
    let mut failed: Vec<&'static str> = Vec::new();
    let mut samples = Samples::new(workload);
    for (name, contender) in contenders {
        if let Err(e) = one_slice(contender, Phase::Warmup) {
            notes.push(format!(
                "{workload}/{name}: failed during warmup, left out: {e}"
            ));
            failed.push(name);
        }
    }
    let order: Vec<usize> = (0..contenders.len()).collect();
    for run in 0..runs {
        let mut totals = vec![(0u64, 0f64); contenders.len()];
        for slice in 0..slices.max(1) {
            for i in rotation(&order, run * slices + slice) {
                let (name, contender) = &contenders[i];
                if failed.contains(name) {
                    continue;
                }
                match one_slice(contender, Phase::Measured) {
                    Ok(load) => {
                        totals[i].0 += load.completed;
                        totals[i].1 += load.elapsed.as_secs_f64();
                    }
                    Err(e) => {
                        notes.push(format!(
                            "{workload}/{name}: failed in run {}, left out: {e}",
                            run + 1
                        ));
                        failed.push(name);
                    }
                }
            }
        }
        for (i, (name, _)) in contenders.iter().enumerate() {
            if !failed.contains(name) && totals[i].1 > 0.0 {
                samples.push(name, metric, totals[i].0 as f64 / totals[i].1);
            }
        }
    }
    samples.series.retain(|(c, _, _)| !failed.contains(c));
    samples.into_outcome(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_group_by_contender_and_metric() {
        let mut s = Samples::new(Workload::SmallGetC1);
        s.push("a", "req_per_s", 1.0);
        s.push("b", "req_per_s", 5.0);
        s.push("a", "req_per_s", 3.0);
        let out = s.into_outcome(vec!["n".into()]);
        assert_eq!(out.rows.len(), 2);
        assert_eq!(out.rows[0].contender, "a");
        assert_eq!(out.rows[0].summary.median, 2.0);
        assert_eq!(out.rows[0].summary.runs, 2);
        assert_eq!(out.notes, vec!["n".to_string()]);
    }

    #[test]
    fn measure_drops_failing_contenders_and_notes_why() {
        let contenders = [("good", 1.0), ("bad", 2.0)];
        let mut calls = 0;
        let out = measure(
            Workload::Decode100k,
            3,
            &contenders,
            |name, value, phase| {
                calls += 1;
                if name == "bad" && phase == Phase::Measured {
                    return Err("broken".into());
                }
                Ok(vec![("seconds", *value)])
            },
        );
        assert_eq!(out.rows.len(), 1);
        assert_eq!(out.rows[0].contender, "good");
        assert_eq!(out.rows[0].summary.runs, 3);
        assert_eq!(out.notes.len(), 1);
        assert!(out.notes[0].contains("bad") && out.notes[0].contains("broken"));
        // 2 warmups + 3 good runs + 1 failed bad run.
        assert_eq!(calls, 6);
    }

    #[test]
    fn sliced_runs_add_up_slices() {
        use std::time::Duration;
        let contenders = [("fast", 100u64), ("slow", 10u64)];
        let mut slices_seen = 0;
        let out = measure_sliced(
            Workload::SmallGetC1,
            2,
            4,
            &contenders,
            "req_per_s",
            |per_sec, phase| {
                if phase == Phase::Measured {
                    slices_seen += 1;
                }
                Ok(Load {
                    completed: *per_sec,
                    elapsed: Duration::from_secs(1),
                })
            },
        );
        assert_eq!(slices_seen, 2 * 4 * 2);
        assert_eq!(out.rows.len(), 2);
        assert_eq!(out.rows[0].summary.median, 100.0);
        assert_eq!(out.rows[0].summary.runs, 2);
        assert_eq!(out.rows[1].summary.median, 10.0);
    }

    #[test]
    fn rotation_moves_the_first() {
        assert_eq!(rotation(&[1, 2, 3], 0), vec![1, 2, 3]);
        assert_eq!(rotation(&[1, 2, 3], 1), vec![2, 3, 1]);
        assert_eq!(rotation(&[1, 2, 3], 4), vec![2, 3, 1]);
        assert!(rotation::<u8>(&[], 3).is_empty());
    }
}
