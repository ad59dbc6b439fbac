//! Conformance: the emulator's answers validate against the component schemas of DHIS2's own OpenAPI documents
//! (`../shared/dhis2/openapi-v4x.json.gz`, 2.41 to 2.44), endpoint by endpoint. Skipped, with a clear line, when
//! the documents are absent; the validator's own unit tests always run.
//!
//! The check follows `type`, `properties` (undeclared keys are violations), `items`, `additionalProperties`,
//! `$ref`, `enum`, `oneOf`, `anyOf` and `allOf`. `required` is not checked: DHIS2's lists are wrong where nulls
//! are omitted (WIRE.md 14). Where WIRE.md documents that the wire differs from the OpenAPI document, the wire
//! wins; every such case is one entry of [`WIRE_EXCEPTIONS`] or [`wire_exception`], each citing its section.

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use common::*;
use dhis2_emulator::{Emulator, Seed};
use serde_json::{json, Value};

fn doc_path(v: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../shared/dhis2/openapi-v{v}.json.gz"))
}

fn load(v: u32) -> Option<Value> {
    let file = std::fs::File::open(doc_path(v)).ok()?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// Known discrepancies between an OpenAPI document and the wire, where WIRE.md is the truth:
/// `(versions, component, key, reason)`. The key is accepted (with any value) in objects validated against that
/// component; it is not a blanket skip of the component.
const WIRE_EXCEPTIONS: &[(&[u32], &str, &str, &str)] = &[
    // WIRE.md 8: the ImportSummary of `/api/dataValueSets` carries `responseType: "ImportSummary"` on the wire
    // (the observed 2.42 body ends with it); the 2.41 document has no ImportSummary at all, and 2.42+ declare it.
    // WIRE.md 5: every identifiable object carries `displayName`, `translations` and `attributeValues`;
    // category option combos also have a persisted `name` (WIRE.md 5 lists `name` among the identifiable keys
    // commonly present, and `/api/schemas` of every version lists it), which the 2.41-2.43 documents omit from
    // `CategoryOptionCombo`.
    (
        &[41, 42, 43],
        "CategoryOptionCombo",
        "name",
        "WIRE.md 5 identifiable keys",
    ),
    // WIRE.md 3: `/api/me` on 2.42+ has `twoFactorType`; the user objects of `/api/users` are served with the
    // `twoFactorEnabled` flag only where the document declares it, so no exception is needed for users.
    // WIRE.md 7.2: `ImportReport.importParams` is not part of the enveloped response; nothing to allow.
];

fn wire_allows(v: u32, component: &str, key: &str) -> bool {
    WIRE_EXCEPTIONS
        .iter()
        .any(|(vs, c, k, _)| vs.contains(&v) && *c == component && *k == key)
}

/// Components a document does not declare at all (so nothing can be validated there), per version.
const ABSENT_COMPONENTS: &[(u32, &str)] = &[
    // The 2.41 document has fewer components: no ImportSummary/ImportCount (WIRE.md 8 shapes are checked on 2.42+),
    // no per-response WebMessageResponse classes, no SystemSettings, no Page.
    (41, "ImportSummary"),
    (41, "TrackerJobWebMessageResponse"),
    (41, "ApiTokenCreationResponse"),
    (41, "FileResourceWebMessageResponse"),
    (41, "SystemSettings"),
    (41, "Page"),
];

struct Validator<'a> {
    components: &'a Value,
    version: u32,
}

impl Validator<'_> {
    /// The schema behind `$ref`s, with the name of the last component followed.
    fn resolve<'s>(&'s self, schema: &'s Value, mut name: &'s str) -> (&'s Value, &'s str) {
        let mut s = schema;
        for _ in 0..16 {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => match r
                    .strip_prefix("#/components/schemas/")
                    .and_then(|n| self.components.get(n).map(|c| (n, c)))
                {
                    Some((n, next)) => {
                        s = next;
                        name = n;
                    }
                    None => return (s, name),
                },
                None => return (s, name),
            }
        }
        (s, name)
    }

    /// Appends one line per violation.
    fn check(
        &self,
        schema: &Value,
        component: &str,
        v: &Value,
        path: &str,
        out: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        let (s, component) = self.resolve(schema, component);
        for key in ["oneOf", "anyOf"] {
            if let Some(alts) = s.get(key).and_then(Value::as_array) {
                let ok = alts.iter().any(|a| {
                    let mut tmp = Vec::new();
                    self.check(a, component, v, path, &mut tmp, depth + 1);
                    tmp.is_empty()
                });
                if !ok && !alts.is_empty() {
                    out.push(format!("{path}: matches none of {key}"));
                }
                return;
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for a in all {
                self.check(a, component, v, path, out, depth + 1);
            }
            return;
        }
        if let Some(options) = s.get("enum").and_then(Value::as_array) {
            if !v.is_null() && !options.contains(v) {
                out.push(format!("{path}: {v} not in enum"));
            }
            return;
        }
        let ty = s.get("type").and_then(Value::as_str);
        let type_ok = match ty {
            None => true,
            Some("string") => v.is_string(),
            Some("integer") => v.is_i64() || v.is_u64(),
            Some("number") => v.is_number(),
            Some("boolean") => v.is_boolean(),
            Some("array") => v.is_array(),
            Some("object") => v.is_object(),
            Some(_) => true,
        };
        if !type_ok {
            out.push(format!("{path}: expected {}, got {v}", ty.unwrap_or("?")));
            return;
        }
        if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
            for (i, item) in arr.iter().enumerate().take(50) {
                self.check(
                    items,
                    component,
                    item,
                    &format!("{path}[{i}]"),
                    out,
                    depth + 1,
                );
            }
        }
        if let Some(obj) = v.as_object() {
            let props = s.get("properties").and_then(Value::as_object);
            let additional = s.get("additionalProperties");
            for (k, val) in obj {
                if let Some(problem) = wire_exception(path, k, val) {
                    if let Some(p) = problem {
                        out.push(format!("{path}.{k}: {p}"));
                    }
                    continue;
                }
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => {
                        self.check(ps, component, val, &format!("{path}.{k}"), out, depth + 1)
                    }
                    None => match additional {
                        Some(a) if a.is_object() => {
                            self.check(a, component, val, &format!("{path}.{k}"), out, depth + 1)
                        }
                        Some(Value::Bool(true)) => {}
                        _ if props.is_some() && wire_allows(self.version, component, k) => {}
                        // Only objects that declare properties are closed.
                        _ if props.is_some() => out.push(format!(
                            "{path}: undeclared key `{k}` (component {component})"
                        )),
                        _ => {}
                    },
                }
            }
        }
    }
}

/// Wire shapes WIRE.md documents that differ from the documents' declarations, whatever component holds them.
/// `Some(None)`: the documented shape, valid; `Some(Some(p))`: that shape, broken; `None`: no exception.
fn wire_exception(path: &str, key: &str, v: &Value) -> Option<Option<String>> {
    match (key, v) {
        // WIRE.md 7.2: an error report's `value` is a Java Object; the 2.41 document calls it an object, the wire
        // has text.
        ("value", Value::String(_)) if path.contains("errorReports") => Some(None),
        // WIRE.md 1.1: embedded user references always carry five keys, nulls included.
        ("createdBy" | "lastUpdatedBy" | "user", Value::Object(m))
            if m.contains_key("username") && !m.contains_key("uid") =>
        {
            let keys = ["id", "code", "name", "displayName", "username"];
            let ok = m.len() == 5 && keys.iter().all(|k| m.contains_key(*k)) && m["id"].is_string();
            Some((!ok).then(|| format!("user reference must have exactly {keys:?}, got {v}")))
        }
        // WIRE.md 5: `attributeValues` is an array of `{"value", "attribute": {"id"}}` on every version, although
        // the documents declare an object.
        ("attributeValues", Value::Array(items)) => {
            let ok = items.iter().all(|i| {
                i.pointer("/attribute/id").is_some_and(Value::is_string) && i.get("value").is_some()
            });
            Some((!ok).then(|| {
                format!("attribute values must be [{{value, attribute: {{id}}}}], got {v}")
            }))
        }
        _ => None,
    }
}

/// Validates `v` against one component of `doc`; the lines of the violations, or why it could not.
fn violations(doc: &Value, version: u32, component: &str, v: &Value) -> Vec<String> {
    let components = &doc["components"]["schemas"];
    let Some(schema) = components.get(component) else {
        return vec![format!("no component `{component}` in the document")];
    };
    let validator = Validator {
        components,
        version,
    };
    let mut out = Vec::new();
    validator.check(schema, component, v, component, &mut out, 0);
    out
}

/// One version's run: the document, the emulator and the collected results.
struct Run<'a> {
    doc: &'a Value,
    n: u32,
    version: &'static str,
    emu: Emulator,
    failures: Vec<String>,
    checked: usize,
}

impl Run<'_> {
    fn has(&self, component: &str) -> bool {
        self.doc["components"]["schemas"].get(component).is_some()
    }

    /// Validates against `component`; a component the document lacks is a failure unless listed as absent.
    fn check(&mut self, component: &str, v: &Value, what: &str) {
        if !self.has(component) && ABSENT_COMPONENTS.contains(&(self.n, component)) {
            return;
        }
        self.checked += 1;
        let lines = violations(self.doc, self.n, component, v);
        let tag = format!("{} {what}", self.version);
        self.failures
            .extend(lines.into_iter().map(|l| format!("{tag}: {l}")));
    }

    /// Validates every element of an array answer against `component`.
    fn check_each(&mut self, component: &str, v: &Value, what: &str) {
        match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.check(component, item, &format!("{what}[{i}]"));
                }
            }
            None => self.failures.push(format!(
                "{} {what}: expected an array, got {v}",
                self.version
            )),
        }
    }

    /// A WebMessage and its `response` (by `responseType`): `XWebMessageResponse` where the document has it,
    /// else `X` (without `responseType` unless `X` declares it).
    fn envelope(&mut self, report: &str, env: &Value, what: &str) {
        self.check("WebMessage", env, what);
        let Some(response) = env.get("response") else {
            self.failures
                .push(format!("{} {what}: no `response` in {env}", self.version));
            return;
        };
        let wrapped = format!("{report}WebMessageResponse");
        if self.has(&wrapped) {
            self.check(&wrapped, response, &format!("{what} response"));
            return;
        }
        let mut inner = response.clone();
        let declares = self.doc["components"]["schemas"][report]["properties"]
            .get("responseType")
            .is_some();
        if !declares {
            if let Some(m) = inner.as_object_mut() {
                m.remove("responseType");
            }
        }
        self.check(report, &inner, &format!("{what} response"));
    }

    async fn json(&mut self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let r = call(&self.emu, method, path, body).await;
        let v = if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        };
        (r.status, v)
    }

    async fn get(&mut self, path: &str) -> Value {
        let (status, v) = self.json("GET", path, None).await;
        if status != 200 {
            self.failures
                .push(format!("{} GET {path}: status {status}: {v}", self.version));
        }
        v
    }
}

/// The metadata types of the demo seed and their OpenAPI components.
const SEED_TYPES: &[(&str, &str)] = &[
    ("organisationUnitLevels", "OrganisationUnitLevel"),
    ("organisationUnits", "OrganisationUnit"),
    ("categoryOptions", "CategoryOption"),
    ("categories", "Category"),
    ("categoryCombos", "CategoryCombo"),
    ("categoryOptionCombos", "CategoryOptionCombo"),
    ("optionSets", "OptionSet"),
    ("options", "Option"),
    ("dataElements", "DataElement"),
    ("dataSets", "DataSet"),
    ("sections", "Section"),
    ("indicatorTypes", "IndicatorType"),
    ("indicators", "Indicator"),
    ("organisationUnitGroups", "OrganisationUnitGroup"),
    ("organisationUnitGroupSets", "OrganisationUnitGroupSet"),
    ("userRoles", "UserRole"),
    ("users", "User"),
];

async fn poll_job(run: &mut Run<'_>, path: &str) -> Value {
    for _ in 0..250 {
        let notes = run.get(path).await;
        if notes
            .as_array()
            .and_then(|a| a.first())
            .and_then(|n| n["completed"].as_bool())
            == Some(true)
        {
            return notes;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.failures
        .push(format!("{} {path}: the job did not complete", run.version));
    Value::Null
}

/// System info, `/api/me`, every seeded type (lists, single objects, metadata export) and object CRUD.
async fn metadata_answers(run: &mut Run<'_>) {
    let info = run.get("/api/system/info").await;
    run.check("SystemInfo", &info, "system/info");
    let me = run.get("/api/me").await;
    run.check("MeDto", &me, "me");
    let settings = run.get("/api/userSettings").await;
    run.check("UserSettings", &settings, "userSettings");

    for (plural, component) in SEED_TYPES {
        let list = run
            .get(&format!("/api/{plural}?fields=*&paging=false"))
            .await;
        run.check_each(component, &list[*plural], &format!("{plural} (fields=*)"));
        let paged = run.get(&format!("/api/{plural}?pageSize=3")).await;
        run.check("Pager", &paged["pager"], &format!("{plural} pager"));
        run.check_each(
            component,
            &paged[*plural],
            &format!("{plural} (default fields)"),
        );
        if let Some(id) = list[*plural][0]["id"].as_str() {
            let one = run.get(&format!("/api/{plural}/{id}")).await;
            run.check(component, &one, &format!("{plural}/{id}"));
        }
    }

    // The metadata export holds only seeded types, each as its component.
    let export = run.get("/api/metadata").await;
    let mut unknown = Vec::new();
    for (key, value) in export.as_object().into_iter().flatten() {
        if key == "system" {
            continue;
        }
        match SEED_TYPES.iter().find(|(p, _)| p == key) {
            Some((_, component)) => {
                run.check_each(component, value, &format!("metadata export {key}"))
            }
            None => unknown.push(key.clone()),
        }
    }
    if !unknown.is_empty() {
        run.failures.push(format!(
            "{} metadata export: types without a component mapping: {unknown:?}",
            run.version
        ));
    }

    // Object CRUD envelopes.
    let body = json!({"name": "Conf", "shortName": "Conf", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}).to_string();
    let (_, created) = run.json("POST", "/api/dataElements", Some(&body)).await;
    run.envelope("ObjectReport", &created, "POST 201");
    let uid = created["response"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let obj = run.get(&format!("/api/dataElements/{uid}")).await;
    run.check("DataElement", &obj, "created dataElement");
    let (_, conflict) = run.json("POST", "/api/dataElements", Some(&body)).await;
    run.envelope("ObjectReport", &conflict, "POST 409");
    let put = json!({"name": "Conf 2", "shortName": "Conf 2", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}).to_string();
    let (_, updated) = run
        .json("PUT", &format!("/api/dataElements/{uid}"), Some(&put))
        .await;
    run.envelope("ObjectReport", &updated, "PUT 200");
    let patch = json!([{"op": "replace", "path": "/description", "value": "d"}]).to_string();
    let r = raw(
        run.emu.url(),
        "PATCH",
        &format!("/api/dataElements/{uid}"),
        &[
            ("Authorization", &basic("admin", "district")),
            ("X-Requested-With", "XMLHttpRequest"),
            ("Content-Type", "application/json-patch+json"),
        ],
        Some(patch.as_bytes()),
    )
    .await
    .unwrap();
    run.envelope("ObjectReport", &r.json(), "PATCH 200");
    let (_, deleted) = run
        .json("DELETE", &format!("/api/dataElements/{uid}"), None)
        .await;
    run.envelope("ObjectReport", &deleted, "DELETE 200");
    let (_, not_found) = run.json("GET", "/api/dataElements/abcdefghijk", None).await;
    run.check("WebMessage", &not_found, "404");
    let (_, bad) = run.json("GET", "/api/dataElements?filter=x", None).await;
    run.check("WebMessage", &bad, "400");
}

/// `/api/metadata` import, synchronous and as a job with its notifications and summary.
async fn metadata_import_answers(run: &mut Run<'_>) {
    let doc = json!({"dataElements": [
        {"id": "deConfA0001", "name": "Conf import", "shortName": "Conf import", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"},
        {"id": "deConfB0001", "name": "Conf broken", "shortName": "Conf broken"}
    ]})
    .to_string();
    let (_, report) = run
        .json("POST", "/api/metadata?importReportMode=FULL", Some(&doc))
        .await;
    run.envelope("ImportReport", &report, "metadata import 409");
    let ok = json!({"dataElements": [{"id": "deConfC0001", "name": "Conf ok", "shortName": "Conf ok", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}]}).to_string();
    let (_, report) = run
        .json("POST", "/api/metadata?importReportMode=FULL", Some(&ok))
        .await;
    run.envelope("ImportReport", &report, "metadata import 200");

    let async_doc = json!({"dataElements": [{"name": "Conf async", "shortName": "Conf async", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}]}).to_string();
    let (_, job) = run
        .json("POST", "/api/metadata?async=true", Some(&async_doc))
        .await;
    run.envelope("JobConfiguration", &job, "metadata import job");
    let (ty, id) = (
        job["response"]["jobType"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        job["response"]["id"].as_str().unwrap_or("").to_string(),
    );
    let notes = poll_job(run, &format!("/api/system/tasks/{ty}/{id}")).await;
    run.check_each("Notification", &notes, "tasks/{type}/{id}");
    let by_type = run.get(&format!("/api/system/tasks/{ty}")).await;
    for (_, notes) in by_type.as_object().into_iter().flatten() {
        run.check_each("Notification", notes, "tasks/{type}");
    }
    let all = run.get("/api/system/tasks").await;
    for (_, jobs) in all.as_object().into_iter().flatten() {
        for (_, notes) in jobs.as_object().into_iter().flatten() {
            run.check_each("Notification", notes, "tasks");
        }
    }
    let summary = run
        .get(&format!("/api/system/taskSummaries/{ty}/{id}"))
        .await;
    run.check("ImportReport", &summary, "taskSummaries (metadata)");
}

/// `/api/dataValueSets` import (sync and async) and export, `/api/dataValues`.
async fn data_value_answers(run: &mut Run<'_>) {
    let sets = run.get("/api/dataSets?paging=false&fields=id,periodType,dataSetElements[dataElement[id]],organisationUnits[id]").await;
    let Some(ds) = sets["dataSets"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|d| {
                d["periodType"] == "Monthly"
                    && d["organisationUnits"]
                        .as_array()
                        .is_some_and(|o| !o.is_empty())
            })
        })
        .cloned()
    else {
        run.failures
            .push(format!("{}: no monthly data set in the seed", run.version));
        return;
    };
    let ds_id = ds["id"].as_str().unwrap_or("").to_string();
    let ou = ds["organisationUnits"][0]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let de = ds["dataSetElements"][0]["dataElement"]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let export = run.get(&format!("/api/dataValueSets?dataSet={ds_id}&startDate=2020-01-01&endDate=2030-12-31&orgUnit={ou}")).await;
    run.check("DataValueSet", &export, "dataValueSets export");

    let row = |pe: &str, v: &str| json!({"dataElement": de, "period": pe, "orgUnit": ou, "categoryOptionCombo": "HllvX50cXC0", "value": v});
    let good = json!({"dataSet": ds_id, "dataValues": [row("202401", "7")]}).to_string();
    let (_, summary) = run.json("POST", "/api/dataValueSets", Some(&good)).await;
    run.envelope("ImportSummary", &summary, "dataValueSets import OK");
    let mixed = json!({"dataSet": ds_id, "dataValues": [row("202402", "8"), row("202402", ""), row("202403", "nine")]}).to_string();
    let (_, summary) = run.json("POST", "/api/dataValueSets", Some(&mixed)).await;
    run.envelope("ImportSummary", &summary, "dataValueSets import WARNING");
    let (_, job) = run
        .json("POST", "/api/dataValueSets?async=true", Some(&good))
        .await;
    run.envelope("JobConfiguration", &job, "dataValueSets job");
    let (ty, id) = (
        job["response"]["jobType"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        job["response"]["id"].as_str().unwrap_or("").to_string(),
    );
    let notes = poll_job(run, &format!("/api/system/tasks/{ty}/{id}")).await;
    run.check_each("Notification", &notes, "tasks (data values)");
    let summary = run
        .get(&format!("/api/system/taskSummaries/{ty}/{id}"))
        .await;
    run.check("ImportSummary", &summary, "taskSummaries (data values)");

    let q = format!("de={de}&pe=202401&ou={ou}&co=HllvX50cXC0");
    let values = run.get(&format!("/api/dataValues?{q}")).await;
    if !values
        .as_array()
        .is_some_and(|a| a.iter().all(Value::is_string))
    {
        run.failures.push(format!(
            "{} GET /api/dataValues: expected an array of strings, got {values}",
            run.version
        ));
    }
    let (_, bad) = run
        .json(
            "POST",
            &format!("/api/dataValues?de=abcdefghijk&pe=202401&ou={ou}&value=1"),
            Some(""),
        )
        .await;
    run.check("WebMessage", &bad, "dataValues 409");
}

/// Tracker lists, single objects, imports (sync and async) and their reports.
async fn tracker_answers(run: &mut Run<'_>) {
    let event_component = if run.n >= 43 {
        "TrackerTrackerEvent"
    } else {
        "TrackerEvent"
    };
    for (kind, component) in [
        ("trackedEntities", "TrackerTrackedEntity"),
        ("enrollments", "TrackerEnrollment"),
        ("events", event_component),
        ("relationships", "TrackerRelationship"),
    ] {
        let filter = if kind == "relationships" {
            "&trackedEntity=x"
        } else {
            ""
        };
        let page = run
            .get(&format!(
                "/api/tracker/{kind}?pageSize=3&totalPages=true{filter}"
            ))
            .await;
        if run.n >= 42 {
            run.check("Page", &page, &format!("tracker/{kind} page"));
        }
        run.check(
            "TrackerPager",
            &page["pager"],
            &format!("tracker/{kind} pager"),
        );
        run.check_each(component, &page[kind], &format!("tracker/{kind}"));
        if let Some(first) = page[kind].as_array().and_then(|a| a.first()) {
            let id_key = match kind {
                "trackedEntities" => "trackedEntity",
                "enrollments" => "enrollment",
                "events" => "event",
                _ => "relationship",
            };
            if let Some(uid) = first[id_key].as_str() {
                let one = run.get(&format!("/api/tracker/{kind}/{uid}")).await;
                run.check(component, &one, &format!("tracker/{kind}/{{uid}}"));
            }
        }
    }
    let page = run.get("/api/tracker/trackedEntities?pageSize=1").await;
    let ou = page["trackedEntities"][0]["orgUnit"].clone();
    let tet = page["trackedEntities"][0]["trackedEntityType"].clone();
    let body = json!({"trackedEntities": [{"trackedEntity": "Ffffffffff1", "trackedEntityType": tet, "orgUnit": ou}]}).to_string();
    let (_, job) = run.json("POST", "/api/tracker", Some(&body)).await;
    run.envelope("TrackerJob", &job, "tracker import job");
    let id = job["response"]["id"].as_str().unwrap_or("").to_string();
    let notes = poll_job(run, &format!("/api/tracker/jobs/{id}")).await;
    run.check_each("Notification", &notes, "tracker/jobs/{id}");
    for mode in ["", "?reportMode=FULL"] {
        let report = run
            .get(&format!("/api/tracker/jobs/{id}/report{mode}"))
            .await;
        run.check(
            "TrackerImportReport",
            &report,
            &format!("tracker job report{mode}"),
        );
    }
    let bad =
        json!({"trackedEntities": [{"trackedEntity": "Gggggggggg1", "orgUnit": "Nowhere0000"}]})
            .to_string();
    let (_, report) = run
        .json(
            "POST",
            "/api/tracker?async=false&reportMode=FULL",
            Some(&bad),
        )
        .await;
    run.check("TrackerImportReport", &report, "tracker sync import 409");
}

/// Analytics, file resources, the data store, sharing, system settings, routes, tokens, login and auth errors.
async fn other_answers(run: &mut Run<'_>) {
    let de = run.get("/api/dataElements?pageSize=1&fields=id").await["dataElements"][0]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let grid = run
        .get(&format!(
            "/api/analytics?dimension=dx:{de}&dimension=pe:LAST_12_MONTHS&filter=ou:USER_ORGUNIT"
        ))
        .await;
    run.check("Grid", &grid, "analytics");

    let body = b"--b1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n--b1--\r\n";
    let auth = basic("admin", "district");
    let headers = [
        ("Authorization", auth.as_str()),
        ("X-Requested-With", "XMLHttpRequest"),
        ("Content-Type", "multipart/form-data; boundary=b1"),
    ];
    let r = raw(
        run.emu.url(),
        "POST",
        "/api/fileResources?domain=DOCUMENT",
        &headers,
        Some(body),
    )
    .await
    .unwrap();
    let uploaded = r.json();
    run.envelope("FileResource", &uploaded, "fileResources upload");
    run.check(
        "FileResource",
        &uploaded["response"]["fileResource"],
        "uploaded fileResource",
    );
    if let Some(id) = uploaded["response"]["fileResource"]["id"].as_str() {
        let fr = run.get(&format!("/api/fileResources/{id}")).await;
        run.check("FileResource", &fr, "fileResources/{uid}");
    }
    let list = run.get("/api/fileResources?fields=*").await;
    run.check_each("FileResource", &list["fileResources"], "fileResources list");

    let (_, created) = run
        .json("POST", "/api/dataStore/conf/k", Some(r#"{"a":1}"#))
        .await;
    run.check("WebMessage", &created, "dataStore POST");
    let (_, updated) = run
        .json("PUT", "/api/dataStore/conf/k", Some(r#"{"a":2}"#))
        .await;
    run.check("WebMessage", &updated, "dataStore PUT");
    let meta = run.get("/api/dataStore/conf/k/metaData").await;
    run.check("DatastoreEntry", &meta, "dataStore metaData");
    let entries = run.get("/api/dataStore/conf?fields=.").await;
    if run.has("EntriesResponse") {
        run.check("EntriesResponse", &entries, "dataStore entries");
    }
    let (_, missing) = run.json("GET", "/api/dataStore/conf/nope", None).await;
    run.check("WebMessage", &missing, "dataStore 404");
    let (_, deleted) = run.json("DELETE", "/api/dataStore/conf/k", None).await;
    run.check("WebMessage", &deleted, "dataStore DELETE");

    let sharing = run
        .get(&format!("/api/sharing?type=dataElement&id={de}"))
        .await;
    run.check("SharingInfo", &sharing, "sharing");
    let mut object = sharing["object"].clone();
    if let Some(m) = object.as_object_mut() {
        m.insert("publicAccess".into(), json!("rw------"));
    }
    let (_, set) = run
        .json(
            "POST",
            &format!("/api/sharing?type=dataElement&id={de}"),
            Some(&json!({"object": object}).to_string()),
        )
        .await;
    run.check("WebMessage", &set, "sharing POST");

    let settings = run.get("/api/systemSettings").await;
    run.check("SystemSettings", &settings, "systemSettings");
    let (_, set) = run
        .json(
            "POST",
            "/api/systemSettings/keyCalendar?value=ethiopian",
            None,
        )
        .await;
    run.check("WebMessage", &set, "systemSettings POST");

    let route =
        json!({"name": "Conf route", "code": "CONF_ROUTE", "url": "https://example.org/api/**"})
            .to_string();
    let (_, created) = run.json("POST", "/api/routes", Some(&route)).await;
    run.envelope("ObjectReport", &created, "routes POST");
    if run.has("Route") {
        let routes = run.get("/api/routes?fields=*").await;
        run.check_each("Route", &routes["routes"], "routes list");
    }

    let token = json!({"expire": 4_102_444_800_000_i64, "attributes": []}).to_string();
    let (_, minted) = run.json("POST", "/api/apiToken", Some(&token)).await;
    run.envelope("ApiTokenCreation", &minted, "apiToken POST");
    if run.n == 41 {
        // 2.41 has no ApiTokenCreationResponse: check the ObjectReport part (WIRE.md 6.2: it is an ObjectReport
        // plus `key`).
        let mut inner = minted["response"].clone();
        if let Some(m) = inner.as_object_mut() {
            m.remove("responseType");
            m.remove("key");
        }
        run.check("ObjectReport", &inner, "apiToken POST response");
    }
    let tokens = run.get("/api/apiToken?fields=*").await;
    run.check_each("ApiToken", &tokens["apiToken"], "apiToken list");
    if let Some(uid) = minted["response"]["uid"].as_str() {
        let one = run.get(&format!("/api/apiToken/{uid}")).await;
        run.check("ApiToken", &one, "apiToken/{uid}");
    }

    // Auth errors: bad Basic, no credentials (API style), malformed/unknown PAT, bad bearer, login.
    let url = run.emu.url().to_string();
    let xhr = ("X-Requested-With", "XMLHttpRequest");
    let bad_basic = basic("admin", "wrong");
    for (what, headers) in [
        (
            "401 bad basic",
            vec![("Authorization", bad_basic.as_str()), xhr],
        ),
        ("401 no credentials", vec![xhr]),
        (
            "400 malformed PAT",
            vec![("Authorization", "ApiToken !!"), xhr],
        ),
        (
            "401 unknown PAT",
            vec![
                (
                    "Authorization",
                    "ApiToken d2p_lyt5j9WqXaVzJsUhvGJ1w0Ea5GL4jkszazPSWo5HWLFC1QnPCi",
                ),
                xhr,
            ],
        ),
        (
            "401 bad bearer",
            vec![("Authorization", "Bearer nope"), xhr],
        ),
    ] {
        let r = raw(&url, "GET", "/api/me", &headers, None).await.unwrap();
        run.check("WebMessage", &r.json(), what);
    }
    if run.has("LoginResponse") {
        let login = json!({"username": "admin", "password": "district"}).to_string();
        let r = raw(
            &url,
            "POST",
            "/api/auth/login",
            &[("Content-Type", "application/json"), xhr],
            Some(login.as_bytes()),
        )
        .await
        .unwrap();
        run.check("LoginResponse", &r.json(), "auth/login");
        let wrong = json!({"username": "admin", "password": "nope"}).to_string();
        let r = raw(
            &url,
            "POST",
            "/api/auth/login",
            &[("Content-Type", "application/json"), xhr],
            Some(wrong.as_bytes()),
        )
        .await
        .unwrap();
        run.check("WebMessage", &r.json(), "auth/login 401");
    }
}

#[tokio::test]
async fn answers_match_openapi_components() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, version) in [
        (41, "2.41.10"),
        (42, "2.42.6"),
        (43, "2.43.2"),
        (44, "2.44-SNAPSHOT"),
    ] {
        let Some(doc) = load(n) else {
            println!(
                "conformance check SKIPPED for v{n}: {} not found",
                doc_path(n).display()
            );
            continue;
        };
        let emu = Emulator::builder()
            .version(version)
            .seed(Seed::Demo)
            .start()
            .await
            .unwrap();
        let mut run = Run {
            doc: &doc,
            n,
            version,
            emu,
            failures: Vec::new(),
            checked: 0,
        };
        metadata_answers(&mut run).await;
        metadata_import_answers(&mut run).await;
        data_value_answers(&mut run).await;
        tracker_answers(&mut run).await;
        other_answers(&mut run).await;
        println!(
            "conformance v{n}: {} answers validated, {} violations",
            run.checked,
            run.failures.len()
        );
        checked += run.checked;
        failures.extend(run.failures);
    }
    if checked == 0 {
        println!("conformance check SKIPPED: no OpenAPI documents (../shared/dhis2 is absent)");
        return;
    }
    assert!(
        failures.is_empty(),
        "{} violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A small document for the validator's own tests (no shared files needed).
fn mini_doc() -> Value {
    json!({"components": {"schemas": {
        "Thing": {"type": "object", "properties": {
            "id": {"type": "string"},
            "count": {"type": "integer"},
            "kind": {"type": "string", "enum": ["A", "B"]},
            "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
            "either": {"oneOf": [{"type": "string"}, {"type": "boolean"}]}
        }},
        "Part": {"type": "object", "properties": {"name": {"type": "string"}}},
        "CategoryOptionCombo": {"type": "object", "properties": {"id": {"type": "string"}}}
    }}})
}

#[test]
fn validator_accepts_a_conforming_object() {
    let v = json!({"id": "x", "count": 2, "kind": "A", "parts": [{"name": "p"}], "either": true});
    assert_eq!(
        violations(&mini_doc(), 42, "Thing", &v),
        Vec::<String>::new()
    );
}

#[test]
fn validator_rejects_wrong_objects() {
    let doc = mini_doc();
    let cases = [
        (json!({"id": 5}), "Thing.id: expected string"),
        (json!({"count": 1.5}), "Thing.count: expected integer"),
        (json!({"kind": "C"}), "Thing.kind: \"C\" not in enum"),
        (json!({"bogus": 1}), "undeclared key `bogus`"),
        (
            json!({"parts": [{"name": "p", "extra": 1}]}),
            "Thing.parts[0]: undeclared key `extra`",
        ),
        (json!({"either": 3}), "Thing.either: matches none of oneOf"),
        (json!([1]), "Thing: expected object"),
        (
            json!({"createdBy": {"id": "u", "username": "a"}}),
            "user reference must have exactly",
        ),
        (
            json!({"attributeValues": [{"value": 1}]}),
            "attribute values must be",
        ),
    ];
    for (v, expected) in cases {
        let lines = violations(&doc, 42, "Thing", &v);
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "{v}: expected `{expected}` in {lines:?}"
        );
    }
    assert_eq!(
        violations(&doc, 42, "Nope", &json!({})),
        ["no component `Nope` in the document"]
    );
}

#[test]
fn wire_exceptions_are_narrow() {
    let doc = mini_doc();
    let coc = json!({"id": "x", "name": "default"});
    // Allowed only on the versions and component listed.
    assert!(violations(&doc, 42, "CategoryOptionCombo", &coc).is_empty());
    assert_eq!(violations(&doc, 44, "CategoryOptionCombo", &coc).len(), 1);
    assert_eq!(
        violations(&doc, 42, "Part", &json!({"name": "p", "id": "x"})).len(),
        1
    );
}

#[test]
fn real_document_rejects_a_wrong_data_element() {
    let Some(doc) = load(42) else {
        println!(
            "validator check against the real document SKIPPED: {} not found",
            doc_path(42).display()
        );
        return;
    };
    let wrong = json!({"id": "abcdefghijk", "name": "x", "valueType": "NOT_A_TYPE", "zeroIsSignificant": "yes", "noSuchKey": 1});
    let lines = violations(&doc, 42, "DataElement", &wrong);
    for expected in ["valueType", "zeroIsSignificant", "noSuchKey"] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "expected a violation naming {expected}: {lines:?}"
        );
    }
}
