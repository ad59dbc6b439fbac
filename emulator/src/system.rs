//! `/api/system/info` (WIRE.md 2), `/api/me` (WIRE.md 3), `/api/userSettings` and `/api/ping`, each shaped for the emulated version.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{json, Map, Value};

use crate::auth::CurrentUser;
use crate::fields::{self, FieldContext};
use crate::params::Params;
use crate::state::AppState;
use crate::version::VersionProfile;
use crate::web;

/// Time the emulated build was made (fixed so answers are deterministic).
const BUILD_TIME: &str = "2026-05-08T17:38:59.000";

/// The `SystemInfo` object for this request.
pub(crate) fn system_info(state: &AppState, headers: &HeaderMap, superuser: bool) -> Value {
    let v = state.version();
    let now = web::format_date(std::time::SystemTime::now());
    let context = web::context_path(headers);
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let mut m = Map::new();
    let mut put = |k: &str, val: Value| {
        m.insert(k.to_string(), val);
    };
    put("contextPath", context.clone().into());
    put("userAgent", agent.into());
    put("calendar", "iso8601".into());
    put("dateFormat", "yyyy-mm-dd".into());
    put("serverDate", now.clone().into());
    put("serverTimeZoneId", "Etc/UTC".into());
    put(
        "serverTimeZoneDisplayName",
        "Coordinated Universal Time".into(),
    );
    if v.system_info_has_capability() {
        put("sessionTimeout", 3600.into());
    }
    put(
        "lastAnalyticsTableSuccess",
        "2026-01-01T02:00:00.000".into(),
    );
    put(
        "intervalSinceLastAnalyticsTableSuccess",
        "2 h, 0 m, 0 s".into(),
    );
    put("lastAnalyticsTableRuntime", "5 m, 12 s".into());
    put(
        "lastSystemMonitoringSuccess",
        "2026-01-01T02:05:00.000".into(),
    );
    put(
        "lastAnalyticsTablePartitionSuccess",
        "2026-01-01T03:00:00.000".into(),
    );
    put(
        "intervalSinceLastAnalyticsTablePartitionSuccess",
        "1 h, 0 m, 0 s".into(),
    );
    put("lastAnalyticsTablePartitionRuntime", "12 s".into());
    let mut db = json!({
        "name": "dhis2", "user": "dhis", "url": "jdbc:postgresql://localhost:5432/dhis2",
        "databaseVersion": "PostgreSQL 16.4", "spatialSupport": true, "time": now,
    });
    if !superuser {
        if let Some(o) = db.as_object_mut() {
            for k in ["name", "user", "url", "databaseVersion"] {
                o.remove(k);
            }
        }
    }
    put("databaseInfo", db);
    if v.system_info_has_capability() {
        put("capability", json!({"analyticsTotalCounts": true}));
    }
    put("version", v.as_str().into());
    put("revision", v.revision().into());
    put("buildTime", BUILD_TIME.into());
    if superuser {
        put("jasperReportsVersion", "6.20.6".into());
        put("environmentVariable", "DHIS2_HOME".into());
        put("fileStoreProvider", "filesystem".into());
        put("readOnlyMode", "off".into());
        put("nodeId", "dhis2-emulator".into());
        put("javaVersion", "17.0.12".into());
        put("javaVendor", "Eclipse Adoptium".into());
        put("javaOpts", "-Xms1g -Xmx4g".into());
        put("osName", "Linux".into());
        put("osArchitecture", "amd64".into());
        put("osVersion", "6.8.0".into());
        put("externalDirectory", "/opt/dhis2".into());
        put("readReplicaCount", 0.into());
        put(
            "memoryInfo",
            "Mem Total in JVM: 4096 Mb, Free in JVM: 2048 Mb, Max Limit: 4096 Mb".into(),
        );
        put("cpuCores", 8.into());
    }
    put("emailConfigured", false.into());
    put("redisEnabled", false.into());
    if superuser {
        put("redisHostname", "localhost".into());
    }
    put("systemId", state.config().system_id.clone().into());
    put("systemName", "DHIS 2 Emulator".into());
    put("systemMetadataVersion", "Version_1".into());
    put("instanceBaseUrl", context.into());
    if superuser {
        put("systemMonitoringUrl", "http://localhost:9090".into());
        put("clusterHostname", "localhost".into());
    }
    put("isMetadataVersionEnabled", true.into());
    put(
        "lastMetadataVersionSyncAttempt",
        "2026-01-01T00:00:00.000".into(),
    );
    put("isMetadataSyncEnabled", false.into());
    put("encryption", false.into());
    Value::Object(m)
}

fn no_resolve(_: &str) -> Option<(&'static str, &'static Value)> {
    None
}

/// Applies `fields` (default `*`) to a plain object such as system info.
fn with_fields(state: &AppState, params: &Params, value: Value) -> Value {
    match params.get("fields") {
        None => value,
        Some(f) => {
            let spec = fields::parse(f, state.version().case_insensitive_transformers());
            let ctx = FieldContext {
                resolve: &no_resolve,
                api_base: None,
                externalize: state.version().has_external_sharing(),
            };
            fields::apply(&spec, &value, None, &ctx)
        }
    }
}

async fn info(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.as_deref());
    let value = with_fields(
        &state,
        &params,
        system_info(&state, &headers, user.superuser),
    );
    web::json_cached(200, &value, "no-store")
}

fn ref_list(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Array(a)) => Value::Array(
            a.iter()
                .filter_map(|x| x.get("id").cloned())
                .map(|id| json!({"id": id}))
                .collect(),
        ),
        _ => json!([]),
    }
}

/// The `MeDto` of a user for this version.
pub(crate) fn me(state: &AppState, user: &CurrentUser) -> Value {
    let v = state.version();
    let auth_user = state.auth().user(&user.username);
    let store = state.store_read();
    let stored = store.get("users", &user.uid);
    let s = |k: &str| {
        stored
            .and_then(|o| o.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (first, last) = match &auth_user {
        Some(u) => (
            s("firstName").unwrap_or_else(|| u.first_name.clone()),
            s("surname").unwrap_or_else(|| u.surname.clone()),
        ),
        None => ("admin".to_string(), "admin".to_string()),
    };
    let display = format!("{first} {last}");
    let roots: Vec<Value> = store
        .list("organisationUnits")
        .filter(|o| o.get("parent").is_none())
        .filter_map(|o| o.get("id").cloned())
        .map(|id| json!({"id": id}))
        .collect();
    let org_units = match stored.and_then(|o| o.get("organisationUnits")) {
        Some(Value::Array(a)) if !a.is_empty() => {
            ref_list(stored.and_then(|o| o.get("organisationUnits")))
        }
        _ => Value::Array(roots.clone()),
    };
    let data_view = match stored.and_then(|o| o.get("dataViewOrganisationUnits")) {
        Some(Value::Array(a)) if !a.is_empty() => {
            ref_list(stored.and_then(|o| o.get("dataViewOrganisationUnits")))
        }
        _ => org_units.clone(),
    };
    let ids = |plural: &str| -> Value {
        Value::Array(
            store
                .list(plural)
                .filter_map(|o| o.get("id").cloned())
                .collect(),
        )
    };
    let authorities = authorities(user);
    let created = s("created").unwrap_or_else(|| "2013-04-18T17:15:08.407".into());
    let last_updated = s("lastUpdated").unwrap_or_else(|| created.clone());
    let mut access = Map::new();
    access.insert("manage".into(), true.into());
    if v.has_external_sharing() {
        access.insert("externalize".into(), false.into());
    }
    for k in ["write", "read", "update", "delete"] {
        access.insert(k.into(), true.into());
    }
    let mut m = Map::new();
    for key in v.me_keys() {
        let val: Option<Value> = match key {
            "access" => Some(Value::Object(access.clone())),
            "authorities" => Some(authorities.clone()),
            "avatar" | "impersonation" | "canImpersonate" => None,
            "birthday" => Some("1970-01-01T00:00:00.000".into()),
            "created" => Some(created.clone().into()),
            "lastUpdated" => Some(last_updated.clone().into()),
            "dataSets" => Some(ids("dataSets")),
            "programs" => Some(ids("programs")),
            "dataViewOrganisationUnits" => Some(data_view.clone()),
            "organisationUnits" => Some(org_units.clone()),
            "teiSearchOrganisationUnits" => Some(json!([])),
            "displayName" | "name" => Some(display.clone().into()),
            "firstName" => Some(first.clone().into()),
            "surname" => Some(last.clone().into()),
            "email" => Some(
                s("email")
                    .unwrap_or_else(|| format!("{}@dhis2.example.org", user.username))
                    .into(),
            ),
            // 2.39 quirk: `education` is filled from the nationality (WIRE.md 3).
            "education" if v.major() == 39 => Some("Global".into()),
            "education" => Some("University".into()),
            "employer" => Some("Ministry of Health".into()),
            "gender" => Some("gender_other".into()),
            "interests" => Some("Health information".into()),
            "introduction" => Some("Emulated user".into()),
            "jobTitle" => Some("System administrator".into()),
            "languages" => Some("English".into()),
            "nationality" => Some("Global".into()),
            "phoneNumber" => Some("+4712345678".into()),
            "facebookMessenger" | "skype" | "telegram" | "twitter" | "whatsApp" => {
                Some(user.username.to_string().into())
            }
            "externalAccess" => Some(false.into()),
            "favorites" | "translations" | "patTokens" | "attributeValues" => Some(json!([])),
            "id" => Some(user.uid.to_string().into()),
            "username" => Some(user.username.to_string().into()),
            "settings" => Some(user_settings(v)),
            "sharing" | "userAccesses" | "userGroupAccesses" if v.major() >= 41 => None,
            "sharing" => Some(json!({"external": false, "users": {}, "userGroups": {}})),
            "userAccesses" | "userGroupAccesses" => Some(json!([])),
            "userCredentials" => Some(json!({
                "id": user.uid.as_ref(), "username": user.username.as_ref(),
                "userRoles": ref_list(stored.and_then(|o| o.get("userRoles"))),
                "twoFA": false, "disabled": false,
            })),
            "userGroups" => Some(ref_list(stored.and_then(|o| o.get("userGroups")))),
            "userRoles" => Some(ref_list(stored.and_then(|o| o.get("userRoles")))),
            "emailVerified" => Some(false.into()),
            "twoFactorType" => Some("NOT_ENABLED".into()),
            _ => None,
        };
        if let Some(val) = val {
            m.insert(key.to_string(), val);
        }
    }
    Value::Object(m)
}

fn user_settings(v: &VersionProfile) -> Value {
    // 2.42+ type the setting as the `DisplayProperty` enum (`NAME`, `SHORTNAME`); earlier versions hold the
    // lower-case string the apps store.
    let display = if v.major() >= 42 { "NAME" } else { "name" };
    json!({
        "keyUiLocale": "en",
        "keyDbLocale": "en",
        "keyAnalysisDisplayProperty": display,
        "keyStyle": "light_blue/light_blue.css",
        "keyMessageEmailNotification": false,
        "keyMessageSmsNotification": false,
    })
}

async fn me_handler(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.as_deref());
    if params.get("fields").is_some() {
        let value = with_fields(&state, &params, me(&state, &user));
        return web::json_cached(200, &value, web::NO_CACHE_PRIVATE);
    }
    // The default answer only changes with metadata, so it is built once per store generation.
    let generation = state.store_read().generation();
    let cached = state
        .0
        .me_cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(user.username.as_ref())
        .filter(|(g, _)| *g == generation)
        .map(|(_, b)| b.clone());
    let body = match cached {
        Some(b) => b,
        None => {
            let b = bytes::Bytes::from(serde_json::to_vec(&me(&state, &user)).unwrap_or_default());
            state
                .0
                .me_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(user.username.to_string(), (generation, b.clone()));
            b
        }
    };
    let mut resp = web::json_bytes_shared(200, body);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(web::NO_CACHE_PRIVATE),
    );
    resp
}

async fn user_settings_handler(State(state): State<AppState>) -> Response {
    web::json(200, &user_settings(state.version()))
}

/// `GET /api/me/authorization`: the caller's authorities.
async fn authorization(Extension(user): Extension<CurrentUser>) -> Response {
    web::json(200, &authorities(&user))
}

/// `GET /api/me/authorization/{authority}`: whether the caller has it (`ALL` implies every authority).
async fn has_authorization(
    Extension(user): Extension<CurrentUser>,
    axum::extract::Path(auth): axum::extract::Path<String>,
) -> Response {
    let all = authorities(&user);
    let has = all.as_array().is_some_and(|a| {
        a.iter()
            .any(|x| x == "ALL" || x.as_str() == Some(auth.as_str()))
    });
    web::json(200, &Value::Bool(has))
}

fn authorities(user: &CurrentUser) -> Value {
    if user.superuser {
        json!(["ALL"])
    } else {
        json!(["F_METADATA_EXPORT", "M_dhis-web-dashboard"])
    }
}

/// `GET /api/system/id?limit=N` (also `/api/system/uid`): fresh UIDs, at most 10,000 at a time.
async fn generate_ids(RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let limit = params
        .get("limit")
        .and_then(|l| l.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let codes: Vec<String> = (0..limit).map(|_| crate::crud::generate_uid()).collect();
    web::json(200, &json!({ "codes": codes }))
}

async fn ping() -> Response {
    let mut resp = "pong".into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    resp
}

/// Authenticated system routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/system/info", get(info))
        .route("/api/system/info.json", get(info))
        .route("/api/me", get(me_handler))
        .route("/api/me.json", get(me_handler))
        .route("/api/userSettings", get(user_settings_handler))
        .route("/api/me/authorization", get(authorization))
        .route("/api/me/authorization/{authority}", get(has_authorization))
        .route("/api/system/id", get(generate_ids))
        .route("/api/system/uid", get(generate_ids))
}

/// Routes that need no credentials.
pub(crate) fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/api/ping", get(ping))
        .route("/api/system/ping", get(ping))
}
