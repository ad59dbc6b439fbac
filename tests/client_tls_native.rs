//! `TlsConfig::native_roots()` trusts the operating system's store (here pointed at a test CA with
//! `SSL_CERT_FILE`, which the loader honours on Unix), the default webpki roots do not, and `ca_bundle_only`
//! trusts its file alone. One test in its own binary: the environment is the process's.

mod support;

use dhis2::{Dhis2Client, Error, TlsConfig};
use serde_json::json;
use support::{Req, Resp};

#[tokio::test]
async fn the_os_store_is_used_when_asked() {
    let (cert, key) = support::tls::self_signed(&["localhost"]);
    let ca = support::tls::temp_file("os-store.pem", &cert);
    let (other, _) = support::tls::self_signed(&["localhost"]);
    let other = support::tls::temp_file("other.pem", &other);
    let srv = support::start_tls(support::tls::acceptor(&cert, &key), |r: Req| async move {
        match r.path() {
            "/api/system/info" => Resp::json(200, support::system_info("2.42.6")),
            _ => Resp::json(200, json!({"ok": true})),
        }
    })
    .await;
    std::env::set_var("SSL_CERT_FILE", &ca);
    std::env::remove_var("SSL_CERT_DIR");

    let connect = |tls: TlsConfig| Dhis2Client::builder(&srv.url).tls(tls).connect();
    connect(TlsConfig::native_roots())
        .await
        .expect("the OS store holds the test CA");
    let err = connect(TlsConfig::webpki_roots()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    connect(TlsConfig::ca_bundle_only(&ca)).await.unwrap();
    let err = connect(TlsConfig::ca_bundle_only(&other))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    connect(TlsConfig::native_roots().add_ca_bundle(&other))
        .await
        .unwrap();

    // An empty OS store is a clear build error, not a client that trusts nothing.
    let empty = support::tls::temp_file("empty.pem", "");
    std::env::set_var("SSL_CERT_FILE", &empty);
    let err = Dhis2Client::builder(&srv.url)
        .tls(TlsConfig::native_roots())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("certificate store"), "{err}");
}
