//! Escape hatches and error mapping: raw/typed helpers, get_response, stream, and each error kind.

mod support;

use std::time::Duration;

use dhis2::{Dhis2Client, Error};
use http::Method;
use serde::Deserialize;
use serde_json::json;
use support::{dhis2_like, Req, Resp};

async fn route(r: Req) -> Resp {
    match r.path() {
        "/api/echo" => Resp::json(
            200,
            json!({
                "method": r.method,
                "query": r.query(),
                "contentType": r.header("content-type"),
                "body": String::from_utf8_lossy(&r.body),
            }),
        ),
        "/api/login302" => Resp::redirect(302, "http://127.0.0.1:1/dhis-web-login/"),
        "/api/html" => Resp::bytes(
            200,
            "text/html;charset=utf-8",
            "<html><body>Please log in</body></html>",
        ),
        "/api/empty" => Resp::empty(200),
        "/api/array" => Resp::json(200, json!([1, 2, 3])),
        "/api/conflict" => Resp::json(
            409,
            json!({"httpStatus": "Conflict", "httpStatusCode": 409, "status": "ERROR",
                   "message": "One or more errors occurred", "errorCode": "E1004"}),
        ),
        "/api/token401" => Resp::json(
            401,
            json!({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR",
                   "message": "The API token does not exists"}),
        )
        .header("www-authenticate", "ApiToken"),
        "/api/typed" => Resp::json(200, json!({"id": "abc", "inner": {"count": "many"}})),
        "/api/big" => Resp::bytes(
            200,
            "application/octet-stream",
            vec![b'x'; 3 * 1024 * 1024 + 7],
        ),
        "/api/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Resp::json(200, json!({}))
        }
        _ => Resp::bytes(404, "text/html", "<html>404</html>"),
    }
}

async fn client() -> (support::Server, Dhis2Client) {
    let srv = dhis2_like("2.42.6", route).await;
    let client = Dhis2Client::builder(&srv.url)
        .timeout(Duration::from_millis(500))
        .connect()
        .await
        .unwrap();
    (srv, client)
}

#[tokio::test]
async fn raw_helpers_send_methods_bodies_and_repeated_params() {
    let (_srv, c) = client().await;
    let got = c
        .get_raw(
            "api/echo",
            &[
                ("filter", "name:eq:A"),
                ("filter", "code:eq:B"),
                ("fields", "id"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(got["method"], "GET");
    assert_eq!(
        got["query"],
        "filter=name%3Aeq%3AA&filter=code%3Aeq%3AB&fields=id"
    );

    let got = c
        .post_raw("/api/echo", &json!({"a": 1}), &[])
        .await
        .unwrap();
    assert_eq!(got["method"], "POST");
    assert_eq!(got["contentType"], "application/json");
    assert_eq!(got["body"], r#"{"a":1}"#);

    let got = c.put_raw("api/echo", &json!({"b": 2}), &[]).await.unwrap();
    assert_eq!(got["method"], "PUT");

    let patch = json!([{"op": "replace", "path": "/name", "value": "x"}]);
    let got = c.patch_raw("api/echo", &patch, &[]).await.unwrap();
    assert_eq!(got["method"], "PATCH");
    assert_eq!(got["contentType"], "application/json-patch+json");

    let got = c.delete_raw("api/echo", &[("x", "1")]).await.unwrap();
    assert_eq!(got["method"], "DELETE");
    assert_eq!(got["query"], "x=1");
}

#[tokio::test]
async fn non_object_root_is_wrapped() {
    let (_srv, c) = client().await;
    let got = c.get_raw("api/array", &[]).await.unwrap();
    assert_eq!(serde_json::Value::Object(got), json!({"data": [1, 2, 3]}));
}

#[tokio::test]
async fn typed_helpers_decode_and_report_the_json_path() {
    #[derive(Deserialize, Debug)]
    struct Echo {
        method: String,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Typed {
        id: String,
        inner: Inner,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }
    let (_srv, c) = client().await;
    let e: Echo = c.post("api/echo", &json!({}), &[]).await.unwrap();
    assert_eq!(e.method, "POST");
    let e: Echo = c.delete("api/echo", &[]).await.unwrap();
    assert_eq!(e.method, "DELETE");
    let err = c.get::<Typed>("api/typed", &[]).await.unwrap_err();
    match &err {
        Error::Decode {
            json_path,
            method,
            path,
            ..
        } => {
            assert_eq!(json_path, "$.inner.count");
            assert_eq!(*method, Method::GET);
            assert_eq!(path, "/api/typed");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(err.to_string().contains("GET /api/typed"), "{err}");
}

#[tokio::test]
async fn typed_put_and_patch_send_their_bodies_and_decode() {
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Echo {
        method: String,
        query: String,
        content_type: Option<String>,
        body: String,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Typed {
        inner: Inner,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }
    let (srv, c) = client().await;

    let e: Echo = c
        .put(
            "api/echo",
            &json!({"name": "ANC 1st visit"}),
            &[("mergeMode", "REPLACE")],
        )
        .await
        .unwrap();
    assert_eq!(e.method, "PUT");
    assert_eq!(e.query, "mergeMode=REPLACE");
    assert_eq!(e.content_type.as_deref(), Some("application/json"));
    assert_eq!(e.body, r#"{"name":"ANC 1st visit"}"#);

    let patch = dhis2::models::JsonPatch::new().replace("name", "ANC 2nd visit");
    let e: Echo = c.patch("api/echo", &patch, &[]).await.unwrap();
    assert_eq!(e.method, "PATCH");
    assert_eq!(e.content_type.as_deref(), Some(dhis2::JSON_PATCH));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&e.body).unwrap(),
        json!([{"op": "replace", "path": "/name", "value": "ANC 2nd visit"}])
    );

    // Decode failures name the method, the path and the JSON path.
    for (method, err) in [
        (
            Method::PUT,
            c.put::<Typed, _>("api/typed", &json!({}), &[])
                .await
                .unwrap_err(),
        ),
        (
            Method::PATCH,
            c.patch::<Typed, _>("api/typed", &json!([]), &[])
                .await
                .unwrap_err(),
        ),
    ] {
        assert!(
            matches!(&err, Error::Decode { json_path, method: m, path, .. }
                if json_path == "$.inner.count" && *m == method && path == "/api/typed"),
            "{err:?}"
        );
    }
    // An error status is an API error with the parsed WebMessage, for both.
    for err in [
        c.put::<Echo, _>("api/conflict", &json!({}), &[])
            .await
            .unwrap_err(),
        c.patch::<Echo, _>("api/conflict", &json!([]), &[])
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err:?}");
        assert_eq!(
            err.web_message().and_then(|m| m.error_code.as_str()),
            Some("E1004"),
            "{err:?}"
        );
    }
    let methods: Vec<String> = srv
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET") // the handshake's
        .map(|r| r.method)
        .collect();
    assert_eq!(
        methods,
        ["PUT", "PATCH", "PUT", "PATCH", "PUT", "PATCH"],
        "one request each, none retried"
    );
}

#[tokio::test]
async fn login_redirect_is_unauthorized() {
    let (_srv, c) = client().await;
    let err = c.get_raw("api/login302", &[]).await.unwrap_err();
    match &err {
        Error::Unauthorized { location, path, .. } => {
            assert_eq!(path, "/api/login302");
            assert!(location.as_deref().unwrap_or("").contains("dhis-web-login"));
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn unauthorized_keeps_message_and_www_authenticate() {
    let (_srv, c) = client().await;
    let err = c.get_raw("api/token401", &[]).await.unwrap_err();
    match &err {
        Error::Unauthorized {
            message,
            www_authenticate,
            ..
        } => {
            assert_eq!(message, "The API token does not exists");
            assert_eq!(www_authenticate.as_deref(), Some("ApiToken"));
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert_eq!(err.status(), Some(http::StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn html_200_is_not_json() {
    let (_srv, c) = client().await;
    let err = c.get_raw("api/html", &[]).await.unwrap_err();
    match &err {
        Error::NotJson {
            content_type,
            snippet,
            ..
        } => {
            assert!(content_type.as_deref().unwrap().starts_with("text/html"));
            assert!(snippet.contains("Please log in"));
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_get_is_empty_read_but_empty_write_is_an_empty_object() {
    let (_srv, c) = client().await;
    let err = c.get_raw("api/empty", &[]).await.unwrap_err();
    assert!(matches!(err, Error::EmptyRead { .. }), "{err:?}");
    assert!(err.to_string().contains("GET /api/empty"));
    let got = c.post_raw("api/empty", &json!({}), &[]).await.unwrap();
    assert!(got.is_empty());
}

#[tokio::test]
async fn api_error_parses_the_web_message() {
    let (_srv, c) = client().await;
    let err = c
        .post_raw("api/conflict", &json!({}), &[])
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            status,
            message,
            web_message,
            body,
            ..
        } => {
            assert_eq!(status.as_u16(), 409);
            assert_eq!(message, "One or more errors occurred");
            let wm = web_message.as_ref().expect("web message parsed");
            assert_eq!(wm.error_code.value().map(String::as_str), Some("E1004"));
            assert!(body.contains("E1004"));
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert!(err.to_string().contains("POST /api/conflict"), "{err}");
    // A non-JSON error page has no WebMessage.
    let err = c.get_raw("api/nowhere", &[]).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Api {
                web_message: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn get_response_returns_error_statuses_as_facts() {
    let (_srv, c) = client().await;
    let resp = c
        .get_response(
            "api/conflict",
            &[],
            &[("accept", "application/json"), ("x-extra", "1")],
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    let resp = c.get_response("api/html", &[], &[]).await.unwrap();
    assert_eq!(resp.status(), 200);
    let err = c
        .get_response("api/x", &[], &[("bad header", "v")])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("invalid header name")),
        "{err:?}"
    );
}

#[tokio::test]
async fn stream_writes_the_whole_body() {
    let (_srv, c) = client().await;
    let mut sink = Vec::new();
    let n = c
        .stream(Method::GET, "api/big", &[], &mut sink)
        .await
        .unwrap();
    assert_eq!(n, 3 * 1024 * 1024 + 7);
    assert_eq!(sink.len() as u64, n);
    assert!(sink.iter().all(|b| *b == b'x'));
    // Error statuses are errors and write nothing.
    let mut sink = Vec::new();
    let err = c
        .stream(Method::GET, "api/conflict", &[], &mut sink)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }));
    assert!(sink.is_empty());
}

#[tokio::test]
async fn per_attempt_timeout() {
    let (_srv, c) = client().await;
    let err = c.get_raw("api/slow", &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Timeout { path, .. } if path == "/api/slow"),
        "{err:?}"
    );
}
