//! A small OAuth2 authorization server (as 2.42+ embeds, WIRE.md 12.6) and bearer token checks.
//!
//! `GET /oauth2/authorize` checks the client, the redirect URI and a PKCE S256 challenge, then approves the
//! configured user without a browser (302 back to the redirect URI with `code` and `state`).
//! `POST /oauth2/token` serves the `authorization_code` (with `code_verifier`) and `refresh_token` grants.
//! Access tokens are opaque random strings with an expiry; failures answer like Spring's bearer entry point.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{AuthOutcome, AuthState};
use crate::state::AppState;
use crate::web::{self, WebMessage};

/// The client registered by default: public (no secret), any loopback redirect URI.
pub(crate) const DEFAULT_CLIENT_ID: &str = "dhis2-rs";

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct BearerRecord {
    pub(crate) username: String,
    pub(crate) expires: SystemTime,
}

#[derive(Debug, Clone)]
struct Client {
    secret: Option<String>,
    redirect_uris: Vec<String>,
}

#[derive(Debug, Clone)]
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    username: String,
    scope: String,
    expires: SystemTime,
}

#[derive(Debug, Clone)]
struct RefreshRecord {
    client_id: String,
    username: String,
    scope: String,
}

/// Clients, pending codes and refresh tokens.
#[derive(Debug)]
pub(crate) struct OAuthServer {
    clients: HashMap<String, Client>,
    codes: HashMap<String, PendingCode>,
    refresh: HashMap<String, RefreshRecord>,
    /// Who the authorize endpoint approves; `None` means the admin user.
    pub(crate) approving_user: Option<String>,
}

impl OAuthServer {
    pub(crate) fn new() -> Self {
        let mut clients = HashMap::new();
        clients.insert(
            DEFAULT_CLIENT_ID.to_string(),
            Client {
                secret: None,
                redirect_uris: Vec::new(),
            },
        );
        Self {
            clients,
            codes: HashMap::new(),
            refresh: HashMap::new(),
            approving_user: None,
        }
    }

    pub(crate) fn register_client(
        &mut self,
        id: &str,
        secret: Option<String>,
        redirect_uris: Vec<String>,
    ) {
        self.clients.insert(
            id.to_string(),
            Client {
                secret,
                redirect_uris,
            },
        );
    }
}

fn redirect_allowed(client: &Client, uri: &str) -> bool {
    if client.redirect_uris.is_empty() {
        let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
        return loopback.iter().any(|p| uri.starts_with(p))
            || uri == "http://127.0.0.1/"
            || uri == "http://localhost/";
    }
    client.redirect_uris.iter().any(|u| u == uri)
}

/// Issues an access token for `username`.
pub(crate) fn issue_access_token(auth: &AuthState, username: &str, ttl: Duration) -> String {
    let token = super::random_alnum(43);
    super::write(&auth.bearers).insert(
        token.clone(),
        BearerRecord {
            username: username.to_string(),
            expires: SystemTime::now() + ttl,
        },
    );
    token
}

fn bearer_reject(description: &str) -> AuthOutcome {
    let mut resp = WebMessage::error(401, "invalid_token")
        .dev_message(description)
        .into_response();
    let challenge = format!(
        "Bearer error=\"invalid_token\", error_description=\"{}\", error_uri=\"https://tools.ietf.org/html/rfc6750#section-3.1\"",
        description.replace('"', "'")
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    AuthOutcome::Reject(resp)
}

/// Authenticates `Authorization: Bearer <token>`.
pub(crate) fn authenticate_bearer(state: &AppState, token: &str) -> AuthOutcome {
    let record = super::read(&state.auth().bearers).get(token).cloned();
    let Some(record) = record else {
        return bearer_reject(
            "An error occurred while attempting to decode the Jwt: Malformed token",
        );
    };
    if record.expires <= SystemTime::now() {
        let at = record
            .expires
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return bearer_reject(&format!(
            "Jwt expired at {}",
            web::format_millis(at as i64 * 1000)
        ));
    }
    match state.auth().user(&record.username) {
        Some(u) if !u.disabled && !u.locked => AuthOutcome::User(u.current(), None),
        _ => bearer_reject(&format!(
            "Found no matching DHIS2 user for the mapping claim: 'sub' with the value: '{}'",
            record.username
        )),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn redirect_to(location: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `GET /oauth2/authorize`.
async fn authorize(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let client_id = get("client_id");
    let redirect_uri = get("redirect_uri");
    let mut server = state.auth().oauth();
    let Some(client) = server.clients.get(client_id).cloned() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "OAuth 2.0 Parameter: client_id",
        );
    };
    if !redirect_allowed(&client, redirect_uri) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "OAuth 2.0 Parameter: redirect_uri",
        );
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let state_param = q
        .get("state")
        .map(|s| format!("&state={}", enc(s)))
        .unwrap_or_default();
    let fail = |error: &str, desc: &str| {
        redirect_to(&format!(
            "{redirect_uri}{sep}error={error}&error_description={}{state_param}",
            enc(desc)
        ))
    };
    if get("response_type") != "code" {
        return fail(
            "unsupported_response_type",
            "OAuth 2.0 Parameter: response_type",
        );
    }
    let challenge = get("code_challenge");
    if challenge.is_empty() || get("code_challenge_method") != "S256" {
        return fail("invalid_request", "OAuth 2.0 Parameter: code_challenge");
    }
    let username = server
        .approving_user
        .clone()
        .unwrap_or_else(|| state.config().admin_username.clone());
    let code = super::random_alnum(32);
    server.codes.insert(
        code.clone(),
        PendingCode {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            challenge: challenge.to_string(),
            username,
            scope: q
                .get("scope")
                .cloned()
                .unwrap_or_else(|| "openid".to_string()),
            expires: SystemTime::now() + Duration::from_secs(300),
        },
    );
    redirect_to(&format!("{redirect_uri}{sep}code={code}{state_param}"))
}

/// Client credentials from Basic auth or the form.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    if let Some(raw) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if raw.len() > 6 && raw[..6].eq_ignore_ascii_case("basic ") {
            if let Some((id, secret)) = base64::engine::general_purpose::STANDARD
                .decode(raw[6..].trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| {
                    s.split_once(':')
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                })
            {
                return (Some(id), Some(secret));
            }
        }
    }
    (
        form.get("client_id").cloned(),
        form.get("client_secret").cloned(),
    )
}

fn token_response(state: &AppState, username: &str, client_id: &str, scope: &str) -> Response {
    let ttl = state.auth().bearer_ttl();
    let access = issue_access_token(state.auth(), username, ttl);
    let refresh = super::random_alnum(64);
    state.auth().oauth().refresh.insert(
        refresh.clone(),
        RefreshRecord {
            client_id: client_id.to_string(),
            username: username.to_string(),
            scope: scope.to_string(),
        },
    );
    let body = json!({
        "access_token": access,
        "refresh_token": refresh,
        "scope": scope,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs().saturating_sub(1),
    });
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `POST /oauth2/token`.
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (client_id, secret) = client_credentials(&headers, &form);
    let Some(client_id) = client_id else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    };
    let client = state.auth().oauth().clients.get(&client_id).cloned();
    let Some(client) = client else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    };
    if let Some(expected) = &client.secret {
        if secret.as_deref() != Some(expected.as_str()) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed",
            );
        }
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match get("grant_type") {
        "authorization_code" => {
            let pending = state.auth().oauth().codes.remove(get("code"));
            let Some(p) = pending else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "OAuth 2.0 Parameter: code",
                );
            };
            if p.client_id != client_id || p.expires <= SystemTime::now() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "OAuth 2.0 Parameter: code",
                );
            }
            if p.redirect_uri != get("redirect_uri") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "OAuth 2.0 Parameter: redirect_uri",
                );
            }
            let verifier = get("code_verifier");
            if verifier.is_empty() || s256(verifier) != p.challenge {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "OAuth 2.0 Parameter: code_verifier",
                );
            }
            token_response(&state, &p.username, &client_id, &p.scope)
        }
        "refresh_token" => {
            let record = state.auth().oauth().refresh.remove(get("refresh_token"));
            match record {
                Some(r) if r.client_id == client_id => {
                    token_response(&state, &r.username, &client_id, &r.scope)
                }
                _ => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "OAuth 2.0 Parameter: refresh_token",
                ),
            }
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "OAuth 2.0 Parameter: grant_type",
        ),
    }
}

/// `GET /.well-known/openid-configuration`.
async fn discovery(headers: HeaderMap) -> Response {
    let base = web::context_path(&headers);
    axum::Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "jwks_uri": format!("{base}/oauth2/jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    }))
    .into_response()
}

/// Public OAuth2 routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth2/authorize", get(authorize))
        .route("/oauth2/token", post(token))
        // 2.42 answers `/oauth2/*` with a 301 to the trailing-slash form; a `Redirect` fault reproduces that,
        // and these aliases serve the target.
        .route("/oauth2/authorize/", get(authorize))
        .route("/oauth2/token/", post(token))
        .route("/.well-known/openid-configuration", get(discovery))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_example() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
