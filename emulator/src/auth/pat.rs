//! Personal access tokens (WIRE.md 12.5): header syntax, V1/V2 checksums with DHIS2's zero-padding quirk,
//! lookup by SHA-256, expiry, owner state and allow-lists, each failure with its exact answer and
//! `WWW-Authenticate: ApiToken`; and minting with `POST /api/apiToken` (alias `/api/apiTokens`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{AuthOutcome, AuthState, CurrentUser};
use crate::state::AppState;
use crate::web::{self, ApiPrefix, PeerAddr, WebMessage};

/// Allow-lists of a token; empty means unrestricted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Restrictions {
    pub(crate) methods: Vec<String>,
    pub(crate) ips: Vec<String>,
    pub(crate) referrers: Vec<String>,
}

/// A stored token (only its hash is kept, as DHIS2 does).
#[derive(Debug, Clone)]
pub(crate) struct PatRecord {
    pub(crate) uid: String,
    pub(crate) owner: String,
    pub(crate) expires: SystemTime,
    pub(crate) restrictions: Restrictions,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC32 as DHIS2 2.41+ computes it: over the body followed by `floor(len * 1.1) - len` zero bytes (the
/// unused tail of the UTF-8 encoder's buffer).
pub(crate) fn dhis2_crc32(body: &str) -> u32 {
    let pad = body.len() * 11 / 10 - body.len();
    let mut h = crc32fast::Hasher::new();
    h.update(body.as_bytes());
    h.update(&vec![0u8; pad]);
    h.finalize()
}

/// Base62 of `n`, left-padded with `0` to 6 characters.
pub(crate) fn base62_6(mut n: u32) -> String {
    let mut out = Vec::new();
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < 6 {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Whether a token's format and checksum are valid (2.41+ rules).
pub(crate) fn checksum_ok(token: &str) -> bool {
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(rest) = token.strip_prefix("d2pat_") {
        if rest.len() != 42 || !rest.is_ascii() {
            return false;
        }
        let (body, sum) = rest.split_at(32);
        return alnum(body)
            && sum.bytes().all(|b| b.is_ascii_digit())
            && format!("{:010}", dhis2_crc32(body)) == sum;
    }
    if let Some(rest) = token.strip_prefix("d2p_") {
        if rest.len() != 50 || !rest.is_ascii() {
            return false;
        }
        let (body, sum) = rest.split_at(44);
        return alnum(body) && alnum(sum) && base62_6(dhis2_crc32(body)) == sum;
    }
    false
}

/// Mints a token in this version's default format: V2 from 2.41, else V1 with a plain CRC32 (as 2.39/2.40 do).
pub(crate) fn mint(v2: bool) -> String {
    if v2 {
        let body = super::random_alnum(44);
        let sum = base62_6(dhis2_crc32(&body));
        format!("d2p_{body}{sum}")
    } else {
        let body = super::random_alnum(32);
        format!("d2pat_{body}{:010}", crc32fast::hash(body.as_bytes()))
    }
}

fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores a token by its hash.
pub(crate) fn register(
    auth: &AuthState,
    token: &str,
    owner: &str,
    expires: SystemTime,
    restrictions: Restrictions,
    uid: Option<String>,
) -> String {
    let uid = uid.unwrap_or_else(crate::crud::generate_uid);
    let rec = PatRecord {
        uid: uid.clone(),
        owner: owner.to_string(),
        expires,
        restrictions,
    };
    super::write(&auth.pats).insert(sha256_hex(token), rec);
    uid
}

/// A failure answer: WebMessage with `WWW-Authenticate: ApiToken`.
fn reject(status: u16, message: &str) -> AuthOutcome {
    let mut resp = WebMessage::error(status, message).into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("ApiToken"),
    );
    AuthOutcome::Reject(resp)
}

/// The token part of `ApiToken <token>` if the header matches DHIS2's pattern
/// `^ApiToken (?<token>[a-z0-9-._~+/]+=*)$` (case-insensitive).
fn parse_header(raw: &str) -> Option<&str> {
    let rest = raw.get(9..)?;
    if !raw[..9].eq_ignore_ascii_case("apitoken ") {
        return None;
    }
    let body_end = rest
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)))
        .unwrap_or(rest.len());
    if body_end == 0 || !rest[body_end..].bytes().all(|b| b == b'=') {
        return None;
    }
    Some(rest)
}

fn client_ip(req: &Request) -> Option<String> {
    if let Some(xff) = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
    {
        return xff.split(',').next().map(|s| s.trim().to_string());
    }
    req.extensions()
        .get::<PeerAddr>()
        .map(|p| p.0.ip().to_string())
}

/// Authenticates `Authorization: ApiToken ...`.
pub(crate) fn authenticate(state: &AppState, raw: &str, req: &Request) -> AuthOutcome {
    let v = state.version();
    let Some(token) = parse_header(raw) else {
        let status = if v.validates_pat_checksum() { 400 } else { 401 };
        return reject(status, "Api token is malformed");
    };
    if v.validates_pat_checksum() && !checksum_ok(token) {
        return reject(400, "Checksum validation failed");
    }
    let record = super::read(&state.auth().pats)
        .get(&sha256_hex(token))
        .cloned();
    let Some(record) = record else {
        let msg = if v.validates_pat_checksum() {
            "The API token does not exists"
        } else {
            "The API token does not exists."
        };
        return reject(401, msg);
    };
    if record.expires <= SystemTime::now() {
        return reject(401, "Failed to authenticate API token, token has expired.");
    }
    let Some(user) = state.auth().user(&record.owner) else {
        return reject(401, "The API token owner does not exists.");
    };
    if user.disabled || user.locked {
        return reject(401, "The API token is disabled, locked or 2FA is enabled.");
    }
    let r = &record.restrictions;
    if !r.ips.is_empty() {
        let ip = client_ip(req).unwrap_or_default();
        if !r.ips.contains(&ip) {
            return reject(
                401,
                "Failed to authenticate API token, request ip address is not allowed.",
            );
        }
    }
    if !r.methods.is_empty()
        && !r
            .methods
            .iter()
            .any(|m| m.eq_ignore_ascii_case(req.method().as_str()))
    {
        return reject(
            401,
            "Failed to authenticate API token, request http method is not allowed.",
        );
    }
    if !r.referrers.is_empty() {
        let referer = req
            .headers()
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok());
        if !referer.is_some_and(|rf| r.referrers.iter().any(|a| a == rf)) {
            return reject(
                401,
                "Failed to authenticate API token, request http referrer is missing or not allowed.",
            );
        }
    }
    AuthOutcome::User(user.current(), None)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `POST /api/apiToken`: mints a token for the caller; the plaintext is in `response.key`, this once.
async fn create(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    prefix: Option<Extension<ApiPrefix>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let parsed: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return WebMessage::error(400, format!("Unable to read the request body: {e}"))
                    .into_response()
            }
        }
    };
    let now = SystemTime::now();
    let expires = parsed
        .get("expire")
        .and_then(Value::as_i64)
        .and_then(|ms| u64::try_from(ms).ok())
        .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
        .unwrap_or(now + Duration::from_secs(30 * 24 * 3600));
    let mut restrictions = Restrictions::default();
    for attr in parsed
        .get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match attr.get("type").and_then(Value::as_str) {
            Some("MethodAllowedList") => restrictions.methods = strings(attr.get("allowedMethods")),
            Some("IpAllowedList") => restrictions.ips = strings(attr.get("allowedIps")),
            Some("RefererAllowedList") => {
                restrictions.referrers = strings(attr.get("allowedReferrers"))
            }
            _ => {}
        }
    }
    let v2 = state.version().validates_pat_checksum();
    let key = mint(v2);
    let expire_ms = expires
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let uid = register(
        state.auth(),
        &key,
        &user.username,
        expires,
        restrictions,
        None,
    );
    // The token's metadata (never the key) is also an object, so `GET /api/apiToken[/{uid}]` list and show it.
    let now = web::format_date(now);
    let object = json!({
        "id": uid,
        "created": now,
        "lastUpdated": now,
        "version": if v2 { 2 } else { 1 },
        "type": if v2 { "PERSONAL_ACCESS_TOKEN_V2" } else { "PERSONAL_ACCESS_TOKEN" },
        "expire": expire_ms,
        "attributes": parsed.get("attributes").cloned().unwrap_or_else(|| json!([])),
        "createdBy": crate::crud::user_ref(&state, &user),
    });
    if let Err(e) = state.store_write().insert(TOKEN_COLLECTION, object) {
        tracing::warn!("api token object not stored: {e}");
    }
    state.counters().add_writes(1);
    let response = json!({
        "responseType": state.version().response_type("ObjectReport"),
        "uid": uid,
        "klass": "org.hisp.dhis.security.apikey.ApiToken",
        "errorReports": [],
        "key": key,
    });
    let mut resp = WebMessage::new(201, "OK")
        .response(response)
        .into_response();
    let location = format!(
        "{}/apiToken/{uid}",
        web::api_base(&headers, prefix.as_ref().map(|p| &p.0))
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// The store collection holding token metadata.
const TOKEN_COLLECTION: &str = "apiToken";

/// `DELETE /api/apiToken/{uid}`: revokes the token (its hash and its metadata object).
async fn revoke(State(state): State<AppState>, Path(uid): Path<String>) -> Response {
    let removed_object = state.store_write().remove(TOKEN_COLLECTION, &uid).is_some();
    let mut pats = super::write(&state.auth().pats);
    let before = pats.len();
    pats.retain(|_, r| r.uid != uid);
    let removed_hash = pats.len() != before;
    drop(pats);
    if !removed_object && !removed_hash {
        return crate::crud::not_found(&state, TOKEN_COLLECTION, &uid);
    }
    state.counters().add_writes(1);
    let response = json!({
        "responseType": state.version().response_type("ObjectReport"),
        "uid": uid,
        "klass": "org.hisp.dhis.security.apikey.ApiToken",
        "errorReports": [],
    });
    WebMessage::new(200, "OK")
        .response(response)
        .into_response()
}

/// Token routes (behind auth). Listing and reading go through the generic collection routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/apiToken",
            post(create).get(crate::collections::list_tokens),
        )
        .route(
            "/api/apiTokens",
            post(create).get(crate::collections::list_tokens),
        )
        .route(
            "/api/apiToken/{uid}",
            get(crate::crud::get_token).delete(revoke),
        )
        .route(
            "/api/apiTokens/{uid}",
            get(crate::crud::get_token).delete(revoke),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_from_wire() {
        let body = "lyt5j9WqXaVzJsUhvGJ1w0Ea5GL4jkszazPSWo5HWLFC";
        assert_eq!(dhis2_crc32(body), 1_312_092_528);
        assert_eq!(base62_6(1_312_092_528), "1QnPCi");
        assert!(checksum_ok(
            "d2p_lyt5j9WqXaVzJsUhvGJ1w0Ea5GL4jkszazPSWo5HWLFC1QnPCi"
        ));
        assert!(!checksum_ok(
            "d2p_lyt5j9WqXaVzJsUhvGJ1w0Ea5GL4jkszazPSWo5HWLFC2Cvbni"
        ));
    }

    #[test]
    fn minted_v2_tokens_validate() {
        for _ in 0..20 {
            let t = mint(true);
            assert_eq!(t.len(), 54);
            assert!(checksum_ok(&t), "{t}");
        }
        assert_eq!(mint(false).len(), 48);
    }

    #[test]
    fn header_pattern() {
        assert_eq!(parse_header("ApiToken abc=="), Some("abc=="));
        assert_eq!(parse_header("apitoken d2p_x"), Some("d2p_x"));
        assert_eq!(parse_header("ApiToken  abc"), None);
        assert_eq!(parse_header("ApiToken a=b"), None);
        assert_eq!(parse_header("ApiToken "), None);
        assert_eq!(parse_header("ApiTokenabc"), None);
        assert_eq!(parse_header("ApiToken a b"), None);
    }
}
