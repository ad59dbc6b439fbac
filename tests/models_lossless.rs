//! The hand-rolled (non-`flatten`) `Serialize`/`Deserialize` of the models: unknown keys keep their order,
//! duplicates resolve to the last occurrence, explicit nulls survive, and every input path (borrowed keys,
//! escaped keys, readers, `Value`s) decodes the same.

use dhis2::models::{
    DataValueSet, DhisDate, Field, IdRef, OrganisationUnit, Pager, Sharing, Translation, UserRef,
};
use serde_json::{json, Value};

/// Keys of a JSON object text in the order they are written (top level only; enough for these flat checks).
fn top_level_keys(text: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(text).unwrap();
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn unknown_keys_keep_their_order_and_are_written_back_in_it() {
    let text = r#"{"zeta":1,"id":"ImspTQPwCqd","alpha":{"b":2,"a":1},"name":"Sierra Leone","mid":[3],
                   "level":1,"omega":null}"#;
    let ou: OrganisationUnit = serde_json::from_str(text).unwrap();
    let extra: Vec<&str> = ou.extra.keys().map(String::as_str).collect();
    assert_eq!(extra, ["zeta", "alpha", "mid", "omega"]);
    // Nested unknown objects keep their own order too.
    let nested: Vec<&str> = ou.extra["alpha"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(nested, ["b", "a"]);
    assert!(ou.extra["omega"].is_null());

    let out = serde_json::to_string(&ou).unwrap();
    // Known fields first (declaration order), then the unknown keys in the order they were read.
    assert_eq!(
        top_level_keys(&out),
        ["id", "level", "name", "zeta", "alpha", "mid", "omega"]
    );
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}

#[test]
fn duplicate_unknown_and_null_mix_roundtrips() {
    // `id` twice (last wins), `extraKey` twice (last value, first position), explicit nulls known and unknown.
    let text = r#"{"id":"first","extraKey":1,"code":null,"id":"second","other":null,"extraKey":2,
                   "createdBy":{"id":"GOLswS44mh8","code":null,"name":null,"displayName":"Tom","username":"system","uid":"x"},
                   "created":"2012-02-17T15:54:39.987","openingDate":"1970-01-01T00:00:00.000+0000"}"#;
    let ou: OrganisationUnit = serde_json::from_str(text).unwrap();
    assert_eq!(ou.id.as_str(), Some("second"));
    assert!(ou.code.is_null());
    assert!(ou.name.is_absent());
    let extra: Vec<(&str, &Value)> = ou.extra.iter().map(|(k, v)| (k.as_str(), v)).collect();
    assert_eq!(
        extra,
        [("extraKey", &json!(2)), ("other", &Value::Null)],
        "last duplicate wins, first position kept"
    );
    let by = ou.created_by.value().unwrap();
    assert!(by.code.is_null() && by.name.is_null());
    assert_eq!(by.display_name.as_str(), Some("Tom"));
    assert_eq!(by.extra.get("uid"), Some(&json!("x")));

    let out = serde_json::to_string(&ou).unwrap();
    assert!(
        out.contains(r#""created":"2012-02-17T15:54:39.987""#),
        "{out}"
    );
    assert!(
        out.contains(r#""openingDate":"1970-01-01T00:00:00.000+0000""#),
        "{out}"
    );
    assert!(out.contains(r#""code":null"#), "explicit null kept: {out}");
    let expected = json!({
        "id": "second", "code": null, "other": null, "extraKey": 2,
        "createdBy": {"id": "GOLswS44mh8", "code": null, "name": null, "displayName": "Tom",
                      "username": "system", "uid": "x"},
        "created": "2012-02-17T15:54:39.987", "openingDate": "1970-01-01T00:00:00.000+0000"
    });
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), expected);
    // A second pass is stable byte for byte.
    let again: OrganisationUnit = serde_json::from_str(&out).unwrap();
    assert_eq!(again, ou);
    assert_eq!(serde_json::to_string(&again).unwrap(), out);
}

#[test]
fn every_input_path_decodes_the_same() {
    // `n\u0061me` is `name` with an escape: the key cannot be borrowed from the input.
    let text =
        r#"{"id":"a1","n\u0061me":"Bo","level":2,"parent":{"id":"p1","name":"P"},"x":[1,2.5,-3]}"#;
    let from_str: OrganisationUnit = serde_json::from_str(text).unwrap();
    assert_eq!(from_str.name.as_str(), Some("Bo"));
    assert_eq!(from_str.level.get(), Some(2));
    let from_reader: OrganisationUnit = serde_json::from_reader(text.as_bytes()).unwrap();
    let value: Value = serde_json::from_str(text).unwrap();
    let from_value: OrganisationUnit = serde_json::from_value(value.clone()).unwrap();
    let from_ref = <OrganisationUnit as serde::Deserialize>::deserialize(&value).unwrap();
    assert_eq!(from_reader, from_str);
    assert_eq!(from_value, from_str);
    assert_eq!(from_ref, from_str);
    let parent = from_str.parent.value().unwrap();
    assert_eq!(parent.id(), Some("p1"));
    assert_eq!(parent.extra_str("name"), Some("P"));
}

#[test]
fn numbers_and_dates_keep_their_text() {
    let text = r#"{"id":"r1","big":18446744073709551615,"neg":-3,"frac":2.5}"#;
    let r: IdRef = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_string(&r).unwrap(), text);
    let date: Field<DhisDate> = serde_json::from_str(r#""2024-01-02T03:04:05.678+0000""#).unwrap();
    assert_eq!(
        date.value().map(DhisDate::as_str),
        Some("2024-01-02T03:04:05.678+0000")
    );
}

#[test]
fn non_objects_are_rejected_with_the_type_name() {
    let err = serde_json::from_str::<OrganisationUnit>("[1]").unwrap_err();
    assert!(err.to_string().contains("OrganisationUnit"), "{err}");
    let err = serde_json::from_str::<Pager>(r#"{"page":"one"}"#).unwrap_err();
    assert!(err.to_string().contains("invalid type"), "{err}");
    let err = serde_json::from_str::<IdRef>("\"abc\"").unwrap_err();
    assert!(err.to_string().contains("reference"), "{err}");
    // A field of the wrong type inside a nested model names the JSON path.
    let de =
        &mut serde_json::Deserializer::from_str(r#"{"sharing":{"users":{"u1":{"access":5}}}}"#);
    let err = serde_path_to_error::deserialize::<_, OrganisationUnit>(de).unwrap_err();
    assert_eq!(err.path().to_string(), "sharing.users.u1.access");
}

#[test]
fn hand_written_models_keep_nulls_and_extras() {
    let text = r#"{"owner":null,"public":"rw------","users":{},"future":true,"userGroups":{"g":{"id":"g","access":"r-------","note":1}}}"#;
    let sharing: Sharing = serde_json::from_str(text).unwrap();
    assert!(sharing.owner.is_null());
    assert!(sharing.external.is_absent());
    assert_eq!(sharing.extra.get("future"), Some(&json!(true)));
    let again: Value = serde_json::to_value(&sharing).unwrap();
    assert_eq!(again, serde_json::from_str::<Value>(text).unwrap());

    let t: Translation =
        serde_json::from_str(r#"{"locale":"fr","property":"NAME","value":null,"extra":1}"#)
            .unwrap();
    assert!(t.value.is_null());
    assert_eq!(t.extra.get("extra"), Some(&json!(1)));

    let user: UserRef = serde_json::from_str(r#"{"uid":"abc","username":null}"#).unwrap();
    assert_eq!(user.id(), Some("abc"));
    assert!(user.username.is_null());

    // `dataValues` is a plain `Vec`: always written, empty when absent.
    let set: DataValueSet = serde_json::from_str(r#"{"dataSet":"ds1","x":1}"#).unwrap();
    assert!(set.data_values.is_empty());
    assert_eq!(
        serde_json::to_value(&set).unwrap(),
        json!({"dataSet": "ds1", "dataValues": [], "x": 1})
    );
}

/// Decoding long lists is dominated by writing and page-faulting the models' memory, so their size is watched:
/// the large, mostly server-written embedded objects (`UserRef`, `Sharing`, `Access`) are boxed.
#[cfg(target_pointer_width = "64")]
#[test]
fn models_stay_small() {
    let ou = std::mem::size_of::<OrganisationUnit>();
    assert!(
        ou <= 1600,
        "OrganisationUnit is {ou} bytes (was 1488 with boxed embedded objects, 2328 without)"
    );
    assert_eq!(std::mem::size_of::<Field<Box<Sharing>>>(), 16);
}
