//! TLS: a self-signed server is refused by default, accepted with its CA bundle and with `insecure()`; a
//! certificate for another host name, or an expired one, is refused even when its CA is trusted.

mod support;

use dhis2::{Dhis2Client, Error, TlsConfig};
use serde_json::json;
use support::{Action, Resp};

async fn tls_server(cert: &str, key: &str) -> support::Server {
    support::start_tls(support::tls::acceptor(cert, key), |req| async move {
        match req.path() {
            "/api/system/info" => Action::Reply(Resp::json(200, support::system_info("2.42.1"))),
            _ => Action::Reply(Resp::json(200, json!({"ok": true}))),
        }
    })
    .await
}

/// A TLS server with a fresh self-signed certificate for `names`, and that certificate's PEM.
async fn self_signed_server(names: &[&str]) -> (support::Server, String) {
    let (cert, key) = support::tls::self_signed(names);
    (tls_server(&cert, &key).await, cert)
}

/// Connects to `srv` trusting `cert` through a CA bundle file, with or without the version handshake.
async fn connect_trusting(
    srv: &support::Server,
    cert: &str,
    handshake: bool,
) -> Result<Dhis2Client, Error> {
    let ca = support::tls::temp_file("ca.pem", cert);
    Dhis2Client::builder(&srv.url)
        .tls(TlsConfig::ca_bundle(ca))
        .skip_version_probe(!handshake)
        .connect()
        .await
}

fn assert_tls_refused(err: &Error, srv: &support::Server) {
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let chain = format!("{err} {err:?}").to_lowercase();
    assert!(
        chain.contains("certificate"),
        "the error says the certificate was the problem: {chain}"
    );
    assert_eq!(
        srv.stats.requests(),
        0,
        "no request got through the failed handshake"
    );
}

#[tokio::test]
async fn tls_self_signed_is_refused_by_default() {
    let (srv, _) = self_signed_server(&["localhost"]).await;
    let err = Dhis2Client::builder(&srv.url).connect().await.unwrap_err();
    assert_tls_refused(&err, &srv);
}

#[tokio::test]
async fn tls_self_signed_is_accepted_with_its_ca_bundle() {
    let (srv, cert) = self_signed_server(&["localhost"]).await;
    let c = connect_trusting(&srv, &cert, true).await.unwrap();
    assert_eq!(c.raw_version().unwrap(), "2.42.1");
    assert_eq!(c.get_raw("api/me", &[]).await.unwrap()["ok"], true);
}

#[tokio::test]
async fn tls_self_signed_is_accepted_with_insecure() {
    let (srv, _) = self_signed_server(&["localhost"]).await;
    let c = Dhis2Client::builder(&srv.url)
        .tls(TlsConfig::insecure())
        .connect()
        .await
        .unwrap();
    assert_eq!(c.get_raw("api/me", &[]).await.unwrap()["ok"], true);
}

#[tokio::test]
async fn tls_hostname_mismatch_is_refused_even_with_a_trusted_ca() {
    // A valid certificate, trusted through the CA bundle, but for another name than the one connected to.
    let (srv, cert) = self_signed_server(&["dhis2.example.org"]).await;
    let err = connect_trusting(&srv, &cert, true).await.unwrap_err();
    assert_tls_refused(&err, &srv);
    // Also on a plain call after connecting without the handshake.
    let c = connect_trusting(&srv, &cert, false).await.unwrap();
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { path, .. } if path == "/api/me"),
        "{err:?}"
    );
    assert_eq!(srv.stats.requests(), 0);
}

#[tokio::test]
async fn tls_expired_certificate_is_refused() {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2001, 1, 1);
    params.not_after = rcgen::date_time_ymd(2002, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert, key) = (cert.pem(), key.serialize_pem());
    let srv = tls_server(&cert, &key).await;
    let err = connect_trusting(&srv, &cert, true).await.unwrap_err();
    assert_tls_refused(&err, &srv);
}
