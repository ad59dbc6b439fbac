//! HTTP Basic authentication (WIRE.md 12.2): bad credentials get the entry point's 401 JSON, no
//! `WWW-Authenticate`; a success shares one session per user so the answer carries a `JSESSIONID` cookie.

use axum::http::HeaderMap;
use base64::Engine;

use super::{cookie, unauthorized, AuthOutcome};
use crate::state::AppState;

/// Checks `base64(user:pass)`.
pub(crate) fn authenticate(state: &AppState, encoded: &str, headers: &HeaderMap) -> AuthOutcome {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((username, password)) = decoded.as_deref().and_then(|s| s.split_once(':')) else {
        return AuthOutcome::Reject(unauthorized("Unauthorized"));
    };
    let user = match state.auth().check_password(username, password.as_bytes()) {
        Ok(u) => u,
        Err(reason) => return AuthOutcome::Reject(unauthorized(reason)),
    };
    // Only hand out the cookie when the client did not already send one.
    let set = if cookie(headers, "JSESSIONID").is_some() {
        None
    } else {
        Some(state.auth().basic_session(&user.username))
    };
    AuthOutcome::User(user, set)
}

/// Compares without an early exit, so timing does not reveal how much of a password matched.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
