//! Synthetic data values for large exports (`Emulator::builder().synthetic_data_values(n)`).
//!
//! Row `i` is computed from `i` alone: data element `i % E`, facility `(i / E) % F`, month `i / (E * F)` counted
//! from January 2000, option combo and value derived from the same numbers. No row is stored, so an export of any
//! size holds only the chunk being written. Filters of the export request are not applied to synthetic rows.
//!
//! Size: a row is about 281 bytes of JSON (checked by the test below and by `tests/data_export.rs`), so
//! **1 GiB ≈ 3,820,000 rows** (`synthetic_data_values(3_820_000)`).

use std::sync::{Arc, OnceLock};

use super::model::{civil_from_days, days_from_civil, DataValue};
use crate::seed::SyntheticBasis;

fn stored_by() -> Arc<str> {
    static NAME: OnceLock<Arc<str>> = OnceLock::new();
    NAME.get_or_init(|| Arc::from("admin")).clone()
}

/// The synthetic row number `i` (`None` only if the basis is empty).
pub(crate) fn row(basis: &SyntheticBasis, i: u64) -> Option<DataValue> {
    let e = basis.elements.len() as u64;
    let f = basis.org_units.len() as u64;
    if e == 0 || f == 0 {
        return None;
    }
    let (de, cocs, value_type) = basis.elements.get(usize::try_from(i % e).ok()?)?;
    let rest = i / e;
    let ou = *basis.org_units.get(usize::try_from(rest % f).ok()?)?;
    let month = rest / f;
    let coc = *cocs.get(usize::try_from(month % (cocs.len().max(1) as u64)).ok()?)?;
    let year = 2000 + i64::try_from(month / 12).ok()?;
    let m = u32::try_from(month % 12).ok()? + 1;
    let mix = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    let value = match *value_type {
        "PERCENTAGE" => (mix % 101).to_string(),
        "NUMBER" => format!("{}.{}", mix % 500, mix % 10),
        "INTEGER_POSITIVE" => (mix % 500 + 1).to_string(),
        _ => (mix % 500).to_string(),
    };
    let created =
        (days_from_civil(year, m, 1) + 35) * 86_400_000 + i64::try_from(mix % 86_400_000).ok()?;
    Some(DataValue {
        data_element: *de,
        period: format!("{year:04}{m:02}").into(),
        org_unit: ou,
        category_option_combo: coc,
        attribute_option_combo: default_aoc()?,
        value: Some(value.into()),
        stored_by: stored_by(),
        comment: None,
        created,
        last_updated: created,
        follow_up: false,
        deleted: false,
    })
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (what `format!("{n:0width$}")` writes).
fn push_num(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len().saturating_sub(width));
    out.extend_from_slice(&buf[start..]);
}

/// Appends `yyyy-MM-ddTHH:mm:ss.SSS+0000` for a non-negative epoch-millisecond time (as `format_millis_utc`).
fn push_timestamp(out: &mut Vec<u8>, ms: u64) {
    let days = ms / 86_400_000;
    let rem = ms % 86_400_000;
    let (y, mo, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    push_num(out, y.unsigned_abs(), 4);
    out.push(b'-');
    push_num(out, u64::from(mo), 2);
    out.push(b'-');
    push_num(out, u64::from(d), 2);
    out.push(b'T');
    push_num(out, rem / 3_600_000, 2);
    out.push(b':');
    push_num(out, rem / 60_000 % 60, 2);
    out.push(b':');
    push_num(out, rem / 1000 % 60, 2);
    out.push(b'.');
    push_num(out, rem % 1000, 3);
    out.extend_from_slice(b"+0000");
}

/// Appends synthetic row `i` as export JSON, byte for byte what `export::write_row(&row(basis, i))` writes but
/// without building the row (no allocation per row: this runs for every row of a multi-GiB export). Returns
/// false (writing nothing) when there is no such row.
pub(crate) fn write_row(out: &mut Vec<u8>, basis: &SyntheticBasis, i: u64) -> bool {
    let e = basis.elements.len() as u64;
    let f = basis.org_units.len() as u64;
    if e == 0 || f == 0 {
        return false;
    }
    let Some((de, cocs, value_type)) = usize::try_from(i % e)
        .ok()
        .and_then(|k| basis.elements.get(k))
    else {
        return false;
    };
    let rest = i / e;
    let Some(ou) = usize::try_from(rest % f)
        .ok()
        .and_then(|k| basis.org_units.get(k))
    else {
        return false;
    };
    let month = rest / f;
    let Some(coc) = usize::try_from(month % (cocs.len().max(1) as u64))
        .ok()
        .and_then(|k| cocs.get(k))
    else {
        return false;
    };
    let year = 2000 + month / 12;
    let m = month % 12 + 1;
    let mix = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    let (Ok(y), Ok(mi)) = (i64::try_from(year), u32::try_from(m)) else {
        return false;
    };
    let created = (days_from_civil(y, mi, 1) + 35) * 86_400_000 + (mix % 86_400_000) as i64;
    let Ok(created) = u64::try_from(created) else {
        // Before 1970: never for these rows, but keep the exact output of the general path.
        return match row(basis, i) {
            Some(v) => {
                super::export::write_row(out, &v);
                true
            }
            None => false,
        };
    };
    let Some(aoc) = default_aoc() else {
        return false;
    };
    out.extend_from_slice(b"{\"dataElement\":\"");
    out.extend_from_slice(de.as_str().as_bytes());
    out.extend_from_slice(b"\",\"period\":\"");
    push_num(out, year, 4);
    push_num(out, m, 2);
    out.extend_from_slice(b"\",\"orgUnit\":\"");
    out.extend_from_slice(ou.as_str().as_bytes());
    out.extend_from_slice(b"\",\"categoryOptionCombo\":\"");
    out.extend_from_slice(coc.as_str().as_bytes());
    out.extend_from_slice(b"\",\"attributeOptionCombo\":\"");
    out.extend_from_slice(aoc.as_str().as_bytes());
    out.extend_from_slice(b"\",\"value\":\"");
    match *value_type {
        "PERCENTAGE" => push_num(out, mix % 101, 1),
        "NUMBER" => {
            push_num(out, mix % 500, 1);
            out.push(b'.');
            push_num(out, mix % 10, 1);
        }
        "INTEGER_POSITIVE" => push_num(out, mix % 500 + 1, 1),
        _ => push_num(out, mix % 500, 1),
    }
    out.extend_from_slice(b"\",\"storedBy\":\"admin\",\"created\":\"");
    let ts_start = out.len();
    push_timestamp(out, created);
    let ts_end = out.len();
    out.extend_from_slice(b"\",\"lastUpdated\":\"");
    out.extend_from_within(ts_start..ts_end);
    out.extend_from_slice(b"\",\"followup\":false}");
    true
}

fn default_aoc() -> Option<super::model::Uid> {
    super::model::Uid::parse(crate::seed::DEFAULT_COC)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Average bytes per synthetic row, as documented in the module docs.
    const APPROX_ROW_BYTES: u64 = 281;

    #[test]
    fn fast_writer_matches_the_general_path_byte_for_byte() {
        let basis = crate::seed::synthetic_basis();
        let check = |i: u64| {
            let mut fast = Vec::new();
            assert!(write_row(&mut fast, basis, i));
            let mut slow = Vec::new();
            super::super::export::write_row(&mut slow, &row(basis, i).unwrap());
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(slow).unwrap(),
                "row {i}"
            );
        };
        for i in 0..20_000 {
            check(i);
        }
        for i in (0..40_000_000).step_by(9_973) {
            check(i);
        }
        let mut n = Vec::new();
        push_num(&mut n, 7, 3);
        push_num(&mut n, 12345, 2);
        push_num(&mut n, 0, 1);
        assert_eq!(n, b"007123450");
    }

    #[test]
    fn rows_are_deterministic_unique_and_sized_as_documented() {
        let basis = crate::seed::synthetic_basis();
        let mut keys = std::collections::HashSet::new();
        let mut bytes = 0usize;
        let n = 20_000u64;
        for i in 0..n {
            let v = row(basis, i).unwrap();
            assert_eq!(Some(&v), row(basis, i).as_ref());
            assert!(
                keys.insert((v.data_element, v.period.clone(), v.org_unit)),
                "duplicate key at {i}"
            );
            let mut out = Vec::new();
            super::super::export::write_row(&mut out, &v);
            bytes += out.len() + 1;
        }
        let avg = bytes as u64 / n;
        assert!(
            avg.abs_diff(APPROX_ROW_BYTES) <= 10,
            "average row is {avg} bytes"
        );
    }
}
