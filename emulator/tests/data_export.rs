//! `GET /api/dataValueSets` over HTTP: filters (data set, period, start/end dates, org unit with children,
//! lastUpdated), parameter errors, and the streamed synthetic export.

mod data_support;

use data_support::*;
use serde_json::Value;

fn values(v: &Value) -> &Vec<Value> {
    v["dataValues"].as_array().expect("dataValues array")
}

#[tokio::test]
async fn export_filters_by_data_set_period_and_org_unit() {
    let (_emu, base) = start("2.42.6").await;
    let (ds, des, ous) = monthly_data_set(&base).await;

    let r = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&period=202403&orgUnit={}",
            ous[0]
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let v = r.json();
    let rows = values(&v);
    assert!(rows.len() > 30, "{} rows", rows.len());
    for row in rows {
        assert_eq!(row["period"], "202403");
        assert_eq!(row["orgUnit"], ous[0].as_str());
        assert!(des.contains(&row["dataElement"].as_str().unwrap().to_string()));
    }

    // Two periods, repeated parameter and comma form.
    let both = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&period=202403,202404&orgUnit={}",
            ous[0]
        ),
    )
    .await
    .json();
    let n_both = values(&both).len();
    let april = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&period=202404&orgUnit={}",
            ous[0]
        ),
    )
    .await
    .json();
    assert_eq!(n_both, rows.len() + values(&april).len());

    // startDate/endDate covering the first quarter equals the three monthly periods.
    let q1 = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&startDate=2024-01-01&endDate=2024-03-31&orgUnit={}",
            ous[0]
        ),
    )
    .await
    .json();
    let months = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&period=202401&period=202402&period=202403&orgUnit={}",
            ous[0]
        ),
    )
    .await
    .json();
    assert_eq!(values(&q1).len(), values(&months).len());
    assert!(values(&q1)
        .iter()
        .all(|r| ["202401", "202402", "202403"].contains(&r["period"].as_str().unwrap())));
}

#[tokio::test]
async fn children_true_includes_the_whole_subtree() {
    let (_emu, base) = start("2.42.6").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let ou = get(
        &base,
        &format!("/api/organisationUnits/{}?fields=id,path,parent", ous[0]),
    )
    .await
    .json();
    let district = ou["parent"]["id"].as_str().unwrap().to_string();
    let root = ou["path"]
        .as_str()
        .unwrap()
        .split('/')
        .nth(1)
        .unwrap()
        .to_string();

    let direct = get(
        &base,
        &format!("/api/dataValueSets?dataSet={ds}&period=202401&orgUnit={district}"),
    )
    .await
    .json();
    assert_eq!(
        values(&direct).len(),
        0,
        "districts hold no values themselves"
    );
    let sub = get(
        &base,
        &format!("/api/dataValueSets?dataSet={ds}&period=202401&orgUnit={district}&children=true"),
    )
    .await
    .json();
    assert!(!values(&sub).is_empty());
    let all = get(
        &base,
        &format!("/api/dataValueSets?dataSet={ds}&period=202401&orgUnit={root}&children=true"),
    )
    .await
    .json();
    assert!(values(&all).len() > values(&sub).len());
    assert!(values(&all).len() > 3000, "{}", values(&all).len());
}

#[tokio::test]
async fn last_updated_selects_recent_changes() {
    let (_emu, base) = start("2.42.6").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    let all_des = data_elements(&base).await;
    let referred = de_named(&all_des, "Malaria cases referred");
    let body = serde_json::json!({"dataValues": [{"dataElement": referred, "period": "202401", "orgUnit": ous[0], "categoryOptionCombo": "HllvX50cXC0", "value": "1"}]});
    let r = post(&base, "/api/dataValueSets", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // Seed values were last updated in early 2025; the value just written is newer.
    let recent = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&lastUpdated=2025-06-01&orgUnit={}",
            ous[0]
        ),
    )
    .await
    .json();
    assert_eq!(values(&recent).len(), 1);
    assert_eq!(values(&recent)[0]["dataElement"], referred.as_str());
    let old = get(
        &base,
        &format!(
            "/api/dataValueSets?dataSet={ds}&lastUpdated=2000-01-01&orgUnit={}",
            ous[0]
        ),
    )
    .await
    .json();
    assert!(values(&old).len() > 100);
}

#[tokio::test]
async fn missing_parameters_get_illegal_query_answers() {
    let (_emu, base) = start("2.42.6").await;
    let (ds, _, ous) = monthly_data_set(&base).await;
    for (q, code) in [
        (format!("period=202401&orgUnit={}", ous[0]), "E2001"),
        (format!("dataSet={ds}&orgUnit={}", ous[0]), "E2002"),
        (format!("dataSet={ds}&period=202401"), "E2006"),
        (
            format!(
                "dataSet={ds}&period=202401&startDate=2024-01-01&endDate=2024-02-01&orgUnit={}",
                ous[0]
            ),
            "E2003",
        ),
        (
            format!(
                "dataSet={ds}&startDate=2024-03-01&endDate=2024-02-01&orgUnit={}",
                ous[0]
            ),
            "E2004",
        ),
    ] {
        let r = get(&base, &format!("/api/dataValueSets?{q}")).await;
        assert_eq!(r.status, 409, "{q}");
        assert_eq!(r.json()["errorCode"], code, "{q}");
        assert_eq!(r.json()["status"], "ERROR");
    }
}

#[tokio::test]
async fn synthetic_export_streams_the_requested_rows() {
    // About 10 MB: 34,000 rows of ~281 bytes (the size the synthetic module documents).
    let n = 34_000u64;
    let emu = dhis2_emulator::Emulator::builder()
        .version("2.42.6")
        .seed(dhis2_emulator::Seed::Empty)
        .synthetic_data_values(n)
        .start()
        .await
        .expect("emulator starts");
    let base = base(emu.url());
    let r = get(
        &base,
        "/api/dataValueSets?dataSet=anything&period=202401&orgUnit=anything",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("transfer-encoding"),
        Some("chunked"),
        "a streamed body has no Content-Length"
    );
    let per_row = r.body.len() as u64 / n;
    assert!((271..=291).contains(&per_row), "{per_row} bytes per row");
    assert!(r.body.starts_with(b"{\"dataValues\":[{\"dataElement\":\""));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let rows = values(&v);
    assert_eq!(rows.len() as u64, n);
    assert_ne!(rows[0], rows[1]);
    assert!(rows
        .iter()
        .all(|r| r["value"].is_string() && r["period"].as_str().unwrap().len() == 6));
}
