//! The other ways out: absolute URLs outside the base path, header values with line breaks (multipart part
//! headers, extra and default headers, session cookies), an auth origin that names no origin, and redirects that
//! only look like a login page.

mod support;

use dhis2::accessors::files::Upload;
use dhis2::layers::auth::AuthLayer;
use dhis2::layers::DefaultHeadersLayer;
use dhis2::{AuthError, Dhis2Client, Error, PatAuth, SessionCookieAuth};
use http::header::USER_AGENT;
use http::StatusCode;
use serde_json::json;
use support::{dhis2_like, Req, Resp, Server};
use tower::{Layer, ServiceExt};

async fn server() -> Server {
    dhis2_like("2.42.6", |r: Req| async move {
        match r.path() {
            "/dhis2/api/me" | "/api/x" => Resp::json(200, json!({"ok": true})),
            "/api/fileResources" => Resp::json(
                202,
                json!({"response": {"fileResource": {"id": "aBcDeFgHiJk"}}}),
            ),
            p if p.starts_with("/redirect/") => {
                let location = percent_encoding::percent_decode_str(&p["/redirect/".len()..])
                    .decode_utf8_lossy()
                    .into_owned();
                Resp::redirect(302, &location)
            }
            _ => Resp::empty(404),
        }
    })
    .await
}

#[tokio::test]
async fn absolute_urls_are_under_the_base_by_whole_segments() {
    let srv = server().await;
    let c = Dhis2Client::builder(format!("{}/dhis2", srv.url))
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    let ok = c.get_raw(&format!("{}/dhis2/api/me", srv.url), &[]).await;
    assert_eq!(ok.unwrap()["ok"], true);
    let seen = srv.requests().len();
    for outside in [
        format!("{}/dhis2x/api/me", srv.url),
        format!("{}/dhis2-other/api/me", srv.url),
        format!("{}/api/me", srv.url),
        format!("{}/dhis2/../api/me", srv.url),
        "../dhis2x/api/me".to_owned(),
        "api/../../api/me".to_owned(),
    ] {
        let err = c.get_raw(&outside, &[]).await.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{outside}: {err:?}");
        let err = c.get_response(&outside, &[], &[]).await.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{outside}: {err:?}");
    }
    assert_eq!(srv.requests().len(), seen, "a request left the base path");
}

#[tokio::test]
async fn multipart_headers_cannot_be_broken_by_line_breaks() {
    let srv = server().await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let seen = srv.requests().len();
    for (name, content_type) in [
        ("a.txt", "text/plain\r\nContent-Type: text/html"),
        ("a.txt", "text/plain\n"),
        ("a.txt\r\n\r\n--boundary--", "text/plain"),
        ("a\rb.txt", "text/plain"),
        ("a.txt", ""),
    ] {
        let err = c
            .files()
            .upload(&Upload::new(name, content_type, &b"x"[..]))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Config(_)),
            "{name:?} {content_type:?}: {err:?}"
        );
    }
    assert_eq!(srv.requests().len(), seen, "a broken part was sent");
    // A quote is escaped as browsers do, not dropped or passed through.
    c.files()
        .upload(&Upload::new("a\"b.txt", "text/plain", &b"x"[..]))
        .await
        .unwrap();
    let body = String::from_utf8(srv.requests().last().unwrap().body.clone()).unwrap();
    assert!(body.contains("filename=\"a%22b.txt\"\r\n"), "{body}");
}

#[tokio::test]
async fn extra_header_values_with_line_breaks_are_refused() {
    let srv = server().await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let seen = srv.requests().len();
    for (name, value) in [
        ("accept", "text/csv\r\nX-Evil: 1"),
        ("accept", "text/csv\nX-Evil: 1"),
        ("accept", "text/csv\r"),
        ("x-evil\r\nx-other", "1"),
        ("x a", "1"),
    ] {
        let err = c
            .get_response("api/x", &[], &[(name, value)])
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Config(_)),
            "{name:?}: {value:?}: {err:?}"
        );
    }
    assert_eq!(srv.requests().len(), seen, "a broken header was sent");
}

#[tokio::test]
async fn default_header_values_cannot_carry_line_breaks() {
    let svc = DefaultHeadersLayer::new("1.0\r\nX-Evil: 1").layer(tower::service_fn(
        |req: http::Request<()>| async move { Ok::<_, std::convert::Infallible>(req) },
    ));
    let req = svc
        .oneshot(http::Request::get("/api/me").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(req.headers()[USER_AGENT], "dhis2-rs");
    assert!(!req.headers().contains_key("x-evil"));
}

#[tokio::test]
async fn a_session_id_cannot_add_cookies_or_headers() {
    let srv = server().await;
    for jsessionid in ["abc; admin=true", "abc\r\nX-Evil: 1", "abc, other=1"] {
        let c = Dhis2Client::builder(&srv.url)
            .auth(SessionCookieAuth::new(jsessionid))
            .skip_version_probe(true)
            .connect()
            .await
            .unwrap();
        let result = c.get_raw("api/x", &[]).await;
        assert!(result.is_err(), "{jsessionid:?}");
        let text = result.unwrap_err().to_string();
        assert!(!text.contains("abc"), "the session id leaked: {text}");
    }
    assert!(
        srv.requests()
            .iter()
            .all(|r| r.header("cookie").is_none() && r.header("x-evil").is_none()),
        "a smuggled cookie or header reached the server"
    );
}

#[test]
fn auth_for_a_relative_origin_fails_closed() {
    for relative in ["/api", "/", "dhis2.example:443"] {
        let result =
            AuthLayer::new(PatAuth::new("d2p_secret")).for_origin(relative.parse().unwrap());
        match result {
            Err(e @ AuthError::InvalidOrigin(_)) => {
                assert!(!e.to_string().contains("d2p_secret"), "{e}");
            }
            Err(other) => panic!("{relative}: {other:?}"),
            Ok(_) => panic!("{relative}: a layer without an origin restriction was built"),
        }
    }
    assert!(AuthLayer::new(PatAuth::new("t"))
        .for_origin("https://dhis2.example/dhis".parse().unwrap())
        .is_ok());
}

#[tokio::test]
async fn only_dhis2_login_routes_mean_unauthorized() {
    let srv = server().await;
    let c = Dhis2Client::builder(&srv.url).connect().await.unwrap();
    let path = |location: &str| {
        format!(
            "redirect/{}",
            percent_encoding::utf8_percent_encode(location, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    for not_login in [
        "/api/loginStats",
        "https://other/login-help",
        "/dhis-web-dashboard/",
        "/api/me?next=/login",
    ] {
        let err = c.get_raw(&path(not_login), &[]).await.unwrap_err();
        assert!(
            matches!(&err, Error::Api { status, .. } if *status == StatusCode::FOUND),
            "{not_login}: {err:?}"
        );
    }
    for login in [
        "/dhis-web-login/",
        "/dhis-web-login",
        "/login.action",
        "/dhis-web-commons/security/login.action",
        "/login/",
        "/api/auth/login",
        "http://other.example/dhis/dhis-web-login/index.html",
    ] {
        let err = c.get_raw(&path(login), &[]).await.unwrap_err();
        match err {
            Error::Unauthorized { location, .. } => assert_eq!(location.as_deref(), Some(login)),
            other => panic!("{login}: {other:?}"),
        }
    }
}
