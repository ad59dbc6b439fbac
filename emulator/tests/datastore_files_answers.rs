//! Wire answers of the datastore, file resources, sharing and system settings areas.

mod common;

use common::*;

#[tokio::test]
async fn datastore_messages_and_statuses() {
    let emu = start("2.42.6").await;
    let r = get(&emu, "/api/dataStore/app/k").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["message"], "Key 'k' not found in namespace 'app'");
    let r = call(&emu, "POST", "/api/dataStore/app/k", Some(r#"{"a":1}"#)).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["httpStatus"], "Created");
    assert_eq!(r.json()["message"], "Key 'k' created.");
    let r = call(&emu, "POST", "/api/dataStore/app/k", Some("{}")).await;
    assert_eq!(r.status, 409);
    let r = call(&emu, "POST", "/api/dataStore/app/bad", Some("{not json")).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        get_json(&emu, "/api/dataStore/app/k").await,
        serde_json::json!({"a": 1})
    );
    assert_eq!(
        get_json(&emu, "/api/dataStore/app").await,
        serde_json::json!(["k"])
    );
    let entries = get_json(&emu, "/api/dataStore/app?fields=.").await;
    assert_eq!(entries["entries"][0]["key"], "k");
    let meta = get_json(&emu, "/api/dataStore/app/k/metaData").await;
    assert_eq!(meta["namespace"], "app");
    let r = call(&emu, "PUT", "/api/dataStore/app/missing", Some("1")).await;
    assert_eq!(r.status, 404);
    let r = call(&emu, "DELETE", "/api/dataStore/app/k", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["message"], "Key 'k' deleted from namespace 'app'.");
    let r = get(&emu, "/api/dataStore/app/keys").await;
    assert_eq!(r.status, 404, "a namespace disappears with its last key");
}

#[tokio::test]
async fn file_upload_answers_202_with_the_file_resource() {
    let emu = start("2.42.3").await;
    let body = b"--b1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n--b1--\r\n";
    let auth = basic("admin", "district");
    let headers = [
        ("Authorization", auth.as_str()),
        ("X-Requested-With", "XMLHttpRequest"),
        ("Content-Type", "multipart/form-data; boundary=b1"),
    ];
    let r = raw(
        emu.url(),
        "POST",
        "/api/fileResources?domain=DOCUMENT",
        &headers,
        Some(body),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 202);
    let v = r.json();
    assert_eq!(v["httpStatus"], "Accepted");
    // 2.42.0-2.42.4 spell the response type with its class name (WIRE.md 6.3).
    assert_eq!(
        v["response"]["responseType"],
        "FileResourceWebMessageResponse"
    );
    let id = v["response"]["fileResource"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(v["response"]["fileResource"]["contentLength"], 3);
    let data = get(&emu, &format!("/api/fileResources/{id}/data")).await;
    assert_eq!(data.status, 200);
    assert_eq!(data.header("content-type"), Some("text/csv"));
    assert_eq!(data.text(), "a,b");
    let listed = get_json(&emu, "/api/fileResources?fields=id").await;
    assert!(listed["fileResources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str()));
    let r = call(&emu, "POST", "/api/fileResources", Some("{}")).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn system_settings_answers() {
    let emu = start("2.42.6").await;
    assert_eq!(
        get_json(&emu, "/api/systemSettings/keyCalendar").await,
        serde_json::json!({"keyCalendar": "iso8601"})
    );
    let r = call(
        &emu,
        "POST",
        "/api/systemSettings/keyCalendar?value=ethiopian",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["message"],
        "System setting 'keyCalendar' set to value 'ethiopian'."
    );
    let r = get(&emu, "/api/systemSettings/keyNope").await;
    assert_eq!(r.status, 404);
}
