//! The client against the embedded DHIS2 emulator, across versions.

use dhis2::{BasicAuth, Dhis2Client, Error, VersionKey};
use dhis2_emulator::Emulator;

#[tokio::test]
async fn connects_to_each_supported_version() {
    for (version, key) in [
        ("2.40.5", VersionKey::V40),
        ("2.41.10", VersionKey::V41),
        ("2.42.6", VersionKey::V42),
        ("2.43.2", VersionKey::V43),
    ] {
        let emu = Emulator::builder().version(version).start().await.unwrap();
        let c = Dhis2Client::builder(emu.url())
            .auth(BasicAuth::new("admin", "district"))
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(c.version_key().unwrap(), key, "{version}");
        assert_eq!(c.raw_version().unwrap(), version);
        assert_eq!(c.system().me().await.unwrap().username, "admin");
        c.close().await;
    }
}

#[tokio::test]
async fn raw_typed_and_errors_against_the_emulator() {
    let emu = Emulator::builder().version("2.42.6").start().await.unwrap();
    let c = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .unwrap();
    let page = c
        .get_raw(
            "api/organisationUnits",
            &[
                ("fields", "id,name,level"),
                ("filter", "level:eq:1"),
                ("pageSize", "5"),
            ],
        )
        .await
        .unwrap();
    let units = page["organisationUnits"].as_array().unwrap();
    assert!(!units.is_empty());
    assert!(units.iter().all(|u| u["level"] == 1));

    #[derive(serde::Deserialize)]
    struct List {
        pager: dhis2::models::Pager,
    }
    let list: List = c
        .get("api/dataElements", &[("pageSize", "2")])
        .await
        .unwrap();
    assert_eq!(list.pager.page_size.value(), Some(&2));

    // A missing object: 404 with a WebMessage.
    let err = c
        .get_raw("api/dataElements/abcdefghijk", &[])
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            status,
            web_message,
            ..
        } => {
            assert_eq!(status.as_u16(), 404);
            assert!(web_message.is_some());
        }
        other => panic!("{other:?}"),
    }

    // Wrong password: 401.
    let bad = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "wrong"))
        .build()
        .unwrap();
    let err = bad.connect().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}
