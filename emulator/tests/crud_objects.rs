//! Single-object GET/POST/PUT/PATCH/DELETE with DHIS2's envelopes, 404s and 409 validation reports.

mod common;

use common::*;
use serde_json::json;

fn new_de(name: &str, code: &str) -> String {
    json!({"name": name, "shortName": name, "code": code, "valueType": "NUMBER", "aggregationType": "SUM",
           "domainType": "AGGREGATE", "categoryCombo": {"id": "CcDefault01"}})
    .to_string()
}

#[tokio::test]
async fn post_get_put_delete_round_trip() {
    let emu = start_with_fixture("2.42.6").await;
    let r = call(
        &emu,
        "POST",
        "/api/dataElements",
        Some(&new_de("Fresh", "FRESH")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let uid = v["response"]["uid"].as_str().unwrap().to_string();
    assert_eq!(uid.len(), 11);
    assert!(uid.as_bytes()[0].is_ascii_alphabetic());
    assert_eq!(
        v,
        json!({"httpStatus": "Created", "httpStatusCode": 201, "status": "OK", "response": {
            "responseType": "ObjectReport", "uid": uid, "klass": "org.hisp.dhis.dataelement.DataElement", "errorReports": []}})
    );
    assert!(v["response"].get("id").is_none());
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/api/dataElements/{uid}", emu.url())
    );

    let got = get_json(&emu, &format!("/api/dataElements/{uid}")).await;
    assert_eq!(got["name"], "Fresh");
    assert_eq!(got["displayName"], "Fresh");
    assert_eq!(got["createdBy"]["username"], "admin");
    assert!(got["createdBy"].as_object().unwrap().contains_key("code"));
    assert_eq!(got["created"].as_str().unwrap().len(), 23);
    assert_eq!(got["sharing"]["public"], "rw------");
    assert_eq!(got["sharing"]["owner"], "M5zQapPyTZI");
    assert!(
        got["sharing"].get("external").is_none(),
        "2.42.6 has no external sharing"
    );
    assert_eq!(got["translations"], json!([]));
    let got = get_json(
        &emu,
        &format!("/api/dataElements/{uid}.json?fields=id,name"),
    )
    .await;
    assert_eq!(got, json!({"id": uid, "name": "Fresh"}));

    let r = call(
        &emu,
        "PUT",
        &format!("/api/dataElements/{uid}"),
        Some(&new_de("Renamed", "FRESH")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["response"]["uid"], uid.as_str());
    assert_eq!(
        get_json(&emu, &format!("/api/dataElements/{uid}")).await["name"],
        "Renamed"
    );

    let r = call(&emu, "DELETE", &format!("/api/dataElements/{uid}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["httpStatus"], "OK");
    assert_eq!(
        r.json()["response"]["klass"],
        "org.hisp.dhis.dataelement.DataElement"
    );
    let r = get(&emu, &format!("/api/dataElements/{uid}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(emu.counters().writes_applied(), 3);
}

#[tokio::test]
async fn response_type_naming_follows_version() {
    for (v, rt) in [
        ("2.41.10", "ObjectReport"),
        ("2.42.4", "ObjectReportWebMessageResponse"),
        ("2.42.6", "ObjectReport"),
        ("2.43.0", "ObjectReportWebMessageResponse"),
        ("2.43.2", "ObjectReport"),
    ] {
        let emu = start_with_fixture(v).await;
        let r = call(&emu, "POST", "/api/dataElements", Some(&new_de("X", "X"))).await;
        assert_eq!(r.json()["response"]["responseType"], rt, "{v}");
    }
}

#[tokio::test]
async fn not_found_answers() {
    let emu = start_with_fixture("2.42.6").await;
    let r = get(&emu, "/api/dataElements/abcdefghijk").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR",
        "message": "DataElement with id abcdefghijk could not be found.", "errorCode": "E1005"})
    );
    for m in ["PUT", "DELETE"] {
        let r = call(
            &emu,
            m,
            "/api/dataElements/abcdefghijk",
            if m == "PUT" { Some("{}") } else { None },
        )
        .await;
        assert_eq!(r.status, 404, "{m}");
        assert_eq!(r.json()["errorCode"], "E1005");
    }
    // Not a UID-shaped segment: the container's HTML 404.
    let r = get(&emu, "/api/dataElements/short").await;
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    // 2.39 has no error code.
    let emu39 = start_with_fixture("2.39.1").await;
    let r = get(&emu39, "/api/organisationUnits/abcdefghijk").await;
    assert_eq!(
        r.json(),
        json!({"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR",
        "message": "OrganisationUnit with id abcdefghijk could not be found."})
    );
}

#[tokio::test]
async fn validation_conflicts() {
    let emu = start_with_fixture("2.42.6").await;
    // Missing required property.
    let body = json!({"name": "No type", "shortName": "NT", "aggregationType": "SUM", "domainType": "AGGREGATE"}).to_string();
    let r = call(&emu, "POST", "/api/dataElements", Some(&body)).await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert_eq!(v["httpStatus"], "Conflict");
    assert_eq!(v["status"], "ERROR");
    assert_eq!(
        v["message"],
        "One or more errors occurred, please see full details in import report."
    );
    let er = &v["response"]["errorReports"][0];
    assert_eq!(er["errorCode"], "E4000");
    assert_eq!(er["message"], "Missing required property `valueType`");
    assert_eq!(er["errorProperty"], "valueType");
    assert_eq!(er["mainKlass"], "org.hisp.dhis.dataelement.DataElement");
    // Duplicate unique code.
    let r = call(
        &emu,
        "POST",
        "/api/dataElements",
        Some(&new_de("Unique name", "DE_01")),
    )
    .await;
    assert_eq!(r.status, 409);
    let er = &r.json()["response"]["errorReports"][0];
    assert_eq!(er["errorCode"], "E5003");
    assert_eq!(er["errorProperty"], "code");
    assert!(
        er["message"]
            .as_str()
            .unwrap()
            .starts_with("Property `code` with value `DE_01` on object Unique name ["),
        "{er}"
    );
    // Duplicate unique name.
    let r = call(
        &emu,
        "POST",
        "/api/dataElements",
        Some(&new_de("Element 01", "NEWCODE")),
    )
    .await;
    assert_eq!(
        r.json()["response"]["errorReports"][0]["errorProperty"],
        "name"
    );
    // Reference to a missing object.
    let mut o: serde_json::Value = serde_json::from_str(&new_de("With ref", "WREF")).unwrap();
    o["optionSet"] = json!({"id": "NoSuchSet01"});
    let r = call(&emu, "POST", "/api/dataElements", Some(&o.to_string())).await;
    assert_eq!(r.status, 409);
    let er = &r.json()["response"]["errorReports"][0];
    assert_eq!(er["errorCode"], "E5002");
    assert_eq!(er["errorProperty"], "optionSet");
    // Nothing was written.
    assert_eq!(emu.counters().writes_applied(), 0);
    // Malformed JSON body: 400 without an error code.
    let r = call(&emu, "POST", "/api/dataElements", Some("{not json")).await;
    assert_eq!(r.status, 400);
    assert!(r.json().get("errorCode").is_none());
}

#[tokio::test]
async fn patch_operations() {
    let emu = start_with_fixture("2.42.6").await;
    let patch = |ops: serde_json::Value| {
        let emu = &emu;
        async move {
            let auth = basic("admin", "district");
            raw(
                emu.url(),
                "PATCH",
                "/api/dataElements/DeElem00002",
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json-patch+json"),
                ],
                Some(ops.to_string().as_bytes()),
            )
            .await
            .unwrap()
        }
    };
    let r = patch(json!([{"op": "replace", "path": "/name", "value": "Patched"}, {"op": "add", "path": "/description", "value": "D"}])).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["response"]["uid"], "DeElem00002");
    let r = patch(json!([{"op": "add", "path": "/legendSets/-", "value": {"id": "LegSet00009"}}]))
        .await;
    assert_eq!(r.status, 200);
    let r = patch(json!([{"op": "remove-by-id", "path": "/legendSets", "id": "LegSet00000"}, {"op": "remove", "path": "/description"}])).await;
    assert_eq!(r.status, 200);
    let got = get_json(
        &emu,
        "/api/dataElements/DeElem00002?fields=name,description,legendSets",
    )
    .await;
    assert_eq!(
        got,
        json!({"name": "Patched", "legendSets": [{"id": "LegSet00001"}, {"id": "LegSet00009"}]})
    );
    for op in ["move", "copy", "test"] {
        let r = patch(json!([{"op": op, "path": "/name", "from": "/code", "value": "x"}])).await;
        assert_eq!(r.status, 400, "{op}");
    }
    let r = patch(json!([{"op": "add", "path": "/test", "value": 1}])).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["message"], "Invalid path /test");
    // A patch that breaks validation is a 409.
    let r = patch(json!([{"op": "remove", "path": "/valueType"}])).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json()["response"]["errorReports"][0]["errorCode"],
        "E4000"
    );
    // application/json is refused on 2.41+, a legacy merge (204) on 2.40.
    let r = call(
        &emu,
        "PATCH",
        "/api/dataElements/DeElem00002",
        Some("{\"name\":\"x\"}"),
    )
    .await;
    assert_eq!(r.status, 415);
    let emu40 = start_with_fixture("2.40.2.1").await;
    let r = call(
        &emu40,
        "PATCH",
        "/api/dataElements/DeElem00002",
        Some("{\"name\":\"Merged\"}"),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        get_json(&emu40, "/api/dataElements/DeElem00002").await["name"],
        "Merged"
    );
}

#[tokio::test]
async fn property_route() {
    let emu = start_with_fixture("2.42.6").await;
    let v = get_json(&emu, "/api/dataElements/DeElem00001/categoryCombo").await;
    assert_eq!(v["categoryCombo"]["name"], "Fixture default");
    let v = get_json(
        &emu,
        "/api/dataElements/DeElem00001/categoryCombo?fields=id",
    )
    .await;
    assert_eq!(v, json!({"categoryCombo": {"id": "CcDefault01"}}));
    let r = get(&emu, "/api/dataElements/DeElem00001/bogusProperty").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn created_users_can_log_in_and_passwords_are_not_stored() {
    let emu = start("2.42.6").await;
    let body = json!({"username": "nurse", "password": "Nurse1234!", "firstName": "Ann", "surname": "Nurse",
                      "userRoles": []})
    .to_string();
    let r = call(&emu, "POST", "/api/users", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let uid = r.json()["response"]["uid"].as_str().unwrap().to_string();
    let stored = get_json(&emu, &format!("/api/users/{uid}")).await;
    assert!(stored.get("password").is_none());
    let auth = basic("nurse", "Nurse1234!");
    let r = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let me = r.json();
    assert_eq!(me["id"], uid.as_str());
    assert_eq!(me["displayName"], "Ann Nurse");
    assert_ne!(me["authorities"][0], "ALL");
}

#[tokio::test]
async fn defaults_exclude_drops_default_objects() {
    let mut fx = fixture();
    fx["categoryCombos"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "CcDefault99", "name": "default"}));
    let emu = dhis2_emulator::Emulator::builder()
        .seed(dhis2_emulator::Seed::Empty)
        .import_metadata(fx)
        .start()
        .await
        .unwrap();
    let all = get_json(&emu, "/api/categoryCombos?fields=name&paging=false").await;
    let excl = get_json(
        &emu,
        "/api/categoryCombos?fields=name&paging=false&defaults=EXCLUDE",
    )
    .await;
    let names = |v: &serde_json::Value| {
        v["categoryCombos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(names(&all).contains(&"default".to_string()));
    assert!(!names(&excl).contains(&"default".to_string()));
}

#[tokio::test]
async fn wrong_method_and_media_type() {
    let emu = start_with_fixture("2.42.6").await;
    let r = call(&emu, "PUT", "/api/dataElements", Some("{}")).await;
    assert_eq!(r.status, 405);
    assert_eq!(
        r.json(),
        json!({"httpStatus": "Method Not Allowed", "httpStatusCode": 405, "status": "ERROR",
               "message": "Request method 'PUT' is not supported"})
    );
    let auth = basic("admin", "district");
    let r = raw(
        emu.url(),
        "POST",
        "/api/dataElements",
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        Some(b"x"),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 415);
    assert_eq!(r.json()["httpStatus"], "Unsupported Media Type");
    assert_eq!(
        r.json()["message"],
        "Content-Type 'text/plain' is not supported"
    );
}
