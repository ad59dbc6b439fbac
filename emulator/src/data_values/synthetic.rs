//! Synthetic data values for large exports (`Emulator::builder().synthetic_data_values(n)`).
//!
//! Row `i` is computed from `i` alone: data element `i % E`, facility `(i / E) % F`, month `i / (E * F)` counted
//! from January 2000, option combo and value derived from the same numbers. No row is stored, so an export of any
//! size holds only the chunk being written. Filters of the export request are not applied to synthetic rows.
//!
//! Size: a row is about 281 bytes of JSON (checked by the test below and by `tests/data_export.rs`), so
//! **1 GiB ≈ 3,820,000 rows** (`synthetic_data_values(3_820_000)`).

use std::sync::{Arc, OnceLock};

use super::model::{days_from_civil, DataValue};
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

fn default_aoc() -> Option<super::model::Uid> {
    super::model::Uid::parse(crate::seed::DEFAULT_COC)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Average bytes per synthetic row, as documented in the module docs.
    const APPROX_ROW_BYTES: u64 = 281;

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
