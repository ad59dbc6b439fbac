//! Client lifecycle state shared by all clones.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use crate::builder::ClientBuilder;
use crate::models::SystemInfo;
use crate::stack::BoxService;
use crate::{Dhis2Version, Error, VersionKey};

/// Where a client is in its lifecycle: `Unconnected -> Connecting -> Connected -> Closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// Built, not yet connected: calls fail with [`Error::NotConnected`].
    Unconnected,
    /// `connect()` is running.
    Connecting,
    /// Ready.
    Connected,
    /// `close()` was called: calls fail with [`Error::Closed`].
    Closed,
}

/// What a successful connect produced.
pub(crate) struct Connection {
    /// The stack below ErrorMap.
    pub(crate) svc: BoxService,
    /// The canonical base URL (no trailing slash).
    pub(crate) base_url: Url,
    /// The same as a URI, whose scheme and authority each request URI reuses.
    pub(crate) root: http::Uri,
    /// Version facts, absent with `skip_version_probe`.
    pub(crate) version: Option<(Dhis2Version, VersionKey)>,
    /// The version probe layer's handle (primed with the info fetched by connect), absent with
    /// `skip_version_probe` and for a `from_service` client until its first `connect()`.
    pub(crate) probe: Option<dhis2_layers::version_probe::ProbeHandle>,
    /// Whether the stack bounds body stalls itself (the client's own stack does; a `from_service` one may not).
    pub(crate) body_guarded: bool,
}

impl Connection {
    /// A connection over `svc` to `base_url` (its URI form derived once here, for every request to reuse).
    pub(crate) fn new(
        svc: BoxService,
        base_url: Url,
        version: Option<(Dhis2Version, VersionKey)>,
        probe: Option<dhis2_layers::version_probe::ProbeHandle>,
        body_guarded: bool,
    ) -> Result<Self, Error> {
        Ok(Connection {
            svc,
            root: crate::client::to_uri(&base_url)?,
            base_url,
            version,
            probe,
            body_guarded,
        })
    }
}

pub(crate) struct Inner {
    pub(crate) state: ClientState,
    pub(crate) conn: Option<Arc<Connection>>,
}

/// State shared by every clone of a client.
pub(crate) struct Shared {
    /// The settings (defaults for clients made with `from_service`).
    pub(crate) config: ClientBuilder,
    /// For `from_service` clients: the user's stack (already wrapped with the base URL).
    pub(crate) user_service: Option<(BoxService, Url)>,
    pub(crate) inner: RwLock<Inner>,
    /// Serialises `connect()` calls.
    pub(crate) connect_lock: tokio::sync::Mutex<()>,
    /// Cached `/api/system/info`; the async mutex makes refreshes single-flight.
    pub(crate) info: tokio::sync::Mutex<Option<(Instant, Arc<SystemInfo>)>>,
    pub(crate) info_ttl: Option<Duration>,
    /// The concurrency limit, created once per client (or shared through `Limits::shared`).
    pub(crate) semaphore: Arc<tokio::sync::Semaphore>,
}

impl Shared {
    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-written (single assignments), so a poisoned
        // lock is still usable.
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The live connection, or the lifecycle error.
    pub(crate) fn connection(&self) -> Result<Arc<Connection>, Error> {
        let inner = self.read();
        match (&inner.state, &inner.conn) {
            (ClientState::Closed, _) => Err(Error::Closed),
            (_, Some(conn)) => Ok(conn.clone()),
            _ => Err(Error::NotConnected),
        }
    }
}
