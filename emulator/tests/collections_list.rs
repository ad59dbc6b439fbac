//! `GET /api/{plural}`: pager, links, paging=false, order, query, defaults, unknown types.

mod common;

use common::*;

#[tokio::test]
async fn default_list_has_pager_and_id_display_name() {
    let emu = start_with_fixture("2.42.6").await;
    let r = get(&emu, "/api/dataElements").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-cache, private"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let v = r.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["pager", "dataElements"]);
    assert_eq!(v["pager"]["page"], 1);
    assert_eq!(v["pager"]["total"], 25);
    assert_eq!(v["pager"]["pageSize"], 50);
    assert_eq!(v["pager"]["pageCount"], 1);
    assert!(v["pager"].get("nextPage").is_none());
    assert!(v["pager"].get("prevPage").is_none());
    let first = &v["dataElements"][0];
    assert_eq!(first.as_object().unwrap().len(), 2);
    assert_eq!(first["displayName"], "Element 00");
    assert_eq!(first["id"], "DeElem00000");
}

#[tokio::test]
async fn pager_clamps_and_links_are_absolute_with_params() {
    let emu = start_with_fixture("2.42.6").await;
    let base = format!("{}/api/dataElements", emu.url());
    let v = get_json(
        &emu,
        "/api/dataElements?pageSize=10&page=2&fields=id,name&filter=name:like:Element",
    )
    .await;
    assert_eq!(v["pager"]["page"], 2);
    assert_eq!(v["pager"]["pageCount"], 3);
    assert_eq!(v["dataElements"].as_array().unwrap().len(), 10);
    assert_eq!(v["dataElements"][0]["name"], "Element 10");
    assert_eq!(
        v["pager"]["nextPage"],
        format!("{base}?page=3&pageSize=10&fields=id%2Cname&filter=name%3Alike%3AElement")
    );
    // The link to page 1 carries no `page` at all.
    assert_eq!(
        v["pager"]["prevPage"],
        format!("{base}?pageSize=10&fields=id%2Cname&filter=name%3Alike%3AElement")
    );
    // Past the end: page clamped to the last page, list empty.
    let v = get_json(&emu, "/api/dataElements?pageSize=10&page=99").await;
    assert_eq!(v["pager"]["page"], 3);
    assert_eq!(v["dataElements"].as_array().unwrap().len(), 0);
    assert_eq!(v["pager"]["prevPage"], format!("{base}?page=2&pageSize=10"));
    // Below 1 acts as 1, pageSize at least 1.
    let v = get_json(&emu, "/api/dataElements?page=-4&pageSize=0").await;
    assert_eq!(v["pager"]["page"], 1);
    assert_eq!(v["pager"]["pageSize"], 1);
    assert_eq!(v["pager"]["pageCount"], 25);
    assert_eq!(v["pager"]["nextPage"], format!("{base}?page=2&pageSize=1"));
    // Extreme values neither overflow nor fail.
    let v = get_json(
        &emu,
        "/api/dataElements?fields=id&page=9223372036854775807&pageSize=9223372036854775807",
    )
    .await;
    assert_eq!(v["pager"]["pageCount"], 1);
    assert_eq!(v["pager"]["page"], 1);
    assert_eq!(v["dataElements"].as_array().unwrap().len(), 0);
    // Default page size 50 is not repeated in links.
    let v = get_json(&emu, "/api/dataElements.json?page=1&pageSize=50&fields=id").await;
    assert!(v["pager"].get("nextPage").is_none());
}

#[tokio::test]
async fn links_keep_json_suffix_and_versioned_prefix() {
    let emu = start_with_fixture("2.42.6").await;
    let v = get_json(&emu, "/api/dataElements.json?pageSize=5").await;
    assert_eq!(
        v["pager"]["nextPage"],
        format!("{}/api/dataElements.json?page=2&pageSize=5", emu.url())
    );
    let v = get_json(&emu, "/api/40/dataElements?pageSize=5").await;
    assert_eq!(
        v["pager"]["nextPage"],
        format!("{}/api/40/dataElements?page=2&pageSize=5", emu.url())
    );
    let emu43 = start_with_fixture("2.43.2").await;
    let v = get_json(&emu43, "/api/41/dataElements?pageSize=5").await;
    assert_eq!(
        v["pager"]["nextPage"],
        format!("{}/api/dataElements?page=2&pageSize=5", emu43.url())
    );
}

#[tokio::test]
async fn paging_false_has_no_pager() {
    let emu = start_with_fixture("2.42.6").await;
    let v = get_json(&emu, "/api/dataElements?paging=false").await;
    assert!(v.get("pager").is_none());
    assert_eq!(v["dataElements"].as_array().unwrap().len(), 25);
}

#[tokio::test]
async fn order_query_and_unknown_type() {
    let emu = start_with_fixture("2.42.6").await;
    let v = get_json(
        &emu,
        "/api/dataElements?order=code:desc&fields=code&pageSize=2",
    )
    .await;
    assert_eq!(v["dataElements"][0]["code"], "DE_24");
    assert_eq!(v["dataElements"][1]["code"], "DE_23");
    let v = get_json(
        &emu,
        "/api/dataElements?order=zeroIsSignificant:desc,name:desc&fields=name&pageSize=2",
    )
    .await;
    assert_eq!(v["dataElements"][0]["name"], "Element 20");
    let v = get_json(&emu, "/api/dataElements?query=DE_07&fields=id").await;
    assert_eq!(v["pager"]["total"], 1);
    let v = get_json(&emu, "/api/dataElements?query=Element%201&fields=id").await;
    assert_eq!(v["pager"]["total"], 10);
    let v = get_json(&emu, "/api/organisationUnits?fields=name&order=name:idesc").await;
    assert_eq!(v["organisationUnits"][0]["name"], "Root");
    let r = get(&emu, "/api/notAType").await;
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let v = get_json(&emu, "/api/indicators").await;
    assert_eq!(v["pager"]["total"], 0);
    assert_eq!(v["pager"]["page"], 1);
}

#[tokio::test]
async fn bad_page_is_a_bind_error() {
    let emu = start_with_fixture("2.42.6").await;
    let r = get(&emu, "/api/dataElements?page=abc").await;
    assert_eq!(r.status, 400);
    let v = r.json();
    assert!(v.get("errorCode").is_none());
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("Value 'abc' is not valid for parameter page"));
}

#[tokio::test]
async fn demo_seed_lists_serve() {
    let emu = dhis2_emulator::Emulator::builder()
        .version("2.42.6")
        .start()
        .await
        .unwrap();
    let v = get_json(
        &emu,
        "/api/organisationUnits?fields=id,name,level&pageSize=5",
    )
    .await;
    assert!(
        v["pager"]["total"].as_u64().unwrap() >= 1000,
        "{}",
        v["pager"]
    );
    assert_eq!(v["organisationUnits"].as_array().unwrap().len(), 5);
}
