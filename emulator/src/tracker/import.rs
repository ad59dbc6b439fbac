//! Tracker import (`POST /api/tracker`): validation, commit and the bare tracker ImportReport of WIRE.md §9.3.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::export::{index, Kind, Params};
use super::seed::{Prng, TrackerData};

/// How existing objects are treated (`importStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Create,
    Update,
    CreateAndUpdate,
    Delete,
}

/// Import options read from the query string.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    strategy: Strategy,
    atomic_all: bool,
    full_report: bool,
}

impl Options {
    /// Reads `importStrategy`, `atomicMode` and `reportMode`; unknown values are a 400 message.
    pub(crate) fn from_params(params: &Params) -> Result<Self, String> {
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.to_ascii_uppercase())
        };
        let strategy = match get("importStrategy").as_deref() {
            None | Some("CREATE_AND_UPDATE") => Strategy::CreateAndUpdate,
            Some("CREATE") => Strategy::Create,
            Some("UPDATE") => Strategy::Update,
            Some("DELETE") => Strategy::Delete,
            Some(other) => {
                return Err(format!(
                    "Value '{other}' is not valid for parameter importStrategy."
                ))
            }
        };
        let atomic_all = match get("atomicMode").as_deref() {
            None | Some("ALL") => true,
            Some("OBJECT") => false,
            Some(other) => {
                return Err(format!(
                    "Value '{other}' is not valid for parameter atomicMode."
                ))
            }
        };
        let full_report = match get("reportMode").as_deref() {
            None | Some("ERRORS") | Some("WARNINGS") => false,
            Some("FULL") => true,
            Some(other) => {
                return Err(format!(
                    "Value '{other}' is not valid for parameter reportMode."
                ))
            }
        };
        Ok(Self {
            strategy,
            atomic_all,
            full_report,
        })
    }

    /// The same options with the full report (async jobs keep it and trim on read).
    pub(crate) fn with_full_report(mut self) -> Self {
        self.full_report = true;
        self
    }
}

const TYPES: [(Kind, &str); 4] = [
    (Kind::TrackedEntities, "TRACKED_ENTITY"),
    (Kind::Enrollments, "ENROLLMENT"),
    (Kind::Events, "EVENT"),
    (Kind::Relationships, "RELATIONSHIP"),
];

/// Splits nested payloads (`trackedEntities[].enrollments[].events[]`) into the four flat lists.
fn flatten(payload: &Value) -> [Vec<Value>; 4] {
    let mut out: [Vec<Value>; 4] = Default::default();
    let list = |k: &str| {
        payload
            .get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for mut te in list("trackedEntities") {
        let te_id = te.get("trackedEntity").cloned();
        if let Some(Value::Array(enrollments)) =
            te.as_object_mut().and_then(|m| m.remove("enrollments"))
        {
            for mut en in enrollments {
                if let (Some(m), Some(id)) = (en.as_object_mut(), &te_id) {
                    m.entry("trackedEntity").or_insert(id.clone());
                }
                flatten_enrollment(en, &mut out);
            }
        }
        if let Some(Value::Array(rels)) = te.as_object_mut().and_then(|m| m.remove("relationships"))
        {
            out[3].extend(rels);
        }
        out[0].push(te);
    }
    for en in list("enrollments") {
        flatten_enrollment(en, &mut out);
    }
    out[2].extend(list("events"));
    out[3].extend(list("relationships"));
    out
}

fn flatten_enrollment(mut en: Value, out: &mut [Vec<Value>; 4]) {
    let (en_id, te_id, program) = (
        en.get("enrollment").cloned(),
        en.get("trackedEntity").cloned(),
        en.get("program").cloned(),
    );
    if let Some(Value::Array(events)) = en.as_object_mut().and_then(|m| m.remove("events")) {
        for mut ev in events {
            if let Some(m) = ev.as_object_mut() {
                for (k, v) in [
                    ("enrollment", &en_id),
                    ("trackedEntity", &te_id),
                    ("program", &program),
                ] {
                    if let Some(v) = v {
                        m.entry(k).or_insert(v.clone());
                    }
                }
            }
            out[2].push(ev);
        }
    }
    out[1].push(en);
}

fn error(code: &str, message: String, tracker_type: &str, uid: &str) -> Value {
    json!({"message": message, "errorCode": code, "trackerType": tracker_type, "uid": uid})
}

fn stats(created: u64, updated: u64, deleted: u64, ignored: u64) -> Value {
    json!({"created": created, "updated": updated, "deleted": deleted, "ignored": ignored,
           "total": created + updated + deleted + ignored})
}

/// Runs an import against `data`; returns the report (status `OK` or `ERROR`).
///
/// `org_units` are the org units an object may be linked to (`None`: accept any); `now` stamps new objects.
pub(crate) fn import(
    data: &mut TrackerData,
    payload: &Value,
    options: &Options,
    org_units: Option<&HashSet<String>>,
    now: &str,
    rng: &mut Prng,
) -> Value {
    let lists = flatten(payload);
    let mut errors = Vec::new();
    // Objects that pass validation, per type: (uid, object, exists already).
    let mut accepted: [Vec<(String, Value, bool)>; 4] = Default::default();
    let mut known: [HashSet<String>; 4] = Default::default();
    for (i, (kind, _)) in TYPES.iter().enumerate() {
        known[i] = index(kind.items(data), kind.id_key()).into_keys().collect();
    }
    for (i, (kind, tracker_type)) in TYPES.iter().enumerate() {
        for object in &lists[i] {
            let mut object = object.clone();
            let uid = match object.get(kind.id_key()).and_then(Value::as_str) {
                Some(uid) => uid.to_string(),
                None => {
                    let uid = rng.uid();
                    if let Some(m) = object.as_object_mut() {
                        m.insert(kind.id_key().into(), json!(uid));
                    }
                    uid
                }
            };
            let exists = known[i].contains(&uid);
            let name = kind.display();
            let mut problems = Vec::new();
            match (options.strategy, exists) {
                (Strategy::Create, true) => problems.push(error(
                    "E1030",
                    format!("{name}: `{uid}`, already exists."),
                    tracker_type,
                    &uid,
                )),
                (Strategy::Update | Strategy::Delete, false) => problems.push(error(
                    "E1063",
                    format!("{name}: `{uid}`, does not exist."),
                    tracker_type,
                    &uid,
                )),
                _ => {}
            }
            if options.strategy != Strategy::Delete {
                validate(
                    *kind,
                    &object,
                    &uid,
                    tracker_type,
                    org_units,
                    &known,
                    &mut problems,
                );
            }
            if problems.is_empty() {
                known[i].insert(uid.clone());
                accepted[i].push((uid, object, exists));
            } else {
                errors.extend(problems);
            }
        }
    }
    let total: usize = lists.iter().map(Vec::len).sum();
    let commit = errors.is_empty() || !options.atomic_all;
    let mut type_reports = Map::new();
    let (mut created, mut updated, mut deleted) = (0u64, 0u64, 0u64);
    for (i, (kind, tracker_type)) in TYPES.iter().enumerate() {
        let (mut c, mut u, mut d) = (0u64, 0u64, 0u64);
        let mut object_reports = Vec::new();
        if commit {
            for (uid, object, exists) in std::mem::take(&mut accepted[i]) {
                apply(data, *kind, &uid, object, exists, options.strategy, now);
                match (options.strategy, exists) {
                    (Strategy::Delete, _) => d += 1,
                    (_, true) => u += 1,
                    (_, false) => c += 1,
                }
                object_reports
                    .push(json!({"trackerType": tracker_type, "uid": uid, "errorReports": []}));
            }
        }
        let ignored = lists[i].len() as u64 - (c + u + d);
        type_reports.insert(
            (*tracker_type).into(),
            json!({"trackerType": tracker_type, "stats": stats(c, u, d, ignored), "objectReports": object_reports}),
        );
        created += c;
        updated += u;
        deleted += d;
    }
    let ignored = total as u64 - (created + updated + deleted);
    let status = if errors.is_empty() { "OK" } else { "ERROR" };
    let mut report = Map::new();
    report.insert("status".into(), json!(status));
    report.insert(
        "validationReport".into(),
        json!({"errorReports": errors, "warningReports": []}),
    );
    report.insert("stats".into(), stats(created, updated, deleted, ignored));
    if options.full_report {
        report.insert(
            "bundleReport".into(),
            // PersistenceReport serialises only its type reports (WIRE.md 9.3).
            json!({ "typeReportMap": type_reports }),
        );
    }
    Value::Object(report)
}

fn validate(
    kind: Kind,
    object: &Value,
    uid: &str,
    tracker_type: &str,
    org_units: Option<&HashSet<String>>,
    known: &[HashSet<String>; 4],
    problems: &mut Vec<Value>,
) {
    let s = |k: &str| object.get(k).and_then(Value::as_str);
    let name = kind.display();
    if kind != Kind::Relationships {
        match s("orgUnit") {
            None => problems.push(error(
                "E1124",
                format!(
                    "Missing required {} property: `orgUnit`.",
                    name.to_lowercase()
                ),
                tracker_type,
                uid,
            )),
            Some(ou) if org_units.is_some_and(|set| !set.contains(ou)) => problems.push(error(
                "E1049",
                format!("Could not find OrganisationUnit: `{ou}`, linked to {name}."),
                tracker_type,
                uid,
            )),
            _ => {}
        }
    }
    match kind {
        Kind::TrackedEntities => {
            if s("trackedEntityType").is_none() {
                problems.push(error(
                    "E1121",
                    "Missing required tracked entity property: `trackedEntityType`.".into(),
                    tracker_type,
                    uid,
                ));
            }
        }
        Kind::Enrollments => {
            if s("program").is_none() {
                problems.push(error(
                    "E1122",
                    "Missing required enrollment property: `program`.".into(),
                    tracker_type,
                    uid,
                ));
            }
            match s("trackedEntity") {
                Some(te) if known[0].contains(te) => {}
                other => problems.push(error(
                    "E1068",
                    format!(
                        "Could not find TrackedEntity: `{}`, linked to Enrollment.",
                        other.unwrap_or("")
                    ),
                    tracker_type,
                    uid,
                )),
            }
        }
        Kind::Events => {
            if s("programStage").is_none() {
                problems.push(error(
                    "E1123",
                    "Missing required event property: `programStage`.".into(),
                    tracker_type,
                    uid,
                ));
            }
            if let Some(en) = s("enrollment") {
                if !known[1].contains(en) {
                    problems.push(error(
                        "E1033",
                        format!("Event: `{uid}`, Enrollment value is NULL or not found: `{en}`."),
                        tracker_type,
                        uid,
                    ));
                }
            }
        }
        Kind::Relationships => {
            for side in ["from", "to"] {
                let te = object.get(side).and_then(|x| x.get("trackedEntity"));
                let te = te.and_then(|x| {
                    x.get("trackedEntity")
                        .and_then(Value::as_str)
                        .or_else(|| x.as_str())
                });
                let ok = match te {
                    Some(te) => known[0].contains(te),
                    // Enrollment and event ends are accepted without checks.
                    None => object.get(side).is_some(),
                };
                if !ok {
                    problems.push(error(
                        "E4012",
                        format!(
                            "Could not find `trackedEntity`: `{}`, linked to Relationship.",
                            te.unwrap_or("")
                        ),
                        tracker_type,
                        uid,
                    ));
                }
            }
        }
    }
}

fn apply(
    data: &mut TrackerData,
    kind: Kind,
    uid: &str,
    mut object: Value,
    exists: bool,
    strategy: Strategy,
    now: &str,
) {
    let items = match kind {
        Kind::TrackedEntities => &mut data.tracked_entities,
        Kind::Enrollments => &mut data.enrollments,
        Kind::Events => &mut data.events,
        Kind::Relationships => &mut data.relationships,
    };
    let position = items
        .iter()
        .position(|v| v.get(kind.id_key()).and_then(Value::as_str) == Some(uid));
    if strategy == Strategy::Delete {
        if let Some(p) = position {
            items.remove(p);
        }
        return;
    }
    if let Some(m) = object.as_object_mut() {
        let created = position
            .and_then(|p| items[p].get("createdAt").cloned())
            .unwrap_or_else(|| json!(now));
        m.insert("createdAt".into(), created);
        m.insert("updatedAt".into(), json!(now));
        m.entry("deleted").or_insert(json!(false));
        if kind == Kind::TrackedEntities {
            m.entry("inactive").or_insert(json!(false));
            m.entry("potentialDuplicate").or_insert(json!(false));
        }
        if kind == Kind::Enrollments || kind == Kind::Events {
            m.entry("status").or_insert(json!("ACTIVE"));
            m.entry("followUp").or_insert(json!(false));
        }
    }
    match (position, exists) {
        (Some(p), _) => items[p] = object,
        (None, _) => items.push(object),
    }
}

#[cfg(test)]
mod tests {
    use super::super::seed::generate;
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Options {
        Options::from_params(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn nested_import_creates_everything() {
        let mut data = generate(&[]);
        let ou = data.tracked_entities[0]["orgUnit"].clone();
        let payload = json!({"trackedEntities": [{"trackedEntity": "Aaaaaaaaaa1", "trackedEntityType": "nEenWmSyUEp",
            "orgUnit": ou, "enrollments": [{"enrollment": "Aaaaaaaaaa2", "program": "IpHINAT79UW", "orgUnit": ou,
            "events": [{"event": "Aaaaaaaaaa3", "programStage": "A03MvHHogjR", "orgUnit": ou}]}]}]});
        let report = import(
            &mut data,
            &payload,
            &opts(&[("reportMode", "FULL")]),
            None,
            "2024-01-01T00:00:00.000",
            &mut Prng::new(1),
        );
        assert_eq!(report["status"], "OK", "{report}");
        assert_eq!(report["stats"]["created"], 3);
        assert_eq!(
            report["bundleReport"]["typeReportMap"]["EVENT"]["stats"]["created"],
            1
        );
        assert_eq!(data.events.last().unwrap()["trackedEntity"], "Aaaaaaaaaa1");
    }

    #[test]
    fn atomic_all_rejects_everything_on_one_error() {
        let mut data = generate(&[]);
        let before = data.tracked_entities.len();
        let ou = data.tracked_entities[0]["orgUnit"].clone();
        let payload = json!({"trackedEntities": [
            {"trackedEntityType": "nEenWmSyUEp", "orgUnit": ou},
            {"orgUnit": ou}]});
        let report = import(
            &mut data,
            &payload,
            &opts(&[]),
            None,
            "now",
            &mut Prng::new(1),
        );
        assert_eq!(report["status"], "ERROR");
        assert_eq!(report["stats"]["ignored"], 2);
        assert_eq!(
            report["validationReport"]["errorReports"][0]["errorCode"],
            "E1121"
        );
        assert!(report.get("bundleReport").is_none());
        assert_eq!(data.tracked_entities.len(), before);
        let report = import(
            &mut data,
            &payload,
            &opts(&[("atomicMode", "OBJECT")]),
            None,
            "now",
            &mut Prng::new(1),
        );
        assert_eq!(report["stats"]["created"], 1);
        assert_eq!(data.tracked_entities.len(), before + 1);
    }
}
