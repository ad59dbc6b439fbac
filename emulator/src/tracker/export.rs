//! Tracker export: filtering, paging and the per-version list envelopes of WIRE.md §4.3.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::seed::TrackerData;

/// The four exportable tracker object kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    TrackedEntities,
    Enrollments,
    Events,
    Relationships,
}

impl Kind {
    /// The list key and path segment (`trackedEntities`).
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Kind::TrackedEntities => "trackedEntities",
            Kind::Enrollments => "enrollments",
            Kind::Events => "events",
            Kind::Relationships => "relationships",
        }
    }

    /// The key holding an object's UID (`trackedEntity`).
    pub(crate) fn id_key(self) -> &'static str {
        match self {
            Kind::TrackedEntities => "trackedEntity",
            Kind::Enrollments => "enrollment",
            Kind::Events => "event",
            Kind::Relationships => "relationship",
        }
    }

    /// The name used in "not found" messages (`TrackedEntity`).
    pub(crate) fn display(self) -> &'static str {
        match self {
            Kind::TrackedEntities => "TrackedEntity",
            Kind::Enrollments => "Enrollment",
            Kind::Events => "Event",
            Kind::Relationships => "Relationship",
        }
    }

    /// The objects of this kind.
    pub(crate) fn items(self, data: &TrackerData) -> &[Value] {
        match self {
            Kind::TrackedEntities => &data.tracked_entities,
            Kind::Enrollments => &data.enrollments,
            Kind::Events => &data.events,
            Kind::Relationships => &data.relationships,
        }
    }
}

/// Query parameters as decoded from the URL, repeated keys kept.
pub(crate) type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A comma- or semicolon-separated list parameter (all occurrences).
fn list_param(params: &Params, key: &str) -> Vec<String> {
    params
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| {
            v.split([',', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        })
        .collect::<Vec<_>>()
}

fn bool_param(params: &Params, key: &str) -> Result<Option<bool>, String> {
    match param(params, key) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(format!(
            "Value '{v}' is not valid for parameter {key}. It should be of type boolean"
        )),
    }
}

fn int_param(params: &Params, key: &str) -> Result<Option<i64>, String> {
    match param(params, key) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            format!("Value '{v}' is not valid for parameter {key}. It should be of type int")
        }),
    }
}

/// Paging as requested, after the version's parameter names were applied.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub(crate) page: u64,
    pub(crate) page_size: u64,
    pub(crate) total_pages: bool,
    pub(crate) paged: bool,
}

/// Reads `page`, `pageSize`, `totalPages`, `paging` (and `skipPaging` on 2.41 and older).
pub(crate) fn paging(params: &Params, minor: u32) -> Result<Paging, String> {
    let page = int_param(params, "page")?.unwrap_or(1).max(1) as u64;
    let page_size = int_param(params, "pageSize")?.unwrap_or(50);
    if page_size < 1 {
        return Err("pageSize must be greater than or equal to 1".into());
    }
    let total_pages = bool_param(params, "totalPages")?.unwrap_or(false);
    let mut paged = bool_param(params, "paging")?.unwrap_or(true);
    if minor <= 41 {
        if let Some(skip) = bool_param(params, "skipPaging")? {
            paged = !skip;
        }
    }
    Ok(Paging {
        page,
        page_size: page_size as u64,
        total_pages,
        paged,
    })
}

/// Filters the objects of `kind` by the request's parameters, honouring which names the version accepts.
///
/// `paths` maps org unit UIDs to their `path` (`/root/.../uid`), for `orgUnitMode` `CHILDREN` and `DESCENDANTS`.
pub(crate) fn filter<'a>(
    data: &'a TrackerData,
    kind: Kind,
    params: &Params,
    minor: u32,
    paths: &HashMap<String, String>,
) -> Result<Vec<&'a Value>, String> {
    let mut org_units = Vec::new();
    if minor >= 41 {
        org_units.extend(list_param(params, "orgUnits"));
    }
    if minor <= 41 {
        org_units.extend(list_param(params, "orgUnit"));
    }
    let mut mode = None;
    if minor >= 41 {
        mode = param(params, "orgUnitMode").map(str::to_ascii_uppercase);
    }
    if minor <= 41 && mode.is_none() {
        mode = param(params, "ouMode").map(str::to_ascii_uppercase);
    }
    let mut tracked_entities = Vec::new();
    if minor >= 41 {
        tracked_entities.extend(list_param(params, "trackedEntities"));
    }
    if minor <= 41 || kind != Kind::TrackedEntities {
        tracked_entities.extend(list_param(params, "trackedEntity"));
    }
    let program = param(params, "program");
    let te_type = param(params, "trackedEntityType");
    let enrollments = list_param(params, "enrollments");
    let events = list_param(params, "events");
    let status = param(params, "status").or_else(|| param(params, "programStatus"));
    let updated_after = param(params, "updatedAfter");
    let (enrollment_param, event_param) = (param(params, "enrollment"), param(params, "event"));
    if kind == Kind::Relationships
        && tracked_entities.is_empty()
        && enrollment_param.is_none()
        && event_param.is_none()
    {
        return Err("Missing required parameter 'trackedEntity', 'enrollment' or 'event'.".into());
    }
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    let matches = |v: &&Value| -> bool {
        if !org_units.is_empty() && kind != Kind::Relationships {
            let Some(ou) = v.get("orgUnit").and_then(Value::as_str) else {
                return false;
            };
            let selected = org_units.iter().any(|o| o == ou);
            let in_scope = match mode.as_deref() {
                Some("DESCENDANTS") => {
                    let path = paths.get(ou).map(String::as_str).unwrap_or("");
                    selected
                        || path
                            .split('/')
                            .any(|seg| org_units.iter().any(|o| o == seg))
                }
                Some("CHILDREN") => {
                    let path = paths.get(ou).map(String::as_str).unwrap_or("");
                    let parent = path.rsplit('/').nth(1).unwrap_or("");
                    selected || org_units.iter().any(|o| o == parent)
                }
                _ => selected,
            };
            if !in_scope {
                return false;
            }
        }
        if let Some(after) = updated_after {
            if v.get("updatedAt")
                .and_then(Value::as_str)
                .is_some_and(|u| u < after)
            {
                return false;
            }
        }
        match kind {
            Kind::TrackedEntities => {
                let id = s(v, "trackedEntity").unwrap_or_default();
                (tracked_entities.is_empty() || tracked_entities.contains(&id))
                    && te_type.map_or(true, |t| s(v, "trackedEntityType").as_deref() == Some(t))
                    && program.map_or(true, |p| {
                        v.get("programOwners")
                            .and_then(Value::as_array)
                            .is_some_and(|owners| {
                                owners
                                    .iter()
                                    .any(|o| o.get("program").and_then(Value::as_str) == Some(p))
                            })
                    })
            }
            Kind::Enrollments | Kind::Events => {
                let te = s(v, "trackedEntity").unwrap_or_default();
                (tracked_entities.is_empty() || tracked_entities.contains(&te))
                    && program.map_or(true, |p| s(v, "program").as_deref() == Some(p))
                    && status.map_or(true, |st| s(v, "status").as_deref() == Some(st))
                    && (kind != Kind::Events
                        || ((enrollments.is_empty()
                            || enrollments.contains(&s(v, "enrollment").unwrap_or_default()))
                            && (events.is_empty()
                                || events.contains(&s(v, "event").unwrap_or_default()))))
            }
            Kind::Relationships => {
                let side = |side: &str, key: &str| {
                    v.get(side)
                        .and_then(|x| x.get(key))
                        .and_then(|x| x.get(key))
                        .and_then(Value::as_str)
                };
                let hit = |key: &str, wanted: &str| {
                    side("from", key) == Some(wanted) || side("to", key) == Some(wanted)
                };
                tracked_entities.iter().any(|t| hit("trackedEntity", t))
                    || enrollment_param.is_some_and(|e| hit("enrollment", e))
                    || event_param.is_some_and(|e| hit("event", e))
            }
        }
    };
    Ok(kind.items(data).iter().filter(matches).collect())
}

/// Which top-level fields to write: `None` means all (`*`).
fn field_selection(kind: Kind, params: &Params) -> Option<Vec<String>> {
    let requested = params
        .iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>();
    if requested.is_empty() {
        // DHIS2's defaults leave the nested collections out.
        return match kind {
            Kind::TrackedEntities => Some(vec![
                "!enrollments".into(),
                "!relationships".into(),
                "!programOwners".into(),
            ]),
            Kind::Enrollments => Some(vec![
                "!events".into(),
                "!relationships".into(),
                "!attributes".into(),
            ]),
            Kind::Events => Some(vec!["!relationships".into()]),
            Kind::Relationships => None,
        };
    }
    let mut fields = Vec::new();
    for value in requested {
        // Split on top-level commas only, dropping nested `[..]` selections.
        let (mut depth, mut current) = (0usize, String::new());
        for c in value.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => fields.push(std::mem::take(&mut current)),
                _ if depth == 0 => current.push(c),
                _ => {}
            }
        }
        fields.push(current);
    }
    let fields = fields
        .into_iter()
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>();
    if fields.iter().any(|f| f == "*") && !fields.iter().any(|f| f.starts_with('!')) {
        None
    } else {
        Some(fields)
    }
}

/// Shapes one object: nested collections on request, then the field selection.
pub(crate) fn render(kind: Kind, data: &TrackerData, object: &Value, params: &Params) -> Value {
    let selection = field_selection(kind, params);
    let wants = |name: &str| match &selection {
        None => true,
        Some(fields) => {
            let star = fields.iter().any(|f| f == "*" || f.starts_with('!'));
            !fields.iter().any(|f| f.strip_prefix('!') == Some(name))
                && (star || fields.iter().any(|f| f == name))
        }
    };
    let mut out = Map::new();
    if let Value::Object(map) = object {
        for (k, v) in map {
            if wants(k) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let id = object
        .get(kind.id_key())
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        Kind::TrackedEntities => {
            if wants("enrollments") {
                let enrollments = data
                    .enrollments
                    .iter()
                    .filter(|e| e.get("trackedEntity").and_then(Value::as_str) == Some(id))
                    .map(|e| with_events(data, e))
                    .collect::<Vec<_>>();
                out.insert("enrollments".into(), Value::Array(enrollments));
            }
            if wants("relationships") {
                out.insert(
                    "relationships".into(),
                    Value::Array(relationships_of(data, "trackedEntity", id)),
                );
            }
        }
        Kind::Enrollments => {
            if wants("events") {
                if let Value::Object(e) = with_events(data, object) {
                    out.insert(
                        "events".into(),
                        e.get("events").cloned().unwrap_or(json!([])),
                    );
                }
            }
            if wants("relationships") {
                out.insert(
                    "relationships".into(),
                    Value::Array(relationships_of(data, "enrollment", id)),
                );
            }
        }
        Kind::Events => {
            if wants("relationships") {
                out.insert(
                    "relationships".into(),
                    Value::Array(relationships_of(data, "event", id)),
                );
            }
        }
        Kind::Relationships => {}
    }
    Value::Object(out)
}

fn with_events(data: &TrackerData, enrollment: &Value) -> Value {
    let id = enrollment.get("enrollment").and_then(Value::as_str);
    let mut e = enrollment.clone();
    let events = data
        .events
        .iter()
        .filter(|ev| ev.get("enrollment").and_then(Value::as_str) == id)
        .cloned();
    if let Value::Object(map) = &mut e {
        map.insert("events".into(), Value::Array(events.collect()));
    }
    e
}

fn relationships_of(data: &TrackerData, key: &str, id: &str) -> Vec<Value> {
    data.relationships
        .iter()
        .filter(|r| {
            ["from", "to"].iter().any(|side| {
                r.get(side)
                    .and_then(|x| x.get(key))
                    .and_then(|x| x.get(key))
                    .and_then(Value::as_str)
                    == Some(id)
            })
        })
        .cloned()
        .collect()
}

/// The request URL with `page` set to `page` (2.42+ links keep every other parameter).
fn link(base: &str, params: &Params, page: u64) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(k, _)| k != "page") {
        ser.append_pair(k, v);
    }
    ser.append_pair("page", &page.to_string());
    format!("{base}?{}", ser.finish())
}

/// Builds the list answer for `kind` in the envelope of the version `minor`.
///
/// `base` is the absolute URL of the list endpoint, used for `prevPage`/`nextPage`.
pub(crate) fn list(
    data: &TrackerData,
    kind: Kind,
    params: &Params,
    minor: u32,
    base: &str,
    paths: &HashMap<String, String>,
) -> Result<Value, String> {
    let paging = paging(params, minor)?;
    let matched = filter(data, kind, params, minor, paths)?;
    let total = matched.len() as u64;
    let (rows, has_next) = if paging.paged {
        let start = (paging.page - 1).saturating_mul(paging.page_size);
        let rows = matched
            .iter()
            .skip(start as usize)
            .take(paging.page_size as usize);
        (
            rows.map(|v| render(kind, data, v, params))
                .collect::<Vec<_>>(),
            start + paging.page_size < total,
        )
    } else {
        (
            matched
                .iter()
                .map(|v| render(kind, data, v, params))
                .collect::<Vec<_>>(),
            false,
        )
    };
    let list_key = if minor <= 40 {
        "instances"
    } else {
        kind.plural()
    };
    let mut root = Map::new();
    if !paging.paged {
        root.insert(list_key.into(), Value::Array(rows));
        return Ok(Value::Object(root));
    }
    let mut pager = Map::new();
    pager.insert("page".into(), json!(paging.page));
    pager.insert("pageSize".into(), json!(paging.page_size));
    if paging.total_pages {
        pager.insert("total".into(), json!(total));
        pager.insert("pageCount".into(), json!(total.div_ceil(paging.page_size)));
    }
    // 2.41's pager object carries no links; 2.40 writes them only when it counted the total.
    let links = minor >= 42 || (minor <= 40 && paging.total_pages);
    if links {
        if paging.page > 1 {
            pager.insert(
                "prevPage".into(),
                json!(link(base, params, paging.page - 1)),
            );
        }
        if has_next {
            pager.insert(
                "nextPage".into(),
                json!(link(base, params, paging.page + 1)),
            );
        }
    }
    match minor {
        ..=40 => {
            root.extend(pager);
            root.insert(list_key.into(), Value::Array(rows));
        }
        41 => {
            root.insert(list_key.into(), Value::Array(rows));
            root.insert("pager".into(), Value::Object(pager.clone()));
            root.extend(pager);
        }
        _ => {
            root.insert("pager".into(), Value::Object(pager));
            root.insert(list_key.into(), Value::Array(rows));
        }
    }
    Ok(Value::Object(root))
}

/// Finds one object by UID.
pub(crate) fn find<'a>(data: &'a TrackerData, kind: Kind, uid: &str) -> Option<&'a Value> {
    kind.items(data)
        .iter()
        .find(|v| v.get(kind.id_key()).and_then(Value::as_str) == Some(uid))
}

/// Index of objects by UID, for imports.
pub(crate) fn index(items: &[Value], key: &str) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.get(key)
                .and_then(Value::as_str)
                .map(|id| (id.to_string(), i))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::seed::generate;
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn envelope_per_version() {
        let data = generate(&[]);
        let base = "http://h/api/tracker/trackedEntities";
        let v40 = list(
            &data,
            Kind::TrackedEntities,
            &p(&[("pageSize", "2")]),
            40,
            base,
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(v40["instances"].as_array().unwrap().len(), 2);
        assert_eq!(v40["page"], 1);
        assert!(v40.get("pager").is_none() && v40.get("total").is_none());
        let v41 = list(
            &data,
            Kind::TrackedEntities,
            &p(&[("totalPages", "true")]),
            41,
            base,
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(v41["pager"]["total"], 2500);
        assert_eq!(v41["pageCount"], 50);
        assert!(v41["pager"].get("nextPage").is_none());
        let v42 = list(
            &data,
            Kind::Events,
            &p(&[("page", "2"), ("pageSize", "10")]),
            42,
            "http://h/e",
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(v42["events"].as_array().unwrap().len(), 10);
        assert_eq!(v42["pager"]["nextPage"], "http://h/e?pageSize=10&page=3");
        assert_eq!(v42["pager"]["prevPage"], "http://h/e?pageSize=10&page=1");
        let keys = v42.as_object().unwrap().keys().collect::<Vec<_>>();
        assert_eq!(keys, ["pager", "events"]);
    }

    #[test]
    fn removed_parameters_are_ignored_on_42() {
        let data = generate(&[]);
        let te = data.tracked_entities[3]["trackedEntity"]
            .as_str()
            .unwrap()
            .to_string();
        let old = p(&[("trackedEntity", &te)]);
        assert_eq!(
            filter(&data, Kind::TrackedEntities, &old, 40, &HashMap::new())
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            filter(&data, Kind::TrackedEntities, &old, 42, &HashMap::new())
                .unwrap()
                .len(),
            2500
        );
        let new = p(&[("trackedEntities", &te)]);
        assert_eq!(
            filter(&data, Kind::TrackedEntities, &new, 42, &HashMap::new())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn default_fields_leave_nested_out_and_star_brings_them() {
        let data = generate(&[]);
        let te = &data.tracked_entities[0];
        let plain = render(Kind::TrackedEntities, &data, te, &p(&[]));
        assert!(plain.get("enrollments").is_none());
        let full = render(Kind::TrackedEntities, &data, te, &p(&[("fields", "*")]));
        assert_eq!(
            full["enrollments"][0]["events"].as_array().unwrap().len(),
            2
        );
        let some = render(
            Kind::TrackedEntities,
            &data,
            te,
            &p(&[("fields", "trackedEntity,orgUnit")]),
        );
        assert_eq!(some.as_object().unwrap().len(), 2);
    }

    #[test]
    fn descendants_mode_uses_org_unit_paths() {
        let units = vec!["LeafAaaaaa1".to_string(), "LeafBbbbbb2".to_string()];
        let data = generate(&units);
        let paths: HashMap<String, String> = [
            (
                "LeafAaaaaa1".to_string(),
                "/RootRrrrrr1/DistDdddd01/LeafAaaaaa1".to_string(),
            ),
            (
                "LeafBbbbbb2".to_string(),
                "/RootRrrrrr1/DistDdddd02/LeafBbbbbb2".to_string(),
            ),
        ]
        .into();
        let q = |mode: &str, ou: &str| p(&[("orgUnits", ou), ("orgUnitMode", mode)]);
        let count = |params: Params| {
            filter(&data, Kind::TrackedEntities, &params, 42, &paths)
                .unwrap()
                .len()
        };
        assert_eq!(count(q("SELECTED", "DistDdddd01")), 0);
        let under_first = count(q("DESCENDANTS", "DistDdddd01"));
        assert!(under_first > 0 && under_first < 2500);
        assert_eq!(count(q("CHILDREN", "DistDdddd01")), under_first);
        assert_eq!(count(q("DESCENDANTS", "RootRrrrrr1")), 2500);
        assert_eq!(
            count(q("CHILDREN", "RootRrrrrr1")),
            0,
            "leaves are grandchildren of the root"
        );
        // 2.40 spells it ouMode and orgUnit.
        let old = p(&[("orgUnit", "RootRrrrrr1"), ("ouMode", "DESCENDANTS")]);
        assert_eq!(
            filter(&data, Kind::TrackedEntities, &old, 40, &paths)
                .unwrap()
                .len(),
            2500
        );
    }

    #[test]
    fn relationships_need_an_anchor() {
        let data = generate(&[]);
        assert!(filter(&data, Kind::Relationships, &p(&[]), 42, &HashMap::new()).is_err());
        let te = data.tracked_entities[0]["trackedEntity"].as_str().unwrap();
        assert_eq!(
            filter(
                &data,
                Kind::Relationships,
                &p(&[("trackedEntity", te)]),
                42,
                &HashMap::new()
            )
            .unwrap()
            .len(),
            1
        );
    }
}
