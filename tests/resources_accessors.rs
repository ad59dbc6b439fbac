//! `client.resources()` against the emulator: paging across hundreds of pages, every filter operator with
//! `rootJunction`, order and fields, create-read-update-patch-delete, validation errors carrying their error
//! reports, and version binding. A small hand-written server covers the stream's stop rules and prefetch.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use dhis2::models::{
    AggregationType, CategoryCombo, DataElement, DataElementDomain, JsonPatch, OrganisationUnit,
    PushAnalysis, Ref, ValueType,
};
use dhis2::query::{Fields, Filter, Operator, Order, Preset, Query};
use dhis2::{BasicAuth, Dhis2Client, Error};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;
use support::emulator::start;
use support::{Req, Resp};

fn element(name: &str, short: &str, code: &str, value_type: ValueType) -> DataElement {
    let mut de = DataElement::default();
    de.name.set(name.to_owned());
    de.short_name.set(short.to_owned());
    de.code.set(code.to_owned());
    de.value_type.set(value_type);
    de.aggregation_type.set(AggregationType::Sum);
    de.domain_type.set(DataElementDomain::Aggregate);
    de
}

fn names(items: &[DataElement]) -> Vec<String> {
    let mut v: Vec<String> = items
        .iter()
        .map(|d| d.code.as_str().unwrap_or("?").to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn stream_walks_hundreds_of_pages_and_sees_every_uid_once() {
    let (emu, client) = start("2.42.6").await;
    let units = client.resources().unwrap().of::<OrganisationUnit>();
    let first = units
        .list(&Query::new().fields("id").page_size(5))
        .await
        .unwrap();
    let total = first.total().expect("a pager with a total");
    let page_count = first.pager.as_ref().unwrap().page_count.get().unwrap();
    assert!(
        page_count >= 200,
        "the seed should give hundreds of pages, got {page_count}"
    );
    assert_eq!(first.items.len(), 5);
    assert_eq!(units.count(&Query::new()).await.unwrap(), total);

    emu.counters().reset();
    let all: Vec<OrganisationUnit> = units
        .stream(&Query::new().fields("id").page_size(5))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len() as u64, total);
    let ids: HashSet<&str> = all.iter().map(|u| u.id.as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "a uid was yielded twice");
    // One request per page: the walk stops at the last page without asking past it.
    assert_eq!(
        emu.counters().requests("/api/organisationUnits"),
        page_count
    );

    // Starting past the end: DHIS2 clamps the page and answers an empty list; nothing is yielded.
    let past: Vec<OrganisationUnit> = units
        .stream(&Query::new().fields("id").page_size(5).page(page_count + 10))
        .try_collect()
        .await
        .unwrap();
    assert!(past.is_empty());

    // Without paging: one request, everything.
    let unpaged: Vec<OrganisationUnit> = units
        .stream(&Query::new().fields("id").paging(false))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(unpaged.len() as u64, total);
    let page = units
        .list(&Query::new().fields("id").paging(false))
        .await
        .unwrap();
    assert!(page.pager.is_none());
    assert_eq!(page.items.len() as u64, total);
}

/// The uid of the `default` category combo.
async fn default_combo(client: &Dhis2Client) -> String {
    let page = client
        .resources()
        .unwrap()
        .of::<CategoryCombo>()
        .list(&Query::new().filter(Filter::on("name").eq("default")))
        .await
        .unwrap();
    page.items[0].id.as_str().unwrap().to_owned()
}

/// Creates three data elements with known properties; returns their uids in code order.
async fn fixtures(client: &Dhis2Client) -> Vec<String> {
    let des = client.resources().unwrap().of::<DataElement>();
    let mut a = element("Zq Alpha Malaria", "ZqA", "ZQ_A", ValueType::Number);
    // The emulator's POST does not fill in the default category combo (its metadata import does): set it.
    a.category_combo.set(Ref::new(default_combo(client).await));
    a.description.set("first one".to_owned());
    a.aggregation_levels.set(vec![1, 2]);
    let mut b = element("Zq Beta malaria cases", "ZqB", "ZQ_B", ValueType::Integer);
    b.aggregation_levels.set(vec![]);
    let mut c = element("Zq Gamma Measles", "ZqC", "ZQ_C", ValueType::Text);
    c.description.set("third one".to_owned());
    let mut uids = Vec::new();
    for de in [a, b, c] {
        uids.push(des.create(&de).await.unwrap().to_string());
    }
    uids
}

#[tokio::test]
async fn every_filter_operator_with_root_junction_order_and_fields() {
    let (_emu, client) = start("2.42.6").await;
    fixtures(&client).await;
    let des = client.resources().unwrap().of::<DataElement>();
    let scoped = |f: Filter| {
        Query::new()
            .fields("id,code")
            .filter(Filter::on("code").starts_like("ZQ_"))
            .filter(f)
            .paging(false)
    };
    let cases: Vec<(Filter, &[&str])> = vec![
        (Filter::on("code").eq("ZQ_A"), &["ZQ_A"]),
        (Filter::on("code").ieq("zq_b"), &["ZQ_B"]),
        (Filter::on("code").not_eq("ZQ_A"), &["ZQ_B", "ZQ_C"]),
        (Filter::on("valueType").ne("TEXT"), &["ZQ_A", "ZQ_B"]),
        (
            Filter::on("valueType").op(Operator::Neq, "NUMBER"),
            &["ZQ_B", "ZQ_C"],
        ),
        (Filter::on("name").gt("Zq Beta"), &["ZQ_B", "ZQ_C"]),
        (Filter::on("name").ge("Zq Gamma Measles"), &["ZQ_C"]),
        (
            Filter::on("name").op(Operator::Gte, "Zq Gamma Measles"),
            &["ZQ_C"],
        ),
        (Filter::on("name").lt("Zq Beta"), &["ZQ_A"]),
        (Filter::on("name").le("Zq Alpha Malaria"), &["ZQ_A"]),
        (
            Filter::on("name").op(Operator::Lte, "Zq Alpha Malaria"),
            &["ZQ_A"],
        ),
        (Filter::on("name").like("malaria"), &["ZQ_B"]),
        (Filter::on("name").not_like("malaria"), &["ZQ_A", "ZQ_C"]),
        (Filter::on("name").starts_like("Zq G"), &["ZQ_C"]),
        (
            Filter::on("name").not_starts_like("Zq G"),
            &["ZQ_A", "ZQ_B"],
        ),
        (Filter::on("name").ends_like("Malaria"), &["ZQ_A"]),
        (
            Filter::on("name").not_ends_like("Malaria"),
            &["ZQ_B", "ZQ_C"],
        ),
        (Filter::on("name").ilike("MALARIA"), &["ZQ_A", "ZQ_B"]),
        (Filter::on("name").not_ilike("malaria"), &["ZQ_C"]),
        (Filter::on("name").starts_ilike("zq a"), &["ZQ_A"]),
        (
            Filter::on("name").op(Operator::StartsWith, "zq b"),
            &["ZQ_B"],
        ),
        (
            Filter::on("name").not_starts_ilike("zq a"),
            &["ZQ_B", "ZQ_C"],
        ),
        (Filter::on("name").ends_ilike("MEASLES"), &["ZQ_C"]),
        (
            Filter::on("name").op(Operator::EndsWith, "CASES"),
            &["ZQ_B"],
        ),
        (
            Filter::on("name").not_ends_ilike("measles"),
            &["ZQ_A", "ZQ_B"],
        ),
        (Filter::on("name").token("mal"), &["ZQ_A", "ZQ_B"]),
        (Filter::on("name").not_token("mal"), &["ZQ_C"]),
        (Filter::on("code").in_(["ZQ_A", "ZQ_C"]), &["ZQ_A", "ZQ_C"]),
        (Filter::on("code").not_in(["ZQ_A", "ZQ_C"]), &["ZQ_B"]),
        (Filter::on("description").null(), &["ZQ_B"]),
        (Filter::on("description").not_null(), &["ZQ_A", "ZQ_C"]),
        (Filter::on("aggregationLevels").empty(), &["ZQ_B", "ZQ_C"]),
        (Filter::on("aggregationLevels").not_empty(), &["ZQ_A"]),
    ];
    let mut seen_ops = HashSet::new();
    for (filter, expected) in cases {
        seen_ops.insert(filter.operator());
        let rendered = filter.to_string();
        let page = des
            .list(&scoped(filter))
            .await
            .unwrap_or_else(|e| panic!("{rendered}: {e}"));
        assert_eq!(names(&page.items), expected, "filter {rendered}");
    }
    assert_eq!(
        seen_ops.len(),
        Operator::ALL.len(),
        "every operator is exercised"
    );

    // rootJunction: the same two filters match nothing with AND and two objects with OR.
    let two = Query::new()
        .fields("id,code")
        .filter(Filter::on("code").eq("ZQ_A"))
        .filter(Filter::on("code").eq("ZQ_C"));
    assert!(des.list(&two).await.unwrap().items.is_empty());
    let either = des.list(&two.clone().or()).await.unwrap();
    assert_eq!(names(&either.items), ["ZQ_A", "ZQ_C"]);

    // Order.
    let ordered = des
        .list(
            &Query::new()
                .fields("code")
                .filter(Filter::on("code").starts_like("ZQ_"))
                .order(Order::desc("name")),
        )
        .await
        .unwrap();
    let codes: Vec<&str> = ordered
        .items
        .iter()
        .map(|d| d.code.as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ZQ_C", "ZQ_B", "ZQ_A"]);

    // Fields: nesting, presets, exclusions.
    let a = Query::new().filter(Filter::on("code").eq("ZQ_A"));
    let nested = des
        .list(
            &a.clone().fields(
                Fields::new()
                    .field("id")
                    .nested("categoryCombo", ["id", "name"]),
            ),
        )
        .await
        .unwrap();
    let combo = nested.items[0]
        .category_combo
        .value()
        .expect("categoryCombo");
    assert!(combo.id().is_some());
    assert_eq!(combo.extra_str("name"), Some("default"));
    assert!(nested.items[0].name.is_absent());
    let ident = des
        .list(&a.clone().fields(Preset::Identifiable))
        .await
        .unwrap();
    assert_eq!(ident.items[0].code.as_str(), Some("ZQ_A"));
    assert!(ident.items[0].value_type.is_absent());
    let excluded = des
        .list(&a.fields(Fields::all().exclude("valueType")))
        .await
        .unwrap();
    assert!(excluded.items[0].value_type.is_absent());
    assert_eq!(excluded.items[0].description.as_str(), Some("first one"));
}

#[tokio::test]
async fn create_read_update_patch_delete() {
    let (_emu, client) = start("2.42.6").await;
    let resources = client.resources().unwrap();
    let combo_id = default_combo(&client).await;

    let des = resources.of::<DataElement>();
    let mut de = element("Crud element", "Crud el", "CRUD_1", ValueType::Number);
    de.category_combo.set(Ref::new(combo_id.clone()));
    let uid = des.create(&de).await.unwrap();
    assert!(dhis2::models::Uid::is_valid(uid.as_str()));

    let mut read = des.get(uid.as_str()).await.unwrap();
    assert_eq!(read.name.as_str(), Some("Crud element"));
    assert_eq!(
        read.category_combo.value().and_then(|r| r.id()),
        Some(combo_id.as_str())
    );
    let only_name = des
        .get_with(uid.as_str(), Fields::from(["id", "name"]))
        .await
        .unwrap();
    assert!(only_name.value_type.is_absent());

    read.description.set("updated by PUT".to_owned());
    let report = des.update(&read).await.unwrap();
    assert_eq!(report.uid.as_str(), Some(uid.as_str()));
    assert!(!report.has_errors());
    assert_eq!(
        des.get(uid.as_str()).await.unwrap().description.as_str(),
        Some("updated by PUT")
    );

    let patch = JsonPatch::new().replace("name", json!("Crud element patched"));
    des.patch(uid.as_str(), &patch).await.unwrap();
    let patched = des.get(uid.as_str()).await.unwrap();
    assert_eq!(patched.name.as_str(), Some("Crud element patched"));
    assert_eq!(patched.description.as_str(), Some("updated by PUT"));

    let deleted = des.delete(uid.as_str()).await.unwrap();
    assert_eq!(deleted.uid.as_str(), Some(uid.as_str()));
    let gone = des.get(uid.as_str()).await.unwrap_err();
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(404), "{gone}");
    assert_eq!(
        gone.web_message().and_then(|w| w.error_code.as_str()),
        Some("E1005")
    );

    // Ids that cannot be routed are refused before sending.
    let bad = des.get("../me").await.unwrap_err();
    assert!(matches!(bad, Error::Config(_)), "{bad}");
    let mut no_id = DataElement::default();
    no_id.name.set("x".into());
    assert!(matches!(
        des.update(&no_id).await.unwrap_err(),
        Error::Config(_)
    ));
}

/// The error codes of a rejected create, with the offending property of each.
fn reports(err: &Error) -> Vec<(String, String)> {
    err.error_reports()
        .iter()
        .map(|r| {
            (
                r.error_code.as_str().unwrap_or("").to_owned(),
                r.error_property.as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn validation_errors_carry_their_error_reports() {
    let (_emu, client) = start("2.42.6").await;
    let des = client.resources().unwrap().of::<DataElement>();
    des.create(&element("Unique one", "Uniq1", "UNIQ_1", ValueType::Number))
        .await
        .unwrap();

    let mut missing = element("No type", "No type", "NO_TYPE", ValueType::Number);
    missing.value_type = dhis2::models::Field::Absent;
    let err = des.create(&missing).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    assert!(matches!(err, Error::Api { .. }));
    assert_eq!(
        reports(&err),
        [("E4000".to_owned(), "valueType".to_owned())]
    );
    let report = err.web_message().and_then(|w| w.object_report()).unwrap();
    assert_eq!(
        report.klass.as_str(),
        Some("org.hisp.dhis.dataelement.DataElement")
    );

    let dup = des
        .create(&element("Other name", "Other", "UNIQ_1", ValueType::Number))
        .await
        .unwrap_err();
    assert_eq!(reports(&dup), [("E5003".to_owned(), "code".to_owned())]);
    assert!(dup.error_reports()[0]
        .message
        .as_str()
        .unwrap()
        .contains("UNIQ_1"));

    let mut dangling = element("Dangling", "Dangling", "DANGLING", ValueType::Number);
    dangling.category_combo.set(Ref::new("abcdefghijk"));
    let err = des.create(&dangling).await.unwrap_err();
    assert_eq!(
        reports(&err),
        [("E5002".to_owned(), "categoryCombo".to_owned())]
    );
    assert_eq!(
        err.error_reports()[0].value.value(),
        Some(&json!("abcdefghijk"))
    );
    // Nothing was stored by the failed creates.
    let stored = des
        .count(&Query::new().filter(Filter::on("code").in_(["NO_TYPE", "DANGLING"])))
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn resources_are_bound_to_the_server_version() {
    let (emu, client) = start("2.41.10").await;
    let des = client.resources().unwrap().of::<DataElement>();
    // `!empty` is 2.42+: refused before sending, with the reason.
    let err = des
        .list(&Query::new().filter(Filter::on("aggregationLevels").not_empty()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedVersion { reason, .. } if reason.contains("!empty")),
        "{err}"
    );
    let mut stream = des.stream(&Query::new().filter(Filter::on("a").not_empty()));
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::UnsupportedVersion { .. }))
    ));
    assert!(stream.next().await.is_none());
    // A filter DHIS2 would split at its comma is refused too.
    let err = des
        .list(&Query::new().filter(Filter::on("name").eq("a,b")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    drop(emu);

    // A type the version's schema set lacks.
    let (_emu, client) = start("2.43.2").await;
    let err = client
        .resources()
        .unwrap()
        .of::<PushAnalysis>()
        .list(&Query::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedVersion { reason, .. } if reason.contains("pushAnalysis")),
        "{err}"
    );
    assert!(!client.capabilities().unwrap().has_external_sharing());

    // Without the version probe there is no version to bind to.
    let unprobed = Dhis2Client::builder(_emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    assert!(matches!(
        unprobed.resources().unwrap_err(),
        Error::VersionUnknown
    ));
}

/// The `page` parameter of a recorded list request.
fn page_of(r: &Req) -> u64 {
    r.query()
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn units(page: u64, n: usize) -> serde_json::Value {
    let items: Vec<_> = (0..n)
        .map(|i| json!({"id": format!("p{page:03}u{i:06}"), "name": format!("unit {page}-{i}")}))
        .collect();
    json!(items)
}

#[tokio::test]
async fn stream_stops_at_a_clamped_or_empty_page_without_page_count() {
    // No pageCount and no total (like a server that skips counting): the walk must rely on the answers.
    // Pages past 3 are clamped to 3 and repeat its objects, which must not be yielded again.
    let server = support::dhis2_like("2.42.6", |r: Req| async move {
        let asked = page_of(&r);
        let got = asked.min(3);
        Resp::json(
            200,
            json!({"pager": {"page": got, "pageSize": 2}, "organisationUnits": units(got, 2)}),
        )
    })
    .await;
    let client = Dhis2Client::builder(&server.url).connect().await.unwrap();
    let units_api = client.resources().unwrap().of::<OrganisationUnit>();
    let all: Vec<OrganisationUnit> = units_api
        .stream(&Query::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|u| u.id.as_str().unwrap()).collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 6);
    assert_eq!(server.count("/api/organisationUnits"), 4);

    // An empty page ends the walk too.
    let server = support::dhis2_like("2.42.6", |r: Req| async move {
        let asked = page_of(&r);
        let n = if asked <= 2 { 2 } else { 0 };
        Resp::json(
            200,
            json!({"pager": {"page": asked, "pageSize": 2}, "organisationUnits": units(asked, n)}),
        )
    })
    .await;
    let client = Dhis2Client::builder(&server.url).connect().await.unwrap();
    let n = client
        .resources()
        .unwrap()
        .of::<OrganisationUnit>()
        .stream(&Query::new().page_size(2))
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(server.count("/api/organisationUnits"), 3);

    // A server that ignores `page` (and says neither page nor pageCount) repeats page 1: seen once, then stop.
    let server = support::dhis2_like("2.42.6", |_r: Req| async move {
        Resp::json(
            200,
            json!({"pager": {"pageSize": 2}, "organisationUnits": units(1, 2)}),
        )
    })
    .await;
    let client = Dhis2Client::builder(&server.url).connect().await.unwrap();
    let all: Vec<OrganisationUnit> = client
        .resources()
        .unwrap()
        .of::<OrganisationUnit>()
        .stream(&Query::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(server.count("/api/organisationUnits"), 2);

    // A failing page ends the stream with the error after the earlier objects.
    let server = support::dhis2_like("2.42.6", |r: Req| async move {
        let asked = page_of(&r);
        if asked == 2 {
            return Resp::json(
                500,
                json!({"httpStatus": "Internal Server Error", "httpStatusCode": 500, "status": "ERROR", "message": "boom"}),
            );
        }
        Resp::json(
            200,
            json!({"pager": {"page": asked, "pageSize": 2, "pageCount": 3, "total": 6}, "organisationUnits": units(asked, 2)}),
        )
    })
    .await;
    let client = Dhis2Client::builder(&server.url).connect().await.unwrap();
    let results: Vec<Result<OrganisationUnit, Error>> = client
        .resources()
        .unwrap()
        .of::<OrganisationUnit>()
        .stream(&Query::new().page_size(2))
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[..2].iter().all(Result::is_ok));
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "{err}");
}

#[tokio::test]
async fn stream_prefetches_the_next_page_while_the_current_one_is_consumed() {
    let server = support::dhis2_like("2.42.6", |r: Req| async move {
        let asked = page_of(&r);
        Resp::json(
            200,
            json!({"pager": {"page": asked, "pageSize": 3, "pageCount": 3, "total": 9}, "organisationUnits": units(asked, 3)}),
        )
    })
    .await;
    let client = Dhis2Client::builder(&server.url).connect().await.unwrap();
    let mut stream = Box::pin(
        client
            .resources()
            .unwrap()
            .of::<OrganisationUnit>()
            .stream(&Query::new().page_size(3)),
    );
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.id.as_str(), Some("p001u000000"));
    // Without polling the stream again, page 2 is requested in the background.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let pages: Vec<u64> = server
            .requests()
            .iter()
            .filter(|r| r.path() == "/api/organisationUnits")
            .map(page_of)
            .collect();
        if pages.contains(&2) {
            assert!(!pages.contains(&3), "only one page ahead: {pages:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "page 2 was not prefetched: {pages:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rest: Vec<OrganisationUnit> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 8);
    assert_eq!(server.count("/api/organisationUnits"), 3);
}

#[tokio::test]
async fn crud_works_on_every_version_including_suffixed_response_types() {
    // 2.42.4 and 2.43.0 send `ObjectReportWebMessageResponse`; the others `ObjectReport`.
    for version in ["2.41.10", "2.42.4", "2.43.0", "2.44-SNAPSHOT"] {
        let (_emu, client) = start(version).await;
        let des = client.resources().unwrap().of::<DataElement>();
        let mut de = element("Versioned", "Versioned", "VERSIONED", ValueType::Text);
        de.category_combo
            .set(Ref::new(default_combo(&client).await));
        let uid = des
            .create(&de)
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        let patched = des
            .patch(
                uid.as_str(),
                &JsonPatch::new().replace("name", json!("Versioned 2")),
            )
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(patched.uid.as_str(), Some(uid.as_str()), "{version}");
        assert_eq!(
            des.get(uid.as_str()).await.unwrap().name.as_str(),
            Some("Versioned 2"),
            "{version}"
        );
        let page = des
            .list(&Query::new().filter(Filter::on("code").eq("VERSIONED")))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "{version}");
        des.delete(uid.as_str()).await.unwrap();
        assert_eq!(
            des.get(uid.as_str())
                .await
                .unwrap_err()
                .status()
                .map(|s| s.as_u16()),
            Some(404),
            "{version}"
        );
    }
}

/// Lists a page of `T` through the typed accessor and through `get_raw`; the typed page must encode back to the
/// same JSON. Returns the number of objects, or `None` when the emulator does not start the type.
async fn typed_page_is_lossless<T: dhis2::models::Resource>(client: &Dhis2Client) -> Option<usize> {
    let query = Query::new().fields("*").page_size(3);
    let page = match client.resources().unwrap().of::<T>().list(&query).await {
        Ok(page) => page,
        Err(Error::Decode { .. }) | Err(Error::Config(_)) => {
            panic!("{}: typed list failed", T::PLURAL)
        }
        Err(_) => return None,
    };
    let raw = client
        .get_raw(T::ENDPOINT, &[("fields", "*"), ("pageSize", "3")])
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&page).unwrap(),
        serde_json::Value::Object(raw),
        "{}: the typed page did not encode back to the same JSON",
        T::PLURAL
    );
    Some(page.items.len())
}

#[tokio::test]
async fn typed_pages_of_every_served_type_round_trip() {
    let (_emu, client) = start("2.42.6").await;
    let mut served = Vec::new();
    macro_rules! check {
        ($name:ident, $path:path) => {
            if let Some(n) = typed_page_is_lossless::<$path>(&client).await {
                served.push((<$path as dhis2::models::Resource>::PLURAL, n));
            }
        };
    }
    dhis2::for_each_resource!(check);
    assert!(
        served.len() >= 20,
        "only {} types served: {served:?}",
        served.len()
    );
    assert!(served.iter().any(|(p, n)| *p == "dataElements" && *n == 3));
}

#[tokio::test]
async fn capabilities_match_what_the_server_sends() {
    for version in ["2.41.8", "2.41.10", "2.42.5", "2.42.6", "2.43.2"] {
        let (_emu, client) = start(version).await;
        let caps = client.capabilities().unwrap();
        let des = client.resources().unwrap().of::<DataElement>();
        let page = des
            .list(&Query::new().fields("id,access").page_size(1))
            .await
            .unwrap();
        let access = page.items[0].access.value().expect("access");
        assert_eq!(
            access.externalize.is_value(),
            caps.has_external_sharing(),
            "{version}: access.externalize"
        );
        // The emulator's seed objects carry no `sharing.external` on any version; objects created through the
        // API do where the version has external sharing.
        let mut de = element("Caps", "Caps", "CAPS", ValueType::Text);
        de.category_combo
            .set(Ref::new(default_combo(&client).await));
        let uid = des.create(&de).await.unwrap();
        let created = des.get_with(uid.as_str(), "id,sharing").await.unwrap();
        assert_eq!(
            created
                .sharing
                .value()
                .expect("sharing")
                .external
                .is_value(),
            caps.has_external_sharing(),
            "{version}: sharing.external"
        );
        let me = client.system().me().await.unwrap();
        assert_eq!(
            me.user_credentials.is_value(),
            caps.me_has_user_credentials(),
            "{version}: me.userCredentials"
        );
    }
}
