//! Analytics queries against the emulator: the grid's shape, values that agree with the raw data, filters,
//! streaming, and DHIS2's 409 for an incomplete query.

mod support;

use dhis2::accessors::data_values::ExportQuery;
use dhis2::accessors::progress::Progress;
use http_body_util::BodyExt;

use support::emulator::root_org_unit as root;

#[tokio::test]
async fn values_agree_with_the_stored_data() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let t = support::emulator::target_with_data(&client).await;
    let root = root(&client).await;
    let grid = client
        .analytics()
        .query()
        .dx([t.data_element.clone()])
        .pe(["202401", "202402"])
        .ou([root.clone()])
        .get()
        .await
        .unwrap();
    let names: Vec<_> = grid
        .headers
        .iter()
        .map(|h| h.name.as_str().unwrap())
        .collect();
    assert_eq!(names, ["dx", "pe", "ou", "value"]);
    assert_eq!(grid.height.get(), Some(grid.rows.len() as u64));
    assert_eq!(grid.dimension_items("pe"), ["202401", "202402"]);
    assert_eq!(grid.item_name("202401"), Some("January 2024"));
    assert!(grid.item_name(&t.data_element).is_some());

    // The January cell is the sum of every January value of that element below the root.
    let export = client
        .data_values()
        .export(
            &ExportQuery::new()
                .data_set(&t.data_set)
                .period("202401")
                .org_unit(&root)
                .children(true),
        )
        .await
        .unwrap();
    let expected: f64 = export
        .data_values
        .iter()
        .filter(|v| v.data_element.as_str() == Some(t.data_element.as_str()))
        .filter_map(|v| v.value.as_str()?.parse::<f64>().ok())
        .sum();
    let january = grid
        .rows
        .iter()
        .find(|r| grid.cell(r, "pe") == Some("202401"))
        .expect("a January row");
    let got = grid.value_of(january).unwrap();
    assert!(
        (got - expected).abs() < 0.06,
        "analytics {got} vs data {expected}"
    );

    // A period filter aggregates both months into one row without a period column.
    let filtered = client
        .analytics()
        .query()
        .dx([t.data_element.clone()])
        .ou([root])
        .filter("pe", ["202401", "202402"])
        .get()
        .await
        .unwrap();
    assert_eq!(filtered.rows.len(), 1);
    assert!(filtered.column_index("pe").is_none());
    let total: f64 = grid.rows.iter().filter_map(|r| grid.value_of(r)).sum();
    assert!((filtered.value_of(&filtered.rows[0]).unwrap() - total).abs() < 0.2);
}

#[tokio::test]
async fn streamed_answer_matches_the_buffered_one() {
    let (_emu, client) = support::emulator::start("2.43.2").await;
    let t = support::emulator::target_with_data(&client).await;
    let query = client
        .analytics()
        .query()
        .dx([t.data_element.clone(), t.second_element.clone()])
        .pe(["2024"])
        .ou(["LEVEL-2"])
        .skip_meta(true);
    let mut streamed = Vec::new();
    let n = query
        .stream_to(&mut streamed, Progress::none())
        .await
        .unwrap();
    assert_eq!(n as usize, streamed.len());
    let params = query.params();
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let buffered = client
        .get_response("api/analytics", &params, &[])
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(streamed, buffered.to_vec());
    let grid: dhis2::models::AnalyticsResponse = serde_json::from_slice(&streamed).unwrap();
    assert!(grid.meta_data.is_absent(), "skipMeta leaves metaData out");
    assert!(!grid.rows.is_empty());
}

#[tokio::test]
async fn option_combos_split_the_values() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let t = support::emulator::target_with_data(&client).await;
    let root = root(&client).await;
    let q = client
        .analytics()
        .query()
        .dx([t.data_element.clone()])
        .ou([root.clone()])
        .filter("pe", ["202401"]);
    let total = q.clone().get().await.unwrap();
    let split = q.dimension("co", Vec::<String>::new()).get().await.unwrap();
    assert_eq!(split.column_index("co"), Some(2));
    let cocs = split.dimension_items("co");
    assert_eq!(
        cocs.len(),
        split.rows.len(),
        "one row per option combo with data"
    );
    assert!(cocs.iter().all(|c| split.item_name(c).is_some()));
    let sum: f64 = split.rows.iter().filter_map(|r| split.value_of(r)).sum();
    let whole = total.value_of(&total.rows[0]).unwrap();
    assert!(
        (sum - whole).abs() < 0.05 * split.rows.len() as f64 + 0.06,
        "{sum} vs {whole}"
    );
}

#[tokio::test]
async fn a_query_without_data_items_is_a_409() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let err = client
        .analytics()
        .query()
        .pe(["LAST_12_MONTHS"])
        .ou(["USER_ORGUNIT"])
        .get()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    assert_eq!(
        err.web_message().and_then(|m| m.error_code.as_str()),
        Some("E7102")
    );
}
