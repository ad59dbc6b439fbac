//! `/api/routes/{id or code}/run[/**]`: runs a route stored in the `routes` collection.
//!
//! The emulator makes no outbound calls: a run answers the route's configured `url` with an echo of the request
//! (method, sub-path, query, body), which is enough for clients to test how they reach routes.
//!
//! Route objects themselves are kept in the store's `routes` collection: `POST /api/routes` creates one (201
//! with an ObjectReport), `GET /api/routes[/{uid}]` reads and `DELETE /api/routes/{uid}` removes them.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use serde_json::{json, Value};

use crate::state::AppState;
use crate::web::{self, WebMessage};

/// Routes of the route-run area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/routes", get(list).post(create))
        .route("/api/routes/{uid}", get(single).delete(remove))
        .route("/api/routes/{id}/run", any(run_root))
        .route("/api/routes/{id}/run/{*rest}", any(run_sub))
}

fn object_report(state: &AppState, code: u16, uid: &str) -> Response {
    WebMessage::new(code, "OK")
        .response(json!({
            "responseType": state.version().response_type("ObjectReport"),
            "uid": uid, "klass": "org.hisp.dhis.route.Route", "errorReports": [],
        }))
        .into_response()
}

async fn list(State(state): State<AppState>) -> Response {
    let routes: Vec<Value> = state.store_read().list("routes").cloned().collect();
    let total = routes.len();
    web::json(
        200,
        &json!({"pager": {"page": 1, "total": total, "pageSize": 50, "pageCount": 1}, "routes": routes}),
    )
}

async fn single(State(state): State<AppState>, Path(uid): Path<String>) -> Response {
    match state.store_read().get("routes", &uid) {
        Some(route) => web::json(200, route),
        None => WebMessage::error(404, format!("Route with id {uid} could not be found."))
            .error_code("E1005")
            .into_response(),
    }
}

async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(Value::Object(mut route)) = serde_json::from_slice::<Value>(&body) else {
        return WebMessage::error(400, "Route payload must be a JSON object.").into_response();
    };
    for key in ["name", "url"] {
        if route
            .get(key)
            .and_then(Value::as_str)
            .map_or(true, str::is_empty)
        {
            return WebMessage::error(409, format!("Missing required property `{key}`."))
                .error_code("E4000")
                .into_response();
        }
    }
    let uid = match route.get("id").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => crate::crud::generate_uid(),
    };
    route.insert("id".into(), json!(uid));
    route.entry("disabled").or_insert(json!(false));
    let now = crate::tracker::seed::now_string();
    route.insert("created".into(), json!(now));
    route.insert("lastUpdated".into(), json!(now));
    if let Err(e) = state.store_write().insert("routes", Value::Object(route)) {
        return WebMessage::error(409, e.to_string()).into_response();
    }
    object_report(&state, 201, &uid)
}

async fn remove(State(state): State<AppState>, Path(uid): Path<String>) -> Response {
    match state.store_write().remove("routes", &uid) {
        Some(_) => object_report(&state, 200, &uid),
        None => WebMessage::error(404, format!("Route with id {uid} could not be found."))
            .error_code("E1005")
            .into_response(),
    }
}

async fn run_root(
    State(state): State<AppState>,
    method: Method,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    run(&state, method, &id, "", query, &body)
}

async fn run_sub(
    State(state): State<AppState>,
    method: Method,
    Path((id, rest)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    run(&state, method, &id, &rest, query, &body)
}

fn run(
    state: &AppState,
    method: Method,
    id: &str,
    rest: &str,
    query: Option<String>,
    body: &Bytes,
) -> Response {
    let route = {
        let store = state.store_read();
        store.get("routes", id).cloned().or_else(|| {
            store
                .list("routes")
                .find(|r| r.get("code").and_then(Value::as_str) == Some(id))
                .cloned()
        })
    };
    let Some(route) = route else {
        return WebMessage::error(404, format!("Route not found: '{id}'")).into_response();
    };
    if route.get("disabled").and_then(Value::as_bool) == Some(true) {
        return WebMessage::error(400, format!("Route '{id}' is disabled.")).into_response();
    }
    // A sub-path is only allowed when the route's URL ends with `/**` (DHIS2's wildcard routes).
    let url = route.get("url").and_then(Value::as_str).unwrap_or_default();
    if !rest.is_empty() && !url.ends_with("/**") {
        return WebMessage::error(400, format!("Route '{id}' does not allow sub-paths."))
            .into_response();
    }
    let body_value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
    };
    let answer = json!({
        "route": route.get("id").cloned().unwrap_or(Value::Null),
        "code": route.get("code").cloned().unwrap_or(Value::Null),
        "url": url, "method": method.as_str(), "subPath": rest,
        "query": query.unwrap_or_default(), "body": body_value,
    });
    web::json(StatusCode::OK.as_u16(), &answer)
}
