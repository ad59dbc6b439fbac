//! Authentication as DHIS2 does it (WIRE.md section 12): Basic, personal access tokens, bearer tokens (from the
//! emulator's OAuth2 server), session cookies, and the 302-or-401 answer for unauthenticated requests.
//!
//! The `require` middleware guards every `/api/**` route except the public ones (`/api/ping`, `/api/auth/login`);
//! on success it stores a [`CurrentUser`] in the request extensions.

pub(crate) mod basic;
pub(crate) mod oauth2;
pub(crate) mod pat;
pub(crate) mod session;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::state::{AppState, Config};
use crate::web::{self, WebMessage};

/// The authenticated caller, stored in request extensions by the auth middleware.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser {
    /// Login name.
    pub(crate) username: Arc<str>,
    /// UID of the user object.
    pub(crate) uid: Arc<str>,
    /// Whether the user has the `ALL` authority.
    pub(crate) superuser: bool,
}

/// A user account known to the auth layer.
#[derive(Clone)]
pub(crate) struct User {
    pub(crate) username: Arc<str>,
    pub(crate) password: String,
    pub(crate) uid: Arc<str>,
    pub(crate) first_name: String,
    pub(crate) surname: String,
    pub(crate) disabled: bool,
    pub(crate) locked: bool,
    pub(crate) superuser: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is deliberately left out.
        f.debug_struct("User")
            .field("username", &self.username)
            .field("uid", &self.uid)
            .field("disabled", &self.disabled)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

impl User {
    pub(crate) fn current(&self) -> CurrentUser {
        CurrentUser {
            username: self.username.clone(),
            uid: self.uid.clone(),
            superuser: self.superuser,
        }
    }
}

/// Users, tokens, sessions and OAuth2 state.
#[derive(Debug)]
pub(crate) struct AuthState {
    users: RwLock<HashMap<Arc<str>, User>>,
    pub(crate) pats: RwLock<HashMap<String, pat::PatRecord>>,
    pub(crate) bearers: RwLock<HashMap<String, oauth2::BearerRecord>>,
    pub(crate) sessions: RwLock<HashMap<String, Arc<str>>>,
    pub(crate) oauth: Mutex<oauth2::OAuthServer>,
    bearer_ttl: Duration,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// UID of the built-in superuser (the same as on DHIS2's demo database).
pub(crate) const ADMIN_UID: &str = "M5zQapPyTZI";

impl AuthState {
    pub(crate) fn new(config: &Config) -> Self {
        let admin = User {
            username: config.admin_username.as_str().into(),
            password: config.admin_password.clone(),
            uid: ADMIN_UID.into(),
            first_name: "admin".into(),
            surname: "admin".into(),
            disabled: false,
            locked: false,
            superuser: true,
        };
        let mut users = HashMap::new();
        users.insert(admin.username.clone(), admin);
        Self {
            users: RwLock::new(users),
            pats: RwLock::default(),
            bearers: RwLock::default(),
            sessions: RwLock::default(),
            oauth: Mutex::new(oauth2::OAuthServer::new()),
            bearer_ttl: Duration::from_secs(config.bearer_ttl_secs),
        }
    }

    pub(crate) fn user(&self, username: &str) -> Option<User> {
        read(&self.users).get(username).cloned()
    }

    /// Checks a password without cloning the user (the Basic hot path): `Ok(user)` or `Err(reason)`.
    pub(crate) fn check_password(
        &self,
        username: &str,
        password: &[u8],
    ) -> Result<CurrentUser, &'static str> {
        let users = read(&self.users);
        let user = users.get(username).ok_or("Unauthorized")?;
        if !basic::constant_time_eq(user.password.as_bytes(), password) {
            return Err("Unauthorized");
        }
        if user.disabled {
            return Err("Account disabled");
        }
        if user.locked {
            return Err("Account locked");
        }
        Ok(user.current())
    }

    pub(crate) fn upsert_user(&self, user: User) {
        write(&self.users).insert(user.username.clone(), user);
    }

    pub(crate) fn update_user(&self, username: &str, f: impl FnOnce(&mut User)) -> bool {
        match write(&self.users).get_mut(username) {
            Some(u) => {
                f(u);
                true
            }
            None => false,
        }
    }

    pub(crate) fn oauth(&self) -> MutexGuard<'_, oauth2::OAuthServer> {
        crate::state::lock(&self.oauth)
    }

    pub(crate) fn bearer_ttl(&self) -> Duration {
        self.bearer_ttl
    }

    /// Creates a session for `username` and returns its id.
    pub(crate) fn new_session(&self, username: &str) -> String {
        let id = random_hex(16).to_uppercase();
        write(&self.sessions).insert(id.clone(), username.into());
        id
    }

    /// The one session Basic logins of this user share, so repeated Basic requests do not grow the table.
    pub(crate) fn basic_session(&self, username: &str) -> String {
        let id = format!(
            "B{:08X}{:08X}",
            crc32fast::hash(username.as_bytes()),
            crc32fast::hash(b"basic")
        );
        // Read first: every Basic request without a cookie comes here, and a write lock would serialize them.
        if read(&self.sessions).contains_key(&id) {
            return id;
        }
        write(&self.sessions).insert(id.clone(), username.into());
        id
    }

    pub(crate) fn session_user(&self, id: &str) -> Option<Arc<str>> {
        read(&self.sessions).get(id).cloned()
    }

    pub(crate) fn end_session(&self, id: &str) {
        write(&self.sessions).remove(id);
    }
}

/// Random lowercase hex of `bytes` random bytes.
pub(crate) fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Random string over `[0-9A-Za-z]`.
pub(crate) fn random_alnum(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Reads one cookie from the `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a session id.
pub(crate) fn session_cookie(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("JSESSIONID={id}; Path=/; HttpOnly"))
        .unwrap_or_else(|_| HeaderValue::from_static("JSESSIONID=invalid; Path=/"))
}

/// The 401 JSON the Basic entry point writes itself (`application/json` without charset, WIRE.md 12.2).
pub(crate) fn unauthorized(message: &str) -> Response {
    let body = WebMessage::error(401, message).to_value();
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        serde_json::to_vec(&body).unwrap_or_default(),
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The answer to a request without usable credentials: 401 for API-style requests, 302 to the login page for
/// browser-style ones (WIRE.md 12.3).
fn unauthenticated(state: &AppState, headers: &HeaderMap) -> Response {
    let xhr = headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"));
    if xhr {
        return unauthorized("Unauthorized");
    }
    let location = format!(
        "{}{}",
        web::context_path(headers),
        state.version().login_path()
    );
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// The outcome of checking one credential.
pub(crate) enum AuthOutcome {
    /// Authenticated; optionally set this session cookie on the response.
    User(CurrentUser, Option<String>),
    /// Rejected with this exact answer.
    Reject(Response),
    /// No credential of this kind.
    None,
}

/// Middleware: authenticates `/api/**` requests.
pub(crate) async fn require(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let outcome = authenticate(&state, &req);
    match outcome {
        AuthOutcome::User(user, set_session) => {
            req.extensions_mut().insert(user);
            let mut resp = next.run(req).await;
            if let Some(id) = set_session {
                resp.headers_mut()
                    .append(header::SET_COOKIE, session_cookie(&id));
            }
            resp
        }
        AuthOutcome::Reject(resp) => resp,
        AuthOutcome::None => unauthenticated(&state, req.headers()),
    }
}

fn authenticate(state: &AppState, req: &Request) -> AuthOutcome {
    let headers = req.headers();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let raw = value.to_str().unwrap_or("");
        let lower_prefix = raw.get(..8).map(str::to_ascii_lowercase);
        if lower_prefix.as_deref() == Some("apitoken") {
            return pat::authenticate(state, raw, req);
        }
        if raw.len() >= 6 && raw[..6].eq_ignore_ascii_case("basic ") {
            return basic::authenticate(state, &raw[6..], headers);
        }
        if raw.len() >= 7 && raw[..7].eq_ignore_ascii_case("bearer ") {
            return oauth2::authenticate_bearer(state, raw[7..].trim());
        }
    }
    if let Some(id) = cookie(headers, "JSESSIONID") {
        if let Some(name) = state.auth().session_user(id) {
            if let Some(user) = state.auth().user(&name) {
                if !user.disabled && !user.locked {
                    return AuthOutcome::User(user.current(), None);
                }
            }
        }
    }
    AuthOutcome::None
}

/// Public auth routes (login, OAuth2 server, login page); they need no credentials.
pub(crate) fn public_routes() -> Router<AppState> {
    session::routes().merge(oauth2::routes())
}

/// Authenticated auth routes (`POST /api/apiToken`).
pub(crate) fn routes() -> Router<AppState> {
    pat::routes()
}

/// Test-facing control of users and credentials of a running emulator.
#[derive(Clone)]
pub struct AuthControl(pub(crate) AppState);

impl std::fmt::Debug for AuthControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthControl")
    }
}

impl AuthControl {
    /// Adds (or replaces) a user that may log in with `password`; returns its UID. The user is not a superuser.
    pub fn add_user(&self, username: &str, password: &str) -> String {
        let uid = crate::crud::generate_uid();
        self.0.auth().upsert_user(User {
            username: username.into(),
            password: password.to_string(),
            uid: uid.as_str().into(),
            first_name: username.to_string(),
            surname: "User".to_string(),
            disabled: false,
            locked: false,
            superuser: false,
        });
        uid
    }

    /// Disables or re-enables a user; returns false if there is no such user.
    pub fn set_user_disabled(&self, username: &str, disabled: bool) -> bool {
        self.0
            .auth()
            .update_user(username, |u| u.disabled = disabled)
    }

    /// Locks or unlocks a user; returns false if there is no such user.
    pub fn set_user_locked(&self, username: &str, locked: bool) -> bool {
        self.0.auth().update_user(username, |u| u.locked = locked)
    }

    /// Registers a personal access token (plaintext, e.g. one of DHIS2's test vectors) for `owner`, expiring at
    /// `expires`. The checksum is not checked here, so tokens with bad checksums can be registered too.
    pub fn add_api_token(&self, token: &str, owner: &str, expires: SystemTime) {
        self.add_api_token_restricted(token, owner, expires, pat::Restrictions::default());
    }

    /// Like [`add_api_token`](Self::add_api_token), with allow-lists (empty lists mean no restriction).
    pub fn add_api_token_with_allow_lists(
        &self,
        token: &str,
        owner: &str,
        expires: SystemTime,
        methods: &[&str],
        ips: &[&str],
        referrers: &[&str],
    ) {
        let r = pat::Restrictions {
            methods: methods.iter().map(|s| s.to_string()).collect(),
            ips: ips.iter().map(|s| s.to_string()).collect(),
            referrers: referrers.iter().map(|s| s.to_string()).collect(),
        };
        self.add_api_token_restricted(token, owner, expires, r);
    }

    fn add_api_token_restricted(
        &self,
        token: &str,
        owner: &str,
        expires: SystemTime,
        restrictions: pat::Restrictions,
    ) {
        pat::register(self.0.auth(), token, owner, expires, restrictions, None);
    }

    /// Issues an OAuth2 bearer access token for `username`, valid for `ttl`.
    pub fn issue_bearer_token(&self, username: &str, ttl: Duration) -> String {
        oauth2::issue_access_token(self.0.auth(), username, ttl)
    }

    /// Registers an OAuth2 client. `secret: None` makes it a public client (PKCE only). An empty `redirect_uris`
    /// accepts any `http://127.0.0.1:*` or `http://localhost:*` redirect.
    pub fn register_oauth2_client(
        &self,
        client_id: &str,
        secret: Option<&str>,
        redirect_uris: &[&str],
    ) {
        self.0.auth().oauth().register_client(
            client_id,
            secret.map(str::to_string),
            redirect_uris.iter().map(|s| s.to_string()).collect(),
        );
    }

    /// Sets which user the authorize endpoint approves without asking (default: the admin user).
    pub fn set_oauth2_approving_user(&self, username: &str) {
        self.0.auth().oauth().approving_user = Some(username.to_string());
    }
}
