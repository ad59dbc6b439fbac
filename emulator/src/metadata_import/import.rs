//! The metadata importer: validates a `{plural: [objects]}` payload against the store and writes it, producing
//! DHIS2's ImportReport (WIRE.md 7.2).
//!
//! Checks: `E4000` missing required property, `E5003` duplicate unique property (against the store and the rest
//! of the payload), `E5002` reference to an object that exists neither in the store nor in the payload, `E5000`
//! object exists under `CREATE`, `E5001` object missing under `UPDATE`/`DELETE`. `atomicMode=ALL` writes nothing
//! when any object has an error; `NONE` writes the valid ones. `importMode=VALIDATE` never writes.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::report::{error_report, Stats};
use super::types::{self, TypeInfo};
use crate::crud::generate_uid;
use crate::data_values::Params;
use crate::seed::{ADMIN_UID, DEFAULT_CATEGORY_COMBO};
use crate::store::Store;
use crate::web;

/// `importStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    CreateAndUpdate,
    Create,
    Update,
    Delete,
}

impl Strategy {
    /// DHIS2's name of the strategy.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Strategy::CreateAndUpdate => "CREATE_AND_UPDATE",
            Strategy::Create => "CREATE",
            Strategy::Update => "UPDATE",
            Strategy::Delete => "DELETE",
        }
    }
}

/// `identifier`: how payload objects are matched to stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identifier {
    Uid,
    Code,
    Auto,
}

/// The parameters of one import.
#[derive(Debug, Clone)]
pub(crate) struct ImportParams {
    pub(crate) strategy: Strategy,
    pub(crate) atomic_all: bool,
    pub(crate) validate_only: bool,
    pub(crate) identifier: Identifier,
    /// `FULL` or `DEBUG`: report every object, not only failed ones.
    pub(crate) full_report: bool,
    pub(crate) is_async: bool,
}

impl ImportParams {
    /// Reads the parameters DHIS2's `MetadataImportParams` binds (unknown values fall back to the defaults).
    pub(crate) fn from_params(p: &Params) -> ImportParams {
        let up = |k: &str| p.get(k).map(str::to_ascii_uppercase);
        ImportParams {
            strategy: match up("importStrategy").as_deref() {
                Some("CREATE" | "NEW") => Strategy::Create,
                Some("UPDATE" | "UPDATES") => Strategy::Update,
                Some("DELETE" | "DELETES") => Strategy::Delete,
                _ => Strategy::CreateAndUpdate,
            },
            atomic_all: up("atomicMode").as_deref() != Some("NONE"),
            validate_only: up("importMode").as_deref() == Some("VALIDATE"),
            identifier: match up("identifier").as_deref() {
                Some("CODE") => Identifier::Code,
                Some("AUTO") => Identifier::Auto,
                _ => Identifier::Uid,
            },
            full_report: matches!(up("importReportMode").as_deref(), Some("FULL" | "DEBUG")),
            is_async: p.flag("async", false),
        }
    }
}

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Update,
    Delete,
}

struct Planned {
    index: usize,
    uid: String,
    action: Action,
    object: Value,
    errors: Vec<Value>,
}

struct TypePlan {
    info: TypeInfo,
    plural: String,
    objects: Vec<Planned>,
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn is_missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

fn display(v: &Value) -> String {
    str_of(v, "name")
        .or_else(|| str_of(v, "displayName"))
        .or_else(|| str_of(v, "username"))
        .unwrap_or("")
        .to_string()
}

/// Finds the stored object a payload object refers to, by the chosen identifier.
fn find_existing(store: &Store, plural: &str, obj: &Value, ident: Identifier) -> Option<String> {
    let by_id = || {
        str_of(obj, "id")
            .filter(|id| store.get(plural, id).is_some())
            .map(str::to_string)
    };
    let by_code = || {
        let code = str_of(obj, "code")?;
        store
            .list(plural)
            .find(|o| str_of(o, "code") == Some(code))
            .and_then(|o| str_of(o, "id"))
            .map(str::to_string)
    };
    match ident {
        Identifier::Uid => by_id(),
        Identifier::Code => by_code(),
        Identifier::Auto => by_id().or_else(by_code),
    }
}

/// Ids (and codes) present in the payload per type, so references between new objects resolve.
fn payload_index(types: &[(String, Vec<Value>)]) -> HashMap<String, HashSet<String>> {
    let mut idx: HashMap<String, HashSet<String>> = HashMap::new();
    for (plural, objs) in types {
        let set = idx.entry(plural.clone()).or_default();
        for o in objs {
            set.extend(str_of(o, "id").map(str::to_string));
            set.extend(str_of(o, "code").map(|c| format!("code:{c}")));
        }
    }
    idx
}

fn reference_exists(
    store: &Store,
    payload: &HashMap<String, HashSet<String>>,
    target: &str,
    r: &Value,
) -> bool {
    if let Some(id) = str_of(r, "id") {
        return store.get(target, id).is_some()
            || payload.get(target).is_some_and(|s| s.contains(id));
    }
    if let Some(code) = str_of(r, "code") {
        return store.list(target).any(|o| str_of(o, "code") == Some(code))
            || payload
                .get(target)
                .is_some_and(|s| s.contains(&format!("code:{code}")));
    }
    // A reference without id or code cannot be resolved.
    false
}

/// Whether live data values use this data element, org unit or option combo (DHIS2 refuses to delete it).
fn has_data_values(store: &Store, plural: &str, uid: &str) -> bool {
    let Some(u) = crate::data_values::model::Uid::parse(uid) else {
        return false;
    };
    let live = store.data_values.iter().filter(|v| !v.deleted);
    match plural {
        "dataElements" => live.into_iter().any(|v| v.data_element == u),
        "organisationUnits" => live.into_iter().any(|v| v.org_unit == u),
        "categoryOptionCombos" => live
            .into_iter()
            .any(|v| v.category_option_combo == u || v.attribute_option_combo == u),
        _ => false,
    }
}

/// Fills in what the server adds: timestamps, users, display names, defaults, paths.
fn complete(
    store: &Store,
    plural: &str,
    uid: &str,
    obj: &mut Map<String, Value>,
    existing: Option<&Value>,
) {
    let now = web::format_millis(web::now_millis());
    let admin = json!({"id": ADMIN_UID, "code": null, "name": "John Traore", "displayName": "John Traore", "username": "admin"});
    obj.insert("id".into(), json!(uid));
    let created = existing
        .and_then(|e| e.get("created"))
        .cloned()
        .unwrap_or_else(|| json!(now));
    obj.insert("created".into(), created);
    obj.insert("lastUpdated".into(), json!(now));
    let created_by = existing
        .and_then(|e| e.get("createdBy"))
        .cloned()
        .unwrap_or_else(|| admin.clone());
    obj.insert("createdBy".into(), created_by);
    obj.insert("lastUpdatedBy".into(), admin);
    if let Some(n) = obj.get("name").cloned() {
        obj.insert("displayName".into(), n);
    }
    if let Some(n) = obj.get("shortName").cloned() {
        obj.insert("displayShortName".into(), n);
    }
    obj.entry("translations").or_insert_with(|| json!([]));
    obj.entry("attributeValues").or_insert_with(|| json!([]));
    match plural {
        "dataElements" => {
            obj.entry("categoryCombo")
                .or_insert_with(|| json!({"id": DEFAULT_CATEGORY_COMBO}));
            obj.entry("domainType")
                .or_insert_with(|| json!("AGGREGATE"));
            obj.entry("aggregationType").or_insert_with(|| json!("SUM"));
            obj.entry("zeroIsSignificant")
                .or_insert_with(|| json!(false));
        }
        "dataSets" => {
            obj.entry("categoryCombo")
                .or_insert_with(|| json!({"id": DEFAULT_CATEGORY_COMBO}));
        }
        "organisationUnits" => {
            let parent = obj
                .get("parent")
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .and_then(|p| store.get(plural, p));
            let (path, level) = match parent {
                Some(p) => {
                    let pp = str_of(p, "path").unwrap_or("");
                    let pl = p.get("level").and_then(Value::as_u64).unwrap_or(0);
                    (format!("{pp}/{uid}"), pl + 1)
                }
                None if obj.get("parent").is_some() => (format!("/{uid}"), 2),
                None => (format!("/{uid}"), 1),
            };
            obj.insert("path".into(), json!(path));
            obj.insert("level".into(), json!(level));
        }
        _ => {}
    }
}

/// Required properties (`E4000`), unique properties against the store and the payload (`E5003`), and
/// references that resolve neither in the store nor in the payload (`E5002`).
fn check_content(
    store: &Store,
    in_payload: &HashMap<String, HashSet<String>>,
    claimed: &mut HashMap<(String, &'static str, String), String>,
    info: &TypeInfo,
    plural: &str,
    obj: &Value,
    uid: &str,
) -> Vec<Value> {
    let mut errors = Vec::new();
    let info = *info;
    let uid = uid.to_string();
    for req in info.required {
        // Up to 2.41 a user's username lives in `userCredentials`.
        let nested = (plural == "users")
            .then(|| obj.pointer(&format!("/userCredentials/{req}")))
            .flatten();
        if is_missing(obj.get(*req)) && is_missing(nested) {
            errors.push(error_report(
                &info,
                "E4000",
                format!("Missing required property `{req}`"),
                &uid,
                None,
                Some(req),
                None,
                vec![(*req).to_string()],
            ));
        }
    }
    for prop in info.unique {
        let Some(val) = str_of(obj, prop) else {
            continue;
        };
        let clash_store = store
            .list(plural)
            .find(|o| str_of(o, prop) == Some(val) && str_of(o, "id") != Some(uid.as_str()))
            .and_then(|o| str_of(o, "id"))
            .map(str::to_string);
        let key = (plural.to_string(), *prop, val.to_string());
        let clash = clash_store.or_else(|| claimed.get(&key).filter(|u| **u != uid).cloned());
        match clash {
            Some(other) => errors.push(error_report(
                &info,
                "E5003",
                format!(
                    "Property `{prop}` with value `{val}` on object {} [{uid}] ({}) already exists on object {other}.",
                    display(obj),
                    info.simple_name()
                ),
                &uid,
                Some(info.klass),
                Some(prop),
                Some(val),
                vec![(*prop).to_string(), val.to_string(), uid.clone(), other],
            )),
            None => {
                claimed.insert(key, uid.clone());
            }
        }
    }
    for (prop, target, is_list) in info.references {
        let refs: Vec<&Value> = match obj.get(*prop) {
            Some(Value::Array(a)) if *is_list => a.iter().collect(),
            Some(v @ Value::Object(_)) if !*is_list => vec![v],
            _ => Vec::new(),
        };
        for r in refs {
            if !reference_exists(store, in_payload, target, r) {
                let rid = str_of(r, "id").or_else(|| str_of(r, "code")).unwrap_or("");
                let target_klass = types::info(target).klass;
                let target_simple = target_klass.rsplit('.').next().unwrap_or(target_klass);
                errors.push(error_report(
                    &info,
                    "E5002",
                    format!(
                        "Invalid reference [{rid}] ({target_simple}) on object {} [{uid}] ({}) for association `{prop}`.",
                        display(obj),
                        info.simple_name()
                    ),
                    &uid,
                    Some(target_klass),
                    Some(prop),
                    Some(rid),
                    vec![rid.to_string(), uid.clone(), (*prop).to_string()],
                ));
            }
        }
    }
    // dataSetElements carry nested data element references.
    if plural == "dataSets" {
        for dse in obj
            .get("dataSetElements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(de) = dse.get("dataElement") {
                if !reference_exists(store, in_payload, "dataElements", de) {
                    let rid = str_of(de, "id").unwrap_or("");
                    errors.push(error_report(
                        &info,
                        "E5002",
                        format!(
                            "Invalid reference [{rid}] (DataElement) on object {} [{uid}] ({}) for association `dataElement`.",
                            display(obj),
                            info.simple_name()
                        ),
                        &uid,
                        Some("org.hisp.dhis.dataelement.DataElement"),
                        Some("dataElement"),
                        Some(rid),
                        vec![rid.to_string(), uid.clone(), "dataElement".into()],
                    ));
                }
            }
        }
    }
    errors
}

/// The result of an import.
pub(crate) struct ImportOutcome {
    /// `OK`, `WARNING` or `ERROR`.
    pub(crate) status: &'static str,
    /// The ImportReport body (without `responseType`).
    pub(crate) report: Value,
    pub(crate) stats_message: String,
}

/// Runs an import (validation, then writes unless validating or aborted).
pub(crate) fn run(
    store: &mut Store,
    payload: &Value,
    params: &ImportParams,
) -> (ImportOutcome, u64) {
    let mut types: Vec<(String, Vec<Value>)> = payload
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_array().map(|a| (k.clone(), a.clone())))
                .collect()
        })
        .unwrap_or_default();
    types.sort_by_key(|(p, _)| types::order(p));
    let in_payload = payload_index(&types);

    // Unique values claimed by earlier objects of the payload: (plural, property, value) -> uid.
    let mut claimed: HashMap<(String, &'static str, String), String> = HashMap::new();
    let mut plans = Vec::new();
    let mut any_error = false;
    for (plural, objects) in &types {
        let info = types::info(plural);
        let mut planned = Vec::new();
        for (index, obj) in objects.iter().enumerate() {
            let existing = find_existing(store, plural, obj, params.identifier);
            let uid = existing
                .clone()
                .or_else(|| str_of(obj, "id").map(str::to_string))
                .unwrap_or_else(generate_uid);
            let mut errors = Vec::new();
            let action = match (params.strategy, existing.is_some()) {
                (Strategy::Delete, _) => Action::Delete,
                (Strategy::Create, false) | (Strategy::CreateAndUpdate, false) => Action::Create,
                (Strategy::Update, true) | (Strategy::CreateAndUpdate, true) => Action::Update,
                (Strategy::Create, true) => {
                    errors.push(error_report(
                        &info,
                        "E5000",
                        format!(
                            "Found matching object for reference, but import mode is CREATE. Identifier was {uid}, and object was {} [{uid}] ({}).",
                            display(obj),
                            info.simple_name()
                        ),
                        &uid,
                        Some(info.klass),
                        None,
                        None,
                        vec![uid.clone()],
                    ));
                    Action::Create
                }
                (Strategy::Update, false) => Action::Update,
            };
            if existing.is_none() && matches!(params.strategy, Strategy::Update | Strategy::Delete)
            {
                errors.push(error_report(
                    &info,
                    "E5001",
                    format!(
                        "No matching object for reference. Identifier was {uid}, and object was {} [{uid}] ({}).",
                        display(obj),
                        info.simple_name()
                    ),
                    &uid,
                    Some(info.klass),
                    None,
                    None,
                    vec![uid.clone()],
                ));
            }
            if action == Action::Delete && errors.is_empty() && has_data_values(store, plural, &uid)
            {
                errors.push(error_report(
                    &info,
                    "E4030",
                    "Object could not be deleted because it is associated with another object: DataValue"
                        .to_string(),
                    &uid,
                    Some(info.klass),
                    None,
                    None,
                    vec!["DataValue".to_string()],
                ));
            }
            if action != Action::Delete && errors.is_empty() {
                errors = check_content(store, &in_payload, &mut claimed, &info, plural, obj, &uid);
            }
            any_error |= !errors.is_empty();
            planned.push(Planned {
                index,
                uid,
                action,
                object: obj.clone(),
                errors,
            });
        }
        plans.push(TypePlan {
            info,
            plural: plural.clone(),
            objects: planned,
        });
    }

    let abort = any_error && params.atomic_all;
    let write = !abort && !params.validate_only;
    let mut total = Stats::default();
    let mut writes = 0u64;
    let mut type_reports = Vec::new();
    // Deletes run in reverse dependency order so referencing objects go first.
    if params.strategy == Strategy::Delete {
        plans.reverse();
    }
    for plan in &plans {
        let mut stats = Stats::default();
        let mut object_reports = Vec::new();
        for p in &plan.objects {
            let failed = !p.errors.is_empty();
            if failed || abort {
                stats.ignored += 1;
            } else {
                match p.action {
                    Action::Create => stats.created += 1,
                    Action::Update => stats.updated += 1,
                    Action::Delete => stats.deleted += 1,
                }
                if write {
                    writes += 1;
                    match p.action {
                        Action::Delete => {
                            store.remove(&plan.plural, &p.uid);
                        }
                        Action::Create | Action::Update => {
                            let existing = store.get(&plan.plural, &p.uid).cloned();
                            let mut obj = p.object.as_object().cloned().unwrap_or_default();
                            complete(store, &plan.plural, &p.uid, &mut obj, existing.as_ref());
                            if store.upsert(&plan.plural, Value::Object(obj)).is_err() {
                                // The uid is taken by another type; DHIS2 would reject it the same way.
                                writes -= 1;
                            }
                        }
                    }
                }
            }
            if failed || params.full_report {
                let mut r = Map::new();
                r.insert("klass".into(), json!(plan.info.klass));
                r.insert("index".into(), json!(p.index));
                r.insert("uid".into(), json!(p.uid));
                let name = display(&p.object);
                if !name.is_empty() {
                    r.insert("displayName".into(), json!(name));
                }
                r.insert("errorReports".into(), Value::Array(p.errors.clone()));
                object_reports.push(Value::Object(r));
            }
        }
        total.add(stats);
        type_reports.push(json!({
            "klass": plan.info.klass,
            "stats": stats.to_json(),
            "objectReports": object_reports,
        }));
    }
    let status = match (any_error, params.atomic_all) {
        (false, _) => "OK",
        (true, true) => "ERROR",
        (true, false) => "WARNING",
    };
    let stats_message = format!(
        "Import complete with status {status}, {} created, {} updated, {} deleted, {} ignored",
        total.created, total.updated, total.deleted, total.ignored
    );
    let report = json!({"status": status, "stats": total.to_json(), "typeReports": type_reports});
    (
        ImportOutcome {
            status,
            report,
            stats_message,
        },
        writes,
    )
}
