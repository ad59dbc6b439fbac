//! The 2.43+ data-entry pipeline's whole-request checks (WIRE.md 8): set-level problems answer 409 (`E80xx`),
//! undecodable rows 400 (`E81xx`); either way nothing is stored. The `E81xx` codes other than `E8104` are our
//! best reading of DHIS2's numbering.

use std::collections::HashSet;

use serde_json::Value;

use super::model::Uid;
use super::period;
use super::rows::{text, Row};
use crate::store::Store;
use crate::web::WebMessage;

/// 2.43+ set-level checks: the data set (given or detected) and the rows' references.
pub(super) fn set_level_checks(
    store: &Store,
    payload: &Value,
    rows: &[Row],
) -> Result<(), Box<WebMessage>> {
    let conflict = |code: &str, msg: String| Box::new(WebMessage::error(409, msg).error_code(code));
    let data_sets: Vec<&Value> = store.list("dataSets").collect();
    let members = |ds: &Value| -> HashSet<String> {
        ds.get("dataSetElements")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        e.get("dataElement")?
                            .get("id")?
                            .as_str()
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let des: Vec<&str> = {
        let mut seen = HashSet::new();
        rows.iter()
            .filter_map(|r| r.de.as_deref())
            .filter(|d| seen.insert(*d))
            .collect()
    };
    let ds_uid = match text(payload.get("dataSet")) {
        Some(ds) => {
            if Uid::parse(&ds).is_none() {
                return Err(conflict("E8004", format!("Data set UID not valid: `{ds}`")));
            }
            if store.get("dataSets", &ds).is_none() {
                return Err(conflict("E8005", format!("Data set not found: `{ds}`")));
            }
            ds
        }
        None => {
            let known: Vec<&str> = des
                .iter()
                .copied()
                .filter(|d| store.get("dataElements", d).is_some())
                .collect();
            let mut found: Vec<String> = Vec::new();
            let mut orphans = Vec::new();
            for de in &known {
                let sets: Vec<String> = data_sets
                    .iter()
                    .filter(|ds| members(ds).contains(*de))
                    .filter_map(|ds| ds.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect();
                if sets.is_empty() {
                    orphans.push(*de);
                }
                for s in sets {
                    if !found.contains(&s) {
                        found.push(s);
                    }
                }
            }
            if found.len() > 1 {
                return Err(conflict(
                    "E8002",
                    format!(
                        "Data set detection failed, found multiple sets: [{}]",
                        found.join(", ")
                    ),
                ));
            }
            match found.pop() {
                Some(ds) if orphans.is_empty() => ds,
                _ => {
                    let list = if orphans.is_empty() {
                        des.clone()
                    } else {
                        orphans
                    };
                    return Err(conflict(
                        "E8003",
                        format!(
                            "Data set detection failed, found no set for data element(s): `{}`",
                            list.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let ds_members = store
        .get("dataSets", &ds_uid)
        .map(members)
        .unwrap_or_default();
    let bad_des: Vec<&str> = des
        .iter()
        .copied()
        .filter(|d| !ds_members.contains(*d))
        .collect();
    if !bad_des.is_empty() {
        return Err(conflict(
            "E8020",
            format!(
                "Data set `{ds_uid}` not usable with data element(s): `{}`",
                bad_des.join(", ")
            ),
        ));
    }
    let ds_period_type = store
        .get("dataSets", &ds_uid)
        .and_then(|d| d.get("periodType"))
        .and_then(Value::as_str);
    if let Some(pt) = ds_period_type {
        let mut seen = HashSet::new();
        let wrong: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.pe.as_deref())
            .filter(|pe| period::parse(pe).is_some_and(|p| p.period_type != pt) && seen.insert(*pe))
            .collect();
        if !wrong.is_empty() {
            return Err(conflict(
                "E8021",
                format!(
                    "Data set `{ds_uid}` not usable with period(s): `{}`",
                    wrong.join(", ")
                ),
            ));
        }
    }
    let unknown = |plural: &str, pick: &dyn Fn(&Row) -> Option<&str>| -> Vec<String> {
        let mut seen = HashSet::new();
        rows.iter()
            .filter_map(pick)
            .filter(|u| store.get(plural, u).is_none() && seen.insert(u.to_string()))
            .map(str::to_string)
            .collect()
    };
    let ous = unknown("organisationUnits", &|r| r.ou.as_deref());
    if !ous.is_empty() {
        return Err(conflict(
            "E8022",
            format!(
                "Data set `{ds_uid}` not usable with org unit(s): `{}`",
                ous.join(", ")
            ),
        ));
    }
    let aocs = unknown("categoryOptionCombos", &|r| r.aoc.as_deref());
    if !aocs.is_empty() {
        return Err(conflict(
            "E8023",
            format!(
                "Data set `{ds_uid}` not usable with attribute option combo(s): `{}`",
                aocs.join(", ")
            ),
        ));
    }
    let cocs = unknown("categoryOptionCombos", &|r| r.coc.as_deref());
    if !cocs.is_empty() {
        return Err(conflict(
            "E8024",
            format!(
                "Data set `{ds_uid}` not usable with category option combo(s): `{}`",
                cocs.join(", ")
            ),
        ));
    }
    Ok(())
}

/// 2.43+ decoding: every row needs well-formed references and a valid period, or the request gets 400.
pub(super) fn decode_checks(rows: &[Row]) -> Result<(), Box<WebMessage>> {
    let bad = |code: &str, msg: String| Box::new(WebMessage::error(400, msg).error_code(code));
    for (i, r) in rows.iter().enumerate() {
        match r.pe.as_deref() {
            None => return Err(bad("E8100", format!("Value #{i} period is required"))),
            Some(p) if period::parse(p).is_none() => {
                return Err(bad("E8101", format!("Value #{i} period not valid: `{p}`")))
            }
            _ => {}
        }
        match r.de.as_deref() {
            None => return Err(bad("E8103", format!("Value #{i} data element is required"))),
            Some(d) if Uid::parse(d).is_none() => {
                return Err(bad(
                    "E8104",
                    format!("Value #{i} data element UID not valid: `{d}`"),
                ))
            }
            _ => {}
        }
        match r.ou.as_deref() {
            None => return Err(bad("E8105", format!("Value #{i} org unit is required"))),
            Some(o) if Uid::parse(o).is_none() => {
                return Err(bad(
                    "E8106",
                    format!("Value #{i} org unit UID not valid: `{o}`"),
                ))
            }
            _ => {}
        }
        for (v, what, code) in [
            (&r.coc, "category option combo", "E8108"),
            (&r.aoc, "attribute option combo", "E8110"),
        ] {
            if let Some(u) = v.as_deref().filter(|u| Uid::parse(u).is_none()) {
                return Err(bad(code, format!("Value #{i} {what} UID not valid: `{u}`")));
            }
        }
    }
    Ok(())
}
