//! Property tests: generated JSON for every model decodes, and encodes back to the same JSON value; the Uid
//! validator and the WebMessage parser never panic on arbitrary input.

use dhis2::models::{FieldInfo, FieldKind, TypeInfo, Uid, WebMessage};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

fn uid_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9]{10}"
}

fn text() -> BoxedStrategy<Value> {
    "[a-zA-Z0-9 _é-]{0,8}".prop_map(Value::from).boxed()
}

fn date() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(json!("2012-09-20T08:46:05.594")),
        Just(json!("2010-04-13T00:00:00.000+0000")),
        (1970u32..2100, 1u32..13, 1u32..29, 0u32..1000)
            .prop_map(|(y, m, d, ms)| json!(format!("{y:04}-{m:02}-{d:02}T12:34:56.{ms:03}"))),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(Value::from),
    ]
    .boxed()
}

fn id_ref() -> BoxedStrategy<Value> {
    (uid_strategy(), proptest::option::of(text()))
        .prop_map(|(id, name)| {
            let mut m = Map::new();
            m.insert("id".into(), Value::from(id));
            if let Some(n) = name {
                m.insert("name".into(), n);
            }
            Value::Object(m)
        })
        .boxed()
}

fn nullable_text() -> BoxedStrategy<Value> {
    prop_oneof![Just(Value::Null), text()].boxed()
}

fn user_ref() -> BoxedStrategy<Value> {
    (nullable_text(), nullable_text(), nullable_text(), nullable_text(), nullable_text())
        .prop_map(|(id, code, name, display_name, username)| {
            json!({"id": id, "code": code, "name": name, "displayName": display_name, "username": username})
        })
        .boxed()
}

fn sharing() -> BoxedStrategy<Value> {
    (uid_strategy(), any::<bool>(), proptest::collection::btree_map(uid_strategy(), "[rw-]{8}", 0..3))
        .prop_map(|(owner, external, users)| {
            let users: Map<String, Value> =
                users.into_iter().map(|(id, access)| (id.clone(), json!({"id": id, "access": access}))).collect();
            json!({"owner": owner, "external": external, "public": "rw------", "users": users, "userGroups": {}})
        })
        .boxed()
}

/// Any JSON, depth-limited.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        text(),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A value of the given kind.
fn value_of(kind: &'static FieldKind, depth: u32) -> BoxedStrategy<Value> {
    match kind {
        FieldKind::Text => text(),
        FieldKind::Boolean => any::<bool>().prop_map(Value::from).boxed(),
        FieldKind::Integer => any::<i64>().prop_map(Value::from).boxed(),
        FieldKind::Number => number(),
        FieldKind::Date => date(),
        FieldKind::Constant([]) => text(),
        FieldKind::Constant(known) => prop_oneof![
            4 => proptest::sample::select(*known).prop_map(Value::from),
            1 => Just(json!("SOMETHING_NEW")),
        ]
        .boxed(),
        FieldKind::Reference => id_ref(),
        FieldKind::UserReference => user_ref(),
        FieldKind::Object(fields) if depth < 2 => object_of(fields, depth + 1),
        FieldKind::Object(_) => Just(json!({})).boxed(),
        FieldKind::Sharing => sharing(),
        FieldKind::Access => (any::<bool>(), any::<bool>())
            .prop_map(|(r, w)| json!({"read": r, "write": w, "manage": false, "data": {"read": r, "write": w}}))
            .boxed(),
        FieldKind::AttributeValues => proptest::collection::vec(
            (text(), uid_strategy()).prop_map(|(v, a)| json!({"value": v, "attribute": {"id": a}})),
            0..3,
        )
        .prop_map(Value::from)
        .boxed(),
        FieldKind::Translation => (text(), "[a-z]{2}")
            .prop_map(|(v, l)| json!({"property": "NAME", "locale": l, "value": v}))
            .boxed(),
        FieldKind::Json => any_json(),
        FieldKind::Collection(inner) => {
            proptest::collection::vec(value_of(inner, depth + 1), 0..3).prop_map(Value::from).boxed()
        }
    }
}

/// An object with a random subset of `fields` (some explicitly null) and an unknown key.
fn object_of(fields: &'static [FieldInfo], depth: u32) -> BoxedStrategy<Value> {
    let per_field: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .iter()
        .map(|f| {
            let name = f.name.to_owned();
            let n2 = name.clone();
            prop_oneof![
                3 => Just(None),
                1 => Just(Some((name, Value::Null))),
                4 => value_of(&f.kind, depth).prop_map(move |v| Some((n2.clone(), v))),
            ]
            .boxed()
        })
        .collect();
    (per_field, proptest::option::of(any_json()))
        .prop_map(|(entries, extra)| {
            let mut m: Map<String, Value> = entries.into_iter().flatten().collect();
            if let Some(x) = extra {
                m.insert("zzUnknownKey".into(), x);
            }
            Value::Object(m)
        })
        .boxed()
}

/// Decoding generated JSON and encoding it again yields the same JSON; encode-decode-encode is stable.
fn check_model<T: DeserializeOwned + Serialize>(info: &'static TypeInfo) {
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let most_keys = std::cell::Cell::new(0usize);
    runner
        .run(&object_of(info.fields, 0), |json| {
            most_keys.set(most_keys.get().max(json.as_object().map_or(0, |m| m.len())));
            let model: T = serde_json::from_value(json.clone()).map_err(|e| {
                TestCaseError::fail(format!("{} failed to decode: {e}", info.rust_name))
            })?;
            let encoded =
                serde_json::to_value(&model).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&encoded, &json, "{} changed the JSON", info.rust_name);
            let again: T = serde_json::from_value(encoded.clone())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(
                serde_json::to_value(&again).map_err(|e| TestCaseError::fail(e.to_string()))?,
                encoded
            );
            Ok(())
        })
        .unwrap();
    // The generator really exercised the model: some case had a good share of its fields.
    assert!(
        info.fields.is_empty() || most_keys.get() > info.fields.len() / 4,
        "{}: too few keys generated",
        info.rust_name
    );
}

mod every_model {
    use super::check_model;

    macro_rules! model_test {
        ($name:ident, $path:path) => {
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                check_model::<$path>(&<$path>::INFO);
            }
        };
    }

    dhis2::for_each_model!(model_test);
}

#[test]
fn registry_lists_every_resource_with_endpoint_and_plural() {
    use dhis2::models::{Resource, TYPES};
    let resources: Vec<_> = TYPES
        .iter()
        .filter(|t| t.metadata && t.endpoint.is_some())
        .collect();
    assert!(resources.len() >= 70, "only {} resources", resources.len());
    assert!(
        TYPES.windows(2).all(|w| w[0].rust_name < w[1].rust_name),
        "registry is sorted"
    );
    let de = TYPES.iter().find(|t| t.rust_name == "DataElement").unwrap();
    assert_eq!(de.plural, "dataElements");
    assert_eq!(de.endpoint, Some("/api/dataElements"));
    assert_eq!(
        <dhis2::models::DataElement as Resource>::ENDPOINT,
        "/api/dataElements"
    );
    assert_eq!(
        <dhis2::models::OrganisationUnit as Resource>::PLURAL,
        "organisationUnits"
    );
    // Collection keys are the JSON keys, not the Java field names.
    let deg = TYPES
        .iter()
        .find(|t| t.rust_name == "DataElementGroup")
        .unwrap();
    assert!(deg.field("dataElements").is_some() && deg.field("members").is_none());
    // Version-specific properties say which versions have them.
    let user = TYPES.iter().find(|t| t.rust_name == "User").unwrap();
    assert_eq!(user.field("userCredentials").unwrap().versions, &["v41"]);
    assert!(user.fields_in("v41").any(|f| f.name == "userCredentials"));
    assert!(!user.fields_in("v42").any(|f| f.name == "userCredentials"));
    assert_eq!(
        TypeInfo::by_plural("organisationUnits").map(|t| t.rust_name),
        Some("OrganisationUnit")
    );
    assert_eq!(
        TypeInfo::by_klass("org.hisp.dhis.option.Option").map(|t| t.rust_name),
        Some("DhisOption")
    );
    let push = TypeInfo::by_plural("pushAnalysis").expect("pushAnalysis is a v41/v42 type");
    assert!(push.in_version("v42") && !push.in_version("v43"));
    assert!(TypeInfo::by_plural("noSuchThings").is_none());
}

proptest! {
    #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

    #[test]
    fn uid_validator_never_panics(s in any::<String>()) {
        let ok = Uid::is_valid(&s);
        let expected = s.len() == 11
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric());
        prop_assert_eq!(ok, expected);
    }

    #[test]
    fn valid_looking_uids_validate(s in uid_strategy()) {
        prop_assert!(Uid::is_valid(&s));
        let uid = s.parse::<Uid>().unwrap();
        prop_assert_eq!(uid.as_str(), s.as_str());
    }

    #[test]
    fn web_message_parser_never_panics_and_is_stable(v in any_json(), rt in proptest::sample::select(vec![
        "ObjectReport", "ObjectReportWebMessageResponse", "ImportReport", "ImportSummary", "ErrorReports",
        "JobConfigurationWebMessageResponse", "Unknown",
    ])) {
        // As the whole body, and as `response` with each responseType.
        let _ = serde_json::from_value::<WebMessage>(v.clone());
        let mut response = match v { Value::Object(m) => m, other => { let mut m = Map::new(); m.insert("x".into(), other); m } };
        response.insert("responseType".into(), Value::from(rt));
        let body = json!({"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "response": response});
        let wm: WebMessage = serde_json::from_value(body.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&wm).unwrap(), body);
    }

    #[test]
    fn web_message_parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = serde_json::from_slice::<WebMessage>(&bytes);
    }
}
