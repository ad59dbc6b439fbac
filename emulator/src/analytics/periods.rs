//! Analytics period items: ISO periods and the common relative periods (`LAST_12_MONTHS`, `THIS_YEAR`, ...),
//! with the display names analytics metadata gives them.

use crate::data_values::model::{civil_from_days, days_from_civil};
use crate::data_values::period;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Expands one `pe` item into ISO periods; `None` when it is neither an ISO period nor a known relative period.
///
/// `today` is days since the epoch.
pub(crate) fn expand(item: &str, today: i64) -> Option<Vec<String>> {
    if period::parse(item).is_some() {
        return Some(vec![item.to_string()]);
    }
    let (y, m, _) = civil_from_days(today);
    let month_back = |back: i64| {
        let idx = y * 12 + i64::from(m) - 1 - back;
        format!("{:04}{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
    };
    let quarter = (i64::from(m) - 1) / 3;
    let quarter_back = |back: i64| {
        let idx = y * 4 + quarter - back;
        format!("{:04}Q{}", idx.div_euclid(4), idx.rem_euclid(4) + 1)
    };
    let months = |n: i64| (1..=n).rev().map(month_back).collect::<Vec<_>>();
    Some(match item {
        "THIS_MONTH" => vec![month_back(0)],
        "LAST_MONTH" => vec![month_back(1)],
        "LAST_3_MONTHS" => months(3),
        "LAST_6_MONTHS" => months(6),
        "LAST_12_MONTHS" => months(12),
        "THIS_QUARTER" => vec![quarter_back(0)],
        "LAST_QUARTER" => vec![quarter_back(1)],
        "LAST_4_QUARTERS" => (1..=4).rev().map(quarter_back).collect(),
        "THIS_YEAR" => vec![format!("{y:04}")],
        "LAST_YEAR" => vec![format!("{:04}", y - 1)],
        "LAST_5_YEARS" => (1..=5).rev().map(|b| format!("{:04}", y - b)).collect(),
        "MONTHS_THIS_YEAR" => (1..=m).map(|mm| format!("{y:04}{mm:02}")).collect(),
        _ => return None,
    })
}

/// The display name of an ISO period (`January 2024`, `January - March 2024`, `2024`).
pub(crate) fn name(iso: &str) -> String {
    let Some(p) = period::parse(iso) else {
        return iso.to_string();
    };
    let (sy, sm, _) = civil_from_days(p.start_day);
    let (ey, em, _) = civil_from_days(p.end_day);
    let month = |m: u32| MONTHS[(m as usize).saturating_sub(1) % 12];
    match p.period_type {
        "Monthly" => format!("{} {sy}", month(sm)),
        "Yearly" => format!("{sy}"),
        "Daily" => iso.to_string(),
        "Weekly" => format!("Week {} {sy}", iso.split('W').nth(1).unwrap_or("")),
        _ if sy == ey => format!("{} - {} {sy}", month(sm), month(em)),
        _ => format!("{} {sy} - {} {ey}", month(sm), month(em)),
    }
}

/// First and last day of an ISO period.
pub(crate) fn range(iso: &str) -> Option<(i64, i64)> {
    period::parse(iso).map(|p| (p.start_day, p.end_day))
}

/// Days since the epoch of a `yyyy-MM-dd` date.
pub(crate) fn day_of(date: &str) -> Option<i64> {
    let mut it = date.get(..10)?.split('-');
    let y = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let d = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_relative_periods() {
        let today = days_from_civil(2024, 3, 15);
        assert_eq!(
            expand("LAST_3_MONTHS", today).unwrap(),
            ["202312", "202401", "202402"]
        );
        assert_eq!(expand("LAST_12_MONTHS", today).unwrap().len(), 12);
        assert_eq!(expand("LAST_QUARTER", today).unwrap(), ["2023Q4"]);
        assert_eq!(expand("THIS_YEAR", today).unwrap(), ["2024"]);
        assert_eq!(expand("202401", today).unwrap(), ["202401"]);
        assert!(expand("NEXT_DECADE", today).is_none());
    }

    #[test]
    fn names_periods() {
        assert_eq!(name("202401"), "January 2024");
        assert_eq!(name("2024"), "2024");
        assert_eq!(name("2024Q1"), "January - March 2024");
        assert_eq!(day_of("2024-01-02"), Some(days_from_civil(2024, 1, 2)));
    }
}
