//! DHIS2 ISO period identifiers (`2024`, `202401`, `2024Q1`, `2024W3`, `20240115`, ...) and their date ranges.

use super::model::days_from_civil;

/// A parsed period: its type name (as DHIS2 spells it) and its first and last day (days since the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) period_type: &'static str,
    pub(crate) start_day: i64,
    pub(crate) end_day: i64,
}

fn month_end(y: i64, m: u32) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - 1
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn months(period_type: &'static str, y: i64, first: u32, count: u32) -> Option<Period> {
    if !(1..=12).contains(&first) {
        return None;
    }
    let last = first + count - 1;
    let (ey, em) = if last > 12 {
        (y + 1, last - 12)
    } else {
        (y, last)
    };
    Some(Period {
        period_type,
        start_day: days_from_civil(y, first, 1),
        end_day: month_end(ey, em),
    })
}

/// Parses an ISO period; `None` when the string is not a period DHIS2 would accept.
pub(crate) fn parse(iso: &str) -> Option<Period> {
    let s = iso.trim();
    if s.len() < 4 {
        return None;
    }
    // `get` rather than slicing: the input is user text and may not be ASCII.
    let y: i64 = num(s.get(..4)?)?;
    if !(1000..=9999).contains(&y) {
        return None;
    }
    let rest = s.get(4..)?;
    match rest.len() {
        0 => return months("Yearly", y, 1, 12),
        2 if num::<u32>(rest).is_some() => return months("Monthly", y, num(rest)?, 1),
        4 if num::<u32>(rest).is_some() => {
            let m: u32 = num(&rest[..2])?;
            let d: u32 = num(&rest[2..])?;
            if !(1..=12).contains(&m)
                || d == 0
                || days_from_civil(y, m, 1) + i64::from(d) - 1 > month_end(y, m)
            {
                return None;
            }
            let day = days_from_civil(y, m, d);
            return Some(Period {
                period_type: "Daily",
                start_day: day,
                end_day: day,
            });
        }
        _ => {}
    }
    if let Some(q) = rest.strip_prefix('Q') {
        let q: u32 = num(q)?;
        return if (1..=4).contains(&q) {
            months("Quarterly", y, (q - 1) * 3 + 1, 3)
        } else {
            None
        };
    }
    if let Some(h) = rest.strip_prefix('S') {
        let h: u32 = num(h)?;
        return if (1..=2).contains(&h) {
            months("SixMonthly", y, (h - 1) * 6 + 1, 6)
        } else {
            None
        };
    }
    if let Some(w) = rest.strip_prefix('W') {
        let w: i64 = num(w)?;
        if !(1..=53).contains(&w) {
            return None;
        }
        // ISO week 1 contains January 4th; weeks start on Monday.
        let jan4 = days_from_civil(y, 1, 4);
        let weekday = (jan4 + 3).rem_euclid(7); // 0 = Monday
        let start = jan4 - weekday + (w - 1) * 7;
        return Some(Period {
            period_type: "Weekly",
            start_day: start,
            end_day: start + 6,
        });
    }
    if let Some(b) = rest.strip_suffix('B') {
        let m: u32 = num(b)?;
        return if (1..=6).contains(&m) {
            months("BiMonthly", y, (m - 1) * 2 + 1, 2)
        } else {
            None
        };
    }
    match rest {
        "April" => months("FinancialApril", y, 4, 12),
        "July" => months("FinancialJuly", y, 7, 12),
        "Oct" => months("FinancialOct", y, 10, 12),
        "Nov" => months("FinancialNov", y, 11, 12),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_periods() {
        let m = parse("202402").unwrap();
        assert_eq!(m.period_type, "Monthly");
        assert_eq!(m.end_day - m.start_day, 28);
        assert_eq!(
            parse("2024Q4").unwrap().end_day,
            days_from_civil(2024, 12, 31)
        );
        assert_eq!(
            parse("2024").unwrap().start_day,
            days_from_civil(2024, 1, 1)
        );
        assert_eq!(
            parse("2024W1").unwrap().start_day,
            days_from_civil(2024, 1, 1)
        );
        assert_eq!(parse("20240229").unwrap().period_type, "Daily");
        assert!(parse("20230229").is_none());
        assert!(parse("202413").is_none());
        assert!(parse("2024Q5").is_none());
        assert!(parse("abc").is_none());
        assert!(parse("20€1").is_none());
        assert!(parse("2024€").is_none());
        assert!(parse("2024April").is_some());
    }
}
