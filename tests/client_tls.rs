//! TLS against a local rustls server with a self-signed certificate made by the test.

mod support;

use dhis2::{Dhis2Client, Error, TlsConfig};
use support::tls::{acceptor, self_signed, temp_file};
use support::{start_tls, system_info, Resp};

async fn tls_server() -> (support::Server, String) {
    let (cert, key) = self_signed(&["localhost"]);
    let srv = start_tls(acceptor(&cert, &key), |r| async move {
        match r.path() {
            "/api/system/info" => Resp::json(200, system_info("2.42.6")),
            _ => Resp::json(200, serde_json::json!({"secure": true})),
        }
    })
    .await;
    (srv, cert)
}

#[tokio::test]
async fn self_signed_is_refused_by_default() {
    let (srv, _) = tls_server().await;
    let c = Dhis2Client::builder(&srv.url).build().unwrap();
    let err = c.connect().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let chain = format!("{:?}", std::error::Error::source(&err));
    assert!(
        chain.to_lowercase().contains("certificate") || chain.contains("UnknownIssuer"),
        "{chain}"
    );
}

#[tokio::test]
async fn accepted_with_the_ca_bundle() {
    let (srv, cert) = tls_server().await;
    let ca = temp_file("ca.pem", &cert);
    let c = Dhis2Client::builder(&srv.url)
        .tls(TlsConfig::ca_bundle(&ca))
        .connect()
        .await
        .unwrap();
    assert_eq!(c.get_raw("api/x", &[]).await.unwrap()["secure"], true);
}

#[tokio::test]
async fn accepted_with_insecure() {
    let (srv, _) = tls_server().await;
    assert!(TlsConfig::insecure().is_insecure());
    let c = Dhis2Client::builder(&srv.url)
        .tls(TlsConfig::insecure())
        .connect()
        .await
        .unwrap();
    assert_eq!(c.get_raw("api/x", &[]).await.unwrap()["secure"], true);
}

#[test]
fn missing_or_empty_ca_bundle_fails_at_build() {
    let missing = std::env::temp_dir().join("dhis2-definitely-missing-ca.pem");
    let err = Dhis2Client::builder("https://x.example")
        .tls(TlsConfig::ca_bundle(&missing))
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("dhis2-definitely-missing-ca.pem")),
        "{err}"
    );

    let empty = temp_file("empty.pem", "no certificates here\n");
    let err = Dhis2Client::builder("https://x.example")
        .tls(TlsConfig::ca_bundle(&empty))
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("empty.pem") && m.contains("no PEM certificate")),
        "{err}"
    );
}
