//! What a Rust user writes instead of using `dhis2`: reqwest + serde_json, by hand, the obvious way.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::BenchError;

/// A reqwest client as a user builds it for a plain-HTTP DHIS2 (defaults: unlimited idle pool). Without gzip:
/// the crate's `gzip` feature is on for the WAN contender (`reqwest_gzip`), and on loopback every contender gets
/// the same identity bytes.
pub(crate) fn client() -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder()
        .no_gzip()
        .build()
        .map_err(|e| format!("cannot build the reqwest client: {e}").into())
}

/// `GET url` with basic auth, error on non-2xx, decode the JSON body into `T`.
pub(crate) async fn get_json<T: DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<T, BenchError> {
    let value = client
        .get(url)
        .basic_auth("admin", Some("district"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("reqwest GET {url}: {e}"))?
        .json::<T>()
        .await
        .map_err(|e| format!("reqwest GET {url}: decode: {e}"))?;
    Ok(value)
}

/// A hand-written org unit, the fields the benchmark asks for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // Fields exist to be decoded, as in user code; the benchmark only counts them.
pub(crate) struct OrgUnit {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) code: Option<String>,
    pub(crate) level: Option<u32>,
    pub(crate) path: Option<String>,
    pub(crate) created: Option<String>,
    pub(crate) last_updated: Option<String>,
    pub(crate) parent: Option<IdRef>,
}

/// `{"id": ".."}`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) struct IdRef {
    pub(crate) id: String,
}

/// A hand-written DHIS2 pager.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub(crate) struct Pager {
    pub(crate) page: u64,
    pub(crate) page_count: u64,
    pub(crate) total: u64,
    pub(crate) next_page: Option<String>,
}

/// `/api/organisationUnits` list or page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrgUnitList {
    pub(crate) pager: Option<Pager>,
    pub(crate) organisation_units: Vec<OrgUnit>,
}
