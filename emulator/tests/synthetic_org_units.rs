//! `synthetic_org_units(n)`: a large generated org-unit set that pages like any DHIS2 list, and the cache of
//! large rendered lists (same bytes again, fresh bytes after a write).

mod common;

use common::*;
use dhis2_emulator::{Emulator, Seed};
use serde_json::Value;

const N: usize = 2500;

async fn start_synthetic() -> Emulator {
    Emulator::builder()
        .seed(Seed::Empty)
        .synthetic_org_units(N)
        .start()
        .await
        .expect("emulator starts")
}

fn ids(list: &Value) -> Vec<String> {
    list["organisationUnits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn synthetic_units_page_at_1000_exactly_like_the_unpaged_list() {
    let emu = start_synthetic().await;
    let fields = "fields=id,name,code,level,path,created,lastUpdated,parent%5Bid%5D";
    let all = get_json(
        &emu,
        &format!("/api/organisationUnits?paging=false&{fields}"),
    )
    .await;
    assert!(all.get("pager").is_none());
    let all_ids = ids(&all);
    assert_eq!(all_ids.len(), N);
    let unique: std::collections::HashSet<&String> = all_ids.iter().collect();
    assert_eq!(unique.len(), N);
    let first = &all["organisationUnits"][0];
    for key in [
        "id",
        "name",
        "code",
        "level",
        "path",
        "created",
        "lastUpdated",
    ] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }

    let mut paged = Vec::new();
    let mut path = format!("/api/organisationUnits?pageSize=1000&{fields}");
    let mut pages = 0;
    loop {
        let page = get_json(&emu, &path).await;
        pages += 1;
        assert_eq!(page["pager"]["total"], N);
        assert_eq!(page["pager"]["pageCount"], 3);
        assert_eq!(page["pager"]["page"], pages);
        paged.extend(ids(&page));
        match page["pager"]["nextPage"].as_str() {
            Some(next) => {
                assert!(next.starts_with(emu.url()), "{next}");
                path = next[emu.url().len()..].to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, all_ids);
}

#[tokio::test]
async fn large_lists_are_served_again_unchanged_and_refreshed_after_a_write() {
    let emu = start_synthetic().await;
    let path = "/api/organisationUnits?paging=false&fields=*";
    let a = get(&emu, path).await;
    let b = get(&emu, path).await;
    assert_eq!(a.status, 200);
    assert!(a.body.len() > 512 * 1024, "{} bytes", a.body.len());
    assert_eq!(a.body, b.body);
    assert_eq!(a.header("cache-control"), b.header("cache-control"));
    let victim = ids(&a.json())[7].clone();
    let deleted = call(
        &emu,
        "DELETE",
        &format!("/api/organisationUnits/{victim}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    let c = get(&emu, path).await.json();
    let after = ids(&c);
    assert_eq!(after.len(), N - 1);
    assert!(!after.contains(&victim));
}
