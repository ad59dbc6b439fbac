//! Aggregate data values (WIRE.md section 8): `POST /api/dataValueSets` import with an ImportSummary (sync or as
//! an async job), `GET /api/dataValueSets` streamed export, and the single-value `/api/dataValues` API.
//!
//! Values are kept compactly in `Store::data_values` (see [`model::DataValue`]). Exports are written in chunks
//! straight from the store (the lock is taken per chunk, never across `.await`), or, when the emulator was started
//! with `synthetic_data_values(n)`, from `n` rows generated on the fly ([`synthetic`]).

mod export;
mod import;
pub(crate) mod model;
pub(crate) mod period;
mod pipeline;
mod rows;
mod rules;
mod single;
pub(crate) mod synthetic;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub(crate) use model::DataValue;

/// Query parameters in order, repeated keys kept (DHIS2 accepts `period=a&period=b` and `period=a,b`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub(crate) fn parse(raw: Option<&str>) -> Params {
        Params(crate::params::query_pairs(raw))
    }

    /// The last value of a parameter.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a parameter, comma-separated ones split, empty ones dropped.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// All raw values of a parameter (not split at commas).
    pub(crate) fn raw_all(&self, key: &str) -> impl Iterator<Item = &str> {
        let key = key.to_string();
        self.0
            .iter()
            .filter(move |(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter (`true`, case-insensitive), with a default when absent.
    pub(crate) fn flag(&self, key: &str, default: bool) -> bool {
        self.get(key)
            .map_or(default, |v| v.eq_ignore_ascii_case("true"))
    }
}

/// Largest accepted import body (axum's 2 MB default is far below what DHIS2 accepts).
pub(crate) const MAX_IMPORT_BYTES: usize = 1 << 30;

/// Routes of this area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/dataValueSets",
            post(import::post_data_value_set).get(export::get_data_value_set),
        )
        .route(
            "/api/dataValueSets.json",
            post(import::post_data_value_set).get(export::get_data_value_set),
        )
        .route(
            "/api/dataValues",
            get(single::get_value)
                .post(single::post_value)
                .delete(single::delete_value),
        )
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES))
}
