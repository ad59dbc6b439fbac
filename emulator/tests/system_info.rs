//! `/api/system/info`, `/api/me` and `/api/ping` per version.

mod common;

use common::*;

const VERSIONS: &[&str] = &[
    "2.39.1",
    "2.40.2.1",
    "2.41.10",
    "2.42.6",
    "2.43.2",
    "2.44-SNAPSHOT",
];

#[tokio::test]
async fn system_info_fields_per_version() {
    for v in VERSIONS {
        let emu = start(v).await;
        let r = get(&emu, "/api/system/info").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let info = r.json();
        let obj = info.as_object().unwrap();
        assert_eq!(info["version"], *v);
        assert_eq!(info["contextPath"], emu.url());
        assert_eq!(info["revision"].as_str().unwrap().len(), 7);
        let major: u32 = v
            .split('.')
            .nth(1)
            .unwrap()
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let expected = if major >= 43 { 48 } else { 46 };
        assert_eq!(
            obj.len(),
            expected,
            "{v}: {:?}",
            obj.keys().collect::<Vec<_>>()
        );
        assert_eq!(obj.contains_key("capability"), major >= 43, "{v}");
        assert_eq!(obj.contains_key("sessionTimeout"), major >= 43, "{v}");
        assert!(
            info["serverDate"].as_str().unwrap().len() == 23,
            "{}",
            info["serverDate"]
        );
    }
}

#[tokio::test]
async fn system_info_fields_param_and_json_suffix() {
    let emu = start("2.42.6").await;
    let info = get_json(&emu, "/api/system/info.json?fields=version,revision").await;
    assert_eq!(info.as_object().unwrap().len(), 2);
    assert_eq!(info["version"], "2.42.6");
}

#[tokio::test]
async fn non_superuser_gets_reduced_system_info() {
    let emu = start("2.42.6").await;
    emu.auth().add_user("plain", "Secret123");
    let auth = basic("plain", "Secret123");
    let r = raw(
        emu.url(),
        "GET",
        "/api/system/info",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .unwrap();
    let info = r.json();
    assert!(info.get("javaVersion").is_none());
    assert!(info["databaseInfo"].get("url").is_none());
    assert_eq!(info["databaseInfo"]["spatialSupport"], true);
    assert_eq!(info["encryption"], false);
}

#[tokio::test]
async fn me_keys_per_version() {
    for (v, present_extra, absent) in [
        (
            "2.39.1",
            vec!["userCredentials", "externalAccess", "favorites", "sharing"],
            vec!["patTokens", "emailVerified", "impersonation"],
        ),
        (
            "2.40.2.1",
            vec!["userCredentials", "externalAccess"],
            vec!["patTokens", "emailVerified"],
        ),
        (
            "2.41.10",
            vec!["userCredentials", "patTokens", "attributeValues"],
            vec![
                "externalAccess",
                "sharing",
                "emailVerified",
                "twoFactorType",
            ],
        ),
        (
            "2.42.6",
            vec!["emailVerified", "twoFactorType", "patTokens", "favorites"],
            vec!["userCredentials", "externalAccess"],
        ),
        (
            "2.43.2",
            vec!["emailVerified", "twoFactorType", "favorites"],
            vec!["userCredentials"],
        ),
        (
            "2.44-SNAPSHOT",
            vec!["emailVerified", "twoFactorType"],
            vec!["favorites", "userCredentials"],
        ),
    ] {
        let emu = start(v).await;
        let me = get_json(&emu, "/api/me").await;
        for k in [
            "id",
            "username",
            "displayName",
            "authorities",
            "organisationUnits",
            "settings",
            "access",
            "dataSets",
            "programs",
        ] {
            assert!(me.get(k).is_some(), "{v}: {k} missing");
        }
        for k in present_extra {
            assert!(me.get(k).is_some(), "{v}: {k} missing");
        }
        for k in absent {
            assert!(me.get(k).is_none(), "{v}: {k} present");
        }
        assert_eq!(me["username"], "admin");
        assert_eq!(me["authorities"][0], "ALL");
        assert!(me["dataSets"].is_array());
    }
}

#[tokio::test]
async fn me_fields_filter_settings() {
    let emu = start("2.42.6").await;
    let me = get_json(&emu, "/api/me.json?fields=id,settings[keyUiLocale]").await;
    assert_eq!(me.as_object().unwrap().len(), 2);
    assert_eq!(me["settings"].as_object().unwrap().len(), 1);
    assert_eq!(me["settings"]["keyUiLocale"], "en");
}

#[tokio::test]
async fn ping_needs_no_credentials() {
    let emu = start("2.42.6").await;
    let r = raw(emu.url(), "GET", "/api/ping", &[], None).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "pong");
}

#[tokio::test]
async fn me_follows_metadata_changes() {
    let emu = start("2.42.6").await;
    let before = get_json(&emu, "/api/me").await["dataSets"]
        .as_array()
        .unwrap()
        .len();
    let ds =
        r#"{"id":"DsNew000001","name":"New set","shortName":"New set","periodType":"Monthly"}"#;
    let r = call(&emu, "POST", "/api/dataSets", Some(ds)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let me = get_json(&emu, "/api/me").await;
    assert_eq!(me["dataSets"].as_array().unwrap().len(), before + 1);
    assert!(me["dataSets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "DsNew000001"));
}

#[tokio::test]
async fn versioned_paths_per_version() {
    let emu = start("2.42.6").await;
    assert_eq!(get(&emu, "/api/42/system/info").await.status, 200);
    assert_eq!(get(&emu, "/api/28/me").await.status, 200);
    assert_eq!(get(&emu, "/api/43/me").await.status, 404);
    let emu39 = start("2.39.1").await;
    assert_eq!(get(&emu39, "/api/39/me").await.status, 200);
    assert_eq!(get(&emu39, "/api/40/me").await.status, 404);
    let emu44 = start("2.44-SNAPSHOT").await;
    assert_eq!(get(&emu44, "/api/44/me").await.status, 200);
}

#[tokio::test]
async fn binary_serves_with_flags() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dhis2-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--version",
            "2.43.2",
            "--seed",
            "empty",
            "--fault",
            "/api/me=503",
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let second = lines.next_line().await.unwrap().unwrap();
    assert!(second.contains("admin/district"), "{second}");
    let auth = basic("admin", "district");
    let r = raw(&url, "GET", "/api/me", &[("Authorization", &auth)], None)
        .await
        .unwrap();
    assert_eq!(r.status, 503);
    let r = raw(
        &url,
        "GET",
        "/api/system/info",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["version"], "2.43.2");
    child.kill().await.unwrap();
    // Bad flags exit with status 2 and usage.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_dhis2-emulator"))
        .args(["--bogus"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument `--bogus`"));
}

#[tokio::test]
async fn stops_when_dropped() {
    let emu = start("2.42.6").await;
    let url = emu.url().to_string();
    assert_eq!(
        raw(&url, "GET", "/api/ping", &[], None)
            .await
            .unwrap()
            .status,
        200
    );
    drop(emu);
    // The accept loop is aborted on drop; give the runtime a moment to close the socket.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(raw(&url, "GET", "/api/ping", &[], None).await.is_err());
}

#[tokio::test]
async fn authorization_and_uid_generation() {
    let emu = start("2.42.6").await;
    assert_eq!(
        get_json(&emu, "/api/me/authorization").await,
        serde_json::json!(["ALL"])
    );
    assert_eq!(
        get_json(&emu, "/api/me/authorization/F_ANYTHING").await,
        serde_json::json!(true)
    );
    let ids = get_json(&emu, "/api/system/id?limit=5").await;
    let codes = ids["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 5);
    for c in codes {
        let c = c.as_str().unwrap();
        assert_eq!(c.len(), 11);
        assert!(c.as_bytes()[0].is_ascii_alphabetic());
    }
    assert_eq!(
        get_json(&emu, "/api/system/uid").await["codes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = raw(emu.url(), "GET", "/api/system/ping", &[], None)
        .await
        .unwrap();
    assert_eq!(r.text(), "pong");
}

#[tokio::test]
async fn bad_start_options_are_errors() {
    use dhis2_emulator::{Emulator, EmulatorError, Seed};
    let e = Emulator::builder()
        .version("2.38.0")
        .start()
        .await
        .unwrap_err();
    assert!(matches!(e, EmulatorError::Version(_)));
    assert!(e.to_string().contains("2.38.0"), "{e}");
    let e = Emulator::builder()
        .seed(Seed::Empty)
        .import_metadata(serde_json::json!({"dataElements": [{"name": "no id"}]}))
        .start()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("dataElements[0]"), "{e}");
    let e = Emulator::builder()
        .seed(Seed::Empty)
        .import_metadata(serde_json::json!([1, 2]))
        .start()
        .await
        .unwrap_err();
    assert!(matches!(e, EmulatorError::Import(_)));
    // Any version string DHIS2 reports starts.
    for v in ["2.40.2.1", "2.44-SNAPSHOT", "2.43.0-RC1", "42.5.1"] {
        let emu = Emulator::builder()
            .version(v)
            .seed(Seed::Empty)
            .start()
            .await
            .unwrap();
        assert_eq!(get_json(&emu, "/api/system/info").await["version"], v);
    }
}
