//! The OpenAPI validator of the conformance check: DHIS2's documents, a small JSON-schema walker, and the
//! explicit list of known discrepancies where WIRE.md (or the server's own `/api/schemas`) wins.
//!
//! The walker follows `type`, `properties` (undeclared keys are violations), `items`, `additionalProperties`,
//! `$ref`, `enum`, `oneOf`, `anyOf` and `allOf`. `required` is not checked: DHIS2's lists are wrong where nulls
//! are omitted (WIRE.md 14).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

/// Where the 2.`v` reference document lives: `../shared/dhis2` next to the repository (absent on a fresh clone),
/// or the directory named by `DHIS2_OPENAPI_DIR`.
pub fn doc_path(v: u32) -> PathBuf {
    let dir = std::env::var_os("DHIS2_OPENAPI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/dhis2"));
    dir.join(format!("openapi-v{v}.json.gz"))
}

/// The committed compact form of the 2.`v` document ([`compact`]): what a fresh clone validates against.
pub fn fixture_path(v: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/openapi-v{v}.compact.json.gz"))
}

/// The parsed 2.`v` reference document, or `None` when it is absent or unreadable.
pub fn load(v: u32) -> Option<Value> {
    read_gz_json(&doc_path(v))
}

/// The committed compact fixture of 2.`v`, or `None` when it is absent or unreadable.
pub fn load_fixture(v: u32) -> Option<Value> {
    read_gz_json(&fixture_path(v))
}

fn read_gz_json(path: &Path) -> Option<Value> {
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes `doc` as compact, gzipped JSON (the fixture format).
pub fn write_fixture(path: &Path, doc: &Value) -> std::io::Result<()> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&serde_json::to_vec(doc)?)?;
    std::fs::write(path, gz.finish()?)
}

/// The keywords [`Validator`] reads; [`compact`] keeps only these.
const SCHEMA_KEYWORDS: &[&str] = &[
    "$ref",
    "oneOf",
    "anyOf",
    "allOf",
    "enum",
    "type",
    "items",
    "properties",
    "additionalProperties",
];

/// The part of `doc` the conformance check can reach from the components in `roots`: those components and
/// every component their `$ref`s lead to, transitively, each with only the keywords the validator reads
/// (descriptions, examples, formats, `required` are dropped). Validating against it gives the same lines as
/// validating against `doc` itself, for any check that only names components in `roots`; components of `roots`
/// that `doc` lacks stay absent. Keys are sorted, so the output is stable.
pub fn compact(doc: &Value, roots: &BTreeSet<String>) -> Value {
    let components = &doc["components"]["schemas"];
    let mut kept = std::collections::BTreeMap::new();
    let mut todo: Vec<String> = roots.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if kept.contains_key(&name) {
            continue;
        }
        let Some(schema) = components.get(&name) else {
            continue;
        };
        let stripped = strip(schema);
        todo.extend(refs(&stripped));
        kept.insert(name, stripped);
    }
    let schemas: Map<String, Value> = kept.into_iter().collect();
    json!({"components": {"schemas": schemas}})
}

/// `schema` with only [`SCHEMA_KEYWORDS`], recursively (property names are kept whatever they are).
fn strip(schema: &Value) -> Value {
    let Some(obj) = schema.as_object() else {
        return schema.clone();
    };
    let mut keys: Vec<&String> = obj
        .keys()
        .filter(|k| SCHEMA_KEYWORDS.contains(&k.as_str()))
        .collect();
    keys.sort();
    let mut out = Map::new();
    for key in keys {
        let v = &obj[key];
        let stripped = match key.as_str() {
            "properties" => Value::Object(
                v.as_object()
                    .map(|props| {
                        let mut names: Vec<&String> = props.keys().collect();
                        names.sort();
                        names
                            .into_iter()
                            .map(|n| (n.clone(), strip(&props[n])))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "oneOf" | "anyOf" | "allOf" => match v.as_array() {
                Some(alts) => Value::Array(alts.iter().map(strip).collect()),
                None => v.clone(),
            },
            "items" | "additionalProperties" => strip(v),
            _ => v.clone(),
        };
        out.insert(key.clone(), stripped);
    }
    Value::Object(out)
}

/// The component names `schema`'s `$ref`s point at.
pub fn refs(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![schema];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(obj) => {
                for (k, child) in obj {
                    match (k.as_str(), child.as_str()) {
                        ("$ref", Some(r)) => {
                            if let Some(name) = r.strip_prefix("#/components/schemas/") {
                                out.insert(name.to_owned());
                            }
                        }
                        _ => stack.push(child),
                    }
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// Known discrepancies between an OpenAPI document and the wire, where WIRE.md (or the server's own
/// `/api/schemas`, `../shared/dhis2/schemas-v4x.json.gz`) is the truth: `(versions, component, key, reason)`.
/// The key is accepted, with any value, in objects validated against that component on those versions only; the
/// rest of the object is still checked. `"*"` accepts every key of a component that the document describes
/// with the wrong Java type.
const WIRE_EXCEPTIONS: &[(&[u32], &str, &str, &str)] = &[
    // WIRE.md 5 lists `name` among the identifiable keys; `/api/schemas` of 2.41-2.43 lists
    // `categoryOptionCombo.name` as readable and persisted, and 2.44's document declares it.
    (&[41, 42, 43], "CategoryOptionCombo", "name", "WIRE.md 5"),
    // WIRE.md 5 (`name`); `/api/schemas` of 2.41 lists `user.name` as readable; 2.42+ documents declare it.
    (&[41], "User", "name", "WIRE.md 5"),
    // WIRE.md 5 (`access` on identifiable objects); `/api/schemas` of 2.43 and 2.44 still list `section.access`.
    (&[43, 44], "Section", "access", "WIRE.md 5"),
    // WIRE.md 9.1: the job envelope's response carries `relativeNotifierEndpoint`; 2.41's document has no
    // JobConfigurationWebMessageResponse, so the response is checked against JobConfiguration.
    (
        &[41],
        "JobConfiguration",
        "relativeNotifierEndpoint",
        "WIRE.md 9.1",
    ),
    // WIRE.md 8: the observed ImportSummary has `importOptions.idSchemes`.
    (&[42, 43, 44], "ImportOptions", "idSchemes", "WIRE.md 8"),
    // WIRE.md 4.3: tracker lists name their array per type; the documents' generic Page calls it `items`
    // (2.42+) and 2.41's TrackerPage has none. The items are validated on their own.
    (&[42, 43, 44], "Page", "trackedEntities", "WIRE.md 4.3"),
    (&[42, 43, 44], "Page", "enrollments", "WIRE.md 4.3"),
    (&[42, 43, 44], "Page", "events", "WIRE.md 4.3"),
    (&[42, 43, 44], "Page", "relationships", "WIRE.md 4.3"),
    (&[41], "TrackerPage", "trackedEntities", "WIRE.md 4.3"),
    (&[41], "TrackerPage", "enrollments", "WIRE.md 4.3"),
    (&[41], "TrackerPage", "events", "WIRE.md 4.3"),
    (&[41], "TrackerPage", "relationships", "WIRE.md 4.3"),
    // WIRE.md 9.2: a notification's `data` is free JSON; 2.41's document describes it as the Java wrapper
    // `JsonValue` (`isString`, `isArray`, ... flags), 2.42+ declare `any`.
    (&[41], "JsonValue", "*", "WIRE.md 9.2"),
    // Not a WIRE.md case but a document artifact: 2.41's EntriesResponse types every entry member as an object
    // (Jackson's JsonNode), while an entry is `{"key": "<text>", "value": <any JSON>}`, as 2.42+ declare (`any`).
    (
        &[41],
        "EntriesResponse",
        "key",
        "document artifact, fixed in 2.42+",
    ),
];

fn wire_allows(v: u32, component: &str, key: &str) -> bool {
    WIRE_EXCEPTIONS
        .iter()
        .any(|(vs, c, k, _)| vs.contains(&v) && *c == component && (*k == key || *k == "*"))
}

/// Components a document does not declare, so those answers cannot be validated on that version (the same
/// answers are validated on the other versions).
pub const ABSENT_COMPONENTS: &[(u32, &str)] = &[
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
                if props.and_then(|p| p.get(k)).is_none() && wire_allows(self.version, component, k)
                {
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
pub fn violations(doc: &Value, version: u32, component: &str, v: &Value) -> Vec<String> {
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

/// Validates `v` against a schema written inline (a path's response schema), resolving `$ref`s in `doc`.
pub fn violations_of_schema(doc: &Value, version: u32, schema: &Value, v: &Value) -> Vec<String> {
    let validator = Validator {
        components: &doc["components"]["schemas"],
        version,
    };
    let mut out = Vec::new();
    validator.check(schema, "inline", v, "inline", &mut out, 0);
    out
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
fn compact_keeps_what_the_validator_reads_and_nothing_else() {
    let doc = json!({"components": {"schemas": {
        "Thing": {"type": "object", "description": "dropped", "required": ["id"], "properties": {
            "type": {"type": "string", "format": "dropped", "example": "x"},
            "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
            "map": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Leaf"}},
            "either": {"oneOf": [{"$ref": "#/components/schemas/Other"}, {"type": "boolean"}]}
        }},
        "Part": {"type": "object", "properties": {"name": {"type": "string", "enum": ["a"]}}},
        "Leaf": {"type": "integer"},
        "Other": {"type": "string"},
        "Unreached": {"type": "object"}
    }}});
    let roots: BTreeSet<String> = ["Thing".to_owned(), "Absent".to_owned()].into();
    let small = compact(&doc, &roots);
    let kept: Vec<&String> = small["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(kept, ["Leaf", "Other", "Part", "Thing"]);
    assert_eq!(
        small["components"]["schemas"]["Thing"]["properties"]["type"],
        json!({"type": "string"}),
        "a property named like a keyword is kept; `format` and `example` are dropped"
    );
    assert!(small["components"]["schemas"]["Thing"]
        .get("required")
        .is_none());
    // The same verdicts on both.
    for v in [
        json!({"type": "t", "parts": [{"name": "a"}], "map": {"k": 1}, "either": true}),
        json!({"type": 1, "parts": [{"name": "b"}], "map": {"k": "x"}, "either": 2, "bogus": 1}),
    ] {
        assert_eq!(
            violations(&doc, 42, "Thing", &v),
            violations(&small, 42, "Thing", &v)
        );
    }
}

#[test]
fn real_document_rejects_a_wrong_data_element() {
    // The reference document when present, else its committed compact form (which keeps DataElement).
    let doc = load(42)
        .or_else(|| load_fixture(42))
        .expect("the committed fixture tests/fixtures/openapi-v42.compact.json.gz");
    let wrong = json!({"id": "abcdefghijk", "name": "x", "valueType": "NOT_A_TYPE", "zeroIsSignificant": "yes", "noSuchKey": 1});
    let lines = violations(&doc, 42, "DataElement", &wrong);
    for expected in ["valueType", "zeroIsSignificant", "noSuchKey"] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "expected a violation naming {expected}: {lines:?}"
        );
    }
}
