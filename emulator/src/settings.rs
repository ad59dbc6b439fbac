//! System settings: `GET/POST/DELETE /api/systemSettings[/{key}]`.
//!
//! Settings live in this module's state, started from a realistic default set.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{json, Map, Value};

use crate::params::query_pairs;
use crate::state::AppState;
use crate::web::{self, WebMessage};

struct SettingsState(Mutex<BTreeMap<String, Value>>);

type Shared = Arc<SettingsState>;

impl SettingsState {
    fn with_defaults() -> Self {
        let defaults = [
            ("applicationTitle", json!("DHIS 2 Emulator")),
            ("keyUiLocale", json!("en")),
            ("keyDbLocale", json!("en")),
            ("keyCalendar", json!("iso8601")),
            ("keyDateFormat", json!("yyyy-MM-dd")),
            ("keyAnalysisRelativePeriod", json!("LAST_12_MONTHS")),
            ("keyCacheStrategy", json!("CACHE_6AM_TOMORROW")),
            ("keyAccountRecovery", json!(false)),
            ("keyLockMultipleFailedLogins", json!(false)),
            ("keyFlag", json!("dhis2")),
            ("maxPasswordLength", json!(72)),
            ("minPasswordLength", json!(8)),
            ("keyIgnoreAnalyticsApprovalYearThreshold", json!(-1)),
            (
                "keySkipDataTypeValidationInAnalyticsTableExport",
                json!(false),
            ),
        ];
        Self(Mutex::new(
            defaults
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Value>> {
        crate::state::lock(&self.0)
    }
}

/// Routes of the system settings area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/systemSettings", get(all).post(import_all))
        .route("/api/systemSettings/", get(all).post(import_all))
        .route(
            "/api/systemSettings/{key}",
            get(one).post(set_one).put(set_one).delete(remove_one),
        )
        .layer(Extension(Arc::new(SettingsState::with_defaults())))
}

async fn all(Extension(shared): Extension<Shared>) -> Response {
    let map: Map<String, Value> = shared
        .lock()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    web::json(200, &Value::Object(map))
}

fn not_found() -> Response {
    WebMessage::error(404, "Setting does not exist or is marked as confidential").into_response()
}

/// JSON clients get `{"key": value}`; `Accept: text/plain` gets the bare value.
async fn one(
    Extension(shared): Extension<Shared>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(value) = shared.lock().get(&key).cloned() else {
        return not_found();
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.starts_with("text/plain") {
        let text = match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return ([(header::CONTENT_TYPE, "text/plain;charset=UTF-8")], text).into_response();
    }
    web::json(200, &json!({ key: value }))
}

async fn set_one(
    Extension(shared): Extension<Shared>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = query_pairs(query.as_deref());
    let from_query = params
        .iter()
        .find(|(k, _)| k == "value")
        .map(|(_, v)| v.clone());
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let value = match from_query {
        Some(v) => json!(v),
        None if body.is_empty() => {
            return WebMessage::error(409, "Value must be specified as query param or as payload")
                .into_response()
        }
        // A JSON body may carry a number or boolean; anything else is the text as sent.
        None if is_json => {
            serde_json::from_slice(&body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&body)))
        }
        None => json!(String::from_utf8_lossy(&body)),
    };
    let shown = match &value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    shared.lock().insert(key.clone(), value);
    WebMessage::new(200, "OK")
        .message(format!("System setting '{key}' set to value '{shown}'."))
        .into_response()
}

async fn import_all(Extension(shared): Extension<Shared>, body: Bytes) -> Response {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
        return WebMessage::error(400, "System settings must be a JSON object.").into_response();
    };
    let mut guard = shared.lock();
    for (k, v) in map {
        guard.insert(k, v);
    }
    WebMessage::new(200, "OK")
        .message("System settings imported")
        .into_response()
}

async fn remove_one(Extension(shared): Extension<Shared>, Path(key): Path<String>) -> Response {
    match shared.lock().remove(&key) {
        Some(_) => WebMessage::new(200, "OK")
            .message(format!("System setting '{key}' removed."))
            .into_response(),
        None => not_found(),
    }
}
