//! Version detection, pin, mismatch, fallback and unsupported versions.

mod support;

use dhis2::{Dhis2Client, Dhis2Version, Error, VersionKey};
use support::{dhis2_like, Resp};

async fn connect(
    version: &'static str,
    f: impl FnOnce(dhis2::ClientBuilder) -> dhis2::ClientBuilder,
) -> Result<Dhis2Client, Error> {
    let srv = dhis2_like(version, |_| async { Resp::empty(404) }).await;
    let url = srv.url.clone();
    // Keep the server alive for the duration of the connect by moving it into a leaked task-free holder.
    let result = f(Dhis2Client::builder(url)).connect().await;
    drop(srv);
    result
}

#[tokio::test]
async fn detects_every_server_form() {
    let cases = [
        ("2.42.6", VersionKey::V42),
        ("2.40.2.1", VersionKey::V40),
        ("2.42.5-SNAPSHOT", VersionKey::V42),
        ("2.44-SNAPSHOT", VersionKey::V44),
        ("2.43.0-RC1", VersionKey::V43),
        ("2.41.0-EMBARGOED", VersionKey::V41),
        ("42.3.1", VersionKey::V42),
    ];
    for (raw, key) in cases {
        let c = connect(raw, |b| b)
            .await
            .unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert_eq!(c.version_key().unwrap(), key, "{raw}");
        assert_eq!(c.version().unwrap().major(), key.major(), "{raw}");
    }
}

#[tokio::test]
async fn unsupported_versions_fail_clearly() {
    let err = connect("2.39.1", |b| b).await.unwrap_err();
    match &err {
        Error::UnsupportedVersion { version, .. } => assert_eq!(version, "2.39.1"),
        other => panic!("{other:?}"),
    }
    let err = connect("2.45.0", |b| b).await.unwrap_err();
    assert!(matches!(err, Error::UnsupportedVersion { .. }), "{err:?}");
    assert!(err.to_string().contains("2.45.0"), "{err}");
    let err = connect("banana", |b| b).await.unwrap_err();
    assert!(matches!(err, Error::UnsupportedVersion { .. }), "{err:?}");
}

#[tokio::test]
async fn fallback_only_when_allowed() {
    let c = connect("2.45.1", |b| b.allow_version_fallback(true))
        .await
        .unwrap();
    assert_eq!(c.version_key().unwrap(), VersionKey::V44);
    assert_eq!(c.raw_version().unwrap(), "2.45.1");
    // Older versions never fall back.
    let err = connect("2.39.0", |b| b.allow_version_fallback(true))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedVersion { .. }));
}

#[tokio::test]
async fn pin_must_match_unless_mismatch_allowed() {
    let c = connect("2.42.6", |b| b.version(Dhis2Version::V42))
        .await
        .unwrap();
    assert_eq!(c.version_key().unwrap(), VersionKey::V42);

    let err = connect("2.42.6", |b| b.version(Dhis2Version::V41))
        .await
        .unwrap_err();
    match &err {
        Error::VersionPinMismatch { pinned, server } => {
            assert_eq!(*pinned, VersionKey::V41);
            assert_eq!(server, "2.42.6");
        }
        other => panic!("{other:?}"),
    }
    let c = connect("2.42.6", |b| {
        b.version(Dhis2Version::V41).allow_version_mismatch(true)
    })
    .await
    .unwrap();
    assert_eq!(c.version_key().unwrap(), VersionKey::V41);
    assert_eq!(c.raw_version().unwrap(), "2.42.6");
}

#[tokio::test]
async fn failed_probe_statuses_map_to_errors() {
    let srv = support::start(|r| async move {
        if r.path() == "/api/system/info" {
            Resp::json(
                401,
                serde_json::json!({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"}),
            )
        } else {
            Resp::empty(404)
        }
    })
    .await;
    let c = Dhis2Client::builder(&srv.url).build().unwrap();
    let err = c.connect().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert_eq!(c.state(), dhis2::ClientState::Unconnected);
}
