//! `dhis2-layers`: tower layers for talking to DHIS2, usable in any `ServiceBuilder`.
//!
//! Each module holds one layer (`XLayer`), its service (`X<S>`) and, where needed, its future. The layers are
//! independent of hyper and TLS; the `dhis2` crate assembles them into its client stack.
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod base_url;
pub mod body;
pub mod decompression;
pub mod default_headers;
pub mod error_map;
pub mod future;
pub mod retry;
pub mod secret;
pub mod timeout;
pub mod trace;
pub mod version;
pub mod version_probe;

pub use auth::{
    Auth, AuthError, AuthLayer, AuthProvider, BasicAuth, BearerAuth, MemoryTokenStore, OAuth2Auth,
    OAuth2Config, OAuth2Token, PatAuth, SessionCookieAuth, TokenStore,
};
pub use base_url::{BaseUrl, BaseUrlLayer};
pub use body::{BoxError, RequestBody, ResponseBody};
pub use decompression::{Decompression, DecompressionLayer};
pub use default_headers::{DefaultHeaders, DefaultHeadersLayer};
pub use error_map::{is_login_location, ErrorMap, ErrorMapLayer, MappedError};
pub use retry::{ErrorClass, Retry, RetryAttempts, RetryLayer, RetryPolicy};
pub use secret::Secret;
pub use timeout::{IdleBody, LowSpeed, Timeout, TimeoutLayer};
pub use trace::{HttpTrace, HttpTraceLayer};
pub use version::{Dhis2Version, PreRelease, VersionError, VersionKey};
pub use version_probe::{
    ProbeError, ProbeHandle, ServerInfoSnapshot, VersionProbe, VersionProbeLayer,
};
