//! `dhis2`: an async client for the DHIS2 Web API, built as a tower middleware stack on hyper.
//!
//! ```no_run
//! use dhis2::{BasicAuth, Dhis2Client, Limits, RetryPolicy};
//!
//! # async fn run() -> Result<(), dhis2::Error> {
//! let client = Dhis2Client::builder("https://play.im.dhis2.org/dev-2-43")
//!     .auth(BasicAuth::new("admin", "district"))
//!     .retry_policy(RetryPolicy::default())
//!     .limits(Limits::default().max_concurrent_requests(20).max_idle_per_host(10))
//!     .connect()
//!     .await?;
//! println!("version_key = {}", client.version_key()?);
//! let me = client.system().me().await?;
//! println!("as {}", me.username);
//! let units = client
//!     .get_raw("api/organisationUnits", &[("filter", "level:eq:1"), ("fields", "id,name")])
//!     .await?;
//! println!("{}", serde_json::Value::Object(units));
//! client.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! The stack, outermost first: `ErrorMap -> VersionProbe -> BaseUrl -> DefaultHeaders -> user layers -> Retry ->
//! Auth -> Trace -> ConcurrencyLimit -> Timeout -> Decompression -> hyper-util Client`. Typed calls and the `*_raw` helpers go
//! through ErrorMap; [`Dhis2Client::get_response`] and [`Dhis2Client::stream`] see statuses as facts.
//!
//! Lifecycle: [`Dhis2Client::builder`] → [`ClientBuilder::build`] (no I/O) → [`Dhis2Client::connect`] →
//! [`Dhis2Client::close`]. Every call needs a connected client ([`Error::NotConnected`] otherwise); with
//! [`ClientBuilder::skip_version_probe`] connecting does no network I/O at all.
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![forbid(unsafe_code)]

pub mod accessors;
mod builder;
mod client;
mod error;
mod handshake;
mod json;
pub mod models;
mod path;
mod profile;
mod proxy;
pub mod query;
mod stack;
mod state;
mod tls;
pub mod versioning;

pub use accessors::metadata::{Metadata, MetadataExport, MetadataImportOptions, MetadataPayload};
pub use accessors::resources::{Collection, Page, ResourceStream, Resources};
pub use accessors::System;
pub use builder::{
    ClientBuilder, Limits, SharedLimit, DEFAULT_CONNECT_TIMEOUT, DEFAULT_SYSTEM_CACHE_TTL,
    DEFAULT_TIMEOUT,
};
pub use client::{Dhis2Client, JSON_PATCH};
pub use error::Error;
pub use profile::{open_client, Profile, ProfileAuth};
pub use proxy::Proxy;
pub use query::{Fields, Filter, Order, Preset, Query};
pub use stack::BoxService;
pub use state::ClientState;
pub use tls::{HttpProtocol, TlsConfig};
pub use versioning::Capabilities;

pub use dhis2_layers::auth::{
    AuthError, AuthProvider, BasicAuth, BearerAuth, MemoryTokenStore, OAuth2Auth, OAuth2Config,
    OAuth2Token, PatAuth, SessionCookieAuth, TokenStore,
};
pub use dhis2_layers::{
    BoxError, Dhis2Version, RequestBody, ResponseBody, RetryPolicy, Secret, VersionKey,
};

/// The reusable tower layers (re-export of `dhis2-layers`).
pub use dhis2_layers as layers;

/// Not part of the API: hooks for `dhis2-bench`, which times the decoders on bytes already in memory.
#[doc(hidden)]
pub mod __bench {
    /// Decodes a document with the decoder of `get_raw` and friends (a non-object root is returned as is).
    pub fn decode_raw(bytes: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
        crate::json::value_from(&mut serde_json::Deserializer::from_slice(bytes))
    }
}
