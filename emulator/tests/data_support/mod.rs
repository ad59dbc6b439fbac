//! Helpers for the data, jobs, metadata and seed tests: JSON requests as `admin` over the raw HTTP/1.1 client
//! of `common`, job polling, and seed look-ups.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

// The raw HTTP/1.1 client itself lives in `common` (shared with the other emulator tests).
#[path = "../common/mod.rs"]
mod common;

pub use common::Resp;

/// `admin:district` in Basic form.
pub const BASIC: &str = "Basic YWRtaW46ZGlzdHJpY3Q=";

/// Sends one request as `admin` (`Connection: close`) and reads the whole response.
pub async fn request(base: &str, method: &str, path_and_query: &str, body: Option<&str>) -> Resp {
    request_as(base, BASIC, method, path_and_query, body).await
}

/// Sends one request with the given `Authorization` value, as a JSON client (always with a body, maybe empty).
pub async fn request_as(
    base: &str,
    authorization: &str,
    method: &str,
    path_and_query: &str,
    body: Option<&str>,
) -> Resp {
    let headers = [
        ("Authorization", authorization),
        ("Accept", "application/json"),
        ("X-Requested-With", "XMLHttpRequest"),
        ("Content-Type", "application/json"),
    ];
    let body = body.unwrap_or("").as_bytes();
    tokio::time::timeout(
        Duration::from_secs(60),
        common::raw(base, method, path_and_query, &headers, Some(body)),
    )
    .await
    .unwrap()
    .unwrap()
}

pub async fn get(base: &str, path: &str) -> Resp {
    request(base, "GET", path, None).await
}

pub async fn post(base: &str, path: &str, body: &str) -> Resp {
    request(base, "POST", path, Some(body)).await
}

pub async fn delete(base: &str, path: &str) -> Resp {
    request(base, "DELETE", path, None).await
}

/// The base URL without a trailing slash.
pub fn base(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// Polls `/api/system/tasks/{type}/{id}` until the newest notification is completed (5 s at most).
pub async fn poll_until_completed(base: &str, job_type: &str, id: &str) -> Value {
    for _ in 0..250 {
        let r = get(base, &format!("/api/system/tasks/{job_type}/{id}")).await;
        assert_eq!(r.status, 200);
        let list = r.json();
        if list
            .as_array()
            .and_then(|a| a.first())
            .and_then(|n| n["completed"].as_bool())
            == Some(true)
        {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} did not complete");
}

/// Starts a demo-seeded emulator of `version`; returns it (keep it alive) and its base URL.
pub async fn start(version: &str) -> (dhis2_emulator::Emulator, String) {
    let emu = dhis2_emulator::Emulator::builder()
        .version(version)
        .seed(dhis2_emulator::Seed::Demo)
        .start()
        .await
        .expect("emulator starts");
    let url = base(emu.url());
    (emu, url)
}

/// A monthly seed data set: `(id, data element ids, org unit ids)`.
pub async fn monthly_data_set(base: &str) -> (String, Vec<String>, Vec<String>) {
    let r = get(
        base,
        "/api/dataSets?paging=false&fields=id,name,periodType,dataSetElements,organisationUnits",
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let ds = v["dataSets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"].as_str().unwrap().starts_with("Malaria and HIV"))
        .expect("Malaria and HIV data set")
        .clone();
    assert_eq!(ds["periodType"], "Monthly");
    let des = ds["dataSetElements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["dataElement"]["id"].as_str().unwrap().to_string())
        .collect();
    let ous = ds["organisationUnits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    (ds["id"].as_str().unwrap().to_string(), des, ous)
}

/// `(id, name, valueType, categoryCombo id)` of every data element.
pub async fn data_elements(base: &str) -> Vec<(String, String, String, String)> {
    let r = get(
        base,
        "/api/dataElements?paging=false&fields=id,name,valueType,categoryCombo",
    )
    .await;
    assert_eq!(r.status, 200);
    r.json()["dataElements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["name"].as_str().unwrap().to_string(),
                d["valueType"].as_str().unwrap().to_string(),
                d["categoryCombo"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The id of the data element with this name.
pub fn de_named(all: &[(String, String, String, String)], name: &str) -> String {
    all.iter()
        .find(|d| d.1 == name)
        .unwrap_or_else(|| panic!("no data element {name}"))
        .0
        .clone()
}
