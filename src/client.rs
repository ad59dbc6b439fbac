//! [`Dhis2Client`]: lifecycle, escape hatches and the `tower::Service` implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue, Method, Request, Response, Uri};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};
use url::Url;

use crate::builder::ClientBuilder;
use crate::models::SystemInfo;
use crate::stack::{self, BoxService, StackConfig};
use crate::state::{ClientState, Connection, Inner, Shared};
use crate::{error, handshake, Dhis2Version, Error, VersionKey};
use dhis2_layers::version_probe::ProbeHandle;
use dhis2_layers::{BoxError, RequestBody, ResponseBody};

/// Content type of JSON request bodies.
const JSON: &str = "application/json";
/// Content type of `patch_raw`/`patch` bodies (RFC 6902 JSON Patch, what DHIS2 expects).
pub const JSON_PATCH: &str = "application/json-patch+json";

/// An async DHIS2 client: a tower stack plus lifecycle state, cheap to clone (all clones share the connection
/// pool, the concurrency limit and the cached server info).
///
/// Calls made before [`connect`](Self::connect) fail with [`Error::NotConnected`]; after [`close`](Self::close)
/// with [`Error::Closed`].
#[derive(Clone)]
pub struct Dhis2Client {
    shared: Arc<Shared>,
}

impl fmt::Debug for Dhis2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.shared.read();
        f.debug_struct("Dhis2Client")
            .field("state", &inner.state)
            .field(
                "base_url",
                &inner.conn.as_ref().map(|c| c.base_url.as_str().to_owned()),
            )
            .field(
                "version",
                &inner.conn.as_ref().and_then(|c| c.version.clone()),
            )
            .finish_non_exhaustive()
    }
}

/// Parses and normalises a configured base URL (http or https, with a host; no query; no trailing `/`).
pub(crate) fn parse_base_url(raw: &str) -> Result<Url, Error> {
    // Never echo an embedded password in an error message.
    let shown = crate::builder::redact_userinfo(raw);
    let mut url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("base URL {shown:?} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Config(format!(
            "base URL {shown:?} must be an http or https URL with a host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "base URL must not embed credentials: use ClientBuilder::auth".into(),
        ));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(if path.is_empty() { "/" } else { &path });
    Ok(url)
}

pub(crate) fn to_uri(url: &Url) -> Result<Uri, Error> {
    url.as_str()
        .parse::<Uri>()
        .map_err(|e| Error::Config(format!("URL {url} is not a valid request URI: {e}")))
}

/// The base URL as a URI whose path is the prefix (for the BaseUrl layer) and its bare origin (for auth).
fn base_and_origin(base: &Url) -> Result<(Uri, Uri), Error> {
    let origin = Url::parse(&base.origin().ascii_serialization())
        .map_err(|e| Error::Config(format!("base URL {base} has no usable origin: {e}")))?;
    Ok((to_uri(base)?, to_uri(&origin)?))
}

/// `true` when `path` is `prefix` or lies below it, compared by whole segments (`/dhis2x` is not under `/dhis2`).
/// `prefix` has no trailing `/`; the empty prefix (a base URL at the root) holds every path.
fn path_is_under(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Builds the absolute URL of `path` (relative to the base URL, or an absolute URL under it) plus `params`.
/// The result is always under the base URL: an absolute URL must share its origin and lie under its path
/// (whole segments), and a relative path whose `..` segments would climb above it is refused.
pub(crate) fn build_url(base: &Url, path: &str, params: &[(&str, &str)]) -> Result<Url, Error> {
    let prefix = base.path().trim_end_matches('/');
    let mut url = if path.starts_with("http://") || path.starts_with("https://") {
        let url = Url::parse(path)
            .map_err(|e| Error::Config(format!("{path:?} is not a valid URL: {e}")))?;
        if !handshake::same_origin(&url, base) || !path_is_under(url.path(), prefix) {
            return Err(Error::Config(format!(
                "{path} is not under the client's base URL {base}"
            )));
        }
        url
    } else {
        let rel = path.trim_start_matches('/');
        let (p, q) = match rel.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rel, None),
        };
        let mut url = base.clone();
        url.set_path(&format!("{prefix}/{p}"));
        if !path_is_under(url.path(), prefix) {
            return Err(Error::Config(format!(
                "{path:?} climbs out of the client's base URL {base}"
            )));
        }
        url.set_query(q);
        url
    };
    if !params.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in params {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

/// The request URI of `path` and `params`, equal to `build_url(..)` parsed as a URI. The usual relative path,
/// whose characters the URL parser would keep as they are, is joined directly onto `root` (the base URL as a URI:
/// its scheme and authority are reused, only the path and query are new); anything else (an absolute URL, dot
/// segments, characters to escape) goes through [`build_url`]. Percent escapes are kept as they are on both
/// paths, so a segment an accessor encoded (`a%2Fb`) reaches the server as one segment.
pub(crate) fn request_uri(
    base: &Url,
    root: &Uri,
    path: &str,
    params: &[(&str, &str)],
) -> Result<Uri, Error> {
    let invalid = |e: &dyn std::fmt::Display| {
        Error::Config(format!("{path:?} does not make a valid request URI: {e}"))
    };
    if let Some(path_and_query) = plain_path_and_query(base, path, params) {
        let mut parts = http::uri::Parts::default();
        parts.scheme = root.scheme().cloned();
        parts.authority = root.authority().cloned();
        // The joined string becomes the URI's buffer as is (no copy).
        parts.path_and_query = Some(
            http::uri::PathAndQuery::from_maybe_shared(Bytes::from(path_and_query))
                .map_err(|e| invalid(&e))?,
        );
        return Uri::from_parts(parts).map_err(|e| invalid(&e));
    }
    let url = build_url(base, path, params)?;
    Uri::from_maybe_shared(Bytes::from(String::from(url))).map_err(|e| invalid(&e))
}

/// The path and query of the usual relative request (see [`request_uri`]), or `None` when it needs the URL parser.
fn plain_path_and_query(base: &Url, path: &str, params: &[(&str, &str)]) -> Option<String> {
    if base.query().is_some() || base.fragment().is_some() || path.contains("://") {
        return None;
    }
    let rel = path.trim_start_matches('/');
    let (p, q) = match rel.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rel, None),
    };
    // `%` is kept as is by the URL parser too, so an encoded segment (`a%2Fb`) stays one segment here as there.
    let path_kept = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b);
    let query_kept = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&()*+,;=:@/?%".contains(&b);
    if !p.bytes().all(path_kept)
        || p.split('/').any(is_dot_segment)
        || !q.map_or(true, |q| q.bytes().all(query_kept))
    {
        return None;
    }
    let prefix = base.path().trim_end_matches('/');
    let mut out = String::with_capacity(prefix.len() + rel.len() + 2 + params.len() * 24);
    out.push_str(prefix);
    out.push('/');
    out.push_str(p);
    if q.is_some() || !params.is_empty() {
        out.push('?');
    }
    let query_start = out.len();
    if let Some(q) = q {
        out.push_str(q);
    }
    if params.is_empty() {
        return Some(out);
    }
    // The same encoder `Url::query_pairs_mut` uses, so both paths give the same bytes.
    let mut pairs = url::form_urlencoded::Serializer::for_suffix(out, query_start);
    for (k, v) in params {
        pairs.append_pair(k, v);
    }
    Some(pairs.finish())
}

/// A segment the URL parser resolves as `.` or `..`: those, with `.` also spelled `%2e` in any case (WHATWG URL).
fn is_dot_segment(seg: &str) -> bool {
    let seg = seg.as_bytes();
    let dot = |s: &[u8]| s == b"." || s.eq_ignore_ascii_case(b"%2e");
    match seg.len() {
        1 | 3 => dot(seg),
        2 => seg == b"..",
        4 => (dot(&seg[..1]) && dot(&seg[1..])) || (dot(&seg[..3]) && dot(&seg[3..])),
        6 => dot(&seg[..3]) && dot(&seg[3..]),
        _ => false,
    }
}

/// Decodes JSON into `T`, reporting the JSON path of a failure.
pub(crate) fn decode<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    bytes: &[u8],
) -> Result<T, Error> {
    // The path tracking costs about a third of a small decode, so it only runs again once plain decoding failed
    // (decoding is deterministic: the second pass fails at the same place).
    // Like the tracked pass, this does not insist on the end of input (no `Deserializer::end`).
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match T::deserialize(de) {
        Ok(value) => Ok(value),
        Err(plain) => Err(decode_error::<T>(method, path, bytes, plain)),
    }
}

/// Re-decodes a document that failed to decode, tracking the JSON path, to build the [`Error::Decode`].
#[cold]
fn decode_error<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    bytes: &[u8],
    plain: serde_json::Error,
) -> Error {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let (json_path, source) = match serde_path_to_error::deserialize::<_, T>(de) {
        Err(e) => (error::json_path(&e.path().to_string()), e.into_inner()),
        // Cannot happen (same input, same type); keep the first error rather than panic.
        Ok(_) => ("$".to_owned(), plain),
    };
    // serde_json reports bytes that are not UTF-8 as an "invalid unicode code point"; say what it is.
    let source = match std::str::from_utf8(bytes) {
        Err(bad) if source.is_syntax() => <serde_json::Error as serde::de::Error>::custom(format!(
            "invalid UTF-8 at byte {} of the response body ({source})",
            bad.valid_up_to()
        )),
        _ => source,
    };
    Error::Decode {
        method: method.clone(),
        path: path.to_owned(),
        json_path,
        source,
    }
}

/// Wraps a non-object JSON root as `{"data": root}`.
fn into_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert("data".to_owned(), other);
            map
        }
    }
}

/// A request body for the escape hatches.
struct Body<'a> {
    bytes: Bytes,
    content_type: &'a str,
}

fn json_body<B: Serialize + ?Sized>(
    method: &Method,
    path: &str,
    body: &B,
    content_type: &'static str,
) -> Result<Body<'static>, Error> {
    let bytes = serde_json::to_vec(body).map_err(|e| Error::Decode {
        method: method.clone(),
        path: path.to_owned(),
        json_path: "$".into(),
        source: e,
    })?;
    Ok(Body {
        bytes: bytes.into(),
        content_type,
    })
}

impl Dhis2Client {
    /// Start building a client for the DHIS2 instance at `base_url` (e.g. `https://play.im.dhis2.org/dev-2-43`).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    pub(crate) fn from_builder(builder: ClientBuilder) -> Result<Self, Error> {
        parse_base_url(&builder.base_url)?;
        let limits = &builder.limits;
        if limits.max_concurrent_requests == 0 && limits.shared.is_none() && !limits.unlimited {
            return Err(Error::Config(
                "limits.max_concurrent_requests must be at least 1".into(),
            ));
        }
        // Read the CA bundle now so a bad TLS setting fails at build time, not on first use.
        builder.tls.client_config()?;
        builder.proxy.matcher()?;
        let ttl = builder.system_cache_ttl;
        // One semaphore for the client's whole life, so a re-connect cannot double the limit.
        let semaphore = match &builder.limits.shared {
            Some(shared) => shared.semaphore.clone(),
            None => Arc::new(tokio::sync::Semaphore::new(
                builder.limits.max_concurrent_requests,
            )),
        };
        Ok(Dhis2Client {
            shared: Arc::new(Shared {
                config: builder,
                user_service: None,
                inner: RwLock::new(Inner {
                    state: ClientState::Unconnected,
                    conn: None,
                }),
                connect_lock: tokio::sync::Mutex::new(()),
                info: tokio::sync::Mutex::new(None),
                info_ttl: ttl,
                semaphore,
            }),
        })
    }

    /// Wrap any user-built stack. Relative request URIs are resolved against `base_url`. The client starts
    /// `Connected` with an unknown version; call [`connect`](Self::connect) to probe `/api/system/info` through
    /// the service.
    pub fn from_service<S>(svc: S, base_url: &str) -> Result<Self, Error>
    where
        S: Service<Request<RequestBody>, Response = Response<ResponseBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let base = parse_base_url(base_url)?;
        let svc = BoxCloneSyncService::new(svc.map_err(Into::<BoxError>::into));
        let (base_uri, _) = base_and_origin(&base)?;
        let svc = stack::with_base(svc, base_uri);
        let config = ClientBuilder::new(base_url);
        let ttl = config.system_cache_ttl;
        let semaphore = Arc::new(tokio::sync::Semaphore::new(1));
        Ok(Dhis2Client {
            shared: Arc::new(Shared {
                config,
                user_service: Some((svc.clone(), base.clone())),
                inner: RwLock::new(Inner {
                    state: ClientState::Connected,
                    conn: Some(Arc::new(Connection::new(svc, base, None, None, false)?)),
                }),
                connect_lock: tokio::sync::Mutex::new(()),
                info: tokio::sync::Mutex::new(None),
                info_ttl: ttl,
                semaphore,
            }),
        })
    }

    /// The lifecycle state.
    pub fn state(&self) -> ClientState {
        self.shared.read().state
    }

    /// Connect: build the pool, resolve the canonical base URL (without credentials), then GET
    /// `/api/system/info` and select the version key. Safe to call again (it refreshes the version info); a
    /// failed first connect leaves the client `Unconnected` with nothing open, a failed re-connect keeps the
    /// previous connection.
    pub async fn connect(&self) -> Result<(), Error> {
        let _guard = self.shared.connect_lock.lock().await;
        let previous = {
            let mut inner = self.shared.write();
            if inner.state == ClientState::Closed {
                return Err(Error::Closed);
            }
            std::mem::replace(&mut inner.state, ClientState::Connecting)
        };
        let result = self.establish().await;
        let mut inner = self.shared.write();
        if inner.state == ClientState::Closed {
            // close() ran while we were connecting: drop what we built.
            return Err(Error::Closed);
        }
        match result {
            Ok((conn, info)) => {
                inner.state = ClientState::Connected;
                inner.conn = Some(Arc::new(conn));
                drop(inner);
                if let Some(info) = info {
                    self.prime_info(info);
                }
                Ok(())
            }
            Err(e) => {
                inner.state = previous;
                Err(e)
            }
        }
    }

    fn prime_info(&self, info: Arc<SystemInfo>) {
        if self.shared.info_ttl.is_some() {
            if let Ok(mut slot) = self.shared.info.try_lock() {
                *slot = Some((tokio::time::Instant::now(), info));
            }
        }
    }

    /// Builds the stack and runs the handshake; nothing is stored until it all succeeded.
    ///
    /// The stack is assembled once, with the version probe on top but switched off, so the `/api/system/info`
    /// request of the handshake passes through it untagged; the probe is then primed with that answer and switched
    /// on (user layers are applied once per connect). A service given to `from_service` gets the probe put on top
    /// of it the same way.
    async fn establish(&self) -> Result<(Connection, Option<Arc<SystemInfo>>), Error> {
        let cfg = &self.shared.config;
        let probe = (!cfg.skip_version_probe).then(|| {
            let handle = ProbeHandle::new();
            handle.disable();
            handle
        });
        let (svc, base_url, body_guarded) = match &self.shared.user_service {
            Some((svc, base)) => {
                let svc = match &probe {
                    Some(handle) => stack::with_probe(svc.clone(), handle.clone()),
                    None => svc.clone(),
                };
                (svc, base.clone(), false)
            }
            None => {
                let configured = parse_base_url(&cfg.base_url)?;
                let http = stack::http_client(&stack::Transport {
                    tls: &cfg.tls,
                    protocol: cfg.protocol,
                    proxy: &cfg.proxy,
                    connect_timeout: cfg.connect_timeout,
                    max_idle_per_host: cfg.limits.max_idle_per_host,
                    pool_idle_timeout: cfg.limits.pool_idle_timeout,
                })?;
                let base = if cfg.skip_version_probe {
                    configured
                } else {
                    handshake::canonical_base_url_retrying(
                        &http,
                        &configured,
                        cfg.timeout,
                        cfg.retry_policy.as_deref(),
                    )
                    .await?
                };
                let (base_uri, origin) = base_and_origin(&base)?;
                let semaphore = self.shared.semaphore.clone();
                let stack = StackConfig {
                    http,
                    compression: cfg.compression,
                    base: base_uri,
                    origin,
                    auth: cfg.auth.clone(),
                    retry: cfg.retry_policy.as_deref().cloned(),
                    semaphore: (!cfg.limits.unlimited).then_some(semaphore),
                    timeout: cfg.timeout,
                    low_speed: cfg.low_speed,
                    layers: cfg.layers.clone(),
                };
                (stack::assemble(&stack, probe.clone())?, base, true)
            }
        };
        let Some(handle) = probe else {
            return Ok((
                Connection::new(svc, base_url, None, None, body_guarded)?,
                None,
            ));
        };
        let (info, raw_info) = fetch_system_info(&svc, &base_url).await?;
        let raw = info
            .version
            .value()
            .cloned()
            .ok_or_else(|| Error::UnsupportedVersion {
                version: String::new(),
                reason: "/api/system/info has no `version` field".into(),
            })?;
        let version: Dhis2Version =
            raw.parse()
                .map_err(|e: dhis2_layers::VersionError| Error::UnsupportedVersion {
                    version: raw.clone(),
                    reason: e.to_string(),
                })?;
        let key = handshake::select_key(
            &version,
            cfg.version_pin.as_ref(),
            cfg.allow_version_fallback,
            cfg.allow_version_mismatch,
        )?;
        tracing::debug!(base_url = %base_url, version = %raw, key = %key, "connected to DHIS2");
        // Primed before it is switched on, so the probe never sends a request of its own.
        handle
            .prime(raw_info)
            .map_err(|e| Error::UnsupportedVersion {
                version: raw.clone(),
                reason: e.to_string(),
            })?;
        handle.enable();
        Ok((
            Connection::new(
                svc,
                base_url,
                Some((version, key)),
                Some(handle),
                body_guarded,
            )?,
            Some(info),
        ))
    }

    /// Close the client: every clone then fails with [`Error::Closed`]. Idle pooled connections are dropped once
    /// in-flight requests finish.
    pub async fn close(&self) {
        let conn = {
            let mut inner = self.shared.write();
            inner.state = ClientState::Closed;
            inner.conn.take()
        };
        drop(conn);
        *self.shared.info.lock().await = None;
    }

    /// The model-set key of the server (`v42`, ...). Fails before connect and with `skip_version_probe`.
    pub fn version_key(&self) -> Result<VersionKey, Error> {
        let conn = self.shared.connection()?;
        conn.version
            .as_ref()
            .map(|(_, k)| *k)
            .ok_or(Error::VersionUnknown)
    }

    /// The server's version as parsed from `/api/system/info`.
    pub fn version(&self) -> Result<Dhis2Version, Error> {
        let conn = self.shared.connection()?;
        conn.version
            .as_ref()
            .map(|(v, _)| v.clone())
            .ok_or(Error::VersionUnknown)
    }

    /// The server's version string as displayed (`2.42.6`, `2.44-SNAPSHOT`, ...).
    pub fn raw_version(&self) -> Result<String, Error> {
        self.version().map(|v| v.to_string())
    }

    /// The base URL in use: the canonical one once connected, the configured one before.
    pub fn base_url(&self) -> String {
        match self.shared.connection() {
            Ok(conn) => conn.base_url.as_str().trim_end_matches('/').to_owned(),
            Err(_) => self.shared.config.base_url.trim_end_matches('/').to_owned(),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Builds the request synchronously, so the returned futures borrow nothing from the caller (they are
    /// `Send` without higher-ranked lifetime trouble when used inside streams).
    fn prepare(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        body: Option<Body<'_>>,
        headers: &[(&str, &str)],
    ) -> Result<Prepared, Error> {
        let conn = self.shared.connection()?;
        let uri = request_uri(&conn.base_url, &conn.root, path, params)?;
        let req_path = uri.path().to_owned();
        let mut req = Request::new(RequestBody::empty());
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri;
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Error::Config(format!("invalid header name {name:?}: {e}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| Error::Config(format!("invalid value for header {name}: {e}")))?;
            req.headers_mut().append(name, value);
        }
        if let Some(b) = body {
            let content_type = HeaderValue::from_str(b.content_type).map_err(|e| {
                Error::Config(format!("invalid content type {:?}: {e}", b.content_type))
            })?;
            req.headers_mut().insert(CONTENT_TYPE, content_type);
            *req.body_mut() = RequestBody::full(b.bytes);
        }
        let cfg = &self.shared.config;
        // Body failures (reset or stall after the headers) are below the retry layer's reach: the typed and
        // raw helpers resend idempotent requests themselves, within the same attempt budget.
        let body_retry = cfg
            .retry_policy
            .as_ref()
            .filter(|p| p.max_attempts > 1 && p.may_retry_method(&method))
            .cloned();
        Ok(Prepared {
            svc: conn.svc.clone(),
            req,
            method,
            path: req_path,
            opts: CallOptions {
                idle: (!conn.body_guarded).then_some(BodyGuard {
                    idle: cfg.timeout,
                    low_speed: cfg.low_speed,
                }),
                max_body: cfg.max_response_size,
                deadline: cfg.deadline,
                body_retry,
            },
        })
    }

    /// GET `path` as a JSON object (a non-object root is wrapped as `{"data": ...}`). `params` may repeat keys.
    pub fn get_raw(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<Map<String, Value>, Error>> + Send + 'static {
        let prepared = self.prepare(Method::GET, path, params, None, &[]);
        async move { prepared?.raw().await }
    }

    /// POST a JSON body; returns the JSON answer (`{}` for an empty one).
    pub fn post_raw<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<Map<String, Value>, Error>> + Send + 'static {
        let prepared = json_body(&Method::POST, path, body, JSON)
            .and_then(|b| self.prepare(Method::POST, path, params, Some(b), &[]));
        async move { prepared?.raw().await }
    }

    /// PUT a JSON body; returns the JSON answer (`{}` for an empty one).
    pub fn put_raw<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<Map<String, Value>, Error>> + Send + 'static {
        let prepared = json_body(&Method::PUT, path, body, JSON)
            .and_then(|b| self.prepare(Method::PUT, path, params, Some(b), &[]));
        async move { prepared?.raw().await }
    }

    /// PATCH with a JSON Patch body (`application/json-patch+json`).
    pub fn patch_raw<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<Map<String, Value>, Error>> + Send + 'static {
        self.patch_raw_as(path, body, params, JSON_PATCH)
    }

    /// PATCH with an explicit content type (e.g. `application/json` for the 2.39/2.40 partial update).
    pub fn patch_raw_as<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        params: &[(&str, &str)],
        content_type: &'static str,
    ) -> impl Future<Output = Result<Map<String, Value>, Error>> + Send + 'static {
        let prepared = json_body(&Method::PATCH, path, body, content_type)
            .and_then(|b| self.prepare(Method::PATCH, path, params, Some(b), &[]));
        async move { prepared?.raw().await }
    }

    /// DELETE; returns the JSON answer (DHIS2 sends an ObjectReport; `{}` for an empty one).
    pub fn delete_raw(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<Map<String, Value>, Error>> + Send + 'static {
        let prepared = self.prepare(Method::DELETE, path, params, None, &[]);
        async move { prepared?.raw().await }
    }

    /// GET and decode into `T` ([`Error::Decode`] names the JSON path that failed).
    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<T, Error>> + Send {
        let prepared = self.prepare(Method::GET, path, params, None, &[]);
        async move { prepared?.typed().await }
    }

    /// POST a JSON body and decode the answer into `T`.
    pub fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<T, Error>> + Send {
        let prepared = json_body(&Method::POST, path, body, JSON)
            .and_then(|b| self.prepare(Method::POST, path, params, Some(b), &[]));
        async move { prepared?.typed().await }
    }

    /// PUT a JSON body and decode the answer into `T`.
    pub fn put<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<T, Error>> + Send {
        let prepared = json_body(&Method::PUT, path, body, JSON)
            .and_then(|b| self.prepare(Method::PUT, path, params, Some(b), &[]));
        async move { prepared?.typed().await }
    }

    /// PATCH with a JSON Patch body and decode the answer into `T`.
    pub fn patch<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<T, Error>> + Send {
        let prepared = json_body(&Method::PATCH, path, body, JSON_PATCH)
            .and_then(|b| self.prepare(Method::PATCH, path, params, Some(b), &[]));
        async move { prepared?.typed().await }
    }

    /// DELETE and decode the answer into `T`.
    pub fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> impl Future<Output = Result<T, Error>> + Send {
        let prepared = self.prepare(Method::DELETE, path, params, None, &[]);
        async move { prepared?.typed().await }
    }

    /// GET `path` and return the raw response: 4xx/5xx are not errors here. Auth, retry, the concurrency limit
    /// and tracing still apply. `headers` are added to the request (e.g. `("accept", "text/csv")`).
    pub fn get_response(
        &self,
        path: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> impl Future<Output = Result<Response<ResponseBody>, Error>> + Send + 'static {
        let prepared = self.prepare(Method::GET, path, params, None, headers);
        async move { prepared?.send().await.map(|(resp, _, _)| resp) }
    }

    /// Send `method` to `path` and copy the response body into `sink` frame by frame (never buffering it whole);
    /// returns the number of bytes written. A non-2xx answer is mapped to an error and nothing is written.
    /// The future is `Send` when `W` is.
    pub fn stream<'w, W>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        sink: &'w mut W,
    ) -> impl Future<Output = Result<u64, Error>> + 'w
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let prepared = self.prepare(method, path, params, None, &[]);
        async move {
            let (resp, method, req_path) = prepared?.send().await?;
            if !resp.status().is_success() {
                return Err(map_response(resp, &method, &req_path)
                    .await
                    .err()
                    .unwrap_or(Error::EmptyRead {
                        method,
                        path: req_path,
                    }));
            }
            if let Some(encoding) = dhis2_layers::error_map::undecoded_encoding(resp.headers()) {
                return Err(Error::UnsupportedEncoding {
                    method,
                    path: error::path_only(&req_path),
                    encoding,
                });
            }
            let mut body = resp.into_body();
            let mut written: u64 = 0;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| Error::from_stack(e, &method, &req_path))?;
                if let Ok(data) = frame.into_data() {
                    sink.write_all(&data).await?;
                    written += data.len() as u64;
                }
            }
            sink.flush().await?;
            Ok(written)
        }
    }
}

/// A request built and bound to a connection, ready to send.
struct Prepared {
    svc: BoxService,
    req: Request<RequestBody>,
    method: Method,
    path: String,
    opts: CallOptions,
}

/// The stall and low-speed guards the client puts on a body its stack did not guard.
#[derive(Clone, Copy)]
struct BodyGuard {
    /// Longest wait for the next piece.
    idle: std::time::Duration,
    /// The low-speed guard.
    low_speed: Option<dhis2_layers::LowSpeed>,
}

/// Per-call reliability settings taken from the builder.
struct CallOptions {
    /// How a response body is guarded, when the stack does not guard it itself (a `from_service` stack; the
    /// client's own stack does, in `dhis2_layers::timeout`).
    idle: Option<BodyGuard>,
    /// `max_response_size`.
    max_body: Option<usize>,
    /// Overall deadline of a typed/raw call.
    deadline: Option<std::time::Duration>,
    /// The retry policy, when a body failure of this request may be retried.
    body_retry: Option<Arc<crate::RetryPolicy>>,
}

impl Prepared {
    /// Sends below ErrorMap (statuses come back as facts); the body fails with a timeout when it stalls.
    async fn send(self) -> Result<(Response<ResponseBody>, Method, String), Error> {
        let idle = self.opts.idle;
        let (resp, method, path) = self.send_bare().await?;
        match idle {
            Some(guard) => Ok((resp.map(|b| idle_timeout(b, guard)), method, path)),
            None => Ok((resp, method, path)),
        }
    }

    /// Sends below ErrorMap; the body is returned as the stack made it (the caller bounds its stalls).
    async fn send_bare(self) -> Result<(Response<ResponseBody>, Method, String), Error> {
        let Prepared {
            svc,
            req,
            method,
            path,
            ..
        } = self;
        match svc.oneshot(req).await {
            Ok(resp) => Ok((resp, method, path)),
            Err(e) => Err(Error::from_stack(e, &method, &path)),
        }
    }

    /// Sends and maps the answer: the body of a success, within the overall deadline if one is set.
    async fn bytes(self) -> Result<(Bytes, Method, String), Error> {
        match self.opts.deadline {
            Some(deadline) => {
                let (method, path) = (self.method.clone(), self.path.clone());
                tokio::time::timeout(deadline, self.bytes_retrying())
                    .await
                    .unwrap_or(Err(Error::Timeout {
                        method,
                        path,
                        detail: Some(format!("the call's deadline of {deadline:?} passed")),
                    }))
            }
            None => self.bytes_retrying().await,
        }
    }

    /// Like [`bytes`](Self::bytes), resending an idempotent request whose body failed to arrive. The service is
    /// reused across attempts; only the request is copied, and only when another attempt is allowed.
    async fn bytes_retrying(self) -> Result<(Bytes, Method, String), Error> {
        let Prepared {
            mut svc,
            req,
            method,
            path,
            opts,
        } = self;
        let mut current = req;
        let mut attempt: u32 = 1;
        loop {
            // The copy to resend and the backoff before it, if the policy allows another attempt.
            let next = match &opts.body_retry {
                Some(p) if attempt < p.max_attempts => {
                    dhis2_layers::body::try_clone_request(&current).map(|n| (n, p.backoff(attempt)))
                }
                _ => None,
            };
            let resp = match svc.ready().await {
                Ok(ready) => ready.call(current).await,
                Err(e) => Err(e),
            }
            .map_err(|e| Error::from_stack(e, &method, &path))?;
            match collect_mapped(resp, &method, &path, opts.max_body, opts.idle).await {
                Ok(bytes) => return Ok((bytes, method, path)),
                Err(e @ (Error::Transport { .. } | Error::Timeout { .. })) => {
                    let Some((next, delay)) = next else {
                        return Err(e);
                    };
                    // A resend spends from the same retry budget as the retry layer's own attempts.
                    if opts
                        .body_retry
                        .as_ref()
                        .is_some_and(|p| !p.withdraw_retry())
                    {
                        tracing::debug!(%method, path, attempt, "response body failed; retry budget exhausted");
                        return Err(e);
                    }
                    tracing::debug!(%method, path, attempt, error = %e, "response body failed; resending");
                    tokio::time::sleep(delay).await;
                    current = next;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn raw(self) -> Result<Map<String, Value>, Error> {
        let (bytes, method, path) = self.bytes().await?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match crate::json::value_from(de) {
            Ok(value) => Ok(into_object(value)),
            Err(plain) => Err(decode_error::<Value>(&method, &path, &bytes, plain)),
        }
    }

    async fn typed<T: DeserializeOwned>(self) -> Result<T, Error> {
        let (bytes, method, path) = self.bytes().await?;
        decode(&method, &path, &bytes)
    }
}

/// Runs a response through the ErrorMap rules: the body bytes of a success, or the mapped error.
pub(crate) async fn map_response(
    resp: Response<ResponseBody>,
    method: &Method,
    path: &str,
) -> Result<Bytes, Error> {
    collect_mapped(resp, method, path, None, None).await
}

/// Collects a response body (at most `max_body` bytes; with `idle`, failing with [`Error::Timeout`] when no data
/// comes for that long) and applies the ErrorMap rules. Done inline rather than through `ErrorMapLayer` so the
/// typed and raw calls need no extra boxing or request rebuild. The client's own stack guards its bodies already
/// (`dhis2_layers::timeout`); `idle` is for a stack given to `from_service`.
async fn collect_mapped(
    resp: Response<ResponseBody>,
    method: &Method,
    path: &str,
    max_body: Option<usize>,
    idle: Option<BodyGuard>,
) -> Result<Bytes, Error> {
    let (parts, body) = resp.into_parts();
    let body = collect_body(body, method, path, max_body, idle).await?;
    dhis2_layers::error_map::classify_collected(method, path, parts, body)
        .map(Response::into_body)
        .map_err(Error::from)
}

/// Collects a body: at most `max_body` bytes, and with `idle` (a `from_service` stack) under the stall and
/// low-speed guards. Every body the client reads whole goes through here.
async fn collect_body(
    body: ResponseBody,
    method: &Method,
    path: &str,
    max_body: Option<usize>,
    idle: Option<BodyGuard>,
) -> Result<Bytes, Error> {
    let mut body = match idle {
        Some(guard) => idle_timeout(body, guard),
        None => body,
    };
    // A body of one frame (the usual small answer) is kept as is; a second frame starts a copy.
    let mut first: Option<Bytes> = None;
    let mut rest = bytes::BytesMut::new();
    let mut len: usize = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::from_stack(e, method, &error::path_only(path)))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len += data.len();
        if max_body.is_some_and(|limit| len > limit) {
            return Err(Error::BodyTooLarge {
                method: method.clone(),
                path: error::path_only(path),
                limit: max_body.unwrap_or(0),
            });
        }
        match first.take() {
            None if rest.is_empty() => first = Some(data),
            None => rest.extend_from_slice(&data),
            Some(head) => {
                rest.reserve(head.len() + data.len());
                rest.extend_from_slice(&head);
                rest.extend_from_slice(&data);
            }
        }
    }
    Ok(match first {
        Some(head) => head,
        None => rest.freeze(),
    })
}

impl Dhis2Client {
    /// The limits of a body read whole: `max_response_size`, and for a `from_service` stack (whose bodies the
    /// client's own timeout layer does not guard) the stall and low-speed guards.
    fn body_limits(&self) -> (Option<usize>, Option<BodyGuard>) {
        let cfg = &self.shared.config;
        let guarded = self
            .shared
            .connection()
            .map(|c| c.body_guarded)
            .unwrap_or(true);
        let guard = (!guarded).then_some(BodyGuard {
            idle: cfg.timeout,
            low_speed: cfg.low_speed,
        });
        (cfg.max_response_size, guard)
    }

    /// Collects `resp` whole under the call limits (see [`body_limits`](Self::body_limits)), whatever its
    /// status; for accessors that read non-2xx answers themselves.
    pub(crate) async fn collect_limited(
        &self,
        resp: Response<ResponseBody>,
        method: &Method,
        path: &str,
    ) -> Result<(http::response::Parts, Bytes), Error> {
        let (max_body, guard) = self.body_limits();
        let (parts, body) = resp.into_parts();
        let bytes = collect_body(body, method, path, max_body, guard).await?;
        Ok((parts, bytes))
    }

    /// Runs `resp` through the ErrorMap rules under the call limits: the body of a success, or the mapped error.
    pub(crate) async fn map_limited(
        &self,
        resp: Response<ResponseBody>,
        method: &Method,
        path: &str,
    ) -> Result<Bytes, Error> {
        let (max_body, guard) = self.body_limits();
        collect_mapped(resp, method, path, max_body, guard).await
    }

    /// Runs one whole call (request, retries, body) within the configured `deadline`, if any.
    pub(crate) async fn within_deadline<T>(
        &self,
        method: &Method,
        path: &str,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match self.shared.config.deadline {
            Some(deadline) => tokio::time::timeout(deadline, call)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Timeout {
                        method: method.clone(),
                        path: error::path_only(path),
                        detail: Some(format!("the call's deadline of {deadline:?} passed")),
                    })
                }),
            None => call.await,
        }
    }
}

/// Guards a body from a `from_service` stack: waiting longer than `idle` for its next frame, or a rate under the
/// low-speed limit for its window, fails with a timeout instead of hanging (a server that sends headers and then
/// stalls or trickles).
fn idle_timeout(body: ResponseBody, guard: BodyGuard) -> ResponseBody {
    dhis2_layers::IdleBody::new(body, guard.idle)
        .low_speed(guard.low_speed)
        .boxed_unsync()
}

/// GET `/api/system/info` through `svc` and decode it (typed, and as a JSON value for the probe handle).
pub(crate) async fn fetch_system_info(
    svc: &BoxService,
    base: &Url,
) -> Result<(Arc<SystemInfo>, Value), Error> {
    let url = build_url(base, "api/system/info", &[])?;
    let path = url.path().to_owned();
    let req = Request::get(to_uri(&url)?)
        .body(RequestBody::empty())
        .map_err(|e| Error::Config(format!("cannot build request GET {path}: {e}")))?;
    let resp = svc
        .clone()
        .oneshot(req)
        .await
        .map_err(|e| Error::from_stack(e, &Method::GET, &path))?;
    let bytes = map_response(resp, &Method::GET, &path).await?;
    let info = decode::<SystemInfo>(&Method::GET, &path, &bytes)?;
    let value = decode::<Value>(&Method::GET, &path, &bytes)?;
    Ok((Arc::new(info), value))
}

impl Service<Request<RequestBody>> for Dhis2Client {
    type Response = Response<ResponseBody>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Readiness (the concurrency limit) is awaited inside the call, on a clone of the stack.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<RequestBody>) -> Self::Future {
        let conn = self.shared.connection();
        Box::pin(async move {
            let conn = conn?;
            let method = req.method().clone();
            let path = req.uri().path().to_owned();
            conn.svc
                .clone()
                .oneshot(req)
                .await
                .map_err(|e| Error::from_stack(e, &method, &path))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let base = parse_base_url("https://h.example/dhis/").unwrap();
        assert_eq!(base.as_str(), "https://h.example/dhis");
        let u = build_url(
            &base,
            "/api/dataElements",
            &[("filter", "a:eq:1"), ("filter", "b:eq:2")],
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://h.example/dhis/api/dataElements?filter=a%3Aeq%3A1&filter=b%3Aeq%3A2"
        );
        let u = build_url(&base, "api/me?fields=id", &[("x", "y z")]).unwrap();
        assert_eq!(u.as_str(), "https://h.example/dhis/api/me?fields=id&x=y+z");
        assert!(build_url(&base, "https://evil.example/dhis/api/me", &[]).is_err());
        assert!(build_url(&base, "https://h.example/dhis/api/x?page=2", &[]).is_ok());
        assert!(parse_base_url("ftp://h").is_err());
        assert!(parse_base_url("https://u:p@h").is_err());
        let root = parse_base_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            build_url(&root, "api/system/info", &[]).unwrap().as_str(),
            "http://127.0.0.1:8080/api/system/info"
        );
    }

    #[test]
    fn absolute_urls_must_be_under_the_base_by_whole_segments() {
        let base = parse_base_url("https://h.example/dhis").unwrap();
        for outside in [
            "https://h.example/dhisx/api/me",
            "https://h.example/dhis2/api/me",
            "https://h.example/dhis%2Fapi/me",
            "https://h.example/",
            "https://h.example/other/dhis/api/me",
            "https://h.example/dhis/../api/me",
            "http://h.example/dhis/api/me",
            "https://h.example:8443/dhis/api/me",
        ] {
            let err = build_url(&base, outside, &[]).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{outside}");
        }
        for inside in [
            "https://h.example/dhis",
            "https://h.example/dhis/",
            "https://h.example/dhis/api/me",
            "https://H.EXAMPLE:443/dhis/api/me?x=1",
        ] {
            assert!(build_url(&base, inside, &[]).is_ok(), "{inside}");
        }
        // A base at the root holds every path of its origin.
        let root = parse_base_url("https://h.example").unwrap();
        assert!(build_url(&root, "https://h.example/anything", &[]).is_ok());
    }

    #[test]
    fn relative_paths_cannot_climb_out_of_the_base() {
        let base = parse_base_url("https://h.example/dhis").unwrap();
        let root = to_uri(&base).unwrap();
        for outside in [
            "../x",
            "api/../../x",
            "api/%2e%2e/%2E%2e/x",
            "/../dhisx/api",
        ] {
            assert!(build_url(&base, outside, &[]).is_err(), "{outside}");
            assert!(
                request_uri(&base, &root, outside, &[]).is_err(),
                "{outside}"
            );
        }
        assert_eq!(
            build_url(&base, "api/x/../me", &[]).unwrap().as_str(),
            "https://h.example/dhis/api/me"
        );
    }

    #[test]
    fn encoded_segments_stay_one_segment_on_both_paths() {
        let base = parse_base_url("https://h.example/dhis").unwrap();
        let root = to_uri(&base).unwrap();
        let path = "api/dataStore/a%2Fb/..%2F..%2Fusers%3Fx%23y";
        let want = "https://h.example/dhis/api/dataStore/a%2Fb/..%2F..%2Fusers%3Fx%23y";
        // The direct join takes it (no parser round), and the URL parser agrees byte for byte.
        assert!(plain_path_and_query(&base, path, &[]).is_some());
        assert_eq!(
            request_uri(&base, &root, path, &[]).unwrap().to_string(),
            want
        );
        assert_eq!(build_url(&base, path, &[]).unwrap().as_str(), want);
        for dots in ["api/%2e", "api/%2E%2e/x", "api/.%2e/x", "api/%2e./x"] {
            assert!(plain_path_and_query(&base, dots, &[]).is_none(), "{dots}");
        }
    }

    #[test]
    fn direct_join_matches_the_url_parser() {
        let bases = [
            "https://h.example/dhis/",
            "http://127.0.0.1:8080",
            "https://h/my%20dhis",
        ];
        let first = parse_base_url(bases[0]).unwrap();
        assert!(plain_path_and_query(&first, "/api/me", &[("fields", "id")]).is_some());
        assert!(plain_path_and_query(&first, "api/a b", &[]).is_none());
        let paths = [
            "/api/me",
            "api/me?fields=id,name",
            "/",
            "",
            "api/me?",
            "api/a b",
            "api/./x",
            "api/../x",
            "api/%2e%2e/x",
            "api/%2E/x",
            "api/.%2e/x",
            "api/a%2Fb/c",
            "api/100%",
            "api/%zz",
            "../x",
            "api/../../x",
            "https://h.example/dhisx/api/x",
            "api/x?q=a b#frag",
            "api/x?q='1'",
            "api/\\x",
            "api/é",
            "https://h.example/dhis/api/x?page=2",
        ];
        let params: [&[(&str, &str)]; 3] =
            [&[], &[("filter", "a:eq:1"), ("x", "y z&é")], &[("", "")]];
        for base in bases {
            let base = parse_base_url(base).unwrap();
            let root = to_uri(&base).unwrap();
            for path in paths {
                for params in params {
                    let slow = build_url(&base, path, params).map(String::from);
                    let fast = request_uri(&base, &root, path, params).map(|u| u.to_string());
                    assert_eq!(fast.ok(), slow.ok(), "{base} {path:?} {params:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn direct_join_matches_the_url_parser_on_any_input(
            path in "[a-zA-Z0-9/?.%#' é&=:_-]{0,24}",
            key in "[a-z &=%]{0,6}",
            value in "[a-z0-9 &=%:é]{0,8}",
        ) {
            let base = parse_base_url("https://h.example/dhis").unwrap();
            let root = to_uri(&base).unwrap();
            let params = [(key.as_str(), value.as_str())];
            for params in [&params[..], &[]] {
                let slow = build_url(&base, &path, params).map(String::from);
                let fast = request_uri(&base, &root, &path, params).map(|u| u.to_string());
                proptest::prop_assert_eq!(fast.ok(), slow.ok());
            }
        }
    }

    #[test]
    fn wraps_non_objects() {
        assert_eq!(
            into_object(serde_json::json!([1, 2]))["data"],
            serde_json::json!([1, 2])
        );
        assert_eq!(into_object(serde_json::json!({"a": 1}))["a"], 1);
    }
}
