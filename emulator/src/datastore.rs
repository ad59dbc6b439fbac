//! The datastore: `/api/dataStore` namespaces and keys holding arbitrary JSON, with DHIS2's answers.
//!
//! Entries live in this module's own state (an extension on its routes), so each emulator starts empty.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use crate::params::query_pairs;
use crate::state::AppState;

/// One stored value with its timestamps.
#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    created: String,
    last_updated: String,
}

/// namespace -> key -> entry, both sorted as DHIS2 lists them.
type Namespaces = BTreeMap<String, BTreeMap<String, Entry>>;

#[derive(Default)]
struct DatastoreState(Mutex<Namespaces>);

type Shared = Arc<DatastoreState>;

impl DatastoreState {
    fn lock(&self) -> MutexGuard<'_, Namespaces> {
        crate::state::lock(&self.0)
    }
}

/// Routes of the datastore area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/dataStore", get(namespaces))
        .route("/api/dataStore/", get(namespaces))
        .route(
            "/api/dataStore/{namespace}",
            get(namespace_entries).delete(delete_namespace),
        )
        .route("/api/dataStore/{namespace}/keys", get(namespace_keys))
        .route(
            "/api/dataStore/{namespace}/{key}",
            get(get_entry)
                .post(post_entry)
                .put(put_entry)
                .delete(delete_entry),
        )
        .route(
            "/api/dataStore/{namespace}/{key}/metaData",
            get(entry_metadata),
        )
        .layer(Extension(Shared::default()))
}

fn web_message(status: StatusCode, outcome: &'static str, text: &str) -> Response {
    crate::web::WebMessage::new(status.as_u16(), outcome)
        .message(text)
        .into_response()
}

fn error(status: StatusCode, text: &str) -> Response {
    web_message(status, "ERROR", text)
}

fn namespace_not_found(namespace: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Namespace not found: '{namespace}'"),
    )
}

fn key_not_found(namespace: &str, key: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Key '{key}' not found in namespace '{namespace}'"),
    )
}

fn now() -> String {
    crate::tracker::seed::now_string()
}

/// Parses a request body as JSON; DHIS2 rejects anything else with 400.
fn parse_body(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "The data you sent is not valid JSON.",
        )
    })
}

async fn namespaces(Extension(shared): Extension<Shared>) -> Response {
    let names: Vec<String> = shared.lock().keys().cloned().collect();
    Json(names).into_response()
}

async fn namespace_keys(
    Extension(shared): Extension<Shared>,
    Path(namespace): Path<String>,
) -> Response {
    match shared.lock().get(&namespace) {
        Some(keys) => Json(keys.keys().cloned().collect::<Vec<_>>()).into_response(),
        None => namespace_not_found(&namespace),
    }
}

/// Without `fields`, the legacy answer (the key list); with `fields`, the paged entries envelope.
async fn namespace_entries(
    Extension(shared): Extension<Shared>,
    Path(namespace): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = query_pairs(query.as_deref());
    let guard = shared.lock();
    let Some(keys) = guard.get(&namespace) else {
        return namespace_not_found(&namespace);
    };
    if !params.iter().any(|(k, _)| k == "fields") {
        return Json(keys.keys().cloned().collect::<Vec<_>>()).into_response();
    }
    let page = params
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let page_size = params
        .iter()
        .find(|(k, _)| k == "pageSize")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(50)
        .max(1);
    let paging = !params.iter().any(|(k, v)| k == "paging" && v == "false");
    let entries = keys
        .iter()
        .map(|(k, e)| json!({"key": k, "value": e.value}));
    if !paging {
        return Json(json!({"entries": entries.collect::<Vec<_>>()})).into_response();
    }
    let rows: Vec<Value> = entries
        .skip((page - 1) * page_size)
        .take(page_size)
        .collect();
    Json(json!({"pager": {"page": page, "pageSize": page_size}, "entries": rows})).into_response()
}

async fn delete_namespace(
    Extension(shared): Extension<Shared>,
    Path(namespace): Path<String>,
) -> Response {
    match shared.lock().remove(&namespace) {
        Some(_) => web_message(
            StatusCode::OK,
            "OK",
            &format!("Namespace '{namespace}' deleted."),
        ),
        None => namespace_not_found(&namespace),
    }
}

async fn get_entry(
    Extension(shared): Extension<Shared>,
    Path((namespace, key)): Path<(String, String)>,
) -> Response {
    match shared.lock().get(&namespace).and_then(|n| n.get(&key)) {
        Some(entry) => Json(entry.value.clone()).into_response(),
        None => key_not_found(&namespace, &key),
    }
}

async fn entry_metadata(
    Extension(shared): Extension<Shared>,
    Path((namespace, key)): Path<(String, String)>,
) -> Response {
    match shared.lock().get(&namespace).and_then(|n| n.get(&key)) {
        Some(entry) => Json(json!({
            "created": entry.created, "lastUpdated": entry.last_updated,
            "namespace": namespace, "key": key,
        }))
        .into_response(),
        None => key_not_found(&namespace, &key),
    }
}

async fn post_entry(
    Extension(shared): Extension<Shared>,
    Path((namespace, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let value = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut guard = shared.lock();
    let keys = guard.entry(namespace.clone()).or_default();
    if keys.contains_key(&key) {
        return error(
            StatusCode::CONFLICT,
            &format!("Key '{key}' already exists in namespace '{namespace}'"),
        );
    }
    let stamp = now();
    keys.insert(
        key.clone(),
        Entry {
            value,
            created: stamp.clone(),
            last_updated: stamp,
        },
    );
    let mut response = web_message(StatusCode::CREATED, "OK", &format!("Key '{key}' created."));
    if let Ok(location) = format!("/api/dataStore/{namespace}/{key}").parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

async fn put_entry(
    Extension(shared): Extension<Shared>,
    Path((namespace, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let value = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut guard = shared.lock();
    match guard.get_mut(&namespace).and_then(|n| n.get_mut(&key)) {
        Some(entry) => {
            entry.value = value;
            entry.last_updated = now();
            web_message(StatusCode::OK, "OK", &format!("Key '{key}' updated."))
        }
        None => key_not_found(&namespace, &key),
    }
}

async fn delete_entry(
    Extension(shared): Extension<Shared>,
    Path((namespace, key)): Path<(String, String)>,
) -> Response {
    let mut guard = shared.lock();
    let Some(keys) = guard.get_mut(&namespace) else {
        return namespace_not_found(&namespace);
    };
    if keys.remove(&key).is_none() {
        return key_not_found(&namespace, &key);
    }
    // A namespace exists only while it holds keys.
    if keys.is_empty() {
        guard.remove(&namespace);
    }
    web_message(
        StatusCode::OK,
        "OK",
        &format!("Key '{key}' deleted from namespace '{namespace}'."),
    )
}
