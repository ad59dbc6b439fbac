//! `POST /api/dataValueSets`: validation, counting and the ImportSummary envelope, per version (WIRE.md 8).
//!
//! Up to 2.42 every row is checked on its own (`E76xx` conflicts, `imported`/`updated` counts). From 2.43 the
//! data-entry pipeline applies: set-level problems reject the whole request (409 `E80xx`), undecodable rows
//! reject it with 400 (`E81xx`), invalid values become `E812x` conflicts, and every stored value counts as
//! `updated`. The `E81xx` decoding codes other than `E8104` are our best reading of DHIS2's numbering.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Map, Value};

use super::model::{now_millis, DataValue, Uid};
use super::{period, Params};
use crate::jobs::{self, JobOutcome, JobResult};
use crate::seed::DEFAULT_COC;
use crate::state::AppState;
use crate::store::Store;
use crate::web::{ApiPrefix, WebMessage};

/// `importStrategy` values (legacy aliases accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strategy {
    CreateAndUpdate,
    Create,
    Update,
    Delete,
}

impl Strategy {
    fn parse(s: Option<&str>) -> Strategy {
        match s.map(str::to_ascii_uppercase).as_deref() {
            Some("CREATE" | "NEW") => Strategy::Create,
            Some("UPDATE" | "UPDATES") => Strategy::Update,
            Some("DELETE" | "DELETES") => Strategy::Delete,
            _ => Strategy::CreateAndUpdate,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Strategy::CreateAndUpdate => "CREATE_AND_UPDATE",
            Strategy::Create => "CREATE",
            Strategy::Update => "UPDATE",
            Strategy::Delete => "DELETE",
        }
    }
}

/// The import options a request selects.
#[derive(Debug, Clone)]
pub(super) struct Options {
    strategy: Strategy,
    dry_run: bool,
    is_async: bool,
    atomic: bool,
    /// Identifier schemes (`UID`, `CODE`, `NAME`) for data elements, org units and option combos.
    schemes: [IdScheme; 3],
}

/// How a payload identifies objects (`idScheme`, `dataElementIdScheme`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdScheme {
    Uid,
    Code,
    Name,
}

impl IdScheme {
    fn parse(v: Option<&str>) -> Option<IdScheme> {
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

impl Options {
    fn from_params(p: &Params) -> Options {
        Options {
            strategy: Strategy::parse(p.get("importStrategy").or(p.get("strategy"))),
            dry_run: p.flag("dryRun", false),
            is_async: p.flag("async", false),
            atomic: p
                .get("atomicMode")
                .is_some_and(|v| v.eq_ignore_ascii_case("ALL")),
            schemes: {
                let all = IdScheme::parse(p.get("idScheme")).unwrap_or(IdScheme::Uid);
                let one = |k: &str| IdScheme::parse(p.get(k)).unwrap_or(all);
                [
                    one("dataElementIdScheme"),
                    one("orgUnitIdScheme"),
                    one("categoryOptionComboIdScheme"),
                ]
            },
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "idSchemes": {}, "dryRun": self.dry_run, "async": self.is_async,
            "importStrategy": self.strategy.as_str(), "mergeMode": "REPLACE", "reportMode": "FULL",
            "skipExistingCheck": false, "sharing": false, "skipNotifications": false, "skipAudit": false,
            "datasetAllowsPeriods": false, "strictPeriods": false, "strictDataElements": false,
            "strictCategoryOptionCombos": false, "strictAttributeOptionCombos": false,
            "strictOrganisationUnits": false, "strictDataSetApproval": false, "strictDataSetLocking": false,
            "strictDataSetInputPeriods": false, "requireCategoryOptionCombo": false,
            "requireAttributeOptionCombo": false, "skipPatternValidation": false, "ignoreEmptyCollection": false,
            "force": false, "firstRowIsHeader": true, "skipLastUpdated": false, "mergeDataValues": false,
            "skipCache": false
        })
    }
}

/// One incoming row, with the set-level defaults applied and empty strings as `None` (WIRE.md 1.3).
#[derive(Debug, Clone)]
struct Row {
    de: Option<String>,
    pe: Option<String>,
    ou: Option<String>,
    coc: Option<String>,
    aoc: Option<String>,
    value: Option<String>,
    comment: Option<String>,
    follow_up: bool,
    stored_by: Option<String>,
    deleted: bool,
}

fn text(v: Option<&Value>) -> Option<String> {
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

fn rows_of(payload: &Value) -> Vec<Row> {
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

/// What a data element allows, looked up once per import.
#[derive(Debug, Clone)]
pub(super) struct ElementRules {
    pub(super) value_type: String,
    pub(super) options: Option<HashSet<String>>,
}

/// Reads a data element's value type and option codes from the store.
pub(super) fn element_rules(store: &Store, de: &str) -> Option<ElementRules> {
    let obj = store.get("dataElements", de)?;
    let value_type = obj
        .get("valueType")
        .and_then(Value::as_str)
        .unwrap_or("TEXT")
        .to_string();
    let options = obj
        .get("optionSet")
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(|os| {
            store
                .get("optionSets", os)
                .and_then(|s| s.get("options"))
                .and_then(Value::as_array)
                .map(|opts| {
                    opts.iter()
                        .filter_map(|o| o.get("id").and_then(Value::as_str))
                        .filter_map(|oid| store.get("options", oid))
                        .filter_map(|o| o.get("code").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        });
    Some(ElementRules {
        value_type,
        options,
    })
}

/// Checks a value against a value type; `Err` carries DHIS2's i18n key for the failure.
pub(super) fn check_value(value_type: &str, v: &str) -> Result<(), &'static str> {
    let int = || v.parse::<i64>().ok();
    let num = || v.parse::<f64>().ok().filter(|f| f.is_finite());
    let ok = match value_type {
        "INTEGER" => int().is_some(),
        "INTEGER_POSITIVE" => int().is_some_and(|i| i > 0),
        "INTEGER_NEGATIVE" => int().is_some_and(|i| i < 0),
        "INTEGER_ZERO_OR_POSITIVE" => int().is_some_and(|i| i >= 0),
        "NUMBER" | "UNIT_INTERVAL" => num().is_some(),
        "PERCENTAGE" => num().is_some_and(|f| (0.0..=100.0).contains(&f)),
        "BOOLEAN" => {
            ["true", "false", "1", "0", "t", "f"].contains(&v.to_ascii_lowercase().as_str())
        }
        "TRUE_ONLY" => ["true", "1", "t"].contains(&v.to_ascii_lowercase().as_str()),
        "DATE" => v.len() == 10 && super::model::parse_date_millis(v).is_some(),
        "TEXT" => v.chars().count() <= 50_000,
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(match value_type {
        "INTEGER" => "value_not_integer",
        "INTEGER_POSITIVE" => "value_not_positive_integer",
        "INTEGER_NEGATIVE" => "value_not_negative_integer",
        "INTEGER_ZERO_OR_POSITIVE" => "value_not_zero_or_positive_integer",
        "NUMBER" | "UNIT_INTERVAL" => "value_not_numeric",
        "PERCENTAGE" => "value_not_percentage",
        "BOOLEAN" => "value_not_bool",
        "TRUE_ONLY" => "value_not_true_only",
        "DATE" => "value_not_valid_date",
        _ => "value_length_greater_than_max_length",
    })
}

/// A compact key for the upsert index (periods are at most 16 bytes in practice).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key(Uid, [u8; 16], Uid, Uid, Uid);

fn period_key(pe: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(pe.bytes()) {
        *o = b;
    }
    out
}

fn key_of(v: &DataValue) -> Key {
    Key(
        v.data_element,
        period_key(&v.period),
        v.org_unit,
        v.category_option_combo,
        v.attribute_option_combo,
    )
}

/// The outcome of an import before it becomes a response.
pub(super) enum Outcome {
    /// An ImportSummary and its status (`SUCCESS`, `WARNING`, `ERROR`).
    Summary(Value, &'static str),
    /// A whole-request rejection (2.43+ set-level or decoding problems).
    Rejected(WebMessage),
}

struct Conflict {
    object: Option<String>,
    objects: Value,
    value: String,
    code: &'static str,
    property: &'static str,
    index: usize,
}

fn conflicts_json(conflicts: &[Conflict]) -> Value {
    Value::Array(
        conflicts
            .iter()
            .map(|c| {
                let mut m = Map::new();
                if let Some(o) = &c.object {
                    m.insert("object".into(), json!(o));
                }
                m.insert("objects".into(), c.objects.clone());
                m.insert("value".into(), json!(c.value));
                m.insert("errorCode".into(), json!(c.code));
                m.insert("property".into(), json!(c.property));
                m.insert("indexes".into(), json!([c.index]));
                Value::Object(m)
            })
            .collect(),
    )
}

#[derive(Default)]
struct Counts {
    imported: u64,
    updated: u64,
    ignored: u64,
    deleted: u64,
}

fn summary_json(
    options: &Options,
    status: &'static str,
    description: &str,
    counts: &Counts,
    conflicts: &[Conflict],
) -> Value {
    let mut rejected: Vec<usize> = conflicts.iter().map(|c| c.index).collect();
    rejected.dedup();
    json!({
        "status": status,
        "importOptions": options.to_json(),
        "description": description,
        "importCount": {"imported": counts.imported, "updated": counts.updated, "ignored": counts.ignored, "deleted": counts.deleted},
        "conflicts": conflicts_json(conflicts),
        "rejectedIndexes": rejected,
        "dataSetComplete": "false",
        "responseType": "ImportSummary"
    })
}

fn failed_summary(options: &Options, why: &str) -> Outcome {
    let s = summary_json(
        options,
        "ERROR",
        &format!("The import process failed: {why}"),
        &Counts::default(),
        &[],
    );
    Outcome::Summary(s, "ERROR")
}

/// Rewrites CODE/NAME identifiers to UIDs (unknown ones are left as they are and fail validation).
fn translate_ids(store: &Store, rows: &mut [Row], schemes: [IdScheme; 3]) {
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

/// 2.43+ set-level checks: the data set (given or detected) and the rows' references.
fn set_level_checks(store: &Store, payload: &Value, rows: &[Row]) -> Result<(), Box<WebMessage>> {
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
fn decode_checks(rows: &[Row]) -> Result<(), Box<WebMessage>> {
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

/// Runs an import against the store (under the write lock, no `.await`).
pub(super) fn run_import(state: &AppState, payload: &Value, options: &Options) -> Outcome {
    let new_pipeline = state.version().major() >= 43;
    let mut rows = rows_of(payload);
    let mut store = state.store_write();
    translate_ids(&store, &mut rows, options.schemes);
    if new_pipeline {
        if let Err(msg) = decode_checks(&rows) {
            return Outcome::Rejected(*msg);
        }
        if let Err(msg) = set_level_checks(&store, payload, &rows) {
            return Outcome::Rejected(*msg);
        }
    }

    let default_coc = Uid::parse(DEFAULT_COC);
    let mut rules: HashMap<String, Option<ElementRules>> = HashMap::new();
    let mut conflicts = Vec::new();
    let mut valid: Vec<(usize, &Row, DataValue)> = Vec::with_capacity(rows.len());
    let now = now_millis();
    let stored_by_default: Arc<str> = Arc::from(state.config().admin_username.as_str());

    for (i, r) in rows.iter().enumerate() {
        let mut add = |object: Option<&str>, objects: Value, value: String, code, property| {
            let object = if new_pipeline {
                None
            } else {
                object.map(str::to_string)
            };
            conflicts.push(Conflict {
                object,
                objects,
                value,
                code,
                property,
                index: i,
            });
        };
        let de = r.de.as_deref().unwrap_or("");
        let rule = rules
            .entry(de.to_string())
            .or_insert_with(|| element_rules(&store, de))
            .clone();
        let Some(rule) = rule else {
            add(
                Some(de),
                json!({"dataElement": de}),
                format!("Data element not found or not accessible: `{de}`"),
                "E7610",
                "dataElement",
            );
            continue;
        };
        let pe = r.pe.as_deref().unwrap_or("");
        if period::parse(pe).is_none() {
            add(
                Some(pe),
                json!({"period": pe}),
                format!("Period not valid: `{pe}`"),
                "E7611",
                "period",
            );
            continue;
        }
        let ou = r.ou.as_deref().unwrap_or("");
        if store.get("organisationUnits", ou).is_none() {
            add(
                Some(ou),
                json!({"orgUnit": ou}),
                format!("Organisation unit not found or not accessible: `{ou}`"),
                "E7612",
                "orgUnit",
            );
            continue;
        }
        let coc = r.coc.as_deref().unwrap_or(DEFAULT_COC);
        if store.get("categoryOptionCombos", coc).is_none() {
            add(
                Some(coc),
                json!({"categoryOptionCombo": coc}),
                format!(
                    "Category option combo not found or not accessible for writing data: `{coc}`"
                ),
                "E7613",
                "categoryOptionCombo",
            );
            continue;
        }
        let aoc = r.aoc.as_deref().unwrap_or(DEFAULT_COC);
        if store.get("categoryOptionCombos", aoc).is_none() {
            add(
                Some(aoc),
                json!({"attributeOptionCombo": aoc}),
                format!(
                    "Attribute option combo not found or not accessible for writing data: `{aoc}`"
                ),
                "E7615",
                "attributeOptionCombo",
            );
            continue;
        }
        if let Some(v) = r.value.as_deref() {
            if options.strategy != Strategy::Delete {
                if let Err(key) = check_value(&rule.value_type, v) {
                    if new_pipeline {
                        add(
                            None,
                            json!({"args": format!("{i}-{v}-{}", rule.value_type)}),
                            format!(
                                "Value #{i} value `{v}` is no valid {}: {key}",
                                rule.value_type
                            ),
                            "E8122",
                            "value",
                        );
                    } else {
                        add(
                            Some(v),
                            json!({"value": v, "dataElement": de}),
                            format!(
                                "Value must match data element's `{de}` type constraints: {key}"
                            ),
                            "E7619",
                            "value",
                        );
                    }
                    continue;
                }
                if let Some(opts) = &rule.options {
                    if !opts.contains(v) {
                        if new_pipeline {
                            add(
                                None,
                                json!({"args": format!("{i}-{v}")}),
                                format!("Value #{i} value `{v}` is not a valid option"),
                                "E8123",
                                "value",
                            );
                        } else {
                            add(
                                Some(v),
                                json!({"value": v, "dataElement": de}),
                                format!("Data value is not a valid option of the data element option set: `{de}`"),
                                "E7621",
                                "value",
                            );
                        }
                        continue;
                    }
                }
            }
        }
        let (Some(de_u), Some(ou_u), Some(coc_u), Some(aoc_u)) = (
            Uid::parse(de),
            Uid::parse(ou),
            Uid::parse(coc),
            Uid::parse(aoc).or(default_coc),
        ) else {
            add(
                Some(de),
                json!({"dataElement": de}),
                format!("Data element not found or not accessible: `{de}`"),
                "E7610",
                "dataElement",
            );
            continue;
        };
        valid.push((
            i,
            r,
            DataValue {
                data_element: de_u,
                period: pe.into(),
                org_unit: ou_u,
                category_option_combo: coc_u,
                attribute_option_combo: aoc_u,
                value: r.value.as_deref().map(Box::from),
                stored_by: r
                    .stored_by
                    .as_deref()
                    .map_or_else(|| stored_by_default.clone(), Arc::from),
                comment: r.comment.as_deref().map(Box::from),
                created: now,
                last_updated: now,
                follow_up: r.follow_up,
                deleted: false,
            },
        ));
    }

    if options.atomic && !conflicts.is_empty() {
        // Atomic mode: nothing is written when any value is invalid.
        valid.clear();
    }

    // Upsert index; rows added by a dry run are tracked as "virtual" (usize::MAX).
    let mut index: HashMap<Key, usize> =
        HashMap::with_capacity(store.data_values.len() + valid.len());
    for (pos, v) in store.data_values.iter().enumerate() {
        index.insert(key_of(v), pos);
    }
    let mut counts = Counts {
        ignored: conflicts.len() as u64,
        ..Counts::default()
    };
    let mut writes = 0u64;
    for (i, row, dv) in valid {
        let key = key_of(&dv);
        let slot = index.get(&key).copied();
        let live = slot.is_some_and(|p| {
            p == usize::MAX || store.data_values.get(p).is_some_and(|v| !v.deleted)
        });
        let delete = options.strategy == Strategy::Delete
            || row.deleted
            || (dv.value.is_none() && dv.comment.is_none());
        if delete {
            if !live {
                if options.strategy != Strategy::Delete && !row.deleted {
                    let de = dv.data_element.to_string();
                    let (object, code, msg, property) = if new_pipeline {
                        (
                            None,
                            "E8121",
                            format!("Value #{i} value or comment required"),
                            "value",
                        )
                    } else {
                        (
                            Some(de.clone()),
                            "E7618",
                            format!("Data value or comment not specified for data element: `{de}`"),
                            "value",
                        )
                    };
                    conflicts.push(Conflict {
                        object,
                        objects: json!({"dataElement": de}),
                        value: msg,
                        code,
                        property,
                        index: i,
                    });
                }
                counts.ignored += 1;
                continue;
            }
            counts.deleted += 1;
            if !options.dry_run {
                if let Some(v) = slot.and_then(|p| store.data_values.get_mut(p)) {
                    v.deleted = true;
                    v.last_updated = now;
                    writes += 1;
                }
            }
            continue;
        }
        match (options.strategy, live) {
            (Strategy::Create, true) | (Strategy::Update, false) => {
                counts.ignored += 1;
                continue;
            }
            _ => {}
        }
        // The 2.43+ pipeline counts every stored value as updated.
        if live || new_pipeline {
            counts.updated += 1;
        } else {
            counts.imported += 1;
        }
        if options.dry_run {
            index.insert(key, usize::MAX);
            continue;
        }
        writes += 1;
        match slot
            .filter(|p| *p != usize::MAX)
            .and_then(|p| store.data_values.get_mut(p))
        {
            Some(existing) => {
                let created = if existing.deleted {
                    now
                } else {
                    existing.created
                };
                *existing = DataValue { created, ..dv };
            }
            None => {
                index.insert(key, store.data_values.len());
                store.data_values.push(dv);
            }
        }
    }
    drop(store);
    if writes > 0 {
        state.counters().add_writes(writes);
    }
    conflicts.sort_by_key(|c| c.index);

    let stored = counts.imported + counts.updated + counts.deleted;
    let status = match (conflicts.is_empty(), new_pipeline && stored == 0) {
        (true, _) => "SUCCESS",
        (false, true) => "ERROR",
        (false, false) => "WARNING",
    };
    let summary = summary_json(
        options,
        status,
        "Import process completed successfully",
        &counts,
        &conflicts,
    );
    Outcome::Summary(summary, status)
}

/// The WebMessage around an ImportSummary (`WebMessageUtils.importSummary`, per version).
pub(super) fn summary_response(
    state: &AppState,
    summary: Value,
    status: &'static str,
) -> WebMessage {
    match status {
        "SUCCESS" => WebMessage::new(200, "OK")
            .message("Import was successful.")
            .response(summary),
        "WARNING" => {
            let code = state.version().data_value_warning_status();
            let msg = if code == 409 {
                "One more conflicts encountered, please check import summary."
            } else {
                "Import completed with warnings, please check import summary."
            };
            WebMessage::new(code, "WARNING")
                .message(msg)
                .response(summary)
        }
        _ => WebMessage::new(409, "ERROR")
            .message("An error occurred, please check import summary.")
            .response(summary),
    }
}

fn finish(state: &AppState, outcome: Outcome) -> WebMessage {
    match outcome {
        Outcome::Summary(s, status) => summary_response(state, s, status),
        Outcome::Rejected(msg) => msg,
    }
}

/// `POST /api/dataValueSets`.
pub(super) async fn post_data_value_set(
    State(state): State<AppState>,
    headers: HeaderMap,
    prefix: Option<Extension<ApiPrefix>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = Params::parse(query.as_deref());
    let options = Options::from_params(&params);
    let payload: Result<Value, String> = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(json!({"dataValues": []}))
    } else {
        serde_json::from_slice::<Value>(&body).map_err(|e| e.to_string())
    };
    if options.is_async {
        let outcome = params
            .get("emulatorJobOutcome")
            .and_then(JobOutcome::from_param);
        let job_params =
            json!({"importStrategy": options.strategy.as_str(), "dryRun": options.dry_run});
        return jobs::start(
            &state,
            &headers,
            prefix.as_ref().map(|e| &e.0),
            "DATAVALUE_IMPORT",
            job_params,
            outcome,
            move |st| {
                let outcome = match &payload {
                    Ok(p) => run_import(st, p, &options),
                    Err(e) => failed_summary(&options, e),
                };
                let (summary, message) = match outcome {
                    Outcome::Summary(s, status) => {
                        let c = &s["importCount"];
                        let msg = format!(
                        "Import complete with status {status}, {} imported, {} updated, {} deleted, {} ignored",
                        c["imported"], c["updated"], c["deleted"], c["ignored"]
                    );
                        (s, msg)
                    }
                    Outcome::Rejected(m) => (m.to_value(), "Import failed".to_string()),
                };
                JobResult { summary, message }
            },
        );
    }
    let outcome = match &payload {
        Ok(p) if p.is_object() => run_import(&state, p, &options),
        Ok(_) => failed_summary(&options, "Expected a JSON object with `dataValues`"),
        Err(e) => failed_summary(&options, e),
    };
    finish(&state, outcome).into_response()
}
