//! The `dhis2` client contenders: the full stack (`get_raw`, typed `get`), its `get_response` path, `stream()`.

use std::hint::black_box;

use dhis2::models::{Me, OrganisationUnit};
use dhis2::query::Query;
use dhis2::{BasicAuth, Dhis2Client, Limits};
use futures_util::StreamExt;
use http::Method;
use http_body_util::BodyExt;

use crate::drive::Op;
use crate::workload::contender;
use crate::BenchError;

/// How a benchmark client is set up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setup {
    /// Idle connections the pool keeps per host.
    pub(crate) max_idle: usize,
    /// The concurrency limit.
    pub(crate) limit: Limit,
}

/// The `max_concurrent_requests` a benchmark client gets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    /// The client's default (100).
    Default,
    /// `max_concurrent_requests(n)`.
    At(usize),
    /// `Limits::unlimited()`: no concurrency-limit layer in the stack at all.
    Off,
}

/// A connected dhis2 client.
#[derive(Clone)]
pub(crate) struct Dhis2 {
    client: Dhis2Client,
}

/// Connects a dhis2 client to `base` with basic auth, as a user would.
pub(crate) async fn connect(base: &str, setup: Setup) -> Result<Dhis2, BenchError> {
    let mut limits = Limits::default().max_idle_per_host(setup.max_idle);
    match setup.limit {
        Limit::Default => {}
        Limit::At(n) => limits = limits.max_concurrent_requests(n),
        Limit::Off => limits = limits.unlimited(),
    }
    let client = Dhis2Client::builder(base)
        .auth(BasicAuth::new("admin", "district"))
        .limits(limits)
        .connect()
        .await
        .map_err(|e| format!("dhis2 connect to {base}: {e}"))?;
    Ok(Dhis2 { client })
}

/// Boxes a client error (an explicit function: `?`'s generic `From` trips the Send check of async trait methods).
fn boxed(e: dhis2::Error) -> BenchError {
    Box::new(e)
}

const ORG_UNITS: &str = "/api/organisationUnits";

impl Dhis2 {
    /// `paging=false` list decoded into typed models with `resources().list()`; returns the number of units.
    pub(crate) async fn org_units_typed(&self, fields: &str) -> Result<usize, BenchError> {
        let query = Query::new().fields(fields).paging(false);
        let resources = self.client.resources().map_err(boxed)?;
        let page = resources
            .of::<OrganisationUnit>()
            .list(&query)
            .await
            .map_err(boxed)?;
        Ok(page.items.len())
    }

    /// `paging=false` list via `get_raw` (serde_json); returns the number of units.
    pub(crate) async fn org_units_raw(&self, fields: &str) -> Result<usize, BenchError> {
        let map = self
            .client
            .get_raw(ORG_UNITS, &[("paging", "false"), ("fields", fields)])
            .await
            .map_err(boxed)?;
        map.get("organisationUnits")
            .and_then(|v| v.as_array())
            .map(Vec::len)
            .ok_or_else(|| "dhis2 get_raw: no organisationUnits array".into())
    }

    /// `resources().stream()` of all units at `page_size` (the next page is fetched while this one is
    /// consumed); returns the number of units.
    pub(crate) async fn org_units_paged(
        &self,
        fields: &str,
        page_size: usize,
    ) -> Result<usize, BenchError> {
        let query = Query::new().fields(fields).page_size(page_size as u64);
        let resources = self.client.resources().map_err(boxed)?;
        let mut stream = std::pin::pin!(resources.of::<OrganisationUnit>().stream(&query));
        let mut seen = 0;
        while let Some(unit) = stream.next().await {
            black_box(unit.map_err(boxed)?);
            seen += 1;
        }
        Ok(seen)
    }

    /// One small GET via `get_raw`.
    pub(crate) async fn me_raw(&self) -> Result<(), BenchError> {
        let me = self.client.get_raw("/api/me", &[]).await.map_err(boxed)?;
        black_box(me.len());
        Ok(())
    }
}

/// small_get through the dhis2 client.
#[derive(Clone)]
pub(crate) enum SmallGet {
    /// `get_raw` -> JSON object.
    Raw(Dhis2Client, &'static str),
    /// `get::<Me>`.
    Typed(Dhis2Client, &'static str),
    /// `get_response`, body collected as bytes.
    Response(Dhis2Client, &'static str),
}

impl Op for SmallGet {
    async fn call(&self) -> Result<(), BenchError> {
        match self {
            SmallGet::Raw(client, path) => {
                let me = client.get_raw(path, &[]).await.map_err(boxed)?;
                black_box(me.len());
            }
            SmallGet::Typed(client, path) => {
                let me: Me = client.get(path, &[]).await.map_err(boxed)?;
                black_box(me.username.len());
            }
            SmallGet::Response(client, path) => {
                let response = client.get_response(path, &[], &[]).await.map_err(boxed)?;
                let status = response.status();
                if !status.is_success() {
                    return Err(format!("dhis2 get_response {path}: status {status}").into());
                }
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| format!("dhis2 get_response {path}: body: {e}"))?;
                black_box(body.to_bytes().len());
            }
        }
        Ok(())
    }
}

/// The dhis2 small_get contenders against `base`, each with its own client (own pool).
pub(crate) async fn small_get_contenders(
    base: &str,
    path: &'static str,
    max_idle: usize,
) -> Result<Vec<(&'static str, SmallGet)>, BenchError> {
    let setup = Setup {
        max_idle,
        limit: Limit::Default,
    };
    Ok(vec![
        (
            contender::DHIS2_RAW,
            SmallGet::Raw(connect(base, setup).await?.client, path),
        ),
        (
            contender::DHIS2_TYPED,
            SmallGet::Typed(connect(base, setup).await?.client, path),
        ),
        (
            contender::DHIS2_GET_RESPONSE,
            SmallGet::Response(connect(base, setup).await?.client, path),
        ),
    ])
}

impl Dhis2 {
    /// A client for the stream child: the default limits, one pooled connection.
    pub(crate) async fn for_download(base: &str) -> Result<Dhis2, BenchError> {
        let setup = Setup {
            max_idle: 1,
            limit: Limit::Default,
        };
        connect(base, setup).await
    }

    /// Downloads `path_and_query` with `stream()` into `file`; returns the bytes written.
    pub(crate) async fn stream_to_file(
        &self,
        path_and_query: &str,
        file: &mut tokio::fs::File,
    ) -> Result<u64, BenchError> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let params: Vec<(&str, &str)> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        let written = self
            .client
            .stream(Method::GET, path, &params, file)
            .await
            .map_err(|e| format!("dhis2 stream {path}: {e}"))?;
        Ok(written)
    }
}
