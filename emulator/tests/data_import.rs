//! `POST /api/dataValueSets` over HTTP: counts, conflicts with indexes, the 409/200 warning switch, 2.43+
//! whole-request rejections, dry runs, deletes, and the single-value `/api/dataValues` API.

mod data_support;

use base64::Engine;
use data_support::*;
use serde_json::{json, Value};

const DEFAULT_COC: &str = "HllvX50cXC0";

fn rows(rows: &[Value]) -> String {
    json!({ "dataValues": rows }).to_string()
}

fn row(de: &str, pe: &str, ou: &str, value: &str) -> Value {
    json!({"dataElement": de, "period": pe, "orgUnit": ou, "categoryOptionCombo": DEFAULT_COC, "value": value})
}

#[tokio::test]
async fn import_counts_imported_then_updated_and_export_sees_the_values() {
    let (_emu, base) = start("2.42.6").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let tests = de_named(&des, "Malaria tests performed");
    let body = rows(&[
        row(&referred, "202501", &ous[0], "7"),
        row(&tests, "202501", &ous[0], "12"),
    ]);

    let r = post(&base, "/api/dataValueSets", &body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["status"], "OK");
    assert_eq!(v["message"], "Import was successful.");
    assert_eq!(v["response"]["responseType"], "ImportSummary");
    assert_eq!(v["response"]["status"], "SUCCESS");
    assert_eq!(
        v["response"]["importCount"],
        json!({"imported": 2, "updated": 0, "ignored": 0, "deleted": 0})
    );
    assert_eq!(
        v["response"]["importOptions"]["importStrategy"],
        "CREATE_AND_UPDATE"
    );

    let r = post(&base, "/api/dataValueSets", &body).await;
    assert_eq!(r.json()["response"]["importCount"]["updated"], 2);

    let r = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&period=202501&orgUnit={}",
            ous[0]
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    let exported = r.json();
    let values = exported["dataValues"].as_array().unwrap();
    assert_eq!(values.len(), 2);
    let mine = values
        .iter()
        .find(|v| v["dataElement"] == referred.as_str())
        .unwrap();
    assert_eq!(mine["value"], "7");
    assert_eq!(mine["storedBy"], "admin");
    assert!(mine["created"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(mine["followup"], false);
}

#[tokio::test]
async fn conflicts_carry_codes_and_indexes_and_warning_is_409_before_2_43() {
    let (_emu, base) = start("2.42.6").await;
    let (_, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let body = rows(&[
        row(&referred, "202502", &ous[0], "3"),
        row("abcdefghijk", "202502", &ous[0], "3"),
        row(&referred, "2025X1", &ous[0], "3"),
        row(&referred, "202502", &ous[1], "many"),
        row(&referred, "202502", "zzzzzzzzzzz", "3"),
    ]);
    let r = post(&base, "/api/dataValueSets", &body).await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert_eq!(v["httpStatus"], "Conflict");
    assert_eq!(v["status"], "WARNING");
    assert_eq!(
        v["message"],
        "One more conflicts encountered, please check import summary."
    );
    let s = &v["response"];
    assert_eq!(s["status"], "WARNING");
    assert_eq!(
        s["importCount"],
        json!({"imported": 1, "updated": 0, "ignored": 4, "deleted": 0})
    );
    let conflicts = s["conflicts"].as_array().unwrap();
    let codes: Vec<(&str, u64)> = conflicts
        .iter()
        .map(|c| {
            (
                c["errorCode"].as_str().unwrap(),
                c["indexes"][0].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![("E7610", 1), ("E7611", 2), ("E7619", 3), ("E7612", 4)]
    );
    assert_eq!(conflicts[0]["object"], "abcdefghijk");
    assert_eq!(conflicts[0]["property"], "dataElement");
    assert_eq!(
        conflicts[0]["value"],
        "Data element not found or not accessible: `abcdefghijk`"
    );
    assert!(conflicts[2]["value"]
        .as_str()
        .unwrap()
        .contains("value_not_zero_or_positive_integer"));
    assert_eq!(s["rejectedIndexes"], json!([1, 2, 3, 4]));
}

#[tokio::test]
async fn warning_is_200_from_2_43_with_the_new_pipeline_counts() {
    let (_emu, base) = start("2.43.1").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let body = json!({"dataSet": ds, "dataValues": [row(&referred, "202503", &ous[0], "4"), row(&referred, "202503", &ous[1], "-4")]})
        .to_string();
    let r = post(&base, "/api/dataValueSets", &body).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["status"], "WARNING");
    assert_eq!(
        v["message"],
        "Import completed with warnings, please check import summary."
    );
    assert_eq!(
        v["response"]["importCount"],
        json!({"imported": 0, "updated": 1, "ignored": 1, "deleted": 0})
    );
    let c = &v["response"]["conflicts"][0];
    assert_eq!(c["errorCode"], "E8122");
    assert_eq!(c["indexes"], json!([1]));
    assert!(c.get("object").is_none());
    assert!(c["objects"]["args"].is_string());

    // Every value rejected: ERROR, 409.
    let body = rows(&[row(&referred, "202503", &ous[1], "x")]);
    let r = post(&base, "/api/dataValueSets", &body).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["status"], "ERROR");
    assert_eq!(r.json()["response"]["status"], "ERROR");
}

#[tokio::test]
async fn new_pipeline_rejects_whole_requests() {
    let (_emu, base) = start("2.44-SNAPSHOT").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");

    let r = post(
        &base,
        "/api/dataValueSets",
        &json!({"dataSet": ds, "dataValues": [row("abcdefghijk", "202501", &ous[0], "1")]})
            .to_string(),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["errorCode"], "E8020");

    let r = post(
        &base,
        "/api/dataValueSets",
        &rows(&[row("not-a-uid", "202501", &ous[0], "1")]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errorCode"], "E8104");

    // Data elements of two data sets without a dataSet: detection fails.
    let tb = de_named(&des, "TB cases referred");
    let r = post(
        &base,
        "/api/dataValueSets",
        &rows(&[
            row(&referred, "202501", &ous[0], "1"),
            row(&tb, "2025Q1", &ous[0], "1"),
        ]),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["errorCode"], "E8002");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("Data set detection failed, found multiple sets: ["));
}

#[tokio::test]
async fn dry_run_and_delete_strategy() {
    let (_emu, base) = start("2.41.3").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let body = rows(&[row(&referred, "202504", &ous[2], "9")]);
    let export = format!(
        "/api/dataValueSets?dataSet={ds}&period=202504&orgUnit={}",
        ous[2]
    );

    let r = post(&base, "/api/dataValueSets?dryRun=true", &body).await;
    assert_eq!(r.json()["response"]["importCount"]["imported"], 1);
    assert_eq!(r.json()["response"]["importOptions"]["dryRun"], true);
    assert_eq!(get(&base, &export).await.json()["dataValues"], json!([]));

    post(&base, "/api/dataValueSets", &body).await;
    assert_eq!(
        get(&base, &export).await.json()["dataValues"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let r = post(&base, "/api/dataValueSets?importStrategy=DELETE", &body).await;
    assert_eq!(r.json()["response"]["importCount"]["deleted"], 1);
    assert_eq!(get(&base, &export).await.json()["dataValues"], json!([]));
    let deleted = get(&base, &format!("{export}&includeDeleted=true"))
        .await
        .json();
    assert_eq!(deleted["dataValues"][0]["deleted"], true);

    // CREATE ignores existing values, UPDATE ignores missing ones.
    post(&base, "/api/dataValueSets", &body).await;
    let r = post(&base, "/api/dataValueSets?importStrategy=CREATE", &body).await;
    assert_eq!(r.json()["response"]["importCount"]["ignored"], 1);
    let other = rows(&[row(&referred, "202505", &ous[2], "9")]);
    let r = post(&base, "/api/dataValueSets?importStrategy=UPDATE", &other).await;
    assert_eq!(r.json()["response"]["importCount"]["ignored"], 1);
}

#[tokio::test]
async fn malformed_body_is_an_error_summary() {
    let (_emu, base) = start("2.42.6").await;
    let r = post(&base, "/api/dataValueSets", "{not json").await;
    assert_eq!(r.status, 409);
    let v = r.json();
    assert_eq!(v["status"], "ERROR");
    assert_eq!(
        v["message"],
        "An error occurred, please check import summary."
    );
    assert!(v["response"]["description"]
        .as_str()
        .unwrap()
        .starts_with("The import process failed:"));
}

#[tokio::test]
async fn single_value_api() {
    let (_emu, base) = start("2.42.6").await;
    let (_, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let q = format!("de={referred}&pe=202506&ou={}&co={DEFAULT_COC}", ous[3]);

    let r = post(&base, &format!("/api/dataValues?{q}&value=5"), "").await;
    assert_eq!(r.status, 201);
    assert_eq!(
        get(&base, &format!("/api/dataValues?{q}")).await.json(),
        json!(["5"])
    );
    let r = post(&base, &format!("/api/dataValues?{q}&value=abc"), "").await;
    assert_eq!(r.status, 409);
    let r = post(
        &base,
        &format!(
            "/api/dataValues?de=abcdefghijk&pe=202506&ou={}&value=1",
            ous[3]
        ),
        "",
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["errorCode"], "E1100");
    assert_eq!(
        r.json()["message"],
        "Data element not found or not accessible: `abcdefghijk`"
    );
    assert_eq!(
        delete(&base, &format!("/api/dataValues?{q}")).await.status,
        204
    );
    let r = delete(&base, &format!("/api/dataValues?{q}")).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json()["message"],
        "Data value cannot be deleted because it does not exist"
    );
}

#[tokio::test]
async fn new_pipeline_checks_the_period_type_of_the_data_set() {
    let (_emu, base) = start("2.43.1").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let body =
        json!({"dataSet": ds, "dataValues": [row(&referred, "2025Q1", &ous[0], "4")]}).to_string();
    let r = post(&base, "/api/dataValueSets.json", &body).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["errorCode"], "E8021");
    // The versioned form answers the same way.
    let r = post(&base, "/api/41/dataValueSets", &body).await;
    assert_eq!(r.json()["errorCode"], "E8021");
}

#[tokio::test]
async fn code_id_schemes_resolve_to_uids() {
    let (_emu, base) = start("2.42.6").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let ou = get(
        &base,
        &format!("/api/organisationUnits/{}?fields=code", ous[4]),
    )
    .await
    .json();
    let ou_code = ou["code"].as_str().unwrap().to_string();
    let body = json!({"dataValues": [
        {"dataElement": "DE_MALARIA_CASES_REFERRED", "period": "202508", "orgUnit": ou_code, "categoryOptionCombo": "default", "value": "2"}
    ]})
    .to_string();
    let r = post(&base, "/api/dataValueSets?idScheme=CODE", &body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["response"]["importCount"]["imported"], 1);
    let v = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&period=202508&orgUnit={}",
            ous[4]
        ),
    )
    .await
    .json();
    assert_eq!(v["dataValues"][0]["orgUnit"], ous[4].as_str());
    assert_eq!(v["dataValues"][0]["categoryOptionCombo"], DEFAULT_COC);
}

#[tokio::test]
async fn large_imports_are_accepted() {
    let (_emu, base) = start("2.42.6").await;
    let (_, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let tests = de_named(&des, "Malaria tests performed");
    let mut values = Vec::new();
    for ou in &ous {
        for m in 1..=12 {
            for de in [&referred, &tests] {
                values.push(row(de, &format!("2025{m:02}"), ou, "1"));
            }
        }
    }
    let body = rows(&values);
    assert!(
        body.len() > 2 * 1024 * 1024,
        "bigger than axum's default limit: {}",
        body.len()
    );
    let r = post(&base, "/api/dataValueSets", &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["response"]["importCount"]["imported"],
        values.len()
    );
}

#[tokio::test]
async fn stored_by_is_the_authenticated_user() {
    let (emu, base) = start("2.42.6").await;
    emu.auth().add_user("clerk", "Clerk123!");
    let (ds, _, ous) = monthly_data_set(&base).await;
    let des = data_elements(&base).await;
    let referred = de_named(&des, "Malaria cases referred");
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("clerk:Clerk123!")
    );
    let body = rows(&[row(&referred, "202509", &ous[5], "6")]);
    let r = request_as(&base, &auth, "POST", "/api/dataValueSets", Some(&body)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&period=202509&orgUnit={}",
            ous[5]
        ),
    )
    .await
    .json();
    assert_eq!(v["dataValues"][0]["storedBy"], "clerk");
}
