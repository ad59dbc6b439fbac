//! [`DhisDate`]: a DHIS2 date string kept byte for byte, with helpers to read its parts.
//!
//! DHIS2 writes `yyyy-MM-dd'T'HH:mm:ss.SSS` (no zone, server time) almost everywhere and
//! `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (always `+0000`) for data value timestamps. Both must come back unchanged, so the
//! model stores the original string and parses only on request.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date/time string exactly as DHIS2 sent it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DhisDate(String);

/// The parts of a parsed DHIS2 date/time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateParts {
    /// Calendar year.
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day of month, 1-31.
    pub day: u8,
    /// Hour, 0-23 (0 when the string has no time).
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-60 (60 allows a leap second).
    pub second: u8,
    /// Milliseconds, 0-999.
    pub millis: u16,
    /// Offset from UTC in minutes when the string carries one (`+0000`, `+01:00`, `Z`); `None` means server local time.
    pub offset_minutes: Option<i16>,
}

/// Why a string could not be read as a DHIS2 date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid DHIS2 date {value:?}: {reason}")]
pub struct DateError {
    /// The rejected input.
    pub value: String,
    /// What was wrong.
    pub reason: &'static str,
}

impl DhisDate {
    /// Wraps a string without checking it (DHIS2 dates are kept verbatim).
    pub fn new(value: impl Into<String>) -> DhisDate {
        DhisDate(value.into())
    }

    /// The original string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The original string, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Parses the string into its parts.
    ///
    /// Accepts `yyyy-MM-dd`, optionally followed by `THH:mm`, `:ss`, a fraction of 1-9 digits (kept to millisecond
    /// precision) and a zone: `Z`, `+HHMM`, `+HH:MM` or `+HH`.
    pub fn parse(&self) -> Result<DateParts, DateError> {
        parse_parts(&self.0)
    }

    /// Formats parts in DHIS2's usual form: `yyyy-MM-ddTHH:mm:ss.SSS`, plus `±HHMM` when an offset is set.
    pub fn from_parts(parts: &DateParts) -> DhisDate {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            parts.year,
            parts.month,
            parts.day,
            parts.hour,
            parts.minute,
            parts.second,
            parts.millis
        );
        if let Some(off) = parts.offset_minutes {
            let sign = if off < 0 { '-' } else { '+' };
            let abs = off.unsigned_abs();
            s.push_str(&format!("{sign}{:02}{:02}", abs / 60, abs % 60));
        }
        DhisDate(s)
    }
}

/// A tiny cursor over ASCII bytes for the hand parser.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.pos..self.pos + n)?;
        let mut v = 0u32;
        for b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.pos += n;
        Some(v)
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

fn parse_parts(value: &str) -> Result<DateParts, DateError> {
    let err = |reason| DateError {
        value: value.to_owned(),
        reason,
    };
    let mut c = Cursor {
        bytes: value.as_bytes(),
        pos: 0,
    };
    let year = c.digits(4).ok_or_else(|| err("expected a 4-digit year"))?;
    if !c.eat(b'-') {
        return Err(err("expected '-' after the year"));
    }
    let month = c.digits(2).ok_or_else(|| err("expected a 2-digit month"))?;
    if !c.eat(b'-') {
        return Err(err("expected '-' after the month"));
    }
    let day = c.digits(2).ok_or_else(|| err("expected a 2-digit day"))?;
    if !(1..=12).contains(&month) {
        return Err(err("month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(err("day out of range"));
    }
    let mut parts = DateParts {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        offset_minutes: None,
    };
    if c.done() {
        return Ok(parts);
    }
    if !(c.eat(b'T') || c.eat(b' ')) {
        return Err(err("expected 'T' between date and time"));
    }
    let hour = c.digits(2).ok_or_else(|| err("expected a 2-digit hour"))?;
    if !c.eat(b':') {
        return Err(err("expected ':' after the hour"));
    }
    let minute = c.digits(2).ok_or_else(|| err("expected 2-digit minutes"))?;
    let mut second = 0;
    if c.eat(b':') {
        second = c.digits(2).ok_or_else(|| err("expected 2-digit seconds"))?;
        if c.eat(b'.') {
            let start = c.pos;
            let mut millis = 0u32;
            while let Some(b) = c.peek().filter(u8::is_ascii_digit) {
                if c.pos - start < 3 {
                    millis = millis * 10 + u32::from(b - b'0');
                }
                c.pos += 1;
            }
            let n = c.pos - start;
            if n == 0 || n > 9 {
                return Err(err("expected 1 to 9 fraction digits"));
            }
            for _ in n..3 {
                millis *= 10;
            }
            parts.millis = millis as u16;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(err("time out of range"));
    }
    parts.hour = hour as u8;
    parts.minute = minute as u8;
    parts.second = second as u8;
    if c.done() {
        return Ok(parts);
    }
    if c.eat(b'Z') {
        parts.offset_minutes = Some(0);
    } else {
        let sign: i16 = if c.eat(b'+') {
            1
        } else if c.eat(b'-') {
            -1
        } else {
            return Err(err("unexpected characters after the time"));
        };
        let oh = c
            .digits(2)
            .ok_or_else(|| err("expected a 2-digit zone hour"))?;
        c.eat(b':');
        let om = if c.done() {
            0
        } else {
            c.digits(2)
                .ok_or_else(|| err("expected 2-digit zone minutes"))?
        };
        if oh > 18 || om > 59 {
            return Err(err("zone offset out of range"));
        }
        parts.offset_minutes = Some(sign * (oh * 60 + om) as i16);
    }
    if !c.done() {
        return Err(err("unexpected characters after the zone"));
    }
    Ok(parts)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Debug for DhisDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DhisDate({:?})", self.0)
    }
}

impl fmt::Display for DhisDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for DhisDate {
    fn from(value: String) -> Self {
        DhisDate(value)
    }
}

impl From<&str> for DhisDate {
    fn from(value: &str) -> Self {
        DhisDate(value.to_owned())
    }
}

impl AsRef<str> for DhisDate {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for DhisDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DhisDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(DhisDate)
    }
}
