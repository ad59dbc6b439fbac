//! Shared server state: a cheap-to-clone handle (`Arc` inside) given to every handler.
//!
//! Contract for every area of the emulator (keep stable):
//! - `state.store_read()` / `state.store_write()` lock the [`Store`]; never hold a guard across `.await`.
//! - `state.version()` is the [`VersionProfile`], `state.config()` the [`Config`].
//! - `state.counters()` / `state.faults()` are the test-visible counters and fault plans.
//! - `state.auth()` holds users, tokens and sessions; `state.jobs()` is owned by `jobs.rs`.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::auth::AuthState;
use crate::faults::{Counters, Faults};
use crate::store::Store;
use crate::version::VersionProfile;

/// Locks `m`, tolerating poison: a poisoned lock only means a handler panicked mid-update of plain
/// data; keep serving.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start-up configuration that handlers may read.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Username of the built-in superuser.
    pub(crate) admin_username: String,
    /// Password of the built-in superuser (never logged).
    pub(crate) admin_password: String,
    /// When set, `/api/dataValueSets` exports generate this many values on the fly instead of using the store.
    pub(crate) synthetic_data_values: Option<u64>,
    /// `systemId` reported by `/api/system/info` and metadata exports.
    pub(crate) system_id: String,
    /// Lifetime of OAuth2 access tokens issued by `/oauth2/token`, in seconds.
    pub(crate) bearer_ttl_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            admin_username: "admin".to_string(),
            admin_password: "district".to_string(),
            synthetic_data_values: None,
            system_id: "eed3d451-4ff5-4193-b951-ffcc68954299".to_string(),
            bearer_ttl_secs: 3600,
        }
    }
}

/// Everything behind the [`AppState`] handle.
pub(crate) struct Inner {
    pub(crate) store: RwLock<Store>,
    pub(crate) version: VersionProfile,
    pub(crate) config: Config,
    pub(crate) counters: Counters,
    pub(crate) faults: Faults,
    pub(crate) auth: AuthState,
    pub(crate) jobs: crate::jobs::Jobs,
    /// Serialized default `/api/me` answers per username, with the store generation they were built from.
    pub(crate) me_cache: std::sync::Mutex<std::collections::HashMap<String, (u64, bytes::Bytes)>>,
    /// Large rendered list answers per store generation (owned by `collections.rs`).
    pub(crate) list_cache: crate::collections::ListCache,
}

/// Handle to the shared state (clone freely).
#[derive(Clone)]
pub(crate) struct AppState(pub(crate) Arc<Inner>);

impl AppState {
    /// Builds the state around a filled store.
    pub(crate) fn new(
        store: Store,
        version: VersionProfile,
        config: Config,
        counters: Counters,
        faults: Faults,
    ) -> Self {
        let auth = AuthState::new(&config);
        AppState(Arc::new(Inner {
            store: RwLock::new(store),
            version,
            config,
            counters,
            faults,
            auth,
            jobs: crate::jobs::Jobs::default(),
            me_cache: Default::default(),
            list_cache: Default::default(),
        }))
    }

    /// The store lock itself (part of the contract for other areas, which may lock it their own way).
    #[allow(dead_code)]
    pub(crate) fn store(&self) -> &RwLock<Store> {
        &self.0.store
    }

    /// Read access to the store. A poisoned lock is recovered: the store holds plain data.
    pub(crate) fn store_read(&self) -> RwLockReadGuard<'_, Store> {
        self.0.store.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access to the store. A poisoned lock is recovered: the store holds plain data.
    pub(crate) fn store_write(&self) -> RwLockWriteGuard<'_, Store> {
        self.0.store.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The emulated DHIS2 version.
    pub(crate) fn version(&self) -> &VersionProfile {
        &self.0.version
    }

    /// Start-up configuration.
    pub(crate) fn config(&self) -> &Config {
        &self.0.config
    }

    /// Request, in-flight and write counters.
    pub(crate) fn counters(&self) -> &Counters {
        &self.0.counters
    }

    /// Programmed faults.
    pub(crate) fn faults(&self) -> &Faults {
        &self.0.faults
    }

    /// Users, tokens and sessions.
    pub(crate) fn auth(&self) -> &AuthState {
        &self.0.auth
    }

    /// The async job registry (owned by `jobs.rs`).
    pub(crate) fn jobs(&self) -> &crate::jobs::Jobs {
        &self.0.jobs
    }
}
