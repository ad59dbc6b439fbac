//! `POST /api/metadata` and `GET /api/metadata` over HTTP: every import strategy, atomic modes, validate-only,
//! identifier=CODE, report modes, the error codes, and the export with per-type fields.

mod data_support;

use data_support::*;
use serde_json::{json, Value};

fn element(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "shortName": name, "code": name.to_uppercase().replace(' ', "_"),
           "valueType": "INTEGER", "aggregationType": "SUM", "domainType": "AGGREGATE",
           "categoryCombo": {"id": "bjDvmb4bfuf"}})
}

fn payload(elements: Vec<Value>) -> String {
    json!({ "dataElements": elements }).to_string()
}

fn stats(v: &Value) -> (u64, u64, u64, u64) {
    let s = &v["response"]["stats"];
    (
        s["created"].as_u64().unwrap(),
        s["updated"].as_u64().unwrap(),
        s["deleted"].as_u64().unwrap(),
        s["ignored"].as_u64().unwrap(),
    )
}

fn error_codes(v: &Value) -> Vec<String> {
    v["response"]["typeReports"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["objectReports"].as_array().unwrap().iter())
        .flat_map(|o| o["errorReports"].as_array().unwrap().iter())
        .map(|e| e["errorCode"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn create_update_delete_round_trip() {
    let (_emu, base) = start("2.42.6").await;
    let r = post(
        &base,
        "/api/metadata",
        &payload(vec![element("deMetaAAA01", "Meta element one")]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["status"], "OK");
    assert_eq!(v["response"]["responseType"], "ImportReport");
    assert_eq!(v["response"]["status"], "OK");
    assert_eq!(stats(&v), (1, 0, 0, 0));
    assert_eq!(v["response"]["stats"]["total"], 1);
    let tr = &v["response"]["typeReports"][0];
    assert_eq!(tr["klass"], "org.hisp.dhis.dataelement.DataElement");
    assert_eq!(
        tr["objectReports"],
        json!([]),
        "importReportMode=ERRORS lists only failed objects"
    );

    let stored = get(&base, "/api/dataElements/deMetaAAA01").await.json();
    assert_eq!(stored["name"], "Meta element one");
    assert!(stored["created"].as_str().unwrap().len() == 23);

    let mut changed = element("deMetaAAA01", "Meta element one");
    changed["valueType"] = json!("NUMBER");
    let v = post(
        &base,
        "/api/metadata?importStrategy=UPDATE",
        &payload(vec![changed]),
    )
    .await
    .json();
    assert_eq!(stats(&v), (0, 1, 0, 0));
    assert_eq!(
        get(&base, "/api/dataElements/deMetaAAA01").await.json()["valueType"],
        "NUMBER"
    );

    // CREATE of an existing object fails with E5000.
    let r = post(
        &base,
        "/api/metadata?importStrategy=CREATE",
        &payload(vec![element("deMetaAAA01", "Meta element one")]),
    )
    .await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert_eq!(v["status"], "WARNING");
    assert_eq!(
        v["message"],
        "One or more errors occurred, please see full details in import report."
    );
    assert_eq!(v["response"]["status"], "ERROR");
    assert_eq!(error_codes(&v), vec!["E5000"]);

    let v = post(
        &base,
        "/api/metadata?importStrategy=DELETE",
        &payload(vec![json!({"id": "deMetaAAA01"})]),
    )
    .await
    .json();
    assert_eq!(stats(&v), (0, 0, 1, 0));
    assert_eq!(
        get(&base, "/api/dataElements/deMetaAAA01").await.status,
        404
    );

    // UPDATE and DELETE of a missing object fail with E5001.
    for strategy in ["UPDATE", "DELETE"] {
        let r = post(
            &base,
            &format!("/api/metadata?importStrategy={strategy}"),
            &payload(vec![element("deMetaAAA01", "Meta element one")]),
        )
        .await;
        assert_eq!(r.status, 409, "{strategy}");
        assert_eq!(error_codes(&r.json()), vec!["E5001"], "{strategy}");
    }
}

#[tokio::test]
async fn validation_errors_and_atomic_modes() {
    let (_emu, base) = start("2.42.6").await;
    let good = element("deMetaBBB01", "Meta element good");
    let mut missing = element("deMetaBBB02", "Meta element missing");
    missing.as_object_mut().unwrap().remove("valueType");
    let mut bad_ref = element("deMetaBBB03", "Meta element bad ref");
    bad_ref["categoryCombo"] = json!({"id": "xxxxxxxxxxx"});
    let dup = element("deMetaBBB04", "Meta element good");
    let body = payload(vec![good.clone(), missing, bad_ref, dup]);

    // atomicMode=ALL (default): nothing is written.
    let r = post(&base, "/api/metadata?importReportMode=FULL", &body).await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert_eq!(v["response"]["status"], "ERROR");
    assert_eq!(stats(&v), (0, 0, 0, 4));
    let reports = v["response"]["typeReports"][0]["objectReports"]
        .as_array()
        .unwrap();
    assert_eq!(reports.len(), 4, "FULL reports every object");
    assert_eq!(reports[0]["errorReports"], json!([]));
    let e4000 = &reports[1]["errorReports"][0];
    assert_eq!(e4000["errorCode"], "E4000");
    assert_eq!(e4000["message"], "Missing required property `valueType`");
    assert_eq!(e4000["errorProperty"], "valueType");
    assert_eq!(e4000["mainKlass"], "org.hisp.dhis.dataelement.DataElement");
    assert_eq!(reports[1]["index"], 1);
    assert_eq!(reports[2]["errorReports"][0]["errorCode"], "E5002");
    assert_eq!(
        reports[2]["errorReports"][0]["errorProperty"],
        "categoryCombo"
    );
    assert_eq!(reports[3]["errorReports"][0]["errorCode"], "E5003");
    assert_eq!(
        get(&base, "/api/dataElements/deMetaBBB01").await.status,
        404
    );

    // atomicMode=NONE: the valid object is written, status WARNING.
    let r = post(&base, "/api/metadata?atomicMode=NONE", &body).await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert_eq!(v["response"]["status"], "WARNING");
    assert_eq!(stats(&v), (1, 0, 0, 3));
    assert_eq!(
        v["response"]["typeReports"][0]["objectReports"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "ERRORS mode"
    );
    assert_eq!(
        get(&base, "/api/dataElements/deMetaBBB01").await.status,
        200
    );

    // A duplicate of a stored name is E5003 too.
    let r = post(
        &base,
        "/api/metadata",
        &payload(vec![element("deMetaBBB05", "Meta element good")]),
    )
    .await;
    let codes = error_codes(&r.json());
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "E5003"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn validate_mode_writes_nothing_and_code_identifier_matches_by_code() {
    let (_emu, base) = start("2.43.1").await;
    let v = post(
        &base,
        "/api/metadata?importMode=VALIDATE",
        &payload(vec![element("deMetaCCC01", "Meta validate")]),
    )
    .await
    .json();
    assert_eq!(v["response"]["status"], "OK");
    assert_eq!(v["response"]["responseType"], "ImportReport");
    assert_eq!(stats(&v).0, 1);
    assert_eq!(
        get(&base, "/api/dataElements/deMetaCCC01").await.status,
        404
    );

    post(
        &base,
        "/api/metadata",
        &payload(vec![element("deMetaCCC02", "Meta by code")]),
    )
    .await;
    let mut by_code = element("deMetaZZZ99", "Meta by code renamed");
    by_code["code"] = json!("META_BY_CODE");
    let v = post(
        &base,
        "/api/metadata?identifier=CODE&importReportMode=FULL",
        &payload(vec![by_code]),
    )
    .await
    .json();
    assert_eq!(stats(&v), (0, 1, 0, 0));
    assert_eq!(
        v["response"]["typeReports"][0]["objectReports"][0]["uid"],
        "deMetaCCC02"
    );
    assert_eq!(
        get(&base, "/api/dataElements/deMetaCCC02").await.json()["name"],
        "Meta by code renamed"
    );
}

#[tokio::test]
async fn references_to_objects_in_the_same_payload_resolve() {
    let (_emu, base) = start("2.42.6").await;
    let body = json!({
        "optionSets": [{"id": "osMetaAAA01", "name": "Meta colours", "valueType": "TEXT", "options": [{"id": "opMetaAAA01"}]}],
        "options": [{"id": "opMetaAAA01", "name": "Red", "code": "RED", "optionSet": {"id": "osMetaAAA01"}}],
        "dataElements": [{"id": "deMetaDDD01", "name": "Meta colour", "shortName": "Meta colour", "valueType": "TEXT",
                          "optionSet": {"id": "osMetaAAA01"}}]
    });
    let r = post(&base, "/api/metadata", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(stats(&v), (3, 0, 0, 0));
    let klasses: Vec<&str> = v["response"]["typeReports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["klass"].as_str().unwrap())
        .collect();
    assert_eq!(
        klasses,
        vec![
            "org.hisp.dhis.option.OptionSet",
            "org.hisp.dhis.option.Option",
            "org.hisp.dhis.dataelement.DataElement"
        ]
    );
    let de = get(&base, "/api/dataElements/deMetaDDD01").await.json();
    assert_eq!(
        de["categoryCombo"]["id"], "bjDvmb4bfuf",
        "the default combo is filled in"
    );
}

#[tokio::test]
async fn export_with_per_type_fields() {
    let (_emu, base) = start("2.42.6").await;
    let r = get(
        &base,
        "/api/metadata?dataElements=true&indicatorTypes=true&dataElements:fields=id,name&fields=id",
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["system"]["version"], "2.42.6");
    assert_eq!(v["system"]["rev"].as_str().unwrap().len(), 7);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["system", "dataElements", "indicatorTypes"]);
    let des = v["dataElements"].as_array().unwrap();
    assert!(des.len() >= 200);
    assert_eq!(
        des[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["id", "name"]
    );
    let its = v["indicatorTypes"].as_array().unwrap();
    assert_eq!(
        its[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["id"]
    );

    // Default fields are :owner: no computed display names.
    let v = get(&base, "/api/metadata?categoryCombos=true&defaults=EXCLUDE")
        .await
        .json();
    let ccs = v["categoryCombos"].as_array().unwrap();
    assert!(ccs.iter().all(|c| c["name"] != "default"));
    assert!(ccs[0].get("displayName").is_none());
    assert!(ccs[0].get("categories").is_some());
}

#[tokio::test]
async fn json_suffix_and_legacy_user_credentials() {
    let (_emu, base) = start("2.41.3").await;
    let body = json!({"users": [{"id": "usMetaAAA01", "firstName": "Ada", "surname": "Lovelace",
                                 "userCredentials": {"username": "ada"}}]});
    let r = post(&base, "/api/metadata.json", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(stats(&r.json()), (1, 0, 0, 0));
    let missing = json!({"users": [{"id": "usMetaAAA02", "firstName": "No", "surname": "Name"}]});
    let r = post(&base, "/api/metadata", &missing.to_string()).await;
    assert_eq!(error_codes(&r.json()), vec!["E4000"]);
    let v = get(&base, "/api/metadata.json?userRoles=true&fields=id,name")
        .await
        .json();
    assert!(!v["userRoles"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn deleting_an_element_with_data_values_is_refused() {
    let (_emu, base) = start("2.42.6").await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let r = post(
        &base,
        "/api/metadata?importStrategy=DELETE",
        &payload(vec![json!({"id": referred})]),
    )
    .await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert_eq!(error_codes(&v), vec!["E4030"]);
    let report = &v["response"]["typeReports"][0]["objectReports"][0]["errorReports"][0];
    assert_eq!(
        report["message"],
        "Object could not be deleted because it is associated with another object: DataValue"
    );
    assert_eq!(
        get(&base, &format!("/api/dataElements/{referred}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn export_filters_one_type() {
    let (_emu, base) = start("2.42.6").await;
    let v = get(&base, "/api/metadata?dataElements=true&dataElements:fields=id,name&dataElements:filter=name:like:Malaria").await.json();
    let des = v["dataElements"].as_array().unwrap();
    assert_eq!(des.len(), 19);
    assert!(des
        .iter()
        .all(|d| d["name"].as_str().unwrap().starts_with("Malaria")));
    let r = get(
        &base,
        "/api/metadata?dataElements=true&dataElements:filter=name:bogus:x",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errorCode"], "E1003");
}

#[tokio::test]
async fn old_api_versions_get_a_plain_report_before_2_42() {
    let body = payload(vec![element("deMetaEEE01", "Meta plain")]);
    let (_emu, base) = start("2.41.3").await;
    let v = post(&base, "/api/37/metadata", &body).await.json();
    assert_eq!(v["status"], "OK");
    assert!(v.get("httpStatus").is_none(), "no envelope: {v}");
    assert_eq!(v["stats"]["created"], 1);
    let (_emu2, base2) = start("2.42.6").await;
    let v = post(&base2, "/api/37/metadata", &body).await.json();
    assert_eq!(v["httpStatus"], "OK");
}
