//! [`DhisDate`]: a DHIS2 date string kept byte for byte, with helpers to read its parts.
//!
//! DHIS2 writes `yyyy-MM-dd'T'HH:mm:ss.SSS` (no zone, server time) almost everywhere and
//! `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (always `+0000`) for data value timestamps. Both must come back unchanged, so the
//! model stores the original string and parses only on request.
//!
//! Most metadata objects carry three dates (`created`, `lastUpdated` and a type's own), so a long list holds
//! hundreds of thousands of them. The usual 23-byte form and anything shorter are stored inline, in the 24 bytes
//! a `String` would take, so decoding them allocates nothing and dropping them frees nothing; longer strings
//! (with a zone) and non-ASCII ones go on the heap.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date/time string exactly as DHIS2 sent it.
///
/// Compares, orders and hashes as its string.
#[derive(Clone)]
pub struct DhisDate(Repr);

/// Bytes an inline date holds at most: DHIS2's `yyyy-MM-ddTHH:mm:ss.SSS`.
const INLINE: usize = 23;

#[derive(Clone)]
enum Repr {
    /// Exactly [`INLINE`] ASCII bytes (the usual form).
    Full([u8; INLINE]),
    /// Fewer ASCII bytes (a date without time, or without milliseconds).
    Short { len: u8, bytes: [u8; INLINE - 1] },
    /// Anything else (a zone suffix, or non-ASCII).
    Heap(Box<str>),
}

impl Repr {
    fn of(value: &str) -> Repr {
        let b = value.as_bytes();
        if b.is_ascii() {
            if let Ok(full) = <[u8; INLINE]>::try_from(b) {
                return Repr::Full(full);
            }
            if b.len() < INLINE {
                let mut bytes = [0; INLINE - 1];
                bytes[..b.len()].copy_from_slice(b);
                // `b.len() < INLINE`, so it fits a u8.
                return Repr::Short {
                    len: b.len() as u8,
                    bytes,
                };
            }
        }
        Repr::Heap(value.into())
    }

    fn of_string(value: String) -> Repr {
        if value.len() <= INLINE && value.is_ascii() {
            Repr::of(&value)
        } else {
            Repr::Heap(value.into_boxed_str())
        }
    }

    fn as_str(&self) -> &str {
        // Inline bytes are ASCII (checked when stored), so they are always valid UTF-8.
        match self {
            Repr::Full(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
            Repr::Short { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }
}

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
        DhisDate(Repr::of_string(value.into()))
    }

    /// The original string.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The original string, owned.
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Heap(s) => s.into_string(),
            inline => inline.as_str().to_owned(),
        }
    }

    /// Parses the string into its parts.
    ///
    /// Accepts `yyyy-MM-dd`, optionally followed by `THH:mm`, `:ss`, a fraction of 1-9 digits (kept to millisecond
    /// precision) and a zone: `Z`, `+HHMM`, `+HH:MM` or `+HH`.
    pub fn parse(&self) -> Result<DateParts, DateError> {
        parse_parts(self.as_str())
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
        DhisDate::new(s)
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

impl PartialEq for DhisDate {
    fn eq(&self, other: &DhisDate) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for DhisDate {}

impl PartialOrd for DhisDate {
    fn partial_cmp(&self, other: &DhisDate) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DhisDate {
    fn cmp(&self, other: &DhisDate) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for DhisDate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for DhisDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DhisDate({:?})", self.as_str())
    }
}

impl fmt::Display for DhisDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for DhisDate {
    fn from(value: String) -> Self {
        DhisDate(Repr::of_string(value))
    }
}

impl From<&str> for DhisDate {
    fn from(value: &str) -> Self {
        DhisDate(Repr::of(value))
    }
}

impl AsRef<str> for DhisDate {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Serialize for DhisDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DhisDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;

        impl Visitor<'_> for DateVisitor {
            type Value = DhisDate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date string")
            }

            // Borrowed or transient, the text is copied inline when it fits: no allocation.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DhisDate, E> {
                Ok(DhisDate(Repr::of(v)))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<DhisDate, E> {
                Ok(DhisDate(Repr::of_string(v)))
            }
        }

        deserializer.deserialize_str(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of<T: Hash + ?Sized>(v: &T) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn every_form_keeps_its_bytes_and_takes_a_strings_room() {
        assert_eq!(
            std::mem::size_of::<DhisDate>(),
            std::mem::size_of::<String>()
        );
        assert_eq!(
            std::mem::size_of::<crate::models::Field<DhisDate>>(),
            std::mem::size_of::<String>()
        );
        for text in [
            "2012-09-20T08:46:05.594",
            "2012-09-20",
            "",
            "2012-09-20T08:46:05.5941234",
            "2010-04-13T00:00:00.000+0000",
            "2012-09-20T08:46:05.59é",
            "2012-09-20T08:46:05.594",
        ] {
            let from_json: DhisDate =
                serde_json::from_str(&serde_json::to_string(text).unwrap()).unwrap();
            for d in [
                DhisDate::new(text),
                DhisDate::from(text),
                DhisDate::from(text.to_owned()),
                from_json,
            ] {
                assert_eq!(d.as_str(), text);
                assert_eq!(d.to_string(), text);
                assert_eq!(format!("{d:?}"), format!("DhisDate({text:?})"));
                assert_eq!(
                    serde_json::to_string(&d).unwrap(),
                    serde_json::to_string(text).unwrap()
                );
                assert_eq!(hash_of(&d), hash_of(text));
                assert_eq!(d.clone().into_string(), text);
            }
        }
        let inline = |d: &DhisDate| !matches!(d.0, Repr::Heap(_));
        assert!(inline(&DhisDate::new("2012-09-20T08:46:05.594")));
        assert!(inline(&DhisDate::new("2012-09-20")));
        assert!(!inline(&DhisDate::new("2010-04-13T00:00:00.000+0000")));
        assert!(!inline(&DhisDate::new("2012-09-20T08:46:05.59é")));
    }

    #[test]
    fn compares_as_its_string() {
        let a = DhisDate::new("2012-09-20");
        let b = DhisDate::new("2012-09-20T08:46:05.594");
        let c = DhisDate::new("2012-09-20T08:46:05.594+0000");
        assert!(a < b && b < c);
        assert_eq!(b, DhisDate::from("2012-09-20T08:46:05.594".to_string()));
        assert_ne!(a, b);
        let mut v = vec![c.clone(), a.clone(), b.clone()];
        v.sort();
        assert_eq!(v, [a, b, c]);
    }
}
