//! `dhis2-emulator`: an axum server that answers like DHIS2 2.39-2.44, for offline tests of DHIS2 clients.
//!
//! ```no_run
//! # async fn demo() -> Result<(), dhis2_emulator::EmulatorError> {
//! use dhis2_emulator::{Emulator, FaultPlan, Seed};
//! let emu = Emulator::builder().version("2.42.6").seed(Seed::Empty).start().await?;
//! println!("DHIS2 at {} (admin/district)", emu.url());
//! // The next two requests to /api/me fail with 503, then it answers normally.
//! emu.faults().set("/api/me", FaultPlan::statuses([503, 503]));
//! assert_eq!(emu.counters().requests("/api/me"), 0);
//! # Ok(()) }
//! ```
//!
//! What it serves, shaped per version as `WIRE.md` describes: `/api/system/info`, `/api/me`, metadata lists
//! (`GET /api/{plural}` with DHIS2's pager, `fields`, `filter`, `order`, `query`, `paging=false`), single objects
//! (GET/POST/PUT/PATCH/DELETE with ObjectReport envelopes, 404 `E1005`, 409 validation reports), versioned paths
//! `/api/NN/...` and `.json` suffixes; authentication by Basic, personal access tokens (checksums, expiry, owner
//! state, allow-lists; minted with `POST /api/apiToken`), OAuth2 bearer tokens (an authorization server with the
//! code+PKCE and refresh grants), session cookies (`POST /api/auth/login`, the old form login) and the 302/401
//! answers for unauthenticated requests. [`Faults`] injects failures per route; [`Counters`] shows what arrived
//! and how many bytes left. [`AuthControl`] adds users and credentials from tests.
//!
//! On the wire it behaves like a deployment behind DHIS2's recommended nginx: HTTP/1.1 and HTTP/2 (h2c with
//! prior knowledge on the plain port; ALPN `h2` / `http/1.1` with [`EmulatorBuilder::tls_self_signed`]), and
//! gzip (or brotli, zstd: [`Compression`]) for text answers of 1 KiB and more when the request accepts it.
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![forbid(unsafe_code)]
// Handlers return complete `Response`s as their error values by design.
#![allow(clippy::result_large_err)]

mod auth;
mod collections;
mod compression;
mod crud;
mod faults;
mod fields;
mod filter;
mod order;
mod params;
mod schema;
mod server;
mod state;
mod store;
mod system;
mod tls;
mod version;
mod web;

// Areas built by other helpers.
mod data_values;
mod jobs;
mod metadata_import;
mod seed;

// Data-moving areas (tracker, analytics, files, datastore, routes, sharing, settings).
mod analytics;
mod datastore;
mod files;
mod routes_api;
mod settings;
mod sharing;
mod tracker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::middleware;
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use auth::AuthControl;
pub use compression::{Compression, CompressionParseError};
pub use faults::{Counters, Fault, FaultPlan, FaultSpecError, Faults, RetryAfter};
pub use version::{VersionParseError, VersionProfile};

use state::{AppState, Config};
use store::Store;

/// Which data the emulator starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// The generated demo database (org-unit tree, data elements, data sets, users, data values, ...).
    #[default]
    Demo,
    /// Only what a fresh DHIS2 database holds.
    Empty,
}

/// Why the emulator could not start.
#[derive(Debug)]
pub enum EmulatorError {
    /// The version string is not one DHIS2 2.39-2.44 reports.
    Version(VersionParseError),
    /// Binding the listen address failed.
    Bind(SocketAddr, std::io::Error),
    /// A metadata document could not be loaded.
    Import(String),
    /// A fault specification was invalid.
    Fault(FaultSpecError),
    /// The self-signed TLS chain could not be made or its CA file written.
    Tls(String),
}

impl std::fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmulatorError::Version(e) => write!(f, "{e}"),
            EmulatorError::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            EmulatorError::Import(e) => write!(f, "cannot import metadata: {e}"),
            EmulatorError::Fault(e) => write!(f, "invalid fault: {e}"),
            EmulatorError::Tls(e) => write!(f, "cannot set up TLS: {e}"),
        }
    }
}

impl std::error::Error for EmulatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmulatorError::Version(e) => Some(e),
            EmulatorError::Bind(_, e) => Some(e),
            EmulatorError::Fault(e) => Some(e),
            EmulatorError::Import(_) | EmulatorError::Tls(_) => None,
        }
    }
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    version: String,
    seed: Seed,
    imports: Vec<Value>,
    synthetic_data_values: Option<u64>,
    synthetic_org_units: usize,
    listen: Option<SocketAddr>,
    admin: (String, String),
    faults: Vec<String>,
    compression: Compression,
    tls_self_signed: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            version: "2.42.6".to_string(),
            seed: Seed::Demo,
            imports: Vec::new(),
            synthetic_data_values: None,
            synthetic_org_units: 0,
            listen: None,
            admin: ("admin".to_string(), "district".to_string()),
            faults: Vec::new(),
            compression: Compression::default(),
            tls_self_signed: false,
        }
    }
}

impl EmulatorBuilder {
    /// The DHIS2 version to emulate (default `2.42.6`); any form DHIS2 reports, e.g. `2.40.2.1`, `2.44-SNAPSHOT`.
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_string();
        self
    }

    /// The starting data (default [`Seed::Demo`]).
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }

    /// Loads a DHIS2 metadata export (`{"dataElements": [...], ...}`) on top of the seed; may be called repeatedly.
    pub fn import_metadata(mut self, document: Value) -> Self {
        self.imports.push(document);
        self
    }

    /// Makes data value exports generate `n` values on the fly (for large-export benchmarks).
    pub fn synthetic_data_values(mut self, n: u64) -> Self {
        self.synthetic_data_values = Some(n);
        self
    }

    /// Adds `n` generated org units (a region, up to 100 districts, the rest facilities; about 300 bytes of JSON
    /// each with their own keys, deterministic) under the seed's root, for large-list and paging benchmarks.
    pub fn synthetic_org_units(mut self, n: usize) -> Self {
        self.synthetic_org_units = n;
        self
    }

    /// Listen on this address instead of a free loopback port.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Credentials of the built-in superuser (default `admin` / `district`).
    pub fn admin_credentials(mut self, username: &str, password: &str) -> Self {
        self.admin = (username.to_string(), password.to_string());
        self
    }

    /// Adds a fault in the binary's `ROUTE=SPEC` form (see [`Faults::set_spec`]).
    pub fn fault(mut self, spec: &str) -> Self {
        self.faults.push(spec.to_string());
        self
    }

    /// How responses are compressed (default [`Compression::Gzip`]: gzip for text answers of at least
    /// [`Compression::MIN_LENGTH`] bytes when the request's `Accept-Encoding` accepts it; see [`Compression`]).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Serves HTTPS (ALPN `h2` and `http/1.1`) with a certificate for `localhost`, `127.0.0.1`, `::1` and the
    /// listen address, signed by a CA generated at start; [`Emulator::ca_pem`] / [`Emulator::ca_path`] give that
    /// CA to trust. [`Emulator::url`] is then `https://127.0.0.1:PORT`.
    pub fn tls_self_signed(mut self) -> Self {
        self.tls_self_signed = true;
        self
    }

    /// Builds the state and starts serving.
    pub async fn start(self) -> Result<Emulator, EmulatorError> {
        let version = VersionProfile::parse(&self.version).map_err(EmulatorError::Version)?;
        let faults = Faults::default();
        for spec in &self.faults {
            faults.set_spec(spec).map_err(EmulatorError::Fault)?;
        }
        let mut store = Store::new();
        let seed_data = match self.seed {
            Seed::Demo => seed::demo(),
            Seed::Empty => seed::empty(),
        };
        for (plural, objects) in seed_data.metadata {
            for obj in objects {
                // Seed data is generated by our own code; a duplicate id is a seed bug, not worth failing for.
                if let Err(e) = store.upsert(&plural, obj) {
                    tracing::warn!("seed object skipped in {plural}: {e}");
                }
            }
        }
        store.data_values = seed_data.data_values;
        for doc in self.imports {
            load_metadata(&mut store, doc)?;
        }
        seed::synthetic_org_units::add(&mut store, self.synthetic_org_units)
            .map_err(|e| EmulatorError::Import(format!("synthetic org units: {e}")))?;
        let config = Config {
            admin_username: self.admin.0.clone(),
            admin_password: self.admin.1.clone(),
            synthetic_data_values: self.synthetic_data_values,
            ..Config::default()
        };
        let state = AppState::new(store, version, config, Counters::default(), faults);
        link_admin_user(&state);
        let addr = self
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| EmulatorError::Bind(addr, e))?;
        let local = listener
            .local_addr()
            .map_err(|e| EmulatorError::Bind(addr, e))?;
        let (tls, acceptor) = if self.tls_self_signed {
            let chain = tls::self_signed(local.ip()).map_err(EmulatorError::Tls)?;
            let path = std::env::temp_dir().join(format!(
                "dhis2-emulator-ca-{}-{}.pem",
                std::process::id(),
                local.port()
            ));
            std::fs::write(&path, &chain.ca_pem)
                .map_err(|e| EmulatorError::Tls(format!("cannot write {}: {e}", path.display())))?;
            let files = TlsFiles {
                ca_pem: chain.ca_pem,
                ca_path: path,
            };
            (Some(files), Some(chain.acceptor))
        } else {
            (None, None)
        };
        let options = server::ServeOptions {
            compression: compression::layer(self.compression),
            tls: acceptor,
        };
        let app = router(state.clone());
        let task = tokio::spawn(server::serve(listener, app, state.clone(), options));
        let scheme = if tls.is_some() { "https" } else { "http" };
        Ok(Emulator {
            url: format!("{scheme}://{local}"),
            addr: local,
            state,
            task,
            tls,
            compression: self.compression,
        })
    }
}

/// Loads the arrays of a metadata export into the store (objects need a string `id`).
fn load_metadata(store: &mut Store, doc: Value) -> Result<(), EmulatorError> {
    let Value::Object(map) = doc else {
        return Err(EmulatorError::Import(
            "the document is not a JSON object".to_string(),
        ));
    };
    for (key, value) in map {
        // Non-array members (`system`, `date`, ...) carry no objects.
        let Value::Array(items) = value else {
            continue;
        };
        for (i, obj) in items.into_iter().enumerate() {
            store
                .upsert(&key, obj)
                .map_err(|e| EmulatorError::Import(format!("{key}[{i}]: {e}")))?;
        }
    }
    Ok(())
}

/// Points the built-in admin at the seed's user object with the same username, if there is one.
fn link_admin_user(state: &AppState) {
    let admin = state.config().admin_username.clone();
    let uid = {
        let store = state.store_read();
        let found = store
            .list("users")
            .find(|u| {
                u.get("username").and_then(Value::as_str) == Some(admin.as_str())
                    || u.pointer("/userCredentials/username")
                        .and_then(Value::as_str)
                        == Some(admin.as_str())
            })
            .and_then(|u| u.get("id").and_then(Value::as_str).map(str::to_string));
        found
    };
    if let Some(uid) = uid {
        state
            .auth()
            .update_user(&admin, |u| u.uid = uid.as_str().into());
    }
}

/// The container's 404 for anything no area handles.
async fn fallback(uri: axum::http::Uri) -> axum::response::Response {
    web::html_not_found(uri.path())
}

/// Spring's 405 as a WebMessage (WIRE.md 6.2).
async fn method_not_allowed(method: axum::http::Method) -> axum::response::Response {
    use axum::response::IntoResponse;
    web::WebMessage::error(405, format!("Request method '{method}' is not supported"))
        .into_response()
}

/// All routes: public ones, then everything under `/api` behind authentication.
fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(system::routes())
        .merge(auth::routes())
        .merge(crud::routes())
        .merge(data_values::routes())
        .merge(jobs::routes())
        .merge(metadata_import::routes())
        .merge(tracker::routes())
        .merge(analytics::routes())
        .merge(files::routes())
        .merge(datastore::routes())
        .merge(routes_api::routes())
        .merge(sharing::routes())
        .merge(settings::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), auth::require));
    Router::new()
        .merge(system::public_routes())
        .merge(auth::public_routes())
        .merge(api)
        .with_state(state)
}

/// A running emulator; it stops when dropped.
pub struct Emulator {
    url: String,
    addr: SocketAddr,
    state: AppState,
    task: JoinHandle<()>,
    tls: Option<TlsFiles>,
    compression: Compression,
}

/// The CA of a TLS emulator: its PEM, and the temporary file holding it (removed when the emulator is dropped).
struct TlsFiles {
    ca_pem: String,
    ca_path: PathBuf,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url)
            .field("version", &self.state.version().as_str())
            .field("compression", &self.compression)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults (2.42.6, demo seed, admin/district, free loopback port).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`, or `https://127.0.0.1:40123` with TLS (the API is under
    /// `/api`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA certificate (PEM) that signed the server certificate, when serving TLS
    /// ([`EmulatorBuilder::tls_self_signed`]); trust it to connect.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca_pem.as_str())
    }

    /// A temporary file holding [`Emulator::ca_pem`] (for tools that take a CA file, e.g. `curl --cacert`); it
    /// is removed when the emulator is dropped.
    pub fn ca_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca_path.as_path())
    }

    /// The response compression in force.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The emulated version string.
    pub fn version(&self) -> &str {
        self.state.version().as_str()
    }

    /// Username and password of the built-in superuser.
    pub fn admin_credentials(&self) -> (&str, &str) {
        let c = self.state.config();
        (&c.admin_username, &c.admin_password)
    }

    /// Request, in-flight and write counters.
    pub fn counters(&self) -> Counters {
        self.state.counters().clone()
    }

    /// The fault plans; changes apply to the next requests.
    pub fn faults(&self) -> Faults {
        self.state.faults().clone()
    }

    /// Users and credentials (extra users, personal access tokens, bearer tokens, OAuth2 clients).
    pub fn auth(&self) -> AuthControl {
        AuthControl(self.state.clone())
    }

    /// Test hook: the next async job (`?async=true`) fails with an `ERROR` notification and no summary.
    pub fn fail_next_job(&self) {
        jobs::set_next_outcome(&self.state, jobs::JobOutcome::Fail);
    }

    /// Test hook: the next async job stays `RUNNING` forever.
    pub fn hang_next_job(&self) {
        jobs::set_next_outcome(&self.state, jobs::JobOutcome::Hang);
    }

    /// Serves until Ctrl-C (used by the binary).
    pub async fn run_until_ctrl_c(self) -> std::io::Result<()> {
        tokio::signal::ctrl_c().await
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(t) = &self.tls {
            let _ = std::fs::remove_file(&t.ca_path);
        }
    }
}
