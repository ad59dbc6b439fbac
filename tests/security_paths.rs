//! No caller or server value changes the endpoint: every accessor family sends a value as exactly one
//! percent-encoded segment under its own endpoint (checked on the request target the server read), refuses empty,
//! `.` and `..` (also as `%2e%2e`) and malformed ids with `Error::Config` before sending, and a proptest does the
//! same for arbitrary settings keys, datastore namespaces and keys, and upload file names.

mod support;

use dhis2::accessors::data_values::ImportOptions;
use dhis2::accessors::files::Upload;
use dhis2::accessors::progress::Progress;
use dhis2::accessors::tasks::JobRef;
use dhis2::models::{DataElement, Event, JsonPatch, TrackedEntity};
use dhis2::{BasicAuth, Dhis2Client, Error, MetadataImportOptions};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use support::{dhis2_like, Req, Resp, Server};

/// A job id no server should send: it would climb to `/api/users` if pasted into a path.
const BAD_JOB_ID: &str = "../../users/xE7jOejl9FI";
const UID: &str = "aBcDeFgHiJk";

/// Values that would change the endpoint if pasted into a path as they are.
const HOSTILE: &[&str] = &[
    "../users/xE7jOejl9FI",
    "../../api/users",
    "a/b",
    "a?b=c",
    "a#frag",
    "x/../../y",
    "..%2Fusers",
    "%2e%2e%2fusers",
    "a\\..\\b",
    "...",
    "my app",
    "100%",
    "é/ü",
];

/// Values no accessor may send: they name the endpoint itself or its parent.
const REFUSED: &[&str] = &["", ".", "..", "%2e", "%2E%2e", ".%2e", "%2e."];

async fn server() -> Server {
    dhis2_like("2.42.6", |r: Req| async move {
        let job = |job_type: &str| {
            Resp::json(
                200,
                json!({"httpStatus": "OK", "httpStatusCode": 200, "status": "OK",
                       "response": {"responseType": "JobConfiguration", "id": BAD_JOB_ID,
                                    "jobType": job_type}}),
            )
        };
        match (r.method.as_str(), r.path()) {
            ("POST", "/api/fileResources") => Resp::json(
                202,
                json!({"response": {"fileResource": {"id": UID, "storageStatus": "PENDING"}}}),
            ),
            ("POST", "/api/tracker") => Resp::json(
                200,
                json!({"status": "OK", "response": {"id": BAD_JOB_ID, "location": "x"}}),
            ),
            ("POST", "/api/metadata") => job("METADATA_IMPORT"),
            ("POST", "/api/dataValueSets") => job("DATAVALUE_IMPORT"),
            (_, p) if p.ends_with("/data") => Resp::bytes(200, "text/plain", "file bytes"),
            _ => Resp::json(200, json!({})),
        }
    })
    .await
}

async fn client(srv: &Server) -> Dhis2Client {
    Dhis2Client::builder(&srv.url)
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .unwrap()
}

/// The requests the server read after the first `seen` ones.
fn since(srv: &Server, seen: usize) -> Vec<Req> {
    srv.requests().into_iter().skip(seen).collect()
}

/// The decoded segments of `req`'s path after `endpoint`, asserting that the path lies under `endpoint` (whole
/// segments), carries no query, and has no raw `.` or `..` segment a server would resolve.
fn segments_under(req: &Req, endpoint: &str) -> Vec<String> {
    assert!(
        !req.target.contains('?') && !req.target.contains('#'),
        "{} {}: a value reached the query",
        req.method,
        req.target
    );
    let rest = req
        .target
        .strip_prefix(endpoint)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{} {} is not under {endpoint}", req.method, req.target));
    rest.split('/')
        .map(|raw| {
            assert!(
                raw != "." && raw != "..",
                "{} {}: dot segment",
                req.method,
                req.target
            );
            percent_decode_str(raw).decode_utf8_lossy().into_owned()
        })
        .collect()
}

/// `true` when the accessors must refuse `value` (empty, or `.`/`..` once percent-decoded).
fn must_refuse(value: &str) -> bool {
    let decoded = percent_decode_str(value).decode_utf8_lossy();
    value.is_empty() || decoded == "." || decoded == ".."
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) {
    match result {
        Err(Error::Config(message)) => {
            assert!(!message.contains("district"), "{message}");
        }
        other => panic!("{what}: expected Error::Config, got {other:?}"),
    }
}

#[tokio::test]
async fn settings_keys_stay_one_segment_under_system_settings() {
    let srv = server().await;
    let c = client(&srv).await;
    for key in HOSTILE {
        let seen = srv.requests().len();
        c.settings().get(key).await.unwrap();
        c.settings().set(key, "v").await.unwrap();
        c.settings().delete(key).await.unwrap();
        c.system().setting(key).await.unwrap();
        let reqs = since(&srv, seen);
        assert_eq!(reqs.len(), 4, "{key:?}");
        for req in &reqs {
            assert_eq!(segments_under(req, "/api/systemSettings"), [*key]);
        }
    }
    let seen = srv.requests().len();
    for key in REFUSED {
        assert_refused(c.settings().get(key).await, key);
        assert_refused(c.settings().set(key, "v").await, key);
        assert_refused(c.settings().delete(key).await, key);
        assert_refused(c.system().setting(key).await, key);
    }
    assert_eq!(since(&srv, seen).len(), 0, "a refused key was sent");
}

#[tokio::test]
async fn datastore_namespaces_and_keys_stay_one_segment_each() {
    let srv = server().await;
    let c = client(&srv).await;
    let ds = c.datastore();
    for value in HOSTILE {
        let seen = srv.requests().len();
        ds.keys(value).await.unwrap_or_default();
        ds.get_json(value, value).await.unwrap();
        ds.create(value, value, &json!(1)).await.unwrap();
        ds.update("ns", value, &json!(1)).await.unwrap();
        ds.delete(value, "key").await.unwrap();
        ds.delete_namespace(value).await.unwrap();
        let reqs = since(&srv, seen);
        assert_eq!(reqs.len(), 6, "{value:?}");
        assert_eq!(segments_under(&reqs[0], "/api/dataStore"), [*value, "keys"]);
        assert_eq!(segments_under(&reqs[1], "/api/dataStore"), [*value, value]);
        assert_eq!(segments_under(&reqs[2], "/api/dataStore"), [*value, value]);
        assert_eq!(segments_under(&reqs[3], "/api/dataStore"), ["ns", value]);
        assert_eq!(segments_under(&reqs[4], "/api/dataStore"), [*value, "key"]);
        assert_eq!(segments_under(&reqs[5], "/api/dataStore"), [*value]);
    }
    let seen = srv.requests().len();
    for bad in REFUSED {
        assert_refused(ds.keys(bad).await, bad);
        assert_refused(ds.get_json(bad, "key").await, bad);
        assert_refused(ds.get_json("ns", bad).await, bad);
        assert_refused(ds.create("ns", bad, &json!(1)).await, bad);
        assert_refused(ds.put("ns", bad, &json!(1)).await, bad);
        assert_refused(ds.delete(bad, "key").await, bad);
        assert_refused(ds.delete_namespace(bad).await, bad);
    }
    assert_eq!(since(&srv, seen).len(), 0, "a refused value was sent");
}

#[tokio::test]
async fn routes_stay_under_their_run_endpoint() {
    let srv = server().await;
    let c = client(&srv).await;
    for route in HOSTILE {
        let seen = srv.requests().len();
        c.routes().run(route, None, &[]).await.unwrap();
        c.routes()
            .run(route, Some("/a b/c?d/"), &[("q", "1")])
            .await
            .unwrap();
        let reqs = since(&srv, seen);
        assert_eq!(segments_under(&reqs[0], "/api/routes"), [*route, "run"]);
        // The sub-path keeps its own `/` (a wildcard route's path); parameters go in the query.
        assert_eq!(reqs[1].query(), "q=1");
        let decoded: Vec<String> = reqs[1]
            .path()
            .split('/')
            .skip(1)
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        assert_eq!(decoded, ["api", "routes", route, "run", "a b", "c?d", ""]);
    }
    let seen = srv.requests().len();
    for bad in REFUSED {
        assert_refused(c.routes().run(bad, None, &[]).await, bad);
    }
    for sub in ["..", "a/../../users", "a//b", "./x", "%2e%2e/x"] {
        assert_refused(c.routes().run("r", Some(sub), &[]).await, sub);
    }
    assert_eq!(since(&srv, seen).len(), 0, "a refused route was sent");
}

#[tokio::test]
async fn file_resource_ids_must_be_uids() {
    let srv = server().await;
    let c = client(&srv).await;
    let seen = srv.requests().len();
    c.files().get(UID).await.unwrap();
    let mut sink = Vec::new();
    c.files()
        .download_to(UID, &mut sink, Progress::none())
        .await
        .unwrap();
    let reqs = since(&srv, seen);
    assert_eq!(segments_under(&reqs[0], "/api/fileResources"), [UID]);
    assert_eq!(
        segments_under(&reqs[1], "/api/fileResources"),
        [UID, "data"]
    );
    let seen = srv.requests().len();
    for bad in HOSTILE
        .iter()
        .chain(REFUSED)
        .chain(&["aBcDeFgHiJ", "aBcDeFgHiJ."])
    {
        assert_refused(c.files().get(bad).await, bad);
        assert_refused(
            c.files()
                .download_to(bad, &mut Vec::new(), Progress::none())
                .await,
            bad,
        );
    }
    assert_eq!(since(&srv, seen).len(), 0, "a bad file id was sent");
}

#[tokio::test]
async fn tracker_and_metadata_object_ids_must_be_uids() {
    let srv = server().await;
    let c = client(&srv).await;
    let seen = srv.requests().len();
    let _ = c.tracker().get::<Event>(UID, None).await;
    let _ = c.tracker().get::<TrackedEntity>(UID, Some("*")).await;
    let elements = c.resources().unwrap().of::<DataElement>();
    let _ = elements.get(UID).await;
    let _ = elements.delete(UID).await;
    let reqs = since(&srv, seen);
    assert_eq!(segments_under(&reqs[0], "/api/tracker/events"), [UID]);
    assert_eq!(
        reqs[1].path(),
        format!("/api/tracker/trackedEntities/{UID}")
    );
    assert_eq!(segments_under(&reqs[2], "/api/dataElements"), [UID]);
    assert_eq!(segments_under(&reqs[3], "/api/dataElements"), [UID]);
    let seen = srv.requests().len();
    for bad in HOSTILE.iter().chain(REFUSED) {
        assert_refused(c.tracker().get::<Event>(bad, None).await, bad);
        assert_refused(elements.get(bad).await, bad);
        assert_refused(
            elements.update_by_id(bad, &DataElement::default()).await,
            bad,
        );
        assert_refused(elements.patch(bad, &JsonPatch::new()).await, bad);
        assert_refused(elements.delete(bad).await, bad);
    }
    assert_eq!(since(&srv, seen).len(), 0, "a bad object id was sent");
}

#[tokio::test]
async fn job_references_name_exactly_one_job() {
    let srv = server().await;
    let c = client(&srv).await;
    let job = JobRef::new("DATAVALUE IMPORT/x", UID).unwrap();
    let seen = srv.requests().len();
    let _ = c.tasks().notifications(&job).await;
    let _ = c.tasks().summary::<serde_json::Value>(&job).await;
    c.tasks().cancel(&job).await.unwrap();
    let tracker = JobRef::tracker(UID).unwrap();
    let _ = c.tasks().notifications(&tracker).await;
    let reqs = since(&srv, seen);
    assert_eq!(
        segments_under(&reqs[0], "/api/system/tasks"),
        ["DATAVALUE IMPORT/x", UID]
    );
    assert_eq!(
        segments_under(&reqs[1], "/api/system/taskSummaries"),
        ["DATAVALUE IMPORT/x", UID]
    );
    assert_eq!(reqs[2].method, "DELETE");
    assert_eq!(
        segments_under(&reqs[2], "/api/system/tasks"),
        ["DATAVALUE IMPORT/x", UID]
    );
    assert_eq!(segments_under(&reqs[3], "/api/tracker/jobs"), [UID]);
    for bad in HOSTILE.iter().chain(REFUSED) {
        assert_refused(JobRef::new("DATAVALUE_IMPORT", *bad), bad);
        assert_refused(JobRef::tracker(*bad), bad);
    }
    for bad in REFUSED {
        assert_refused(JobRef::new(*bad, UID), bad);
    }
}

#[tokio::test]
async fn a_job_id_from_the_server_cannot_steer_polling() {
    let srv = server().await;
    let c = client(&srv).await;
    let seen = srv.requests().len();
    let payload = json!({"trackedEntities": []});
    assert_refused(
        c.tracker().import(&payload).unwrap().start().await,
        "tracker",
    );
    assert_refused(
        c.tracker()
            .import(&payload)
            .unwrap()
            .wait_options(support::emulator::fast_wait())
            .send()
            .await,
        "tracker send",
    );
    assert_refused(
        c.data_values()
            .import_async(&json!({"dataValues": []}), &ImportOptions::new())
            .await,
        "data values",
    );
    let metadata = c
        .metadata()
        .import_async(&json!({}), &MetadataImportOptions::new())
        .await;
    assert!(
        matches!(&metadata, Err(Error::Decode { .. })),
        "{metadata:?}"
    );
    // Only the four POSTs that started the jobs: no poll, summary or cancel went anywhere.
    let reqs = since(&srv, seen);
    assert_eq!(reqs.len(), 4, "{reqs:?}");
    assert!(reqs.iter().all(|r| r.method == "POST"), "{reqs:?}");
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Arbitrary strings, biased towards the characters that change a path.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[./%?#\\\\a2eE ]{0,8}",
        proptest::sample::select(HOSTILE.iter().chain(REFUSED).copied().collect::<Vec<_>>())
            .prop_map(str::to_owned),
    ]
}

#[test]
fn proptest_any_key_or_file_name_stays_under_its_endpoint() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let srv = rt.block_on(server());
    let c = rt.block_on(client(&srv));
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&(any_value(), any_value()), |(a, b)| {
            rt.block_on(async {
                // Settings key.
                let seen = srv.requests().len();
                let result = c.settings().delete(&a).await;
                let reqs = since(&srv, seen);
                if must_refuse(&a) {
                    prop_assert!(matches!(result, Err(Error::Config(_))), "{a:?}: {result:?}");
                    prop_assert!(reqs.is_empty());
                } else {
                    prop_assert!(result.is_ok(), "{a:?}: {result:?}");
                    prop_assert_eq!(reqs.len(), 1);
                    prop_assert_eq!(segments_under(&reqs[0], "/api/systemSettings"), [a.clone()]);
                }
                // Datastore namespace and key.
                let seen = srv.requests().len();
                let result = c.datastore().delete(&a, &b).await;
                let reqs = since(&srv, seen);
                if must_refuse(&a) || must_refuse(&b) {
                    prop_assert!(
                        matches!(result, Err(Error::Config(_))),
                        "{a:?} {b:?}: {result:?}"
                    );
                    prop_assert!(reqs.is_empty());
                } else {
                    prop_assert!(result.is_ok(), "{a:?} {b:?}: {result:?}");
                    prop_assert_eq!(reqs.len(), 1);
                    prop_assert_eq!(
                        segments_under(&reqs[0], "/api/dataStore"),
                        [a.clone(), b.clone()]
                    );
                }
                // Upload file name: one part, its headers intact, or refused before sending.
                let seen = srv.requests().len();
                let result = c
                    .files()
                    .upload(&Upload::new(a.as_str(), "text/plain", &b"x"[..]))
                    .await;
                let reqs = since(&srv, seen);
                if a.chars().any(|ch| ch.is_control() && ch != '\t') {
                    prop_assert!(matches!(result, Err(Error::Config(_))), "{a:?}: {result:?}");
                    prop_assert!(reqs.is_empty());
                } else {
                    prop_assert!(result.is_ok(), "{a:?}: {result:?}");
                    prop_assert_eq!(reqs.len(), 1);
                    prop_assert_eq!(
                        reqs[0].target.as_str(),
                        "/api/fileResources?domain=DATA_VALUE"
                    );
                    let body = String::from_utf8_lossy(&reqs[0].body).into_owned();
                    let lines: Vec<&str> = body.split("\r\n").collect();
                    prop_assert_eq!(lines.len(), 7, "{:?}", lines);
                    let disposition = format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{}\"",
                        a.replace('"', "%22")
                    );
                    prop_assert_eq!(lines[1], disposition.as_str());
                    prop_assert_eq!(lines[2], "Content-Type: text/plain");
                    prop_assert_eq!(lines[3], "");
                    prop_assert_eq!(lines[4], "x");
                }
                Ok(())
            })
        })
        .unwrap();
}
