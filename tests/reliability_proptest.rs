//! Bad input never panics: property tests feed arbitrary bytes, arbitrary JSON and arbitrary statuses through
//! the client's whole response path (a local server answers with them), arbitrary JSON to every hand-written
//! envelope and a few generated models, arbitrary strings to the version parser, and arbitrary `fields`,
//! `filter` and `order` parameters to the emulator (its parsers are private to `dhis2-emulator`, so they are
//! driven over HTTP: a panic there would drop the connection, a 5xx would mean a parser bug).

mod support;

use std::sync::{Arc, Mutex};

use dhis2::models::{
    AnalyticsResponse, DataElement, DataValueSet, ImportReport, ImportSummary, JobConfiguration,
    Me, Notification, ObjectReport, OrganisationUnit, Pager, SystemInfo, WebMessage,
};
use dhis2::{BasicAuth, Dhis2Client, Dhis2Version, Error};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::de::DeserializeOwned;
use serde_json::Value;
use support::{Action, Resp};

const KEYS: &[&str] = &[
    "version",
    "revision",
    "httpStatus",
    "httpStatusCode",
    "status",
    "message",
    "response",
    "responseType",
    "uid",
    "errorReports",
    "pager",
    "page",
    "pageCount",
    "total",
    "dataElements",
    "id",
    "name",
    "username",
    "displayName",
    "importCount",
    "imported",
    "typeReports",
    "stats",
    "conflicts",
    "dataValues",
    "value",
    "period",
    "created",
    "lastUpdated",
    "level",
    "completed",
    "time",
    "jobType",
    "headers",
    "rows",
    "parent",
    "children",
    "code",
];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("2012-09-20T08:46:05.594")),
        Just(Value::from("2.42.1")),
    ];
    let key = prop_oneof![
        proptest::sample::select(KEYS).prop_map(str::to_string),
        "[a-zA-Z]{0,8}"
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Decodes into `T` and, when that works, encodes back: neither may panic.
fn decode_all(bytes: &[u8]) {
    fn one<T: DeserializeOwned + serde::Serialize>(bytes: &[u8]) {
        if let Ok(v) = serde_json::from_slice::<T>(bytes) {
            let _ = serde_json::to_vec(&v);
        }
    }
    one::<Me>(bytes);
    one::<SystemInfo>(bytes);
    one::<WebMessage>(bytes);
    one::<Pager>(bytes);
    one::<ObjectReport>(bytes);
    one::<ImportReport>(bytes);
    one::<ImportSummary>(bytes);
    one::<JobConfiguration>(bytes);
    one::<Vec<Notification>>(bytes);
    one::<DataValueSet>(bytes);
    one::<AnalyticsResponse>(bytes);
    one::<DataElement>(bytes);
    one::<OrganisationUnit>(bytes);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn proptest_models_and_envelopes_never_panic_on_arbitrary_json_or_bytes() {
    let mut runner = TestRunner::new(config(400));
    runner
        .run(&any_json(), |v| {
            decode_all(v.to_string().as_bytes());
            Ok(())
        })
        .unwrap();
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..128), |bytes| {
            decode_all(&bytes);
            Ok(())
        })
        .unwrap();
}

#[test]
fn proptest_version_parser_never_panics() {
    let strategy = prop_oneof![
        any::<String>(),
        "[0-9]{1,3}(\\.[0-9]{1,5}){0,4}(-(SNAPSHOT|RC[0-9]{0,3}|EMBARGOED|[A-Z]{0,5}))?",
        "2\\.[0-9]{1,40}\\.[0-9]{1,40}",
    ];
    let mut runner = TestRunner::new(config(2000));
    runner
        .run(&strategy, |s| {
            if let Ok(v) = s.parse::<Dhis2Version>() {
                // What parses displays and parses back to the same version.
                let again: Dhis2Version = v.to_string().parse().unwrap();
                prop_assert_eq!(&again, &v);
                let _ = dhis2::VersionKey::select(&v, true);
                let _ = dhis2::VersionKey::select(&v, false);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn proptest_client_response_path_never_panics() {
    let rt = runtime();
    let current = Arc::new(Mutex::new(Resp::empty(200)));
    let shared = current.clone();
    let srv = rt.block_on(support::start(move |_req| {
        let resp = shared.lock().unwrap().clone();
        async move { Action::Reply(resp) }
    }));
    let c = rt
        .block_on(
            Dhis2Client::builder(&srv.url)
                .skip_version_probe(true)
                .connect(),
        )
        .unwrap();
    let content_types = vec![
        "application/json",
        "application/json;charset=UTF-8",
        "text/html",
        "text/plain",
        "application/octet-stream",
        "",
    ];
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        any_json().prop_map(|v| v.to_string().into_bytes()),
    ];
    let strategy = (200u16..600, proptest::sample::select(content_types), body);
    let mut runner = TestRunner::new(config(150));
    runner
        .run(&strategy, |(status, content_type, body)| {
            let mut resp = Resp::bytes(status, content_type, body.clone());
            if content_type.is_empty() {
                resp.headers.clear();
            }
            if (300..400).contains(&status) {
                resp = resp.header("location", "/dhis-web-login/");
            }
            *current.lock().unwrap() = resp;
            rt.block_on(async {
                let raw = c.get_raw("api/x", &[]).await;
                let me = c.get::<Me>("api/me", &[]).await;
                let wm = c.get::<WebMessage>("api/y", &[]).await;
                let posted = c.post_raw("api/z", &serde_json::json!({}), &[]).await;
                for r in [raw.err(), me.err(), wm.err(), posted.err()]
                    .into_iter()
                    .flatten()
                {
                    // Every error names the request and renders without panicking.
                    let text = r.to_string();
                    assert!(text.contains("/api/"), "{text}");
                    let _ = format!("{r:?}");
                    if let Error::Api { web_message, .. } = &r {
                        let _ = web_message.as_ref().map(|w| w.error_reports());
                    }
                    assert!(
                        !matches!(r, Error::Transport { .. }),
                        "the server answered; no transport error: {r:?}"
                    );
                }
            });
            Ok(())
        })
        .unwrap();
    assert!(srv.stats.requests() >= 600);
}

#[test]
fn proptest_emulator_fields_filter_order_parsers_never_fail() {
    let rt = runtime();
    let emu = rt
        .block_on(dhis2_emulator::Emulator::builder().start())
        .unwrap();
    let c = rt
        .block_on(
            Dhis2Client::builder(emu.url())
                .auth(BasicAuth::new("admin", "district"))
                .connect(),
        )
        .unwrap();
    let fields = prop_oneof![
        any::<String>(),
        "[a-zA-Z:,\\[\\]!*~()|$ ]{0,30}",
        "(id|name|displayName|\\*|:all|:owner|:identifiable|!name|dataSetElements\\[dataSet\\[id\\]\\]|categoryCombo\\[id,name\\]|[a-z]{1,6}~rename\\([a-z]{0,5}\\)),{0,1}(id|name|\\[|\\]|,){0,6}",
    ];
    let filter = prop_oneof![
        any::<String>(),
        "(id|name|code|level|parent.id|categoryCombo.name|[a-z.]{0,10}):(eq|!eq|ne|like|!like|ilike|\\$like|like\\$|in|!in|gt|ge|lt|le|null|!null|empty|token|!token|[a-z!$]{0,5}):([a-zA-Z0-9\\[\\],:]{0,12})",
    ];
    let order = prop_oneof![
        any::<String>(),
        "(name|id|created|[a-z]{0,6})(:(asc|desc|iasc|idesc|[a-z]{0,4}))?(,name)?"
    ];
    let junction = prop_oneof![
        Just("AND".to_string()),
        Just("OR".to_string()),
        "[A-Za-z]{0,4}"
    ];
    let strategy = (fields, filter, order, junction, any::<bool>());
    let mut runner = TestRunner::new(config(200));
    runner
        .run(&strategy, |(fields, filter, order, junction, paging)| {
            let paging = if paging { "true" } else { "false" };
            let resp = rt.block_on(c.get_response(
                "api/dataElements",
                &[
                    ("fields", fields.as_str()),
                    ("filter", filter.as_str()),
                    ("order", order.as_str()),
                    ("rootJunction", junction.as_str()),
                    ("paging", paging),
                    ("pageSize", "5"),
                ],
                &[],
            ));
            let resp = resp.map_err(|e| {
                TestCaseError::fail(format!("the emulator dropped the connection: {e}"))
            })?;
            prop_assert!(
                resp.status().as_u16() < 500,
                "fields={:?} filter={:?} order={:?}: HTTP {}",
                fields,
                filter,
                order,
                resp.status()
            );
            Ok(())
        })
        .unwrap();
    assert!(
        emu.counters().requests("/api/dataElements") >= 200,
        "every case reached the emulator"
    );
}
