//! `POST /api/dataValueSets`: validation, counting and the ImportSummary envelope, per version (WIRE.md 8).
//!
//! Up to 2.42 every row is checked on its own (`E76xx` conflicts, `imported`/`updated` counts). From 2.43 the
//! data-entry pipeline applies: set-level problems reject the whole request (409 `E80xx`), undecodable rows
//! reject it with 400 (`E81xx`), invalid values become `E812x` conflicts, and every stored value counts as
//! `updated`. The `E81xx` decoding codes other than `E8104` are our best reading of DHIS2's numbering.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Map, Value};

use super::model::{now_millis, DataValue, Uid};
use super::pipeline::{decode_checks, set_level_checks};
use super::rows::{rows_of, translate_ids, IdScheme, Row};
use super::rules::{check_value, element_rules, ElementRules};
use super::{period, Params};
use crate::auth::CurrentUser;
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
    /// `storedBy` of values that do not name one: the authenticated user.
    user: Arc<str>,
    /// 2.43+ lists `atomic` among the import options.
    reports_atomic: bool,
}

impl Options {
    fn from_params(p: &Params, user: Arc<str>) -> Options {
        Options {
            user,
            reports_atomic: false,
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
        let mut v = json!({
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
        });
        if let (true, Some(m)) = (self.reports_atomic, v.as_object_mut()) {
            m.insert("atomic".into(), json!(self.atomic));
        }
        v
    }
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

/// What row validation needs besides the row.
struct RowCtx<'a> {
    store: &'a Store,
    new_pipeline: bool,
    /// Value checks are skipped for `importStrategy=DELETE`.
    check_values: bool,
    now: i64,
    stored_by: Arc<str>,
}

/// A conflict for row `index`; the 2.43+ pipeline never sets `object`.
fn conflict(
    ctx: &RowCtx<'_>,
    index: usize,
    object: Option<&str>,
    objects: Value,
    value: String,
    code: &'static str,
    property: &'static str,
) -> Box<Conflict> {
    let object = if ctx.new_pipeline {
        None
    } else {
        object.map(str::to_string)
    };
    Box::new(Conflict {
        object,
        objects,
        value,
        code,
        property,
        index,
    })
}

/// Checks one row's references and value; a valid row becomes the value to store.
fn validate_row(
    ctx: &RowCtx<'_>,
    rules: &mut HashMap<String, Option<ElementRules>>,
    i: usize,
    r: &Row,
) -> Result<DataValue, Box<Conflict>> {
    let store = ctx.store;
    let de = r.de.as_deref().unwrap_or("");
    let rule = rules
        .entry(de.to_string())
        .or_insert_with(|| element_rules(store, de))
        .clone();
    let not_found = |de: &str| {
        conflict(
            ctx,
            i,
            Some(de),
            json!({"dataElement": de}),
            format!("Data element not found or not accessible: `{de}`"),
            "E7610",
            "dataElement",
        )
    };
    let Some(rule) = rule else {
        return Err(not_found(de));
    };
    let pe = r.pe.as_deref().unwrap_or("");
    if period::parse(pe).is_none() {
        let msg = format!("Period not valid: `{pe}`");
        return Err(conflict(
            ctx,
            i,
            Some(pe),
            json!({"period": pe}),
            msg,
            "E7611",
            "period",
        ));
    }
    let ou = r.ou.as_deref().unwrap_or("");
    if store.get("organisationUnits", ou).is_none() {
        let msg = format!("Organisation unit not found or not accessible: `{ou}`");
        return Err(conflict(
            ctx,
            i,
            Some(ou),
            json!({"orgUnit": ou}),
            msg,
            "E7612",
            "orgUnit",
        ));
    }
    let coc = r.coc.as_deref().unwrap_or(DEFAULT_COC);
    if store.get("categoryOptionCombos", coc).is_none() {
        let msg =
            format!("Category option combo not found or not accessible for writing data: `{coc}`");
        let objects = json!({"categoryOptionCombo": coc});
        return Err(conflict(
            ctx,
            i,
            Some(coc),
            objects,
            msg,
            "E7613",
            "categoryOptionCombo",
        ));
    }
    let aoc = r.aoc.as_deref().unwrap_or(DEFAULT_COC);
    if store.get("categoryOptionCombos", aoc).is_none() {
        let msg =
            format!("Attribute option combo not found or not accessible for writing data: `{aoc}`");
        let objects = json!({"attributeOptionCombo": aoc});
        return Err(conflict(
            ctx,
            i,
            Some(aoc),
            objects,
            msg,
            "E7615",
            "attributeOptionCombo",
        ));
    }
    if let Some(v) = r.value.as_deref().filter(|_| ctx.check_values) {
        if let Err(key) = check_value(&rule.value_type, v) {
            let vt = &rule.value_type;
            return Err(if ctx.new_pipeline {
                let msg = format!("Value #{i} value `{v}` is no valid {vt}: {key}");
                conflict(
                    ctx,
                    i,
                    None,
                    json!({"args": format!("{i}-{v}-{vt}")}),
                    msg,
                    "E8122",
                    "value",
                )
            } else {
                let msg = format!("Value must match data element's `{de}` type constraints: {key}");
                conflict(
                    ctx,
                    i,
                    Some(v),
                    json!({"value": v, "dataElement": de}),
                    msg,
                    "E7619",
                    "value",
                )
            });
        }
        if rule.options.as_ref().is_some_and(|opts| !opts.contains(v)) {
            return Err(if ctx.new_pipeline {
                let msg = format!("Value #{i} value `{v}` is not a valid option");
                conflict(
                    ctx,
                    i,
                    None,
                    json!({"args": format!("{i}-{v}")}),
                    msg,
                    "E8123",
                    "value",
                )
            } else {
                let msg = format!(
                    "Data value is not a valid option of the data element option set: `{de}`"
                );
                conflict(
                    ctx,
                    i,
                    Some(v),
                    json!({"value": v, "dataElement": de}),
                    msg,
                    "E7621",
                    "value",
                )
            });
        }
    }
    let (Some(de_u), Some(ou_u), Some(coc_u), Some(aoc_u)) = (
        Uid::parse(de),
        Uid::parse(ou),
        Uid::parse(coc),
        Uid::parse(aoc),
    ) else {
        // Stored objects always have valid UIDs; this only guards against odd imported metadata.
        return Err(not_found(de));
    };
    Ok(DataValue {
        data_element: de_u,
        period: pe.into(),
        org_unit: ou_u,
        category_option_combo: coc_u,
        attribute_option_combo: aoc_u,
        value: r.value.as_deref().map(Box::from),
        stored_by: r
            .stored_by
            .as_deref()
            .map_or_else(|| ctx.stored_by.clone(), Arc::from),
        comment: r.comment.as_deref().map(Box::from),
        created: ctx.now,
        last_updated: ctx.now,
        follow_up: r.follow_up,
        deleted: false,
    })
}

/// Runs an import against the store (under the write lock, no `.await`).
pub(super) fn run_import(state: &AppState, payload: &Value, options: &Options) -> Outcome {
    let new_pipeline = state.version().new_data_value_pipeline();
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

    let ctx = RowCtx {
        store: &store,
        new_pipeline,
        check_values: options.strategy != Strategy::Delete,
        now: now_millis(),
        stored_by: options.user.clone(),
    };
    let mut rules: HashMap<String, Option<ElementRules>> = HashMap::new();
    let mut conflicts = Vec::new();
    let mut valid: Vec<(usize, &Row, DataValue)> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        match validate_row(&ctx, &mut rules, i, r) {
            Ok(dv) => valid.push((i, r, dv)),
            Err(c) => conflicts.push(*c),
        }
    }
    let now = ctx.now;

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
    user: Option<Extension<CurrentUser>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = Params::parse(query.as_deref());
    let username = user.map_or_else(
        || Arc::from(state.config().admin_username.as_str()),
        |u| u.0.username.clone(),
    );
    let mut options = Options::from_params(&params, username);
    options.reports_atomic = state.version().new_data_value_pipeline();
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
