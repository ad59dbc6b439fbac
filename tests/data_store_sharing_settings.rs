//! The datastore, sharing, system settings and route runs against the emulator.

mod support;

use dhis2::accessors::sharing::{AccessEntry, SharingObject};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Config {
    enabled: bool,
    threshold: u32,
}

#[tokio::test]
async fn datastore_keys_round_trip() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let ds = client.datastore();
    assert!(ds
        .get::<Config>("my app", "config")
        .await
        .unwrap()
        .is_none());
    let config = Config {
        enabled: true,
        threshold: 7,
    };
    ds.create("my app", "config", &config).await.unwrap();
    let err = ds.create("my app", "config", &config).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    assert_eq!(
        ds.get::<Config>("my app", "config").await.unwrap(),
        Some(config)
    );
    ds.put(
        "my app",
        "config",
        &Config {
            enabled: false,
            threshold: 9,
        },
    )
    .await
    .unwrap();
    ds.put("my app", "other/key", &json!([1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        ds.get_json("my app", "other/key").await.unwrap(),
        Some(json!([1, 2, 3]))
    );
    assert_eq!(ds.keys("my app").await.unwrap(), ["config", "other/key"]);
    assert_eq!(ds.namespaces().await.unwrap(), ["my app"]);
    assert!(ds.delete("my app", "config").await.unwrap());
    assert!(!ds.delete("my app", "config").await.unwrap());
    assert!(ds.delete_namespace("my app").await.unwrap());
    assert!(ds.namespaces().await.unwrap().is_empty());
    // A namespace that no longer exists is DHIS2's 404.
    let err = ds.keys("my app").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err:?}");
}

#[tokio::test]
async fn sharing_is_read_and_set() {
    for version in ["2.41.4", "2.43.2"] {
        let (_emu, client) = support::emulator::start(version).await;
        let list = client
            .get_raw("api/dataSets", &[("fields", "id"), ("pageSize", "1")])
            .await
            .unwrap();
        let id = list["dataSets"][0]["id"].as_str().unwrap().to_string();
        let groups = client
            .get_raw("api/userGroups", &[("fields", "id"), ("pageSize", "1")])
            .await
            .unwrap();
        let group = groups["userGroups"][0]["id"].as_str().map(str::to_string);

        let before = client.sharing().get("dataSet", &id).await.unwrap();
        assert_eq!(before.object.public_access.len(), 8, "{version}");
        // External sharing exists on 2.41.4 and is gone on 2.43 (WIRE 13).
        assert_eq!(
            before.object.external_access.is_value(),
            version == "2.41.4",
            "{version}"
        );

        let mut wanted = SharingObject {
            public_access: "r-r-----".into(),
            ..SharingObject::default()
        };
        if let Some(g) = &group {
            wanted
                .user_group_accesses
                .push(AccessEntry::new(g, "rwr-----"));
        }
        client.sharing().set("dataSet", &id, &wanted).await.unwrap();
        let after = client.sharing().get("dataSet", &id).await.unwrap();
        assert_eq!(after.object.public_access, "r-r-----");
        if let Some(g) = &group {
            assert_eq!(after.object.user_group_accesses.len(), 1);
            assert_eq!(&after.object.user_group_accesses[0].id, g);
            assert_eq!(after.object.user_group_accesses[0].access, "rwr-----");
        }
        let bad = SharingObject {
            public_access: "rwx".into(),
            ..SharingObject::default()
        };
        // An invalid access string is refused as DHIS2 does: 409 with a WebMessage naming it.
        let err = client
            .sharing()
            .set("dataSet", &id, &bad)
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err:?}");
        assert!(
            err.to_string().contains("Invalid public access string"),
            "{err}"
        );
        let missing = client
            .sharing()
            .get("dataSet", "Aaaaaaaaaaa")
            .await
            .unwrap_err();
        assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    }
}

#[tokio::test]
async fn settings_are_read_set_and_removed() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let settings = client.settings();
    assert_eq!(
        settings.get("keyCalendar").await.unwrap(),
        Some(json!("iso8601"))
    );
    settings.set("keyCalendar", "ethiopian").await.unwrap();
    assert_eq!(
        settings.get("keyCalendar").await.unwrap(),
        Some(json!("ethiopian"))
    );
    settings.set("keyMaxPasswordLength", &40).await.unwrap();
    assert_eq!(
        settings.all().await.unwrap()["keyMaxPasswordLength"],
        json!(40)
    );
    settings.delete("keyCalendar").await.unwrap();
    assert_eq!(settings.get("keyCalendar").await.unwrap(), None);
}

#[tokio::test]
async fn routes_run_through_get_response() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let created = client
        .post_raw(
            "api/routes",
            &json!({"name": "Echo", "code": "echo", "url": "https://upstream.example/api/**"}),
            &[],
        )
        .await
        .unwrap();
    assert!(created["response"]["uid"].is_string(), "{created:?}");
    let resp = client
        .routes()
        .run("echo", Some("/v1/items"), &[("q", "x")])
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["subPath"], "v1/items");
    assert_eq!(body["query"], "q=x");
    let missing = client.routes().run("nope", None, &[]).await.unwrap();
    assert_eq!(missing.status(), 404, "statuses are facts on this path");
}
