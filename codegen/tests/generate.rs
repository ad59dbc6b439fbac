//! Generator behaviour on small hand-made schema documents.

use dhis2_codegen::{generate, InputSpec, LoadedInput};
use serde_json::{json, Value};

fn prop(name: &str, field: &str, ptype: &str, extra: Value) -> Value {
    let mut p = json!({"name": name, "fieldName": field, "propertyType": ptype, "collection": ptype == "COLLECTION",
                       "klass": "java.lang.String", "required": false, "writable": true, "unique": false});
    if let (Some(m), Value::Object(e)) = (p.as_object_mut(), extra) {
        m.extend(e);
    }
    p
}

fn thing(props: Vec<Value>) -> Value {
    json!({"klass": "org.hisp.dhis.thing.Thing", "name": "thing", "singular": "thing", "plural": "things",
           "displayName": "Thing", "metadata": true, "apiEndpoint": "http://localhost:8080/dhis/api/things",
           "properties": props})
}

fn input(label: &str, schemas: Vec<Value>) -> LoadedInput {
    LoadedInput {
        label: label.into(),
        schemas,
        openapi: None,
    }
}

#[test]
fn merges_versions_and_names_keys() {
    let v1 = thing(vec![
        prop("id", "uid", "IDENTIFIER", json!({})),
        prop(
            "thingGroup",
            "groups",
            "COLLECTION",
            json!({"itemPropertyType": "REFERENCE", "itemKlass": "org.hisp.dhis.thing.Thing"}),
        ),
        prop(
            "kind",
            "kind",
            "CONSTANT",
            json!({"klass": "org.hisp.dhis.thing.Kind", "constants": ["A_B", "C"]}),
        ),
        prop(
            "count",
            "count",
            "INTEGER",
            json!({"klass": "java.lang.Integer"}),
        ),
        prop("oldOnly", "oldOnly", "TEXT", json!({})),
    ]);
    let v2 = thing(vec![
        prop("id", "uid", "IDENTIFIER", json!({})),
        prop(
            "kind",
            "kind",
            "CONSTANT",
            json!({"klass": "org.hisp.dhis.thing.Kind", "constants": ["C", "D"]}),
        ),
        prop(
            "count",
            "count",
            "NUMBER",
            json!({"klass": "java.lang.Double"}),
        ),
        prop("type", "type", "TEXT", json!({})),
    ]);
    let files = generate(&[input("v2", vec![v2]), input("v1", vec![v1])]).unwrap();
    let thing = &files["thing.rs"];
    assert!(thing.contains("pub struct Thing"), "{thing}");
    assert!(
        // The generated key table names the field, its JSON key, and (since the decoder builds lists at their
        // exact length) a `vec` marker for collections.
        thing.contains("thing_groups: \"thingGroups\""),
        "generic collection field uses the plural item name"
    );
    assert!(thing.contains("Field<Vec<Ref<Thing>>>"));
    assert!(thing.contains("Field<Kind>"));
    assert!(
        thing.contains("Field<::serde_json::Number>"),
        "INTEGER in one version, NUMBER in another"
    );
    assert!(
        thing.contains("Only in v1."),
        "version-specific property is documented"
    );
    assert!(thing.contains("pub r#type: Field<String>"));
    assert!(
        thing.contains("const ENDPOINT: &'static str = \"/api/things\""),
        "absolute endpoint is made relative"
    );
    let enums = &files["enums.rs"];
    assert!(
        enums.contains("AB => \"A_B\"") && enums.contains("D => \"D\""),
        "constants are merged: {enums}"
    );
    assert!(files["registry.rs"].contains("Thing::INFO"));
    assert!(files["mod.rs"].contains("pub use thing::Thing;"));
}

fn thing_v1_again() -> Value {
    thing(vec![prop("id", "uid", "IDENTIFIER", json!({}))])
}

#[test]
fn output_is_deterministic() {
    let a = generate(&[input("v1", vec![thing_v1_again()])]).unwrap();
    let b = generate(&[input("v1", vec![thing_v1_again()])]).unwrap();
    assert_eq!(a, b);
}

#[test]
fn rejects_bad_input_with_clear_errors() {
    assert!(generate(&[])
        .unwrap_err()
        .to_string()
        .contains("no schema inputs"));
    let err = generate(&[input("v1", vec![json!({"name": "x"})])]).unwrap_err();
    assert!(err.to_string().contains("has no klass"), "{err}");
    let dup = generate(&[input("v1", vec![]), input("v1", vec![])]).unwrap_err();
    assert!(dup.to_string().contains("duplicate"), "{dup}");
    let missing = InputSpec::parse("v9=/nonexistent/schemas.json")
        .load(false)
        .unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/schemas.json"),
        "{missing}"
    );
}

#[test]
fn parses_input_specs() {
    let s = InputSpec::parse("v45=/tmp/a.json");
    assert_eq!(s.label.as_deref(), Some("v45"));
    let s = InputSpec::parse("/tmp/schemas-v42.json.gz");
    assert_eq!(s.label, None);
}

#[test]
fn formats_with_rustfmt() {
    let out = dhis2_codegen::format_rust("pub struct   A{x:u8}").unwrap();
    assert_eq!(out, "pub struct A {\n    x: u8,\n}\n");
    assert!(dhis2_codegen::format_rust("pub struct {").is_err());
}
