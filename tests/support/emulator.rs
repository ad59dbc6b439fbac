//! An emulator with a connected admin client, and seed objects (data sets, org units) to work against.

use std::time::Duration;

use dhis2::accessors::tasks::WaitOptions;
use dhis2::{BasicAuth, Dhis2Client};
use dhis2_emulator::Emulator;
use serde_json::Value;

/// A running emulator of `version` and a client connected to it as admin.
pub async fn start(version: &str) -> (Emulator, Dhis2Client) {
    let emu = Emulator::builder()
        .version(version)
        .start()
        .await
        .expect("emulator starts");
    let client = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .expect("client connects");
    (emu, client)
}

/// Polls an emulator job every 20 ms, for at most 10 s.
pub fn fast_wait() -> WaitOptions {
    WaitOptions::new()
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
}

/// The id of the root (level 1) org unit.
pub async fn root_org_unit(client: &Dhis2Client) -> String {
    let roots = client
        .get_raw(
            "api/organisationUnits",
            &[("filter", "level:eq:1"), ("fields", "id")],
        )
        .await
        .unwrap();
    roots["organisationUnits"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A monthly data set of the seed with a numeric data element and an org unit assigned to it.
#[derive(Debug, Clone)]
pub struct Target {
    pub data_set: String,
    pub data_element: String,
    pub second_element: String,
    pub org_unit: String,
}

/// Finds a monthly data set with two numeric data elements and an org unit.
pub async fn target(client: &Dhis2Client) -> Target {
    targets(client)
        .await
        .into_iter()
        .next()
        .expect("the seed has a monthly data set with two numeric elements")
}

/// Like [`target`], but a data set the seed stored 2024 values for.
pub async fn target_with_data(client: &Dhis2Client) -> Target {
    let root = root_org_unit(client).await;
    for t in targets(client).await {
        let params = [
            ("dataSet", t.data_set.as_str()),
            ("period", "202401"),
            ("orgUnit", root.as_str()),
            ("children", "true"),
            ("limit", "1"),
        ];
        if let Ok(found) = client.get_raw("api/dataValueSets", &params).await {
            if found
                .get("dataValues")
                .and_then(Value::as_array)
                .is_some_and(|v| !v.is_empty())
            {
                return t;
            }
        }
    }
    panic!("no monthly data set of the seed has values");
}

async fn targets(client: &Dhis2Client) -> Vec<Target> {
    let mut out = Vec::new();
    let sets = client
        .get_raw(
            "api/dataSets",
            &[
                ("fields", "id,periodType,dataSetElements[dataElement[id,valueType]],organisationUnits[id]"),
                ("paging", "false"),
            ],
        )
        .await
        .expect("data sets");
    for ds in sets["dataSets"].as_array().expect("list") {
        if ds["periodType"] != "Monthly" {
            continue;
        }
        let numeric: Vec<&str> = ds["dataSetElements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| {
                matches!(
                    e["dataElement"]["valueType"].as_str(),
                    Some("NUMBER" | "INTEGER" | "INTEGER_POSITIVE" | "INTEGER_ZERO_OR_POSITIVE")
                )
            })
            .filter_map(|e| e["dataElement"]["id"].as_str())
            .collect();
        let ou = ds["organisationUnits"]
            .as_array()
            .and_then(|o| o.first())
            .and_then(|o| o["id"].as_str());
        if let (2.., Some(ou)) = (numeric.len(), ou) {
            out.push(Target {
                data_set: ds["id"].as_str().unwrap().to_string(),
                data_element: numeric[0].to_string(),
                second_element: numeric[1].to_string(),
                org_unit: ou.to_string(),
            });
        }
    }
    out
}
