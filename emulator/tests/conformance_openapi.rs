//! Conformance: the emulator's answers validate against the component schemas of DHIS2's own OpenAPI documents
//! (`../shared/dhis2/openapi-v4x.json.gz`, 2.41 to 2.44), endpoint by endpoint.
//!
//! The reference documents (about 1 MB) are not part of this repository. What the check reads of them is: the
//! components it names and every component their `$ref`s reach, with the keywords the validator reads. That part
//! is committed, per version, as `tests/fixtures/openapi-v4x.compact.json.gz` (about 60 KB in all), so a fresh
//! clone runs the full check against it. When the reference documents are present the check runs against them
//! instead, and also verifies that the committed fixtures are exactly their compact form for the components
//! this run named: a stale fixture fails, and `DHIS2_WRITE_OPENAPI_FIXTURES=1` rewrites it.
//!
//! Every implemented endpoint is exercised over HTTP on a demo-seeded emulator per version, and each answer is
//! validated against the component (or the inline schema) the document declares for it. The validator and the
//! explicit, commented list of known discrepancies (where WIRE.md wins) are in `openapi_check/mod.rs`; the
//! validator's own tests there always run, with or without the documents.

mod common;
mod openapi_check;

use std::time::Duration;

use common::*;
use dhis2_emulator::{Emulator, Seed};
use openapi_check::{
    compact, doc_path, fixture_path, load, load_fixture, refs, violations, violations_of_schema,
    write_fixture, ABSENT_COMPONENTS,
};
use serde_json::{json, Value};

/// One version's run: the document, the emulator and the collected results.
struct Run<'a> {
    doc: &'a Value,
    n: u32,
    version: &'static str,
    emu: Emulator,
    failures: Vec<String>,
    checked: usize,
    /// Every component the run named (validated against, or asked about): the roots of the compact fixture.
    named: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl Run<'_> {
    fn has(&self, component: &str) -> bool {
        self.named.borrow_mut().insert(component.to_owned());
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

    /// A WebMessage and its `response`: validated against `wrapped` (the `...WebMessageResponse` class, which
    /// includes `responseType`) where the document has it, else against `fallback` without `responseType`
    /// (2.41 documents only the inner report classes).
    fn envelope(&mut self, wrapped: &str, fallback: Option<&str>, env: &Value, what: &str) {
        self.check("WebMessage", env, what);
        let Some(response) = env.get("response") else {
            self.failures
                .push(format!("{} {what}: no `response` in {env}", self.version));
            return;
        };
        match fallback {
            Some(inner) if !self.has(wrapped) => {
                let mut stripped = response.clone();
                if let Some(m) = stripped.as_object_mut() {
                    m.remove("responseType");
                }
                self.check(inner, &stripped, &format!("{what} response"));
            }
            _ => self.check(wrapped, response, &format!("{what} response")),
        }
    }

    /// Validates against a schema written inline in the document's path (not a named component).
    fn check_inline(&mut self, schema: Value, v: &Value, what: &str) {
        self.named.borrow_mut().extend(refs(&schema));
        self.checked += 1;
        let lines = violations_of_schema(self.doc, self.n, &schema, v);
        let tag = format!("{} {what}", self.version);
        self.failures
            .extend(lines.into_iter().map(|l| format!("{tag}: {l}")));
    }

    /// Sends a request and records a failure when the status is not `expected`.
    async fn expect(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
        expected: u16,
    ) -> Value {
        let r = call(&self.emu, method, path, body).await;
        let v = if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        };
        if r.status != expected {
            self.failures.push(format!(
                "{} {method} {path}: status {} (expected {expected}): {v}",
                self.version, r.status
            ));
        }
        v
    }

    async fn get(&mut self, path: &str) -> Value {
        self.expect("GET", path, None, 200).await
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
    if run.n == 41 {
        // 2.41's path declares a map of plain values; its UserSettings component is another class.
        let map = json!({"type": "object", "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}});
        run.check_inline(map, &settings, "userSettings");
    } else {
        run.check("UserSettings", &settings, "userSettings");
    }
    let authorities = run.get("/api/me/authorization").await;
    run.check_inline(
        json!({"type": "array", "items": {"type": "string"}}),
        &authorities,
        "me/authorization",
    );
    let ids = run.get("/api/system/id?limit=3").await;
    run.check("CodeList", &ids, "system/id");

    for (plural, component) in SEED_TYPES {
        let list = run
            .get(&format!("/api/{plural}?fields=*&paging=false"))
            .await;
        if list[*plural].as_array().map_or(true, Vec::is_empty) {
            run.failures
                .push(format!("{} {plural}: the demo seed has none", run.version));
        }
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
    let created = run
        .expect("POST", "/api/dataElements", Some(&body), 201)
        .await;
    run.envelope(
        "ObjectReportWebMessageResponse",
        Some("ObjectReport"),
        &created,
        "POST 201",
    );
    let uid = created["response"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let obj = run.get(&format!("/api/dataElements/{uid}")).await;
    run.check("DataElement", &obj, "created dataElement");
    let conflict = run
        .expect("POST", "/api/dataElements", Some(&body), 409)
        .await;
    run.envelope(
        "ObjectReportWebMessageResponse",
        Some("ObjectReport"),
        &conflict,
        "POST 409",
    );
    let put = json!({"name": "Conf 2", "shortName": "Conf 2", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}).to_string();
    let updated = run
        .expect("PUT", &format!("/api/dataElements/{uid}"), Some(&put), 200)
        .await;
    run.envelope(
        "ObjectReportWebMessageResponse",
        Some("ObjectReport"),
        &updated,
        "PUT 200",
    );
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
    run.envelope(
        "ObjectReportWebMessageResponse",
        Some("ObjectReport"),
        &r.json(),
        "PATCH 200",
    );
    let deleted = run
        .expect("DELETE", &format!("/api/dataElements/{uid}"), None, 200)
        .await;
    run.envelope(
        "ObjectReportWebMessageResponse",
        Some("ObjectReport"),
        &deleted,
        "DELETE 200",
    );
    let not_found = run
        .expect("GET", "/api/dataElements/abcdefghijk", None, 404)
        .await;
    run.check("WebMessage", &not_found, "404");
    let bad = run
        .expect("GET", "/api/dataElements?filter=x", None, 400)
        .await;
    run.check("WebMessage", &bad, "400");
}

/// `/api/metadata` import, synchronous and as a job with its notifications and summary.
async fn metadata_import_answers(run: &mut Run<'_>) {
    let doc = json!({"dataElements": [
        {"id": "deConfA0001", "name": "Conf import", "shortName": "Conf import", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"},
        {"id": "deConfB0001", "name": "Conf broken", "shortName": "Conf broken"}
    ]})
    .to_string();
    let report = run
        .expect(
            "POST",
            "/api/metadata?importReportMode=FULL",
            Some(&doc),
            409,
        )
        .await;
    run.envelope(
        "ImportReportWebMessageResponse",
        Some("ImportReport"),
        &report,
        "metadata import 409",
    );
    let ok = json!({"dataElements": [{"id": "deConfC0001", "name": "Conf ok", "shortName": "Conf ok", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}]}).to_string();
    let report = run
        .expect(
            "POST",
            "/api/metadata?importReportMode=FULL",
            Some(&ok),
            200,
        )
        .await;
    run.envelope(
        "ImportReportWebMessageResponse",
        Some("ImportReport"),
        &report,
        "metadata import 200",
    );

    let async_doc = json!({"dataElements": [{"name": "Conf async", "shortName": "Conf async", "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}]}).to_string();
    let job = run
        .expect("POST", "/api/metadata?async=true", Some(&async_doc), 200)
        .await;
    run.envelope(
        "JobConfigurationWebMessageResponse",
        Some("JobConfiguration"),
        &job,
        "metadata import job",
    );
    let (ty, id) = (
        job["response"]["jobType"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        job["response"]["id"].as_str().unwrap_or("").to_string(),
    );
    let notes = poll_job(run, &format!("/api/system/tasks/{ty}/{id}")).await;
    run.check_each("Notification", &notes, "tasks/{type}/{id}");
    // The two maps as the documents' paths declare them.
    let notifications =
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Notification"}});
    let by_type = run.get(&format!("/api/system/tasks/{ty}")).await;
    let map = json!({"type": "object", "additionalProperties": notifications});
    run.check_inline(map.clone(), &by_type, "tasks/{type}");
    let all = run.get("/api/system/tasks").await;
    run.check_inline(
        json!({"type": "object", "additionalProperties": map}),
        &all,
        "tasks",
    );
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
    let summary = run
        .expect("POST", "/api/dataValueSets", Some(&good), 200)
        .await;
    run.envelope("ImportSummary", None, &summary, "dataValueSets import OK");
    let mixed = json!({"dataSet": ds_id, "dataValues": [row("202402", "8"), row("202402", ""), row("202403", "nine")]}).to_string();
    let summary = run
        .expect(
            "POST",
            "/api/dataValueSets",
            Some(&mixed),
            if run.n <= 42 { 409 } else { 200 },
        )
        .await;
    run.envelope(
        "ImportSummary",
        None,
        &summary,
        "dataValueSets import WARNING",
    );
    let job = run
        .expect("POST", "/api/dataValueSets?async=true", Some(&good), 200)
        .await;
    run.envelope(
        "JobConfigurationWebMessageResponse",
        Some("JobConfiguration"),
        &job,
        "dataValueSets job",
    );
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
    run.check_inline(
        json!({"type": "array", "items": {"type": "string"}}),
        &values,
        "dataValues",
    );
    let bad = run
        .expect(
            "POST",
            &format!("/api/dataValues?de=abcdefghijk&pe=202401&ou={ou}&value=1"),
            Some(""),
            409,
        )
        .await;
    run.check("WebMessage", &bad, "dataValues 409");
}

/// Tracker lists, single objects, imports (sync and async) and their reports.
async fn tracker_answers(run: &mut Run<'_>) {
    let first = run
        .get("/api/tracker/trackedEntities?pageSize=1&fields=trackedEntity")
        .await;
    let first_te = first["trackedEntities"][0]["trackedEntity"]
        .as_str()
        .unwrap_or("")
        .to_string();
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
        // Relationships need an anchor; the first tracked entity of the seed has one.
        let filter = if kind == "relationships" {
            format!("&trackedEntity={first_te}")
        } else {
            String::new()
        };
        let page = run
            .get(&format!(
                "/api/tracker/{kind}?pageSize=3&totalPages=true{filter}"
            ))
            .await;
        if run.n >= 42 {
            run.check("Page", &page, &format!("tracker/{kind} page"));
        } else {
            run.check("TrackerPage", &page, &format!("tracker/{kind} page"));
        }
        run.check(
            "TrackerPager",
            &page["pager"],
            &format!("tracker/{kind} pager"),
        );
        if page[kind].as_array().map_or(true, Vec::is_empty) {
            run.failures.push(format!(
                "{} tracker/{kind}: nothing to validate",
                run.version
            ));
        }
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
    let job = run.expect("POST", "/api/tracker", Some(&body), 200).await;
    run.envelope(
        "TrackerJobWebMessageResponse",
        None,
        &job,
        "tracker import job",
    );
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
    let report = run
        .expect(
            "POST",
            "/api/tracker?async=false&reportMode=FULL",
            Some(&bad),
            409,
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
    run.envelope(
        "FileResourceWebMessageResponse",
        None,
        &uploaded,
        "fileResources upload",
    );
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

    let created = run
        .expect("POST", "/api/dataStore/conf/k", Some(r#"{"a":1}"#), 201)
        .await;
    run.check("WebMessage", &created, "dataStore POST");
    let updated = run
        .expect("PUT", "/api/dataStore/conf/k", Some(r#"{"a":2}"#), 200)
        .await;
    run.check("WebMessage", &updated, "dataStore PUT");
    let meta = run.get("/api/dataStore/conf/k/metaData").await;
    run.check("DatastoreEntry", &meta, "dataStore metaData");
    let entries = run.get("/api/dataStore/conf?fields=.").await;
    run.check("EntriesResponse", &entries, "dataStore entries");
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let namespaces = run.get("/api/dataStore").await;
    run.check_inline(strings.clone(), &namespaces, "dataStore namespaces");
    let keys = run.get("/api/dataStore/conf/keys").await;
    run.check_inline(strings, &keys, "dataStore keys");
    let missing = run
        .expect("GET", "/api/dataStore/conf/nope", None, 404)
        .await;
    run.check("WebMessage", &missing, "dataStore 404");
    let deleted = run
        .expect("DELETE", "/api/dataStore/conf/k", None, 200)
        .await;
    run.check("WebMessage", &deleted, "dataStore DELETE");

    let sharing = run
        .get(&format!("/api/sharing?type=dataElement&id={de}"))
        .await;
    run.check("SharingInfo", &sharing, "sharing");
    let mut object = sharing["object"].clone();
    if let Some(m) = object.as_object_mut() {
        m.insert("publicAccess".into(), json!("rw------"));
    }
    let set = run
        .expect(
            "POST",
            &format!("/api/sharing?type=dataElement&id={de}"),
            Some(&json!({"object": object}).to_string()),
            200,
        )
        .await;
    run.check("WebMessage", &set, "sharing POST");

    let settings = run.get("/api/systemSettings").await;
    run.check("SystemSettings", &settings, "systemSettings");
    let set = run
        .expect(
            "POST",
            "/api/systemSettings/keyCalendar?value=ethiopian",
            None,
            200,
        )
        .await;
    run.check("WebMessage", &set, "systemSettings POST");

    let route =
        json!({"name": "Conf route", "code": "CONF_ROUTE", "url": "https://example.org/api/**"})
            .to_string();
    let created = run.expect("POST", "/api/routes", Some(&route), 201).await;
    run.envelope(
        "ObjectReportWebMessageResponse",
        Some("ObjectReport"),
        &created,
        "routes POST",
    );
    let routes = run.get("/api/routes?fields=*").await;
    run.check_each("Route", &routes["routes"], "routes list");

    let token = json!({"expire": 4_102_444_800_000_i64, "attributes": []}).to_string();
    let minted = run.expect("POST", "/api/apiToken", Some(&token), 201).await;
    run.envelope("ApiTokenCreationResponse", None, &minted, "apiToken POST");
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
        // `what` starts with the status WIRE.md 12 gives.
        if what.get(..3) != Some(r.status.to_string().as_str()) {
            run.failures
                .push(format!("{} {what}: status {}", run.version, r.status));
        }
        run.check("WebMessage", &r.json(), what);
    }
    // Session login (2.41+): the LoginResponse, and the 401 envelope for bad credentials (WIRE.md 12.4).
    for (password, expected, component) in [
        ("district", 200, "LoginResponse"),
        ("nope", 401, "WebMessage"),
    ] {
        let login = json!({"username": "admin", "password": password}).to_string();
        let r = raw(
            &url,
            "POST",
            "/api/auth/login",
            &[("Content-Type", "application/json"), xhr],
            Some(login.as_bytes()),
        )
        .await
        .unwrap();
        if r.status != expected {
            run.failures
                .push(format!("{} auth/login: status {}", run.version, r.status));
        }
        run.check(component, &r.json(), &format!("auth/login {expected}"));
    }
}

/// Set to rewrite the committed fixtures from the reference documents.
const WRITE_FIXTURES: &str = "DHIS2_WRITE_OPENAPI_FIXTURES";

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
        let reference = load(n);
        let (doc, against) = match &reference {
            Some(doc) => (doc.clone(), doc_path(n).display().to_string()),
            None => (
                load_fixture(n).unwrap_or_else(|| {
                    panic!(
                        "neither {} nor the committed fixture {} is readable",
                        doc_path(n).display(),
                        fixture_path(n).display()
                    )
                }),
                fixture_path(n).display().to_string(),
            ),
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
            named: Default::default(),
        };
        metadata_answers(&mut run).await;
        metadata_import_answers(&mut run).await;
        data_value_answers(&mut run).await;
        tracker_answers(&mut run).await;
        other_answers(&mut run).await;
        println!(
            "conformance v{n} against {against}: {} answers validated, {} violations",
            run.checked,
            run.failures.len()
        );
        checked += run.checked;
        failures.extend(std::mem::take(&mut run.failures));
        if let Some(full) = &reference {
            // The committed fixture must be exactly the compact form of the reference for what this run named.
            let fresh = compact(full, &run.named.borrow());
            if load_fixture(n).as_ref() != Some(&fresh) {
                if std::env::var_os(WRITE_FIXTURES).is_some() {
                    write_fixture(&fixture_path(n), &fresh).unwrap();
                    println!("wrote {}", fixture_path(n).display());
                } else {
                    failures.push(format!(
                        "{} is stale (not the compact form of {} for the components this check names); \
                         rewrite it with {WRITE_FIXTURES}=1 cargo test -p dhis2-emulator --test conformance_openapi",
                        fixture_path(n).display(),
                        doc_path(n).display()
                    ));
                }
            }
        }
    }
    assert!(checked > 0, "no answer was validated");
    assert!(
        failures.is_empty(),
        "{} violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
