//! The compact in-memory form of a data value, and the date helpers its JSON needs.

use std::sync::Arc;

/// An 11-character DHIS2 UID stored inline (no allocation), so 50,000+ rows stay compact.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Uid([u8; 11]);

impl Uid {
    /// Parses `^[a-zA-Z][a-zA-Z0-9]{10}$`; anything else is `None`.
    pub(crate) fn parse(s: &str) -> Option<Uid> {
        let b = s.as_bytes();
        if b.len() != 11 || !b[0].is_ascii_alphabetic() || !b.iter().all(u8::is_ascii_alphanumeric)
        {
            return None;
        }
        let mut out = [0u8; 11];
        out.copy_from_slice(b);
        Some(Uid(out))
    }

    /// The UID as text (always ASCII by construction).
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stored data value. Dates are milliseconds since the Unix epoch (UTC).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DataValue {
    pub(crate) data_element: Uid,
    pub(crate) period: Box<str>,
    pub(crate) org_unit: Uid,
    pub(crate) category_option_combo: Uid,
    pub(crate) attribute_option_combo: Uid,
    pub(crate) value: Option<Box<str>>,
    /// Shared because almost every row has the same few user names.
    pub(crate) stored_by: Arc<str>,
    pub(crate) comment: Option<Box<str>>,
    pub(crate) created: i64,
    pub(crate) last_updated: i64,
    pub(crate) follow_up: bool,
    pub(crate) deleted: bool,
}

/// Days since 1970-01-01 to a civil date (proleptic Gregorian), Howard Hinnant's algorithm.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A civil date to days since 1970-01-01.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `yyyy-MM-ddTHH:mm:ss.SSS`, the metadata date format (no zone).
pub(crate) fn format_millis(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// `yyyy-MM-ddTHH:mm:ss.SSS+0000`, the data value export format.
pub(crate) fn format_millis_utc(ms: i64) -> String {
    let mut s = format_millis(ms);
    s.push_str("+0000");
    s
}

/// Parses `yyyy-MM-dd` optionally followed by `THH:mm[:ss[.SSS]]` and an ignored zone, to epoch ms.
pub(crate) fn parse_date_millis(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = match s.split_once('T').or_else(|| s.split_once(' ')) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if let Some(t) = time {
        let t = t.trim_end_matches('Z');
        let t = t.split(['+']).next().unwrap_or(t);
        let (hms, frac) = t.split_once('.').unwrap_or((t, "0"));
        let mut hp = hms.split(':');
        let h: i64 = hp.next()?.parse().ok()?;
        let mi: i64 = hp.next().unwrap_or("0").parse().ok()?;
        let sec: i64 = hp.next().unwrap_or("0").parse().ok()?;
        let frac: String = frac
            .chars()
            .take_while(char::is_ascii_digit)
            .take(3)
            .collect();
        let frac_ms: i64 = format!("{frac:0<3}").parse().ok()?;
        ms += ((h * 60 + mi) * 60 + sec) * 1000 + frac_ms;
    }
    Some(ms)
}

/// The current time in epoch milliseconds.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let ms = parse_date_millis("2014-03-06T05:49:28.256").unwrap();
        assert_eq!(format_millis(ms), "2014-03-06T05:49:28.256");
        assert_eq!(format_millis_utc(0), "1970-01-01T00:00:00.000+0000");
        assert_eq!(
            parse_date_millis("2024-02-29"),
            Some(days_from_civil(2024, 2, 29) * 86_400_000)
        );
        assert_eq!(parse_date_millis("2024-13-01"), None);
        assert_eq!(civil_from_days(days_from_civil(2000, 2, 29)), (2000, 2, 29));
    }

    #[test]
    fn uid_validation() {
        assert!(Uid::parse("fbfJHSPpUQD").is_some());
        assert!(Uid::parse("1bfJHSPpUQD").is_none());
        assert!(Uid::parse("fbfJHSPpUQ").is_none());
        assert!(Uid::parse("fbfJHSPp-QD").is_none());
        assert_eq!(Uid::parse("fbfJHSPpUQD").unwrap().as_str(), "fbfJHSPpUQD");
    }
}
