//! Single objects (WIRE.md 5, 6.2, 10): `GET/PUT/PATCH/DELETE /api/{plural}/{uid}`, `POST /api/{plural}`,
//! `GET /api/{plural}/{uid}/{property}`, with DHIS2's envelopes: 201 ObjectReport with `Location` and a generated
//! UID, 200 ObjectReport for updates and deletes, 404 `E1005`, and 409 ObjectReports with error reports for a
//! missing required property (`E4000`), a duplicate unique property (`E5003`) or a missing reference (`E5002`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{json, Map, Value};

use crate::auth::CurrentUser;
use crate::collections::{self, strip_suffix, type_known};
use crate::fields::{self, FieldContext};
use crate::params::Params;
use crate::schema::{self, Kind, TypeSchema};
use crate::state::AppState;
use crate::store::Store;
use crate::web::{self, ApiPrefix, WebMessage};

/// A new DHIS2 UID: a letter, then 10 letters or digits.
pub(crate) fn generate_uid() -> String {
    use rand::Rng;
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(11);
    s.push(LETTERS[rng.gen_range(0..LETTERS.len())] as char);
    for _ in 0..10 {
        s.push(ALNUM[rng.gen_range(0..ALNUM.len())] as char);
    }
    s
}

/// Whether a path segment can be a UID route (`[a-zA-Z0-9]{11}`, WIRE.md 1.4).
fn uid_route(s: &str) -> bool {
    s.len() == 11 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether a value is a valid UID (`^[a-zA-Z][a-zA-Z0-9]{10}$`).
pub(crate) fn valid_uid(s: &str) -> bool {
    uid_route(s) && s.as_bytes()[0].is_ascii_alphabetic()
}

/// The 404 for a missing object (2.39 omits the error code).
pub(crate) fn not_found(state: &AppState, plural: &str, uid: &str) -> Response {
    let msg = format!(
        "{} with id {uid} could not be found.",
        schema::class_name_of(plural)
    );
    let mut m = WebMessage::error(404, msg);
    if state.version().not_found_has_error_code() {
        m = m.error_code("E1005");
    }
    m.into_response()
}

fn object_report(state: &AppState, plural: &str, uid: &str, errors: Vec<Value>) -> Value {
    json!({
        "responseType": state.version().response_type("ObjectReport"),
        "uid": uid,
        "klass": schema::klass_of(plural),
        "errorReports": errors,
    })
}

fn ok_report(state: &AppState, status: u16, plural: &str, uid: &str) -> Response {
    WebMessage::new(status, "OK")
        .response(object_report(state, plural, uid, Vec::new()))
        .into_response()
}

fn conflict_report(state: &AppState, plural: &str, uid: &str, errors: Vec<Value>) -> Response {
    WebMessage::error(
        409,
        "One or more errors occurred, please see full details in import report.",
    )
    .response(object_report(state, plural, uid, errors))
    .into_response()
}

fn body_error(detail: impl std::fmt::Display) -> Response {
    WebMessage::error(400, format!("JSON parse error: {detail}")).into_response()
}

/// One error report (WIRE.md 7.2 key set).
struct Report<'a> {
    code: &'a str,
    message: String,
    main_klass: &'a str,
    error_klass: &'a str,
    property: &'a str,
    main_id: &'a str,
    value: Option<&'a str>,
    args: Vec<String>,
}

impl Report<'_> {
    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("message".into(), self.message.clone().into());
        m.insert("mainKlass".into(), self.main_klass.into());
        m.insert("errorKlass".into(), self.error_klass.into());
        m.insert("errorProperty".into(), self.property.into());
        m.insert("errorProperties".into(), json!([self.property]));
        m.insert("errorCode".into(), self.code.into());
        m.insert("mainId".into(), self.main_id.into());
        if let Some(v) = self.value {
            m.insert("value".into(), v.into());
        }
        m.insert("args".into(), json!(self.args));
        Value::Object(m)
    }
}

fn describe(obj: &Value, uid: &str, class: &str) -> String {
    match obj.get("name").and_then(Value::as_str) {
        Some(n) => format!("{n} [{uid}] ({class})"),
        None => format!("[{uid}] ({class})"),
    }
}

fn is_missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

fn ref_ids(v: &Value) -> Vec<&str> {
    match v {
        Value::Object(_) => v.get("id").and_then(Value::as_str).into_iter().collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.get("id").and_then(Value::as_str))
            .collect(),
        _ => Vec::new(),
    }
}

/// Validates an object about to be stored; returns error reports (empty when valid).
pub(crate) fn validate(store: &Store, plural: &str, uid: &str, obj: &Value) -> Vec<Value> {
    let Some(schema) = schema::by_plural(plural) else {
        return Vec::new();
    };
    let klass = schema.klass;
    let class = schema.class_name();
    let mut errors = Vec::new();
    for req in &schema.required {
        if is_missing(obj.get(*req)) {
            errors.push(
                Report {
                    code: "E4000",
                    message: format!("Missing required property `{req}`"),
                    main_klass: klass,
                    error_klass: klass,
                    property: req,
                    main_id: uid,
                    value: None,
                    args: vec![req.to_string()],
                }
                .to_value(),
            );
        }
    }
    for prop in &schema.unique {
        let Some(value) = obj.get(*prop).and_then(Value::as_str) else {
            continue;
        };
        let clash = store.list(plural).find(|other| {
            other.get(*prop).and_then(Value::as_str) == Some(value)
                && other.get("id").and_then(Value::as_str) != Some(uid)
        });
        if let Some(other) = clash {
            let other_id = other.get("id").and_then(Value::as_str).unwrap_or("");
            errors.push(Report { code: "E5003", message: format!(
                    "Property `{prop}` with value `{value}` on object {} already exists on object {other_id}",
                    describe(obj, uid, class)
                ), main_klass: klass, error_klass: klass, property: prop, main_id: uid, value: Some(value), args: vec![prop.to_string(), value.to_string(), describe(obj, uid, class), other_id.to_string()] }.to_value());
        }
    }
    for p in &schema.properties {
        let target = match p.kind {
            Kind::Reference(t) | Kind::Collection(Some(t)) => t,
            _ => continue,
        };
        // User references and types the emulator does not hold are not checked.
        if target.is_empty() || target == "users" || schema::by_plural(target).is_none() {
            continue;
        }
        let Some(v) = obj.get(p.name) else { continue };
        for id in ref_ids(v) {
            if store.get(target, id).is_none() {
                let target_class = schema::class_name_of(target);
                errors.push(Report { code: "E5002", message: format!(
                        "Invalid reference [{id}] ({target_class}) on object {} for association `{}`",
                        describe(obj, uid, class),
                        p.name
                    ), main_klass: klass, error_klass: &schema::klass_of(target), property: p.name, main_id: uid, value: Some(id), args: vec![format!("[{id}] ({target_class})"), describe(obj, uid, class), p.name.to_string()] }.to_value());
            }
        }
    }
    errors
}

/// The embedded reference to `user`, with the five keys DHIS2 always writes (WIRE.md 1.1).
pub(crate) fn user_ref(state: &AppState, user: &CurrentUser) -> Value {
    let name = state
        .auth()
        .user(&user.username)
        .map(|u| format!("{} {}", u.first_name, u.surname))
        .unwrap_or_else(|| user.username.to_string());
    json!({"id": user.uid.as_ref(), "code": null, "name": name, "displayName": name, "username": user.username.as_ref()})
}

/// Spring's 415 for a body that is not JSON (a missing `Content-Type` is let through).
fn require_json(headers: &HeaderMap) -> Result<(), Response> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = ct.to_str().unwrap_or("").to_ascii_lowercase();
    if text.starts_with("application/json") || text.contains("+json") {
        return Ok(());
    }
    Err(WebMessage::error(
        415,
        format!(
            "Content-Type '{}' is not supported",
            ct.to_str().unwrap_or("?")
        ),
    )
    .into_response())
}

fn parse_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(body_error("expected a JSON object")),
        Err(e) => Err(body_error(e)),
    }
}

/// Empty strings read as absent (WIRE.md 1.3).
fn drop_empty_strings(m: &mut Map<String, Value>) {
    m.retain(|_, v| !matches!(v, Value::String(s) if s.is_empty()) && !v.is_null());
}

fn location(
    headers: &HeaderMap,
    prefix: Option<&ApiPrefix>,
    plural: &str,
    uid: &str,
) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{}/{plural}/{uid}",
        web::api_base(headers, prefix)
    ))
    .ok()
}

/// `POST /api/{plural}`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    Extension(user): Extension<CurrentUser>,
    prefix: Option<Extension<ApiPrefix>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let (plural, _) = strip_suffix(&segment);
    if let Err(r) = require_json(&headers) {
        return r;
    }
    let mut obj = match parse_object(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    drop_empty_strings(&mut obj);
    let uid = match obj.get("id").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => generate_uid(),
    };
    let now = web::format_date(std::time::SystemTime::now());
    let who = user_ref(&state, &user);
    obj.insert("id".into(), uid.clone().into());
    obj.insert("created".into(), now.clone().into());
    obj.insert("lastUpdated".into(), now.into());
    obj.insert("createdBy".into(), who.clone());
    obj.insert("lastUpdatedBy".into(), who);
    add_defaults(&state, plural, &user, &mut obj);
    let login = if plural == "users" {
        take_login(&mut obj)
    } else {
        None
    };
    let obj = Value::Object(obj);
    {
        let mut store = state.store_write();
        if !type_known(&store, plural) {
            return web::html_not_found(uri.path());
        }
        let mut errors = Vec::new();
        if !valid_uid(&uid) {
            let klass = schema::klass_of(plural);
            errors.push(
                Report {
                    code: "E4014",
                    message: format!(
                        "Invalid UID `{uid}` for property `{}`",
                        schema::class_name_of(plural)
                    ),
                    main_klass: &klass,
                    error_klass: &klass,
                    property: "id",
                    main_id: &uid,
                    value: Some(&uid),
                    args: vec![uid.clone(), schema::class_name_of(plural)],
                }
                .to_value(),
            );
        } else if let Some((p, _)) = store.find_by_uid_any_type(&uid) {
            let klass = schema::klass_of(plural);
            errors.push(
                Report {
                    code: "E5003",
                    message: format!(
                    "Property `id` with value `{uid}` on object {} already exists on object {uid}",
                    describe(&obj, &uid, &schema::class_name_of(p))
                ),
                    main_klass: &klass,
                    error_klass: &klass,
                    property: "id",
                    main_id: &uid,
                    value: Some(&uid),
                    args: vec!["id".into(), uid.clone()],
                }
                .to_value(),
            );
        }
        errors.extend(validate(&store, plural, &uid, &obj));
        if !errors.is_empty() {
            return conflict_report(&state, plural, &uid, errors);
        }
        if let Err(e) = store.insert(plural, obj) {
            return WebMessage::error(409, e.to_string()).into_response();
        }
    }
    if let Some((username, password, first, last)) = login {
        // A created user can log in right away, as on a real server.
        state.auth().upsert_user(crate::auth::User {
            username: username.as_str().into(),
            password,
            uid: uid.as_str().into(),
            first_name: first,
            surname: last,
            disabled: false,
            locked: false,
            superuser: false,
        });
    }
    state.counters().add_writes(1);
    let mut resp = ok_report(&state, 201, plural, &uid);
    if let Some(loc) = location(&headers, prefix.as_ref().map(|p| &p.0), plural, &uid) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

/// What a new object gets that the client did not send: default sharing, empty translations and attribute values.
fn add_defaults(state: &AppState, plural: &str, user: &CurrentUser, obj: &mut Map<String, Value>) {
    let Some(schema) = schema::by_plural(plural) else {
        return;
    };
    if schema.property("sharing").is_some() && !obj.contains_key("sharing") {
        let mut sharing = Map::new();
        sharing.insert("owner".into(), user.uid.as_ref().into());
        if state.version().has_external_sharing() {
            sharing.insert("external".into(), false.into());
        }
        sharing.insert("users".into(), json!({}));
        sharing.insert("userGroups".into(), json!({}));
        sharing.insert("public".into(), "rw------".into());
        obj.insert("sharing".into(), Value::Object(sharing));
    }
    for key in ["translations", "attributeValues"] {
        if schema.property(key).is_some() && !obj.contains_key(key) {
            obj.insert(key.into(), json!([]));
        }
    }
}

/// Removes the password from a posted user (it is never stored or returned) and returns the login details.
fn take_login(obj: &mut Map<String, Value>) -> Option<(String, String, String, String)> {
    let mut password = obj.remove("password");
    let mut username = obj.get("username").cloned();
    if let Some(Value::Object(creds)) = obj.get_mut("userCredentials") {
        password = password.or_else(|| creds.remove("password"));
        creds.remove("password");
        username = username.or_else(|| creds.get("username").cloned());
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let (username, password) = (text(username.as_ref()), text(password.as_ref()));
    if username.is_empty() || password.is_empty() {
        return None;
    }
    Some((
        username,
        password,
        text(obj.get("firstName")),
        text(obj.get("surname")),
    ))
}

fn field_ctx_apply(
    state: &AppState,
    store: &Store,
    spec: &fields::FieldSpec,
    obj: &Value,
    plural: &str,
    api_base: &str,
) -> Value {
    let resolve = |uid: &str| store.find_by_uid_any_type(uid);
    let ctx = FieldContext {
        resolve: &resolve,
        api_base: Some(api_base),
        externalize: state.version().has_external_sharing(),
    };
    fields::apply(spec, obj, Some(plural), &ctx)
}

/// Checks the `{plural}/{uid}` segments; `Err` is the container 404.
fn route_ok<'a>(
    uri: &Uri,
    plural_seg: &'a str,
    uid_seg: &'a str,
) -> Result<(&'a str, &'a str), Response> {
    let (plural, _) = strip_suffix(plural_seg);
    let (uid, _) = strip_suffix(uid_seg);
    if !uid_route(uid) {
        return Err(web::html_not_found(uri.path()));
    }
    Ok((plural, uid))
}

/// `GET /api/{plural}/{uid}`.
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Path((plural_seg, uid_seg)): Path<(String, String)>,
    prefix: Option<Extension<ApiPrefix>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    get_one_inner(
        &state,
        &plural_seg,
        &uid_seg,
        prefix.as_ref().map(|p| &p.0),
        &headers,
        &uri,
        raw.as_deref(),
    )
}

/// `GET /api/apiToken/{uid}`: one token's metadata.
pub(crate) async fn get_token(
    State(state): State<AppState>,
    Path(uid_seg): Path<String>,
    prefix: Option<Extension<ApiPrefix>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    get_one_inner(
        &state,
        "apiToken",
        &uid_seg,
        prefix.as_ref().map(|p| &p.0),
        &headers,
        &uri,
        raw.as_deref(),
    )
}

fn get_one_inner(
    state: &AppState,
    plural_seg: &str,
    uid_seg: &str,
    prefix: Option<&ApiPrefix>,
    headers: &HeaderMap,
    uri: &Uri,
    raw: Option<&str>,
) -> Response {
    let state = state.clone();
    let (plural, uid) = match route_ok(uri, plural_seg, uid_seg) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let params = Params::parse(raw);
    let spec = fields::parse(
        params.get("fields").unwrap_or("*"),
        state.version().case_insensitive_transformers(),
    );
    let api_base = web::api_base(headers, prefix);
    let out = {
        let store = state.store_read();
        if !type_known(&store, plural) {
            return web::html_not_found(uri.path());
        }
        let Some(obj) = store.get(plural, uid) else {
            return not_found(&state, plural, uid);
        };
        serde_json::to_vec(&field_ctx_apply(
            &state, &store, &spec, obj, plural, &api_base,
        ))
        .unwrap_or_default()
    };
    let mut resp = web::json_bytes(200, out);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(web::NO_CACHE_PRIVATE),
    );
    resp
}

/// `GET /api/{plural}/{uid}/{property}`: `{"<property>": ...}` with `:all` inside by default.
pub(crate) async fn get_property(
    State(state): State<AppState>,
    Path((plural_seg, uid_seg, property_seg)): Path<(String, String, String)>,
    prefix: Option<Extension<ApiPrefix>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let (plural, uid) = match route_ok(&uri, &plural_seg, &uid_seg) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (property, _) = strip_suffix(&property_seg);
    let params = Params::parse(raw.as_deref());
    let inner = params.get("fields").unwrap_or(":all");
    let spec = fields::parse(
        &format!("{property}[{inner}]"),
        state.version().case_insensitive_transformers(),
    );
    let api_base = web::api_base(&headers, prefix.as_ref().map(|p| &p.0));
    let out = {
        let store = state.store_read();
        if !type_known(&store, plural) {
            return web::html_not_found(uri.path());
        }
        let Some(obj) = store.get(plural, uid) else {
            return not_found(&state, plural, uid);
        };
        let known = obj.get(property).is_some()
            || schema::by_plural(plural).is_some_and(|s| s.property(property).is_some());
        if !known {
            return WebMessage::error(
                404,
                format!(
                    "Property `{property}` does not exist on {}",
                    schema::class_name_of(plural)
                ),
            )
            .into_response();
        }
        let mut v = field_ctx_apply(&state, &store, &spec, obj, plural, &api_base);
        if let Some(m) = v.as_object_mut() {
            if !m.contains_key(property) {
                m.insert(property.to_string(), json!([]));
            }
        }
        serde_json::to_vec(&v).unwrap_or_default()
    };
    let mut resp = web::json_bytes(200, out);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(web::NO_CACHE_PRIVATE),
    );
    resp
}

/// Stores `new` over an existing object after validation; shared by PUT and PATCH.
fn store_update(
    state: &AppState,
    plural: &str,
    uid: &str,
    new: Value,
    user: &CurrentUser,
) -> Response {
    let mut new = new;
    let who = user_ref(state, user);
    {
        let mut store = state.store_write();
        let Some(old) = store.get(plural, uid) else {
            return not_found(state, plural, uid);
        };
        if let (Some(m), Some(o)) = (new.as_object_mut(), old.as_object()) {
            drop_empty_strings(m);
            for keep in ["created", "createdBy"] {
                if let Some(v) = o.get(keep) {
                    m.insert(keep.to_string(), v.clone());
                }
            }
            m.insert("id".into(), uid.into());
            m.insert(
                "lastUpdated".into(),
                web::format_date(std::time::SystemTime::now()).into(),
            );
            m.insert("lastUpdatedBy".into(), who);
        }
        let errors = validate(&store, plural, uid, &new);
        if !errors.is_empty() {
            return conflict_report(state, plural, uid, errors);
        }
        store.replace(plural, uid, new);
    }
    state.counters().add_writes(1);
    ok_report(state, 200, plural, uid)
}

/// `PUT /api/{plural}/{uid}`.
pub(crate) async fn put_one(
    State(state): State<AppState>,
    Path((plural_seg, uid_seg)): Path<(String, String)>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let (plural, uid) = match route_ok(&uri, &plural_seg, &uid_seg) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !type_known(&state.store_read(), plural) {
        return web::html_not_found(uri.path());
    }
    if let Err(r) = require_json(&headers) {
        return r;
    }
    let obj = match parse_object(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    store_update(&state, plural, uid, Value::Object(obj), &user)
}

/// Why a patch could not be applied: a 400 message.
struct PatchError(String);

fn pointer_tokens(path: &str) -> Result<Vec<String>, PatchError> {
    let invalid = || PatchError(format!("Invalid path {path}"));
    let rest = path.strip_prefix('/').ok_or_else(invalid)?;
    if rest.is_empty() {
        return Err(invalid());
    }
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Walks to the parent container of the last token.
fn parent_mut<'v>(
    root: &'v mut Value,
    tokens: &[String],
    path: &str,
) -> Result<&'v mut Value, PatchError> {
    let mut cur = root;
    for t in &tokens[..tokens.len().saturating_sub(1)] {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| PatchError(format!("Invalid path {path}")))?;
    }
    Ok(cur)
}

fn apply_op(doc: &mut Value, op: &Value, schema: Option<&TypeSchema>) -> Result<(), PatchError> {
    let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
    let path = op.get("path").and_then(Value::as_str).unwrap_or("");
    if !matches!(kind, "add" | "remove" | "remove-by-id" | "replace") {
        return Err(PatchError(format!(
            "JSON parse error: Could not resolve type id '{kind}' as a subtype of `org.hisp.dhis.commons.jackson.jsonpatch.JsonPatchOperation`: known type ids = [add, remove, remove-by-id, replace]"
        )));
    }
    let tokens = pointer_tokens(path)?;
    let invalid = || PatchError(format!("Invalid path {path}"));
    if let (Some(s), Some(first)) = (schema, tokens.first()) {
        if s.property(first).is_none() {
            return Err(invalid());
        }
    }
    let last = tokens.last().cloned().unwrap_or_default();
    let parent = parent_mut(doc, &tokens, path)?;
    match kind {
        "add" | "replace" => {
            let value = op.get("value").cloned().ok_or_else(|| {
                PatchError(format!("Missing value for {kind} operation at {path}"))
            })?;
            match parent {
                Value::Object(m) => {
                    m.insert(last, value);
                }
                Value::Array(a) => {
                    if last == "-" && kind == "add" {
                        a.push(value);
                    } else {
                        let i: usize = last.parse().map_err(|_| invalid())?;
                        if kind == "add" && i <= a.len() {
                            a.insert(i, value);
                        } else if kind == "replace" && i < a.len() {
                            a[i] = value;
                        } else {
                            return Err(invalid());
                        }
                    }
                }
                _ => return Err(invalid()),
            }
        }
        "remove" => match parent {
            Value::Object(m) => {
                // Removing an absent property leaves the object as it is, as DHIS2 does for nullable ones.
                m.shift_remove(&last);
            }
            Value::Array(a) => {
                let i: usize = last.parse().map_err(|_| invalid())?;
                if i >= a.len() {
                    return Err(invalid());
                }
                a.remove(i);
            }
            _ => return Err(invalid()),
        },
        _ => {
            let id = op.get("id").and_then(Value::as_str).ok_or_else(|| {
                PatchError(format!("Missing id for remove-by-id operation at {path}"))
            })?;
            let target = match parent {
                Value::Object(m) => m.get_mut(&last),
                _ => None,
            };
            match target {
                Some(Value::Array(a)) => {
                    a.retain(|x| x.get("id").and_then(Value::as_str) != Some(id))
                }
                None => {}
                Some(_) => return Err(invalid()),
            }
        }
    }
    Ok(())
}

/// `PATCH /api/{plural}/{uid}` with `application/json-patch+json` (and the legacy JSON merge on 2.39/2.40).
pub(crate) async fn patch_one(
    State(state): State<AppState>,
    Path((plural_seg, uid_seg)): Path<(String, String)>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let (plural, uid) = match route_ok(&uri, &plural_seg, &uid_seg) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let current = {
        let store = state.store_read();
        if !type_known(&store, plural) {
            return web::html_not_found(uri.path());
        }
        match store.get(plural, uid) {
            Some(o) => o.clone(),
            None => return not_found(&state, plural, uid),
        }
    };
    if !ct.starts_with("application/json-patch+json") {
        if ct.starts_with("application/json") && state.version().major() <= 40 {
            // 2.39/2.40 legacy partial update: merge the given properties, answer 204.
            let patch = match parse_object(&body) {
                Ok(m) => m,
                Err(r) => return r,
            };
            let mut merged = current;
            if let Some(m) = merged.as_object_mut() {
                m.extend(patch);
            }
            let resp = store_update(&state, plural, uid, merged, &user);
            if resp.status() == StatusCode::OK {
                return StatusCode::NO_CONTENT.into_response();
            }
            return resp;
        }
        let shown = if ct.is_empty() {
            "application/octet-stream".to_string()
        } else {
            ct
        };
        return WebMessage::error(415, format!("Content-Type '{shown}' is not supported"))
            .into_response();
    }
    let ops = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(ops)) => ops,
        Ok(_) => return body_error("a JSON Patch must be an array of operations"),
        Err(e) => return body_error(e),
    };
    let schema = schema::by_plural(plural);
    let mut doc = current;
    for op in &ops {
        if let Err(PatchError(msg)) = apply_op(&mut doc, op, schema) {
            return WebMessage::error(400, msg).into_response();
        }
    }
    store_update(&state, plural, uid, doc, &user)
}

/// `DELETE /api/{plural}/{uid}`: 200 with an ObjectReport (not 204).
pub(crate) async fn delete_one(
    State(state): State<AppState>,
    Path((plural_seg, uid_seg)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let (plural, uid) = match route_ok(&uri, &plural_seg, &uid_seg) {
        Ok(x) => x,
        Err(r) => return r,
    };
    {
        let mut store = state.store_write();
        if !type_known(&store, plural) {
            return web::html_not_found(uri.path());
        }
        if store.remove(plural, uid).is_none() {
            return not_found(&state, plural, uid);
        }
    }
    state.counters().add_writes(1);
    ok_report(&state, 200, plural, uid)
}

/// Metadata collection and single-object routes (behind auth).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/{plural}", get(collections::list).post(create))
        .route(
            "/api/{plural}/{uid}",
            get(get_one)
                .put(put_one)
                .patch(patch_one)
                .delete(delete_one),
        )
        .route("/api/{plural}/{uid}/{property}", get(get_property))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_uids_are_valid() {
        for _ in 0..100 {
            assert!(valid_uid(&generate_uid()));
        }
        assert!(!valid_uid("1bcdefghijk"));
        assert!(uid_route("1bcdefghijk"));
    }

    #[test]
    fn validation_reports_each_kind() {
        let mut store = Store::new();
        store
            .insert(
                "categoryCombos",
                json!({"id": "bjDvmb4bfuf", "name": "default"}),
            )
            .unwrap();
        store
            .insert(
                "dataElements",
                json!({"id": "a1234567890", "name": "Taken", "shortName": "T", "code": "C1",
                   "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}),
            )
            .unwrap();
        let obj = json!({"name": "Taken", "shortName": "S", "valueType": "NUMBER", "aggregationType": "SUM",
                         "optionSet": {"id": "zzzzzzzzzzz"}, "categoryCombo": {"id": "bjDvmb4bfuf"}});
        let errors = validate(&store, "dataElements", "b1234567890", &obj);
        let codes: Vec<&str> = errors
            .iter()
            .map(|e| e["errorCode"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec!["E4000", "E5003", "E5002"], "{errors:?}");
        assert_eq!(
            errors[0]["message"],
            "Missing required property `domainType`"
        );
        assert_eq!(errors[2]["errorProperty"], "optionSet");
    }
}
