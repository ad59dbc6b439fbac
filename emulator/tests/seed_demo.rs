//! The demo and empty seeds, seen over HTTP: sizes, the org unit tree, default category objects, users, the
//! 50,000+ data values, and determinism across emulator instances.

mod data_support;

use data_support::*;
use serde_json::Value;

async fn total(base: &str, plural: &str) -> u64 {
    let r = get(base, &format!("/api/{plural}?pageSize=1")).await;
    assert_eq!(r.status, 200, "{plural}");
    r.json()["pager"]["total"].as_u64().unwrap()
}

#[tokio::test]
async fn demo_seed_has_the_promised_content() {
    let (_emu, base) = start("2.42.6").await;
    assert!(total(&base, "organisationUnits").await >= 1000);
    assert!(total(&base, "dataElements").await >= 200);
    for plural in [
        "categories",
        "categoryOptions",
        "categoryCombos",
        "categoryOptionCombos",
        "dataSets",
        "sections",
        "optionSets",
        "options",
        "indicators",
        "indicatorTypes",
        "organisationUnitGroups",
        "organisationUnitGroupSets",
        "users",
        "userRoles",
        "organisationUnitLevels",
    ] {
        assert!(total(&base, plural).await > 0, "{plural} is empty");
    }

    let ous = get(
        &base,
        "/api/organisationUnits?paging=false&fields=id,level,path,parent,geometry,openingDate,code",
    )
    .await
    .json();
    let ous = ous["organisationUnits"].as_array().unwrap();
    let max_level = ous
        .iter()
        .map(|o| o["level"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(max_level >= 4);
    let points = ous
        .iter()
        .filter(|o| o["geometry"]["type"] == "Point")
        .count();
    let polygons = ous
        .iter()
        .filter(|o| o["geometry"]["type"] == "Polygon")
        .count();
    assert!(
        points > 500 && polygons > 10,
        "{points} points, {polygons} polygons"
    );
    for o in ous {
        let id = o["id"].as_str().unwrap();
        let path = o["path"].as_str().unwrap();
        assert!(path.ends_with(id));
        assert_eq!(
            path.matches('/').count() as u64,
            o["level"].as_u64().unwrap()
        );
        assert!(o["openingDate"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00.000"));
    }

    // Well-known default category objects.
    for (plural, uid) in [
        ("categoryCombos", "bjDvmb4bfuf"),
        ("categoryOptionCombos", "HllvX50cXC0"),
        ("categories", "GLevLNI9wkl"),
        ("categoryOptions", "xYerKDKCefk"),
    ] {
        let r = get(&base, &format!("/api/{plural}/{uid}")).await;
        assert_eq!(r.status, 200, "{plural}/{uid}");
        assert_eq!(r.json()["name"], "default");
    }

    let des = get(
        &base,
        "/api/dataElements?paging=false&fields=valueType,domainType,aggregationType",
    )
    .await
    .json();
    let mut types: Vec<&str> = des["dataElements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["valueType"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    types.dedup();
    assert!(types.len() >= 6, "{types:?}");

    let admin = get(&base, "/api/users/M5zQapPyTZI").await.json();
    assert_eq!(admin["username"], "admin");
    assert!(!admin["userRoles"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn demo_seed_holds_fifty_thousand_data_values() {
    let (_emu, base) = start("2.42.6").await;
    let sets = get(&base, "/api/dataSets?paging=false&fields=id")
        .await
        .json();
    let root = get(&base, "/api/organisationUnits?paging=false&fields=id,level")
        .await
        .json();
    let root = root["organisationUnits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["level"] == 1)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ds: Vec<&str> = sets["dataSets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let q = format!("/api/dataValueSets?dataSet={}&startDate=2024-01-01&endDate=2024-12-31&orgUnit={root}&children=true", ds.join(","));
    let r = get(&base, &q).await;
    assert_eq!(r.status, 200);
    let v: Value = r.json();
    assert!(v["dataValues"].as_array().unwrap().len() >= 50_000);
}

#[tokio::test]
async fn seeds_are_identical_across_instances_and_empty_is_minimal() {
    let (_a, base_a) = start("2.42.6").await;
    let (_b, base_b) = start("2.41.3").await;
    for path in [
        "/api/organisationUnits?paging=false&fields=id,name,path",
        "/api/dataElements?paging=false&fields=id,name,code,valueType",
        "/api/dataSets?paging=false&fields=id,name,dataSetElements",
    ] {
        assert_eq!(
            get(&base_a, path).await.json(),
            get(&base_b, path).await.json(),
            "{path}"
        );
    }

    let emu = dhis2_emulator::Emulator::builder()
        .version("2.42.6")
        .seed(dhis2_emulator::Seed::Empty)
        .start()
        .await
        .expect("emulator starts");
    let base = base(emu.url());
    assert_eq!(total(&base, "organisationUnits").await, 0);
    assert_eq!(total(&base, "dataElements").await, 0);
    assert_eq!(total(&base, "categoryCombos").await, 1);
    assert_eq!(
        get(&base, "/api/users/M5zQapPyTZI").await.json()["username"],
        "admin"
    );
}
