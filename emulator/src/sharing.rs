//! `GET/POST/PUT /api/sharing?type=..&id=..`: the legacy sharing view of any shareable object in the store.
//!
//! Reads and writes the object's `sharing` block (`owner`, `public`, `external`?, `users`, `userGroups`, WIRE.md
//! §13 "Sharing") and its `publicAccess` copy.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::params::query_pairs;
use crate::state::AppState;

/// Routes of the sharing area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/sharing",
            get(get_sharing).post(set_sharing).put(set_sharing),
        )
        .route(
            "/api/sharing/",
            get(get_sharing).post(set_sharing).put(set_sharing),
        )
}

fn answer(status: StatusCode, outcome: &'static str, text: &str) -> Response {
    crate::web::WebMessage::new(status.as_u16(), outcome)
        .message(text)
        .into_response()
}

/// The collection name of a schema's singular name (`dataElement` -> `dataElements`, `category` -> `categories`).
fn plural_of(singular: &str) -> String {
    match singular.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{singular}s"),
    }
}

/// Resolves `type` and `id` to the collection and uid, or the DHIS2 error answer.
fn target(state: &AppState, query: Option<String>) -> Result<(String, String), Response> {
    let params = query_pairs(query.as_deref());
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (Some(kind), Some(id)) = (get("type"), get("id")) else {
        return Err(answer(
            StatusCode::BAD_REQUEST,
            "ERROR",
            "Required request parameters 'type' and 'id' are missing.",
        ));
    };
    let plural = plural_of(&kind);
    let store = state.store_read();
    if store.len(&plural) == 0 {
        return Err(answer(
            StatusCode::CONFLICT,
            "ERROR",
            &format!("Type {kind} is not supported."),
        ));
    }
    if store.get(&plural, &id).is_none() {
        return Err(answer(
            StatusCode::NOT_FOUND,
            "ERROR",
            &format!("Object of type {kind} with ID {id} was not found."),
        ));
    }
    Ok((plural, id))
}

fn display_name(state: &AppState, plural: &str, id: &str) -> Value {
    state
        .store_read()
        .get(plural, id)
        .and_then(|o| o.get("displayName").or_else(|| o.get("name")).cloned())
        .unwrap_or(Value::Null)
}

async fn get_sharing(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let (plural, id) = match target(&state, query) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let object = state
        .store_read()
        .get(&plural, &id)
        .cloned()
        .unwrap_or(Value::Null);
    let sharing = object.get("sharing").cloned().unwrap_or_else(|| json!({}));
    let public = sharing
        .get("public")
        .or_else(|| object.get("publicAccess"))
        .and_then(Value::as_str)
        .unwrap_or("--------")
        .to_string();
    let accesses = |key: &str, coll: &str| -> Vec<Value> {
        let Some(Value::Object(map)) = sharing.get(key) else {
            return Vec::new();
        };
        map.iter()
            .map(|(uid, a)| {
                let name = display_name(&state, coll, uid);
                let mut entry = json!({"id": uid, "access": a.get("access").cloned().unwrap_or(json!("--------"))});
                if !name.is_null() {
                    entry["name"] = name.clone();
                    entry["displayName"] = name;
                }
                entry
            })
            .collect()
    };
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    for key in ["name", "displayName"] {
        if let Some(v) = object.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert("publicAccess".into(), json!(public));
    let external = state.version().has_external_sharing();
    if external {
        out.insert(
            "externalAccess".into(),
            sharing.get("external").cloned().unwrap_or(json!(false)),
        );
    }
    if let Some(owner) = sharing.get("owner").and_then(Value::as_str) {
        out.insert(
            "user".into(),
            json!({"id": owner, "name": display_name(&state, "users", owner)}),
        );
    }
    out.insert(
        "userGroupAccesses".into(),
        json!(accesses("userGroups", "userGroups")),
    );
    out.insert("userAccesses".into(), json!(accesses("users", "users")));
    let mut meta = json!({"allowPublicAccess": true});
    if external {
        meta["allowExternalAccess"] = json!(true);
    }
    Json(json!({"meta": meta, "object": out})).into_response()
}

/// Whether `access` is an 8-character DHIS2 access string (`rw------`, `r-r-----`).
fn valid_access(access: &str) -> bool {
    let b = access.as_bytes();
    b.len() == 8
        && matches!(b[0], b'r' | b'-')
        && matches!(b[1], b'w' | b'-')
        && matches!(b[2], b'r' | b'-')
        && matches!(b[3], b'w' | b'-')
        && b[4..].iter().all(|c| *c == b'-')
}

async fn set_sharing(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let (plural, id) = match target(&state, query) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return answer(
            StatusCode::BAD_REQUEST,
            "ERROR",
            "Request body is not valid JSON.",
        );
    };
    let Some(obj) = payload.get("object") else {
        return answer(
            StatusCode::BAD_REQUEST,
            "ERROR",
            "Sharing payload has no `object`.",
        );
    };
    let public = obj
        .get("publicAccess")
        .and_then(Value::as_str)
        .unwrap_or("--------");
    if !valid_access(public) {
        return answer(
            StatusCode::CONFLICT,
            "ERROR",
            &format!("Invalid public access string: {public}"),
        );
    }
    let collect = |key: &str| -> Result<Map<String, Value>, Response> {
        let mut map = Map::new();
        for entry in obj.get(key).and_then(Value::as_array).into_iter().flatten() {
            let uid = entry.get("id").and_then(Value::as_str).unwrap_or_default();
            let access = entry
                .get("access")
                .and_then(Value::as_str)
                .unwrap_or("--------");
            if uid.is_empty() || !valid_access(access) {
                return Err(answer(
                    StatusCode::CONFLICT,
                    "ERROR",
                    &format!("Invalid access entry in `{key}`: {entry}"),
                ));
            }
            map.insert(uid.to_string(), json!({"id": uid, "access": access}));
        }
        Ok(map)
    };
    let (users, groups) = match (collect("userAccesses"), collect("userGroupAccesses")) {
        (Ok(u), Ok(g)) => (u, g),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let mut store = state.store_write();
    let Some(mut object) = store.get(&plural, &id).cloned() else {
        return answer(
            StatusCode::NOT_FOUND,
            "ERROR",
            &format!("Object with ID {id} was not found."),
        );
    };
    let owner = object.get("sharing").and_then(|s| s.get("owner")).cloned();
    let mut sharing = Map::new();
    if let Some(owner) = owner {
        sharing.insert("owner".into(), owner);
    }
    if state.version().has_external_sharing() {
        sharing.insert(
            "external".into(),
            obj.get("externalAccess").cloned().unwrap_or(json!(false)),
        );
    }
    sharing.insert("users".into(), Value::Object(users));
    sharing.insert("userGroups".into(), Value::Object(groups));
    sharing.insert("public".into(), json!(public));
    object["sharing"] = Value::Object(sharing);
    object["publicAccess"] = json!(public);
    store.replace(&plural, &id, object);
    drop(store);
    answer(StatusCode::OK, "OK", "Access control set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_access_strings() {
        assert_eq!(plural_of("dataElement"), "dataElements");
        assert_eq!(plural_of("category"), "categories");
        assert!(valid_access("rw------"));
        assert!(valid_access("r-r-----"));
        assert!(!valid_access("rwx-----"));
        assert!(!valid_access("rw"));
    }
}
