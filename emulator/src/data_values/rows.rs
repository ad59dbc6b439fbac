//! Reading a data value set payload: rows with the set-level defaults applied, and identifier schemes
//! (`idScheme`, `dataElementIdScheme`, `orgUnitIdScheme`, `categoryOptionComboIdScheme`).

use std::collections::HashMap;

use serde_json::Value;

use crate::store::Store;

/// How a payload identifies objects (`idScheme`, `dataElementIdScheme`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IdScheme {
    Uid,
    Code,
    Name,
}

impl IdScheme {
    pub(super) fn parse(v: Option<&str>) -> Option<IdScheme> {
        match v?.to_ascii_uppercase().as_str() {
            "UID" | "ID" => Some(IdScheme::Uid),
            "CODE" => Some(IdScheme::Code),
            "NAME" => Some(IdScheme::Name),
            _ => None,
        }
    }

    fn key(self) -> &'static str {
        match self {
            IdScheme::Uid => "id",
            IdScheme::Code => "code",
            IdScheme::Name => "name",
        }
    }
}

/// One incoming row, with the set-level defaults applied and empty strings as `None` (WIRE.md 1.3).
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) de: Option<String>,
    pub(super) pe: Option<String>,
    pub(super) ou: Option<String>,
    pub(super) coc: Option<String>,
    pub(super) aoc: Option<String>,
    pub(super) value: Option<String>,
    pub(super) comment: Option<String>,
    pub(super) follow_up: bool,
    pub(super) stored_by: Option<String>,
    pub(super) deleted: bool,
}

pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

pub(super) fn rows_of(payload: &Value) -> Vec<Row> {
    let top = |k: &str| text(payload.get(k));
    let (pe, ou, aoc) = (top("period"), top("orgUnit"), top("attributeOptionCombo"));
    payload
        .get("dataValues")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .map(|r| Row {
                    de: text(r.get("dataElement")),
                    pe: text(r.get("period")).or_else(|| pe.clone()),
                    ou: text(r.get("orgUnit")).or_else(|| ou.clone()),
                    coc: text(r.get("categoryOptionCombo")),
                    aoc: text(r.get("attributeOptionCombo")).or_else(|| aoc.clone()),
                    value: text(r.get("value")),
                    comment: text(r.get("comment")),
                    follow_up: truthy(r.get("followup").or(r.get("followUp"))),
                    stored_by: text(r.get("storedBy")),
                    deleted: truthy(r.get("deleted")),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Rewrites CODE/NAME identifiers to UIDs (unknown ones are left as they are and fail validation).
pub(super) fn translate_ids(store: &Store, rows: &mut [Row], schemes: [IdScheme; 3]) {
    let [de, ou, coc] = schemes;
    let map = |plural: &str, scheme: IdScheme| -> HashMap<String, String> {
        store
            .list(plural)
            .filter_map(|o| {
                let k = o.get(scheme.key())?.as_str()?;
                let id = o.get("id")?.as_str()?;
                Some((k.to_string(), id.to_string()))
            })
            .collect()
    };
    let swap = |field: &mut Option<String>, m: &HashMap<String, String>| {
        if let Some(uid) = field.as_ref().and_then(|v| m.get(v)) {
            *field = Some(uid.clone());
        }
    };
    if de != IdScheme::Uid {
        let m = map("dataElements", de);
        rows.iter_mut().for_each(|r| swap(&mut r.de, &m));
    }
    if ou != IdScheme::Uid {
        let m = map("organisationUnits", ou);
        rows.iter_mut().for_each(|r| swap(&mut r.ou, &m));
    }
    if coc != IdScheme::Uid {
        let m = map("categoryOptionCombos", coc);
        rows.iter_mut().for_each(|r| {
            swap(&mut r.coc, &m);
            swap(&mut r.aoc, &m);
        });
    }
}
