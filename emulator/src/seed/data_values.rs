//! Aggregate data values for 2024: the first monthly data set for 60 facilities and the quarterly data set for 20,
//! about 90% of the cells filled (~53,000 rows).

use std::sync::Arc;

use crate::data_values::model::{days_from_civil, DataValue, Uid};

use super::categories::Combo;
use super::common::DEFAULT_COC;
use super::data_elements::DataElementInfo;
use super::data_sets::DataSetInfo;
use super::org_units::Facility;
use super::rng::Rng;

/// The reporting year of the seed data values.
pub(crate) const YEAR: i64 = 2024;

const SENTENCES: &[&str] = &[
    "Register reviewed by the district supervisor",
    "Stock delivered late this month",
    "Outreach cancelled because of rain",
    "Two staff members on leave",
    "Figures verified against the tally sheets",
];

/// One value for a data element, by value type.
pub(crate) fn value_for(rng: &mut Rng, de: &DataElementInfo) -> String {
    if let Some(opts) = &de.options {
        return (*rng.pick(opts)).to_string();
    }
    match de.value_type {
        "INTEGER_POSITIVE" => rng.range(1, 500).to_string(),
        "INTEGER" => rng.range(-3, 300).to_string(),
        "NUMBER" => format!("{}.{}", rng.range(0, 250), rng.range(0, 9)),
        "PERCENTAGE" => rng.range(0, 100).to_string(),
        "BOOLEAN" => (if rng.chance(3, 4) { "true" } else { "false" }).to_string(),
        "TRUE_ONLY" => "true".to_string(),
        "DATE" => format!("{YEAR}-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28)),
        "TEXT" | "LONG_TEXT" => (*rng.pick(SENTENCES)).to_string(),
        _ => rng.range(0, 200).to_string(),
    }
}

fn periods(period_type: &str) -> Vec<(String, i64)> {
    // (ISO period, last day) for the seed year.
    match period_type {
        "Quarterly" => (1..=4)
            .map(|q| {
                let end = if q == 4 {
                    days_from_civil(YEAR + 1, 1, 1)
                } else {
                    days_from_civil(YEAR, q * 3 + 1, 1)
                } - 1;
                (format!("{YEAR}Q{q}"), end)
            })
            .collect(),
        "Yearly" => vec![(YEAR.to_string(), days_from_civil(YEAR, 12, 31))],
        _ => (1..=12)
            .map(|m| {
                let end = if m == 12 {
                    days_from_civil(YEAR + 1, 1, 1)
                } else {
                    days_from_civil(YEAR, m + 1, 1)
                } - 1;
                (format!("{YEAR}{m:02}"), end)
            })
            .collect(),
    }
}

/// Builds the data values.
pub(crate) fn build(
    elements: &[DataElementInfo],
    combos: &[Combo],
    data_sets: &[DataSetInfo],
    facilities: &[Facility],
) -> Vec<DataValue> {
    let mut rng = Rng::new("dataValues");
    let stored_by: Vec<Arc<str>> = ["admin", "aminata.kamara", "mohamed.sesay", "fatmata.conteh"]
        .iter()
        .map(|s| Arc::from(*s))
        .collect();
    let default_aoc = Uid::parse(DEFAULT_COC);
    let mut out = Vec::with_capacity(56_000);
    let monthly = data_sets.iter().find(|d| d.period_type == "Monthly");
    let quarterly = data_sets.iter().find(|d| d.period_type == "Quarterly");
    for (ds, n_fac) in [(monthly, 60usize), (quarterly, 20usize)] {
        let Some(ds) = ds else { continue };
        for fi in ds.facilities.iter().take(n_fac) {
            let Some(ou) = facilities.get(*fi).and_then(|f| Uid::parse(&f.uid)) else {
                continue;
            };
            for (pe, end_day) in periods(ds.period_type) {
                let period: Box<str> = pe.into();
                for ei in &ds.elements {
                    let Some(de_info) = elements.get(*ei) else {
                        continue;
                    };
                    let Some(de) = Uid::parse(&de_info.uid) else {
                        continue;
                    };
                    let cocs = combos
                        .get(de_info.combo)
                        .map_or(&[][..], |c| c.cocs.as_slice());
                    for coc in cocs {
                        if rng.chance(1, 10) {
                            continue;
                        }
                        let (Some(coc), Some(aoc)) = (Uid::parse(coc), default_aoc) else {
                            continue;
                        };
                        let created =
                            (end_day + rng.range(1, 20)) * 86_400_000 + rng.range(0, 86_399_999);
                        let updated = if rng.chance(1, 8) {
                            created + rng.range(1, 30 * 86_400_000)
                        } else {
                            created
                        };
                        let comment = rng.chance(1, 200).then(|| Box::from(*rng.pick(SENTENCES)));
                        out.push(DataValue {
                            data_element: de,
                            period: period.clone(),
                            org_unit: ou,
                            category_option_combo: coc,
                            attribute_option_combo: aoc,
                            value: Some(value_for(&mut rng, de_info).into()),
                            stored_by: rng.pick(&stored_by).clone(),
                            comment,
                            created,
                            last_updated: updated,
                            follow_up: rng.chance(1, 500),
                            deleted: false,
                        });
                    }
                }
            }
        }
    }
    out
}
