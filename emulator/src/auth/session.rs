//! Session logins (WIRE.md 12.4): `POST /api/auth/login` (2.41+), the form login of 2.39-2.41, logout, and the
//! login page that unauthenticated browser-style requests are redirected to.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde_json::{json, Value};

use super::{cookie, session_cookie};
use crate::state::AppState;
use crate::web::{self, WebMessage};

/// `POST /api/auth/login`.
async fn json_login(State(state): State<AppState>, uri: Uri, body: Bytes) -> Response {
    if !state.version().has_json_login() {
        return web::html_not_found(uri.path());
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return WebMessage::error(400, format!("Unable to read the login request: {e}"))
                .into_response()
        }
    };
    let username = parsed.get("username").and_then(Value::as_str).unwrap_or("");
    let password = parsed.get("password").and_then(Value::as_str).unwrap_or("");
    let user = state.auth().user(username);
    let Some(user) = user.filter(|u| u.password == password) else {
        let mut resp = WebMessage::error(401, "Bad credentials").into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return resp;
    };
    if user.disabled {
        return web::json(200, &json!({"loginStatus": "ACCOUNT_DISABLED"}));
    }
    if user.locked {
        return web::json(200, &json!({"loginStatus": "ACCOUNT_LOCKED"}));
    }
    let redirect = if state.version().major() >= 42 {
        "/"
    } else {
        "/dhis-web-dashboard"
    };
    let id = state.auth().new_session(&user.username);
    let mut resp = web::json(
        200,
        &json!({"loginStatus": "SUCCESS", "redirectUrl": redirect}),
    );
    resp.headers_mut()
        .append(header::SET_COOKIE, session_cookie(&id));
    resp
}

fn found(location: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `POST /dhis-web-commons-security/login.action` (form `j_username`, `j_password`; 2.39-2.41).
async fn form_login(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if state.version().major() > 41 {
        return web::html_not_found(uri.path());
    }
    let base = web::context_path(&headers);
    let username = form.get("j_username").map(String::as_str).unwrap_or("");
    let password = form.get("j_password").map(String::as_str).unwrap_or("");
    match state.auth().user(username) {
        Some(u) if u.password == password && !u.disabled && !u.locked => {
            let id = state.auth().new_session(&u.username);
            let mut resp = found(&format!("{base}/dhis-web-dashboard/"));
            resp.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&id));
            resp
        }
        _ => found(&format!(
            "{base}{}?failed=true",
            state.version().login_path()
        )),
    }
}

/// Logout: forgets the session and expires the cookie.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, "JSESSIONID") {
        state.auth().end_session(id);
    }
    let mut resp = found(&format!(
        "{}{}",
        web::context_path(&headers),
        state.version().login_path()
    ));
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("JSESSIONID=; Path=/; Max-Age=0; HttpOnly"),
    );
    resp
}

/// The HTML login page (also what a login-proxy fault serves).
pub(crate) fn login_page_html() -> &'static str {
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>DHIS 2 | Log in</title></head><body>\
     <form id=\"loginForm\" method=\"post\" action=\"/dhis-web-commons-security/login.action\">\
     <input type=\"text\" id=\"j_username\" name=\"j_username\"><input type=\"password\" id=\"j_password\" name=\"j_password\">\
     <input type=\"submit\" value=\"Sign in\"></form></body></html>"
}

async fn login_page() -> Response {
    let mut resp = login_page_html().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    resp
}

/// Public session routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(json_login))
        .route("/dhis-web-commons-security/login.action", post(form_login))
        .route(
            "/dhis-web-commons-security/logout.action",
            get(logout).post(logout),
        )
        .route("/dhis-web-commons/security/login.action", get(login_page))
        .route("/dhis-web-login", get(login_page))
        .route("/dhis-web-login/", get(login_page))
        .route("/login/", get(login_page))
}
