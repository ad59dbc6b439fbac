//! File resources: `POST /api/fileResources` (multipart upload), `GET /api/fileResources/{uid}` and
//! `GET /api/fileResources/{uid}/data` (the bytes).
//!
//! Bytes live in this module's state; the metadata is also written to the store's `fileResources` collection so
//! the generic list endpoint shows uploads.

mod multipart;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use crate::params::query_pairs;
use crate::state::{lock, AppState};
use crate::tracker::seed::{now_string, Prng};

const DOMAINS: &[&str] = &[
    "DATA_VALUE",
    "PUSH_ANALYSIS",
    "DOCUMENT",
    "MESSAGE_ATTACHMENT",
    "USER_AVATAR",
    "ORG_UNIT",
    "ICON",
    "JOB_DATA",
];

struct StoredFile {
    meta: Value,
    data: Bytes,
}

#[derive(Default)]
struct FilesState {
    files: Mutex<HashMap<String, StoredFile>>,
    rng: Mutex<Option<Prng>>,
}

type Shared = Arc<FilesState>;

/// Routes of the file resource area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/fileResources", get(list).post(upload))
        .route("/api/fileResources/", get(list).post(upload))
        .route("/api/fileResources/{uid}", get(metadata))
        .route("/api/fileResources/{uid}/data", get(download))
        .layer(Extension(Shared::default()))
}

fn error(status: StatusCode, text: &str) -> Response {
    crate::web::WebMessage::error(status.as_u16(), text).into_response()
}

fn not_found(uid: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("FileResource with id {uid} could not be found."),
    )
}

async fn upload(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = query_pairs(query.as_deref());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = multipart::boundary(content_type) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Current request is not a multipart request",
        );
    };
    let Some(parts) = multipart::parse(&body, &boundary) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Failed to parse multipart servlet request",
        );
    };
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return error(
            StatusCode::BAD_REQUEST,
            "Required part 'file' is not present.",
        );
    };
    let field = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .or_else(|| {
                parts
                    .iter()
                    .find(|p| p.name == k)
                    .and_then(|p| String::from_utf8(p.data.clone()).ok())
            })
    };
    let domain = field("domain")
        .unwrap_or_else(|| "DATA_VALUE".to_string())
        .to_ascii_uppercase();
    if !DOMAINS.contains(&domain.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("Value '{domain}' is not valid for parameter domain."),
        );
    }
    let uid = match field("uid") {
        Some(uid) => {
            if lock(&shared.files).contains_key(&uid) {
                return error(
                    StatusCode::CONFLICT,
                    &format!("FileResource with uid '{uid}' already exists"),
                );
            }
            uid
        }
        None => lock(&shared.rng)
            .get_or_insert_with(|| Prng::new(0x66696c65))
            .uid(),
    };
    let name = file.filename.clone().unwrap_or_else(|| "file".to_string());
    let now = now_string();
    let meta = json!({
        "id": uid, "name": name, "displayName": name, "created": now, "lastUpdated": now,
        "contentType": file.content_type.clone().unwrap_or_else(|| "application/octet-stream".to_string()),
        // `long contentLength` in FileResource.java, an int64 in the OpenAPI documents; the storage key is not
        // serialised.
        "contentLength": file.data.len(),
        "domain": domain, "hasMultipleStorageFiles": false, "assigned": false,
    });
    let mut stored = meta.clone();
    stored["storageStatus"] = json!("STORED");
    {
        // A clash with another type's uid only hides the upload from the generic list; the bytes stay served.
        let _ = state.store_write().upsert("fileResources", stored.clone());
    }
    lock(&shared.files).insert(
        uid.clone(),
        StoredFile {
            meta: stored,
            data: Bytes::from(file.data.clone()),
        },
    );
    let mut answer = meta;
    answer["storageStatus"] = json!("PENDING");
    let body = json!({
        "httpStatus": "Accepted", "httpStatusCode": 202, "status": "OK",
        "response": {"responseType": state.version().response_type("FileResource"), "fileResource": answer},
    });
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

/// The collection list, answered by the generic list endpoint (uploads are in the store's `fileResources`).
async fn list(
    state: State<AppState>,
    prefix: Option<Extension<crate::web::ApiPrefix>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    query: RawQuery,
) -> Response {
    crate::collections::list(
        state,
        Path("fileResources".to_string()),
        prefix,
        headers,
        uri,
        query,
    )
    .await
}

async fn metadata(Extension(shared): Extension<Shared>, Path(uid): Path<String>) -> Response {
    match lock(&shared.files).get(&uid) {
        Some(file) => Json(file.meta.clone()).into_response(),
        None => not_found(&uid),
    }
}

async fn download(Extension(shared): Extension<Shared>, Path(uid): Path<String>) -> Response {
    let guard = lock(&shared.files);
    let Some(file) = guard.get(&uid) else {
        return not_found(&uid);
    };
    let content_type = file
        .meta
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or("application/octet-stream");
    let name = file
        .meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("file")
        .replace('"', "");
    let mut response = Response::new(Body::from(file.data.clone()));
    let headers = response.headers_mut();
    if let Ok(v) = content_type.parse() {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = format!("filename={name}").parse() {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache, private"),
    );
    response
}
