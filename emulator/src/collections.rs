//! Collection lists `GET /api/{plural}` (WIRE.md 4): filters, `query`, order, DHIS2's pager with clamping and
//! absolute links carrying the other parameters, `paging=false`, and `fields` (default `id,displayName`).
//!
//! The answer is serialized straight into one buffer under the store's read lock (no clone of the store, no
//! intermediate document), so large lists cost one pass. Large answers (a `paging=false` list of 100,000 org
//! units is ~20 MB) are kept in a [`ListCache`] for the store generation they were rendered from, so asking again
//! costs a lookup and the emulator is not the bottleneck of a client benchmark.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Serialize;
use serde_json::Value;

use crate::fields::{self, FieldContext, FieldSpec};
use crate::filter::{self, Filter};
use crate::order::{self, OrderTerm};
use crate::params::Params;
use crate::schema::{self, TypeSchema};
use crate::state::AppState;
use crate::store::Store;
use crate::web::{self, ApiPrefix, WebMessage};

/// Default page size.
const DEFAULT_PAGE_SIZE: i64 = 50;

/// Splits a `.json` format suffix off a path segment (WIRE.md 1.5a).
pub(crate) fn strip_suffix(segment: &str) -> (&str, &'static str) {
    match segment.strip_suffix(".json") {
        Some(s) => (s, ".json"),
        None => (segment, ""),
    }
}

/// Whether the emulator serves this type (registered, or present in the store).
pub(crate) fn type_known(store: &Store, plural: &str) -> bool {
    // `apiToken` objects appear only once a token is minted, but the list exists from the start.
    schema::by_plural(plural).is_some()
        || store.collection(plural).is_some()
        || plural == "apiToken"
}

/// The answer to an unparsable query parameter: 400 E1003 from 2.40, 409 without a code on 2.39 (WIRE.md 11.6).
pub(crate) fn query_error(state: &AppState, message: &str) -> Response {
    if state.version().query_error_is_bad_request() {
        WebMessage::error(400, message)
            .error_code("E1003")
            .into_response()
    } else {
        WebMessage::error(409, message).into_response()
    }
}

/// A Spring bind error for a non-numeric parameter: 400 without `errorCode`.
pub(crate) fn bind_error(name: &str, value: &str) -> Response {
    WebMessage::error(
        400,
        format!("Value '{value}' is not valid for parameter {name}. It should be of type Integer."),
    )
    .into_response()
}

fn int_param(params: &Params, name: &str) -> Result<Option<i64>, Response> {
    match params.get(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| bind_error(name, v)),
    }
}

#[derive(Serialize)]
struct Pager {
    page: i64,
    total: usize,
    #[serde(rename = "pageSize")]
    page_size: i64,
    #[serde(rename = "pageCount")]
    page_count: i64,
    #[serde(rename = "nextPage", skip_serializing_if = "Option::is_none")]
    next_page: Option<String>,
    #[serde(rename = "prevPage", skip_serializing_if = "Option::is_none")]
    prev_page: Option<String>,
}

/// `apiPath/plural[.json]?page=N&pageSize=S&<other params>`; no `page` for page 1.
fn page_link(base: &str, page: i64, page_size: i64, params: &Params) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    if page > 1 {
        ser.append_pair("page", &page.to_string());
    }
    if page_size != DEFAULT_PAGE_SIZE {
        ser.append_pair("pageSize", &page_size.to_string());
    }
    for (k, v) in params.pairs() {
        if k != "page" && k != "pageSize" {
            ser.append_pair(k, v);
        }
    }
    let q = ser.finish();
    if q.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{q}")
    }
}

/// Everything a list request asks for, parsed and validated.
pub(crate) struct ListQuery {
    pub(crate) fields: FieldSpec,
    pub(crate) filters: Vec<Filter>,
    pub(crate) or: bool,
    pub(crate) query: Option<String>,
    pub(crate) order: Vec<OrderTerm>,
    pub(crate) paging: bool,
    pub(crate) page: i64,
    pub(crate) page_size: i64,
    pub(crate) exclude_defaults: bool,
}

impl ListQuery {
    /// Parses list parameters; errors are complete responses.
    pub(crate) fn parse(
        state: &AppState,
        params: &Params,
        schema: Option<&'static TypeSchema>,
    ) -> Result<Self, Response> {
        let v = state.version();
        let page = int_param(params, "page")?.unwrap_or(1).max(1);
        let page_size = int_param(params, "pageSize")?
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .max(1);
        let filters =
            filter::parse_all(params.get_all("filter"), schema, v.has_not_empty_operator())
                .map_err(|e| query_error(state, &e.0))?;
        Ok(Self {
            fields: fields::parse(
                params.get("fields").unwrap_or("id,displayName"),
                v.case_insensitive_transformers(),
            ),
            filters,
            or: params
                .get("rootJunction")
                .is_some_and(|j| j.eq_ignore_ascii_case("OR")),
            query: params
                .get("query")
                .map(str::to_string)
                .filter(|q| !q.is_empty()),
            order: order::parse(params.get_all("order"), schema),
            paging: !params
                .get("paging")
                .is_some_and(|p| p.eq_ignore_ascii_case("false")),
            page,
            page_size,
            exclude_defaults: params
                .get("defaults")
                .is_some_and(|d| d.eq_ignore_ascii_case("EXCLUDE")),
        })
    }

    fn query_matches(&self, obj: &Value) -> bool {
        let Some(q) = &self.query else {
            return true;
        };
        let s = |k: &str| obj.get(k).and_then(Value::as_str);
        s("id") == Some(q)
            || s("code") == Some(q)
            || s("name").is_some_and(|n| n.contains(q.as_str()))
    }
}

/// The slice of `total` items the requested page covers. The offset uses the requested page (not the clamped
/// one), so a page past the end is empty.
fn page_bounds(q: &ListQuery, total: usize) -> (usize, usize) {
    let start = ((q.page - 1).saturating_mul(q.page_size)).min(total as i64) as usize;
    let end = (start as i64).saturating_add(q.page_size).min(total as i64) as usize;
    (start, end)
}

fn keep_object<'s>(q: &ListQuery, obj: &'s Value, resolve: &filter::Resolver<'s>) -> bool {
    (!q.exclude_defaults || obj.get("name").and_then(Value::as_str) != Some("default"))
        && q.query_matches(obj)
        && filter::matches_all(&q.filters, q.or, obj, resolve)
}

#[derive(Serialize)]
struct IdDisplayName<'a> {
    id: &'a Value,
    #[serde(rename = "displayName", skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a Value>,
}

/// Selects, orders and pages the objects of one type, and writes the list answer.
pub(crate) fn render_list(
    store: &Store,
    plural: &str,
    q: &ListQuery,
    link_base: &str,
    api_base: &str,
    params: &Params,
    externalize: bool,
) -> Vec<u8> {
    let resolve_any: &filter::Resolver<'_> =
        &|uid: &str| store.find_by_uid_any_type(uid).map(|(_, v)| v);
    let mut selected: Vec<&Value> = Vec::new();
    // Without filters or explicit order a page is a slice of the cached default order: no full scan.
    let unfiltered = q.filters.is_empty()
        && q.query.is_none()
        && !q.exclude_defaults
        && q.order.is_empty()
        && q.paging;
    let mut total = 0;
    if let (true, Some(coll)) = (unfiltered, store.collection(plural)) {
        total = coll.len();
        let (start, end) = page_bounds(q, total);
        selected.extend(
            coll.default_order()[start..end]
                .iter()
                .filter_map(|&i| coll.get_index(i)),
        );
    } else if let Some(coll) = store.collection(plural) {
        if q.order.is_empty() {
            selected.extend(
                coll.default_order()
                    .iter()
                    .filter_map(|&i| coll.get_index(i))
                    .filter(|o| keep_object(q, o, resolve_any)),
            );
        } else {
            selected.extend(coll.iter().filter(|o| keep_object(q, o, resolve_any)));
            selected.sort_by(|a, b| order::compare(&q.order, a, b));
        }
    }
    if !unfiltered {
        total = selected.len();
    }
    let mut out = Vec::with_capacity(64 + total.min(10_000) * 64);
    out.push(b'{');
    let page_items: &[&Value] = if q.paging {
        let page_count = if total == 0 {
            0
        } else {
            (total as i64 - 1) / q.page_size + 1
        };
        let page = if total == 0 {
            1
        } else {
            q.page.min(page_count)
        };
        let pager = Pager {
            page,
            total,
            page_size: q.page_size,
            page_count,
            next_page: (page < page_count)
                .then(|| page_link(link_base, page + 1, q.page_size, params)),
            prev_page: (page > 1).then(|| page_link(link_base, page - 1, q.page_size, params)),
        };
        out.extend_from_slice(b"\"pager\":");
        let _ = serde_json::to_writer(&mut out, &pager);
        out.push(b',');
        if unfiltered {
            &selected[..]
        } else {
            let (start, end) = page_bounds(q, total);
            &selected[start..end]
        }
    } else {
        &selected[..]
    };
    let _ = serde_json::to_writer(&mut out, plural);
    out.extend_from_slice(b":[");
    let resolve = |uid: &str| store.find_by_uid_any_type(uid);
    let ctx = FieldContext {
        resolve: &resolve,
        api_base: Some(api_base),
        externalize,
    };
    let fast = fields::is_id_display_name(&q.fields);
    for (i, obj) in page_items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if fast {
            if let Some(id) = obj.get("id") {
                let row = IdDisplayName {
                    id,
                    display_name: obj.get("displayName").or_else(|| obj.get("name")),
                };
                let _ = serde_json::to_writer(&mut out, &row);
                continue;
            }
        }
        let v = fields::apply(&q.fields, obj, Some(plural), &ctx);
        let _ = serde_json::to_writer(&mut out, &v);
    }
    out.extend_from_slice(b"]}");
    out
}

/// Answers smaller than this are rendered each time (rendering them is cheap).
const CACHE_MIN_BYTES: usize = 64 * 1024;
/// The most bytes the cache holds; past it, new answers are not cached until the store changes.
const CACHE_MAX_BYTES: usize = 256 * 1024 * 1024;

/// Rendered large list answers, keyed by path, API base and query, valid for one store generation.
#[derive(Default)]
pub(crate) struct ListCache(Mutex<CacheInner>);

#[derive(Default)]
struct CacheInner {
    generation: u64,
    bytes: usize,
    entries: HashMap<String, bytes::Bytes>,
}

impl ListCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        crate::state::lock(&self.0)
    }

    /// The cached answer for `key` rendered from store `generation`.
    fn get(&self, generation: u64, key: &str) -> Option<bytes::Bytes> {
        let inner = self.lock();
        (inner.generation == generation)
            .then(|| inner.entries.get(key).cloned())
            .flatten()
    }

    /// Keeps a large answer rendered from store `generation` (dropping answers of older generations).
    fn put(&self, generation: u64, key: String, body: &bytes::Bytes) {
        if body.len() < CACHE_MIN_BYTES {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != generation {
            if generation < inner.generation {
                // Rendered from an older store than what is cached: stale on arrival.
                return;
            }
            inner.entries.clear();
            inner.bytes = 0;
            inner.generation = generation;
        }
        if inner.bytes + body.len() > CACHE_MAX_BYTES {
            return;
        }
        inner.bytes += body.len();
        if let Some(old) = inner.entries.insert(key, body.clone()) {
            inner.bytes -= old.len();
        }
    }
}

/// `GET /api/{plural}`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    prefix: Option<Extension<ApiPrefix>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    list_inner(
        &state,
        &segment,
        prefix.as_ref().map(|p| &p.0),
        &headers,
        &uri,
        raw.as_deref(),
    )
}

/// `GET /api/apiToken`: the token metadata objects (their routes are static, so they need their own entry).
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    prefix: Option<Extension<ApiPrefix>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    list_inner(
        &state,
        "apiToken",
        prefix.as_ref().map(|p| &p.0),
        &headers,
        &uri,
        raw.as_deref(),
    )
}

fn list_inner(
    state: &AppState,
    segment: &str,
    prefix: Option<&ApiPrefix>,
    headers: &HeaderMap,
    uri: &Uri,
    raw: Option<&str>,
) -> Response {
    let state = state.clone();
    let (plural, suffix) = strip_suffix(segment);
    let schema = schema::by_plural(plural);
    let params = Params::parse(raw);
    let q = match ListQuery::parse(&state, &params, schema) {
        Ok(q) => q,
        Err(resp) => return resp,
    };
    let api_base = web::api_base(headers, prefix);
    let link_base = format!("{api_base}/{plural}{suffix}");
    // Everything the answer depends on besides the store (whose generation the cache checks) and the version.
    let key = format!("{segment}\n{api_base}\n{}", raw.unwrap_or(""));
    let cache = &state.0.list_cache;
    let body = {
        let store = state.store_read();
        if !type_known(&store, plural) {
            return web::html_not_found(uri.path());
        }
        let generation = store.generation();
        match cache.get(generation, &key) {
            Some(body) => body,
            None => {
                let body = bytes::Bytes::from(render_list(
                    &store,
                    plural,
                    &q,
                    &link_base,
                    &api_base,
                    &params,
                    state.version().has_external_sharing(),
                ));
                cache.put(generation, key, &body);
                body
            }
        }
    };
    let mut resp = web::json_bytes_shared(200, body);
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(web::NO_CACHE_PRIVATE),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_dhis2_rules() {
        let p = Params::parse(Some(
            "page=2&pageSize=10&fields=id,name&filter=name:like:a b",
        ));
        assert_eq!(
            page_link("http://h/api/x", 3, 10, &p),
            "http://h/api/x?page=3&pageSize=10&fields=id%2Cname&filter=name%3Alike%3Aa+b"
        );
        assert_eq!(
            page_link("http://h/api/x", 1, 50, &Params::default()),
            "http://h/api/x"
        );
        assert_eq!(
            page_link("http://h/api/x", 1, 10, &Params::default()),
            "http://h/api/x?pageSize=10"
        );
    }
}
