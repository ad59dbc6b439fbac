//! [`OAuth2Auth`]: OAuth2 bearer tokens with refresh, and the PKCE authorization-code flow.
//!
//! - Tokens live in a [`TokenStore`] ([`MemoryTokenStore`] by default) and are cached in memory.
//! - An expired access token (30 s early) or a 401 from the server triggers one `refresh_token` grant. Refreshes
//!   happen under a lock, and the token is checked again after taking it, so however many requests wait, one
//!   refresh request is made and everyone uses its result.
//! - The token endpoint is called through a caller-supplied [`TokenService`] (e.g. a plain hyper client, without
//!   this crate's auth layer). Confidential clients authenticate with `client_secret_basic`; public clients send
//!   `client_id` in the form.
//! - [`OAuth2Auth::start_authorization`] starts the PKCE flow: it binds a loopback listener on
//!   `127.0.0.1:<redirect_port>`, and returns the URL to open in a browser; [`PendingAuthorization::finish`] waits
//!   for the redirect, checks `state`, exchanges the code and stores the tokens.
//!
//! ```no_run
//! # async fn demo(token_http: dhis2_layers::auth::oauth2::TokenService) -> Result<(), dhis2_layers::AuthError> {
//! use dhis2_layers::auth::{AuthLayer, OAuth2Auth, OAuth2Config};
//!
//! let config = OAuth2Config::new(
//!     "my-cli",
//!     "https://dhis2.example.org/oauth2/authorize",
//!     "https://dhis2.example.org/oauth2/token",
//! )
//! .redirect_port(8765);
//! let auth = OAuth2Auth::new(config, token_http);
//! let pending = auth.start_authorization().await?;
//! println!("open {}", pending.url());
//! pending.finish().await?;
//! let layer = AuthLayer::new(auth).for_origin("https://dhis2.example.org".parse().unwrap())?;
//! # let _ = layer;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Request, Response};
use http_body_util::BodyExt;
use tokio::net::TcpListener;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt;

use super::{sensitive_value, AuthError, AuthFuture, AuthProvider};
use crate::body::{BoxError, RequestBody, ResponseBody};
use crate::secret::Secret;

mod form;
mod loopback;
mod pkce;

pub use pkce::PkceChallenge;

/// The HTTP service token requests are sent through.
pub type TokenService = BoxCloneSyncService<Request<RequestBody>, Response<ResponseBody>, BoxError>;

/// Tokens this close to expiry count as expired.
const EXPIRY_SKEW: Duration = Duration::from_secs(30);
/// Largest token endpoint body accepted.
const MAX_TOKEN_BODY: usize = 256 * 1024;

/// OAuth2 client settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OAuth2Config {
    /// The registered client id.
    pub client_id: String,
    /// The client secret, for confidential clients.
    pub client_secret: Option<Secret>,
    /// The authorization endpoint, e.g. `https://host/oauth2/authorize`.
    pub authorize_url: String,
    /// The token endpoint, e.g. `https://host/oauth2/token`.
    pub token_url: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// Loopback port for the redirect (0: any free port; registered clients usually need a fixed one).
    pub redirect_port: u16,
    /// Path of the redirect URI.
    pub redirect_path: String,
    /// How long [`PendingAuthorization::finish`] waits for the browser.
    pub flow_timeout: Duration,
}

impl OAuth2Config {
    /// Settings for a public client (no secret), scopes `openid`, redirect `http://127.0.0.1:<any>/callback`.
    pub fn new(
        client_id: impl Into<String>,
        authorize_url: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        OAuth2Config {
            client_id: client_id.into(),
            client_secret: None,
            authorize_url: authorize_url.into(),
            token_url: token_url.into(),
            scopes: vec!["openid".into()],
            redirect_port: 0,
            redirect_path: "/callback".into(),
            flow_timeout: Duration::from_secs(300),
        }
    }

    /// Sets the client secret.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Sets the scopes.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the loopback redirect port.
    pub fn redirect_port(mut self, port: u16) -> Self {
        self.redirect_port = port;
        self
    }

    /// Sets the redirect path (must start with `/`).
    pub fn redirect_path(mut self, path: impl Into<String>) -> Self {
        self.redirect_path = path.into();
        self
    }

    /// Sets how long to wait for the browser.
    pub fn flow_timeout(mut self, timeout: Duration) -> Self {
        self.flow_timeout = timeout;
        self
    }
}

/// An access token and what came with it. `Debug` redacts the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuth2Token {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token, if issued.
    pub refresh_token: Option<Secret>,
    /// When the access token expires, if known.
    pub expires_at: Option<SystemTime>,
    /// Granted scopes, if reported.
    pub scope: Option<String>,
}

impl OAuth2Token {
    /// A token with no known expiry and no refresh token.
    pub fn new(access_token: impl Into<Secret>) -> Self {
        OAuth2Token {
            access_token: access_token.into(),
            refresh_token: None,
            expires_at: None,
            scope: None,
        }
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(token.into());
        self
    }

    /// Sets the expiry.
    pub fn with_expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Whether the token expires within `skew` from now.
    pub fn expires_within(&self, skew: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + skew)
    }
}

/// Where tokens are kept between runs.
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// The stored token, if any.
    fn load(&self) -> AuthFuture<'_, Result<Option<OAuth2Token>, AuthError>>;
    /// Replaces the stored token.
    fn save<'a>(&'a self, token: &'a OAuth2Token) -> AuthFuture<'a, Result<(), AuthError>>;
}

/// A [`TokenStore`] in memory.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    token: Mutex<Option<OAuth2Token>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `token`.
    pub fn with_token(token: OAuth2Token) -> Self {
        MemoryTokenStore {
            token: Mutex::new(Some(token)),
        }
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> AuthFuture<'_, Result<Option<OAuth2Token>, AuthError>> {
        let token = self.token.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Box::pin(async move { Ok(token) })
    }

    fn save<'a>(&'a self, token: &'a OAuth2Token) -> AuthFuture<'a, Result<(), AuthError>> {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Box::pin(async { Ok(()) })
    }
}

/// OAuth2 bearer credentials (see the module docs). Clones share tokens and the refresh lock.
#[derive(Clone)]
pub struct OAuth2Auth {
    inner: Arc<Inner>,
}

struct Inner {
    config: OAuth2Config,
    http: TokenService,
    store: Arc<dyn TokenStore>,
    cached: RwLock<Option<OAuth2Token>>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for OAuth2Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Auth")
            .field("config", &self.inner.config)
            .field("store", &self.inner.store)
            .field("has_cached_token", &self.cached().is_some())
            .finish()
    }
}

impl OAuth2Auth {
    /// Credentials for `config`, calling the token endpoint through `http`, keeping tokens in memory.
    pub fn new(config: OAuth2Config, http: TokenService) -> Self {
        Self::with_store(config, http, Arc::new(MemoryTokenStore::new()))
    }

    /// Like [`OAuth2Auth::new`] with a custom store.
    pub fn with_store(
        config: OAuth2Config,
        http: TokenService,
        store: Arc<dyn TokenStore>,
    ) -> Self {
        OAuth2Auth {
            inner: Arc::new(Inner {
                config,
                http,
                store,
                cached: RwLock::new(None),
                refresh_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &OAuth2Config {
        &self.inner.config
    }

    /// A valid access token, refreshing it first if it expired.
    pub async fn token(&self) -> Result<OAuth2Token, AuthError> {
        match self.current().await? {
            Some(t) if !t.expires_within(EXPIRY_SKEW) => Ok(t),
            other => self.refresh_after(other.map(|t| t.access_token)).await,
        }
    }

    /// Forces a `refresh_token` grant (joining one already running).
    pub async fn refresh(&self) -> Result<OAuth2Token, AuthError> {
        let current = self.current().await?.map(|t| t.access_token);
        self.refresh_after(current).await
    }

    /// Stores `token` (e.g. one obtained elsewhere).
    pub async fn set_token(&self, token: OAuth2Token) -> Result<(), AuthError> {
        self.inner.store.save(&token).await?;
        *self.inner.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(token);
        Ok(())
    }

    fn cached(&self) -> Option<OAuth2Token> {
        self.inner
            .cached
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn current(&self) -> Result<Option<OAuth2Token>, AuthError> {
        if let Some(t) = self.cached() {
            return Ok(Some(t));
        }
        let loaded = self.inner.store.load().await?;
        if let Some(t) = &loaded {
            *self.inner.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(t.clone());
        }
        Ok(loaded)
    }

    /// Refreshes unless, once the lock is held, the current token is valid and is not `stale`.
    async fn refresh_after(&self, stale: Option<Secret>) -> Result<OAuth2Token, AuthError> {
        let _guard = self.inner.refresh_lock.lock().await;
        let current = self.current().await?;
        if let Some(t) = &current {
            if !t.expires_within(EXPIRY_SKEW) && Some(&t.access_token) != stale.as_ref() {
                return Ok(t.clone());
            }
        }
        let Some(current) = current else {
            return Err(AuthError::Missing(
                "no OAuth2 token yet; run the authorization flow first".into(),
            ));
        };
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(AuthError::Missing(
                "the OAuth2 access token is expired or rejected and there is no refresh token; run the authorization flow again".into(),
            ));
        };
        tracing::debug!(token_url = %self.inner.config.token_url, "oauth2: refreshing the access token");
        // `scope` is omitted so the originally granted scopes are kept.
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        let mut fresh = self.token_request(&form).await?;
        if fresh.refresh_token.is_none() {
            // Servers may keep the refresh token unchanged and omit it.
            fresh.refresh_token = Some(refresh_token);
        }
        self.set_token(fresh.clone()).await?;
        Ok(fresh)
    }

    /// Starts the authorization-code flow with PKCE: binds the loopback receiver and builds the authorization URL.
    pub async fn start_authorization(&self) -> Result<PendingAuthorization, AuthError> {
        let cfg = &self.inner.config;
        if !cfg.redirect_path.starts_with('/') {
            return Err(AuthError::Flow(
                "the redirect path must start with `/`".into(),
            ));
        }
        let listener = TcpListener::bind(("127.0.0.1", cfg.redirect_port))
            .await
            .map_err(|e| AuthError::Other {
                context: "OAuth2 loopback receiver: bind 127.0.0.1",
                source: Box::new(e),
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| AuthError::Other {
                context: "OAuth2 loopback receiver: local address",
                source: Box::new(e),
            })?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}{}", cfg.redirect_path);
        let pkce = PkceChallenge::generate();
        let state = pkce::random_token(16);
        let scope = cfg.scopes.join(" ");
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", cfg.client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
        ];
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
        }
        params.extend([
            ("state", state.as_str()),
            ("code_challenge", pkce.challenge()),
            ("code_challenge_method", pkce.method()),
        ]);
        let sep = if cfg.authorize_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!("{}{sep}{}", cfg.authorize_url, form::encode_pairs(&params));
        Ok(PendingAuthorization {
            auth: self.clone(),
            listener,
            url,
            redirect_uri,
            state,
            pkce,
        })
    }

    async fn token_request(&self, form_pairs: &[(&str, &str)]) -> Result<OAuth2Token, AuthError> {
        let cfg = &self.inner.config;
        let mut pairs = form_pairs.to_vec();
        let mut req = Request::post(cfg.token_url.as_str())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json");
        match &cfg.client_secret {
            Some(secret) => {
                // client_secret_basic: both parts form-encoded, then base64 (RFC 6749 section 2.3.1).
                use base64::Engine;
                let raw = format!(
                    "{}:{}",
                    form::encode(&cfg.client_id),
                    form::encode(secret.expose())
                );
                let value = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                );
                req = req.header(AUTHORIZATION, sensitive_value(&value, "Authorization")?);
            }
            None => pairs.push(("client_id", cfg.client_id.as_str())),
        }
        let req = req
            .body(RequestBody::from(form::encode_pairs(&pairs)))
            .map_err(|e| AuthError::Other {
                context: "OAuth2 token request: invalid token URL",
                source: Box::new(e),
            })?;
        let resp = self
            .inner
            .http
            .clone()
            .oneshot(req)
            .await
            .map_err(|source| AuthError::Other {
                context: "OAuth2 token request",
                source,
            })?;
        let status = resp.status();
        let body = collect_limited(resp.into_body(), MAX_TOKEN_BODY).await?;
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let field = |k: &str| {
            json.as_ref()
                .and_then(|j| j.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        if !status.is_success() {
            return Err(AuthError::TokenEndpoint {
                url: cfg.token_url.clone(),
                status: status.as_u16(),
                error: field("error"),
                description: field("error_description"),
            });
        }
        let access = field("access_token").ok_or_else(|| {
            AuthError::Flow(format!(
                "the token endpoint {} answered without an `access_token`",
                cfg.token_url
            ))
        })?;
        let expires_in = json
            .as_ref()
            .and_then(|j| j.get("expires_in"))
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| {
                        v.as_f64()
                            .filter(|f| f.is_finite() && *f >= 0.0)
                            .map(|f| f as u64)
                    })
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            });
        Ok(OAuth2Token {
            access_token: Secret::new(access),
            refresh_token: field("refresh_token").map(Secret::new),
            expires_at: expires_in
                .and_then(|s| SystemTime::now().checked_add(Duration::from_secs(s))),
            scope: field("scope"),
        })
    }
}

/// Collects a token response body of at most `limit` bytes.
async fn collect_limited(body: ResponseBody, limit: usize) -> Result<Vec<u8>, AuthError> {
    let mut body = std::pin::pin!(body);
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|source| AuthError::Other {
            context: "OAuth2 token response body",
            source,
        })?;
        if let Some(data) = frame.data_ref() {
            if out.len() + data.len() > limit {
                return Err(AuthError::Flow(format!(
                    "the token response is larger than {limit} bytes"
                )));
            }
            out.extend_from_slice(data);
        }
    }
    Ok(out)
}

impl AuthProvider for OAuth2Auth {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let token = self.token().await?;
            let value = sensitive_value(
                &format!("Bearer {}", token.access_token.expose()),
                "Authorization",
            )?;
            headers.insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    fn on_unauthorized<'a>(&'a self, rejected: &'a HeaderMap) -> AuthFuture<'a, bool> {
        Box::pin(async move {
            let stale = rejected
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(Secret::new);
            let Some(stale) = stale else { return false };
            match self.refresh_after(Some(stale.clone())).await {
                Ok(fresh) => fresh.access_token != stale,
                Err(e) => {
                    tracing::debug!(error = %e, "oauth2: refresh after 401 failed");
                    false
                }
            }
        })
    }
}

/// A started authorization-code flow: open [`PendingAuthorization::url`] in a browser, then await
/// [`PendingAuthorization::finish`].
pub struct PendingAuthorization {
    auth: OAuth2Auth,
    listener: TcpListener,
    url: String,
    redirect_uri: String,
    state: String,
    pkce: PkceChallenge,
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// The authorization URL to open.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redirect URI (with the bound port).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for the redirect (up to the configured flow timeout), checks `state`, exchanges the code and stores
    /// the tokens.
    pub async fn finish(self) -> Result<OAuth2Token, AuthError> {
        let cfg = self.auth.config();
        let code = tokio::time::timeout(
            cfg.flow_timeout,
            loopback::receive_code(&self.listener, &cfg.redirect_path, &self.state),
        )
        .await
        .map_err(|_| {
            AuthError::Flow(format!(
                "no redirect arrived at {} within {} s",
                self.redirect_uri,
                cfg.flow_timeout.as_secs()
            ))
        })??;
        drop(self.listener);
        let token = self
            .auth
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("code_verifier", self.pkce.verifier()),
            ])
            .await?;
        self.auth.set_token(token.clone()).await?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::full_response_body;
    use bytes::Bytes;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

    /// A token endpoint counting requests and recording their headers and bodies.
    fn token_endpoint(
        count: Arc<AtomicUsize>,
        seen: Seen,
        answer: &'static str,
        status: u16,
    ) -> TokenService {
        BoxCloneSyncService::new(tower::service_fn(move |req: Request<RequestBody>| {
            let count = count.clone();
            let seen = seen.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                let (parts, body) = req.into_parts();
                let body = body.collect().await?.to_bytes();
                seen.lock()
                    .unwrap()
                    .push((parts.headers, String::from_utf8(body.to_vec()).unwrap()));
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, BoxError>(
                    Response::builder()
                        .status(status)
                        .header(CONTENT_TYPE, "application/json")
                        .body(full_response_body(Bytes::from_static(answer.as_bytes())))
                        .unwrap(),
                )
            }
        }))
    }

    fn config() -> OAuth2Config {
        OAuth2Config::new(
            "cli",
            "https://dhis.example/oauth2/authorize",
            "https://dhis.example/oauth2/token",
        )
    }

    fn expired() -> OAuth2Token {
        OAuth2Token::new("old-access")
            .with_refresh_token("refresh-1")
            .with_expires_at(SystemTime::now() - Duration::from_secs(10))
    }

    const FRESH: &str = r#"{"access_token":"new-access","token_type":"Bearer","expires_in":3600}"#;

    #[tokio::test]
    async fn one_refresh_for_20_concurrent_requests() {
        let count = Arc::new(AtomicUsize::new(0));
        let seen: Seen = Default::default();
        let auth = OAuth2Auth::with_store(
            config(),
            token_endpoint(count.clone(), seen.clone(), FRESH, 200),
            Arc::new(MemoryTokenStore::with_token(expired())),
        );
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let auth = auth.clone();
            tasks.push(tokio::spawn(async move {
                let mut h = HeaderMap::new();
                auth.authorize(&mut h).await.map(|_| h)
            }));
        }
        for t in tasks {
            let h = t.await.unwrap().unwrap();
            assert_eq!(h[AUTHORIZATION], "Bearer new-access");
            assert!(h[AUTHORIZATION].is_sensitive());
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        let (headers, body) = seen.lock().unwrap()[0].clone();
        assert_eq!(headers[CONTENT_TYPE], "application/x-www-form-urlencoded");
        assert_eq!(
            body,
            "grant_type=refresh_token&refresh_token=refresh-1&client_id=cli"
        );
        // The refresh token was kept although the response omitted it.
        let t = auth.token().await.unwrap();
        assert_eq!(t.refresh_token, Some(Secret::new("refresh-1")));
        assert!(!t.expires_within(Duration::from_secs(60)));
    }

    #[tokio::test]
    async fn unauthorized_refreshes_once_and_replays() {
        use crate::auth::AuthLayer;
        use http_body_util::Full;
        use tower::Layer;
        let count = Arc::new(AtomicUsize::new(0));
        let auth = OAuth2Auth::with_store(
            config().client_secret("s3cret"),
            token_endpoint(count.clone(), Default::default(), FRESH, 200),
            Arc::new(MemoryTokenStore::with_token(
                OAuth2Token::new("revoked").with_refresh_token("refresh-1"),
            )),
        );
        let (mock, mut handle) =
            tower_test::mock::pair::<Request<RequestBody>, Response<Full<Bytes>>>();
        let svc = AuthLayer::new(auth.clone()).layer(mock);
        let fut =
            tokio::spawn(svc.oneshot(Request::get("/api/me").body(RequestBody::empty()).unwrap()));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer revoked");
        send.send_response(crate::auth::tests::unauthorized());
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer new-access");
        send.send_response(Response::new(Full::new(Bytes::from_static(b"{}"))));
        assert_eq!(fut.await.unwrap().unwrap().status(), 200);
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // A second 401 for the already replaced token does not refresh again.
        let mut rejected = HeaderMap::new();
        rejected.insert(AUTHORIZATION, "Bearer revoked".parse().unwrap());
        assert!(auth.on_unauthorized(&rejected).await);
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn confidential_clients_use_basic_auth() {
        let seen: Seen = Default::default();
        let auth = OAuth2Auth::with_store(
            config().client_secret("s3cret"),
            token_endpoint(Default::default(), seen.clone(), FRESH, 200),
            Arc::new(MemoryTokenStore::with_token(expired())),
        );
        auth.token().await.unwrap();
        let (headers, body) = seen.lock().unwrap()[0].clone();
        // base64("cli:s3cret")
        assert_eq!(headers[AUTHORIZATION], "Basic Y2xpOnMzY3JldA==");
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert!(!body.contains("client_id"));
    }

    #[tokio::test]
    async fn refresh_failures_are_clear() {
        let auth = OAuth2Auth::with_store(
            config(),
            token_endpoint(
                Default::default(),
                Default::default(),
                r#"{"error":"invalid_grant","error_description":"refresh token expired"}"#,
                400,
            ),
            Arc::new(MemoryTokenStore::with_token(expired())),
        );
        let e = auth.token().await.unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("invalid_grant") && msg.contains("HTTP 400"),
            "{msg}"
        );
        assert!(!msg.contains("refresh-1"));

        let none = OAuth2Auth::new(
            config(),
            token_endpoint(Default::default(), Default::default(), FRESH, 200),
        );
        assert!(matches!(none.token().await, Err(AuthError::Missing(_))));
        let no_refresh = OAuth2Auth::with_store(
            config(),
            token_endpoint(Default::default(), Default::default(), FRESH, 200),
            Arc::new(MemoryTokenStore::with_token(
                OAuth2Token::new("a").with_expires_at(SystemTime::now()),
            )),
        );
        assert!(no_refresh
            .token()
            .await
            .unwrap_err()
            .to_string()
            .contains("no refresh token"));
    }

    #[test]
    fn debug_redacts() {
        let auth = OAuth2Auth::with_store(
            config().client_secret("client-secret-x"),
            BoxCloneSyncService::new(tower::service_fn(|_req: Request<RequestBody>| async {
                Err::<Response<ResponseBody>, BoxError>("unused".into())
            })),
            Arc::new(MemoryTokenStore::with_token(expired())),
        );
        let d = format!("{auth:?}");
        assert!(!d.contains("client-secret-x"), "{d}");
        assert!(!d.contains("old-access") && !d.contains("refresh-1"), "{d}");
        assert!(d.contains("[redacted]"));
    }

    async fn browser_redirect(port: u16, target: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    fn query_param(url: &str, key: &str) -> String {
        let q = url.split_once('?').unwrap().1;
        q.split('&')
            .find_map(|p| p.strip_prefix(&format!("{key}=")))
            .map(form::percent_decode)
            .unwrap()
    }

    #[tokio::test]
    async fn loopback_flow_exchanges_the_code() {
        let seen: Seen = Default::default();
        let answer = r#"{"access_token":"flow-access","refresh_token":"flow-refresh","expires_in":"600","scope":"openid"}"#;
        let auth = OAuth2Auth::new(
            config(),
            token_endpoint(Default::default(), seen.clone(), answer, 200),
        );
        let pending = auth.start_authorization().await.unwrap();
        let url = pending.url().to_owned();
        assert!(url
            .starts_with("https://dhis.example/oauth2/authorize?response_type=code&client_id=cli"));
        assert_eq!(query_param(&url, "code_challenge_method"), "S256");
        assert_eq!(query_param(&url, "scope"), "openid");
        let redirect = query_param(&url, "redirect_uri");
        assert_eq!(redirect, pending.redirect_uri());
        let port: u16 = redirect
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/callback")
            .parse()
            .unwrap();
        let state = query_param(&url, "state");
        let challenge = query_param(&url, "code_challenge");
        let finish = tokio::spawn(pending.finish());
        // Stray requests are answered 404 and ignored.
        assert!(browser_redirect(port, "/favicon.ico")
            .await
            .starts_with("HTTP/1.1 404"));
        let page = browser_redirect(port, &format!("/callback?code=c%2Fode-1&state={state}")).await;
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.contains("Signed in"));
        let token = finish.await.unwrap().unwrap();
        assert_eq!(token.access_token.expose(), "flow-access");
        assert_eq!(
            token.refresh_token.as_ref().unwrap().expose(),
            "flow-refresh"
        );
        assert!(token.expires_at.is_some());
        let (_, body) = seen.lock().unwrap()[0].clone();
        let get = |k: &str| {
            body.split('&')
                .find_map(|p| p.strip_prefix(&format!("{k}=")))
                .map(form::percent_decode)
                .unwrap()
        };
        assert_eq!(get("grant_type"), "authorization_code");
        assert_eq!(get("code"), "c/ode-1");
        assert_eq!(get("redirect_uri"), redirect);
        let verifier = get("code_verifier");
        assert_eq!(
            PkceChallenge::from_verifier(&verifier).unwrap().challenge(),
            challenge
        );
        // The token is stored and used.
        let mut h = HeaderMap::new();
        auth.authorize(&mut h).await.unwrap();
        assert_eq!(h[AUTHORIZATION], "Bearer flow-access");
    }

    #[tokio::test]
    async fn loopback_flow_rejects_a_wrong_state() {
        let count = Arc::new(AtomicUsize::new(0));
        let auth = OAuth2Auth::new(
            config(),
            token_endpoint(count.clone(), Default::default(), FRESH, 200),
        );
        let pending = auth.start_authorization().await.unwrap();
        let redirect = pending.redirect_uri().to_owned();
        let port: u16 = redirect
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/callback")
            .parse()
            .unwrap();
        let finish = tokio::spawn(pending.finish());
        let page = browser_redirect(port, "/callback?code=x&state=forged").await;
        assert!(page.starts_with("HTTP/1.1 400"));
        let err = finish.await.unwrap().unwrap_err();
        assert!(err.to_string().contains("state"), "{err}");
        assert_eq!(count.load(Ordering::SeqCst), 0, "no code exchange");
    }

    #[tokio::test]
    async fn loopback_flow_reports_server_errors() {
        let auth = OAuth2Auth::new(
            config(),
            token_endpoint(Default::default(), Default::default(), FRESH, 200),
        );
        let pending = auth.start_authorization().await.unwrap();
        let port: u16 = pending
            .redirect_uri()
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/callback")
            .parse()
            .unwrap();
        let finish = tokio::spawn(pending.finish());
        browser_redirect(
            port,
            "/callback?error=access_denied&error_description=User+said+no",
        )
        .await;
        let err = finish.await.unwrap().unwrap_err().to_string();
        assert!(
            err.contains("access_denied") && err.contains("User said no"),
            "{err}"
        );
    }
}
