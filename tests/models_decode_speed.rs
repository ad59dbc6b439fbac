//! Decoding a large org unit list into typed models versus into `serde_json::Value`.
//! Prints the ratio; asserts only correctness (timings depend on the machine and build profile).

use std::time::Instant;

use dhis2::models::{OrganisationUnit, Pager};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrgUnitPage {
    #[allow(dead_code)]
    pager: Option<Pager>,
    organisation_units: Vec<OrganisationUnit>,
}

fn org_units_json(n: usize) -> String {
    let mut s = String::with_capacity(n * 420);
    s.push_str(r#"{"pager":{"page":1,"total":"#);
    s.push_str(&n.to_string());
    s.push_str(r#","pageSize":50,"pageCount":1},"organisationUnits":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":"ou{i:09}","name":"Org unit {i}","shortName":"OU {i}","code":"OU_{i}","level":4,"path":"/ImspTQPwCqd/O6uvpzGd5pu/ou{i:09}","created":"2012-02-17T15:54:39.987","lastUpdated":"2026-05-08T17:40:02.117","openingDate":"1970-01-01T00:00:00.000","parent":{{"id":"O6uvpzGd5pu"}},"children":[],"geometry":{{"type":"Point","coordinates":[-11.4197,8.1039]}},"createdBy":{{"id":"GOLswS44mh8","code":null,"name":"Tom","displayName":"Tom","username":"system"}},"leaf":true,"attributeValues":[],"translations":[]}}"#
        ));
    }
    s.push_str("]}");
    s
}

#[test]
fn typed_decode_versus_value_decode() {
    // 100k in optimised builds; fewer in debug builds to keep the suite fast.
    let n = if cfg!(debug_assertions) {
        20_000
    } else {
        100_000
    };
    let text = org_units_json(n);

    let t0 = Instant::now();
    let untyped: Value = serde_json::from_str(&text).unwrap();
    let value_time = t0.elapsed();

    let t1 = Instant::now();
    let typed: OrgUnitPage = serde_json::from_str(&text).unwrap();
    let typed_time = t1.elapsed();

    assert_eq!(typed.organisation_units.len(), n);
    assert_eq!(
        untyped["organisationUnits"].as_array().map(Vec::len),
        Some(n)
    );
    assert_eq!(typed.organisation_units[n - 1].level.get(), Some(4));
    assert!(typed.organisation_units[0].extra.is_empty());

    let ratio = typed_time.as_secs_f64() / value_time.as_secs_f64().max(1e-9);
    println!(
        "decode {n} org units ({} bytes): Value {:?}, typed {:?}, typed/Value = {ratio:.2} ({} build)",
        text.len(),
        value_time,
        typed_time,
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
}
