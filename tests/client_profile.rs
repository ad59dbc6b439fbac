//! Profiles from variables and TOML files, and open_client.

mod support;

use std::collections::HashMap;

use dhis2::{Error, Profile, ProfileAuth};
use support::{dhis2_like, Resp};

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn config_msg(err: Error) -> String {
    match err {
        Error::Config(m) => m,
        other => panic!("expected Config, got {other:?}"),
    }
}

#[test]
fn env_variants() {
    let p = Profile::from_vars(vars(&[
        ("DHIS2_URL", "https://x.example"),
        ("DHIS2_PAT", "tok"),
    ]))
    .unwrap();
    assert_eq!(p.base_url, "https://x.example");
    assert_eq!(
        p.auth,
        ProfileAuth::Pat {
            token: "tok".into()
        }
    );

    // PAT wins over Basic.
    let p = Profile::from_vars(vars(&[
        ("DHIS2_URL", "https://x.example"),
        ("DHIS2_PAT", "tok"),
        ("DHIS2_USERNAME", "admin"),
        ("DHIS2_PASSWORD", "district"),
    ]))
    .unwrap();
    assert!(matches!(p.auth, ProfileAuth::Pat { .. }));

    let p = Profile::from_vars(vars(&[
        ("DHIS2_URL", "https://x.example"),
        ("DHIS2_USERNAME", "admin"),
        ("DHIS2_PASSWORD", "district"),
    ]))
    .unwrap();
    assert_eq!(
        p.auth,
        ProfileAuth::Basic {
            username: "admin".into(),
            password: "district".into()
        }
    );

    let p = Profile::from_vars(vars(&[
        ("DHIS2_URL", "https://x.example"),
        ("DHIS2_SESSION_COOKIE", "abc"),
        ("DHIS2_SESSION_XSRF", "xyz"),
    ]))
    .unwrap();
    assert_eq!(
        p.auth,
        ProfileAuth::SessionCookie {
            cookie: "abc".into(),
            xsrf: Some("xyz".into())
        }
    );
}

#[test]
fn env_errors_name_the_variable() {
    assert!(config_msg(Profile::from_vars(vars(&[])).unwrap_err()).contains("DHIS2_URL"));
    let m = config_msg(
        Profile::from_vars(vars(&[
            ("DHIS2_URL", "https://x"),
            ("DHIS2_USERNAME", "admin"),
        ]))
        .unwrap_err(),
    );
    assert!(m.contains("DHIS2_PASSWORD"), "{m}");
    let m = config_msg(Profile::from_vars(vars(&[("DHIS2_URL", "https://x")])).unwrap_err());
    assert!(m.contains("DHIS2_PAT"), "{m}");
    let m = config_msg(
        Profile::from_vars(vars(&[("DHIS2_URL", "not a url"), ("DHIS2_PAT", "t")])).unwrap_err(),
    );
    assert!(m.contains("DHIS2_URL"), "{m}");
}

const TOML: &str = r#"
default = "play"

[profiles.play]
url = "https://play.example/dev"
username = "admin"
password = "district"

[profiles.prod_1]
url = "https://prod.example"
pat = "d2p_token"

[profiles.broken]
url = "https://b.example"
username = "admin"
"#;

#[test]
fn toml_profiles() {
    let p = Profile::from_toml_str(TOML, None).unwrap();
    assert_eq!(p.name, "play");
    assert_eq!(p.base_url, "https://play.example/dev");
    let p = Profile::from_toml_str(TOML, Some("prod_1")).unwrap();
    assert_eq!(
        p.auth,
        ProfileAuth::Pat {
            token: "d2p_token".into()
        }
    );
    let m = config_msg(Profile::from_toml_str(TOML, Some("broken")).unwrap_err());
    assert!(m.contains("profiles.broken.password"), "{m}");
    let m = config_msg(Profile::from_toml_str(TOML, Some("nope")).unwrap_err());
    assert!(m.contains("nope"), "{m}");
    let m = config_msg(Profile::from_toml_str(TOML, Some("1bad")).unwrap_err());
    assert!(m.contains("1bad"), "{m}");
    let m = config_msg(Profile::from_toml_str(&"a".repeat(65), None).unwrap_err());
    assert!(m.contains("TOML"), "{m}");
    let m = config_msg(Profile::from_toml_str("[profiles.x]\nurl = 3\n", None).unwrap_err());
    assert!(m.contains("profiles.x.url"), "{m}");
    let m = config_msg(
        Profile::from_toml_str("[profiles.x]\nurl = \"https://a\"\ntoken = \"t\"\n", None)
            .unwrap_err(),
    );
    assert!(m.contains("profiles.x.token"), "{m}");
}

#[test]
fn load_prefers_env_then_cwd_then_config_dir() {
    let root = std::env::temp_dir().join(format!("dhis2-profile-{}", std::process::id()));
    let cwd = root.join("cwd");
    let xdg = root.join("xdg");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(xdg.join("dhis2")).unwrap();
    std::fs::write(xdg.join("dhis2/dhis2.toml"), TOML).unwrap();
    let xdg_s = xdg.to_string_lossy().to_string();

    // Config dir, DHIS2_PROFILE picks.
    let p = Profile::load_with(
        vars(&[("XDG_CONFIG_HOME", &xdg_s), ("DHIS2_PROFILE", "prod_1")]),
        &cwd,
    )
    .unwrap();
    assert_eq!(p.base_url, "https://prod.example");

    // ./dhis2.toml wins over the config dir.
    std::fs::write(
        cwd.join("dhis2.toml"),
        "[profiles.local]\nurl = \"http://127.0.0.1:8080\"\n",
    )
    .unwrap();
    let p = Profile::load_with(vars(&[("XDG_CONFIG_HOME", &xdg_s)]), &cwd).unwrap();
    assert_eq!(p.name, "local");
    assert_eq!(p.auth, ProfileAuth::None);

    // The environment wins over files.
    let p = Profile::load_with(
        vars(&[
            ("XDG_CONFIG_HOME", &xdg_s),
            ("DHIS2_URL", "https://env.example"),
            ("DHIS2_PAT", "t"),
        ]),
        &cwd,
    )
    .unwrap();
    assert_eq!(p.base_url, "https://env.example");

    // Bad DHIS2_PROFILE is named.
    let m =
        config_msg(Profile::load_with(vars(&[("DHIS2_PROFILE", "has-dash")]), &cwd).unwrap_err());
    assert!(m.contains("DHIS2_PROFILE"), "{m}");

    // HOME fallback, and nothing found.
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let m = config_msg(
        Profile::load_with(vars(&[("HOME", &empty.to_string_lossy())]), &empty).unwrap_err(),
    );
    assert!(m.contains("no DHIS2 profile"), "{m}");
}

#[tokio::test]
async fn open_client_uses_the_profile_auth() {
    let srv = dhis2_like("2.43.1", |_| async { Resp::empty(404) }).await;
    let p = Profile::from_vars(vars(&[
        ("DHIS2_URL", &srv.url),
        ("DHIS2_USERNAME", "admin"),
        ("DHIS2_PASSWORD", "district"),
    ]))
    .unwrap();
    let c = dhis2::open_client(p).await.unwrap();
    assert_eq!(c.raw_version().unwrap(), "2.43.1");
    let me = c.system().me().await.unwrap();
    assert_eq!(me.username, "admin");
    assert!(srv
        .requests()
        .iter()
        .any(|r| r.header("authorization") == Some("Basic YWRtaW46ZGlzdHJpY3Q=")));

    let p = Profile::from_vars(vars(&[("DHIS2_URL", &srv.url), ("DHIS2_PAT", "d2p_abc")])).unwrap();
    let c = dhis2::open_client(p).await.unwrap();
    c.system().me().await.unwrap();
    assert!(srv
        .requests()
        .iter()
        .any(|r| r.header("authorization") == Some("ApiToken d2p_abc")));
}
