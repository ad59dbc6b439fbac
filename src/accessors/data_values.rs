//! `client.data_values()`: aggregate data value import (sync or as an async job) and export, including a
//! streamed export to any `AsyncWrite` in constant memory, and the single-value API.

use http::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncWrite;

use super::exchange;
use super::progress::{stream_get, Progress};
use super::tasks::{JobRef, WaitOptions};
use crate::models::{DataValueSet, ImportSummary, JobConfiguration, WebMessage};
use crate::{Dhis2Client, Error};

const PATH: &str = "api/dataValueSets";

/// Data value endpoints. Get one with [`Dhis2Client::data_values`].
#[derive(Debug, Clone, Copy)]
pub struct DataValues<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// Aggregate data values: `/api/dataValueSets` import and export, `/api/dataValues` single values.
    pub fn data_values(&self) -> DataValues<'_> {
        DataValues { client: self }
    }
}

/// Options of a data value import (DHIS2's `ImportOptions` query parameters).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    params: Vec<(String, String)>,
}

impl ImportOptions {
    /// Default options (`CREATE_AND_UPDATE`, no dry run).
    pub fn new() -> Self {
        Self::default()
    }

    /// Validate without storing anything.
    pub fn dry_run(self, dry_run: bool) -> Self {
        self.param("dryRun", if dry_run { "true" } else { "false" })
    }

    /// `CREATE`, `UPDATE`, `CREATE_AND_UPDATE` or `DELETE`.
    pub fn import_strategy(self, strategy: &str) -> Self {
        self.param("importStrategy", strategy)
    }

    /// Identifier scheme of the payload (`UID`, `CODE`, `NAME`, ...).
    pub fn id_scheme(self, scheme: &str) -> Self {
        self.param("idScheme", scheme)
    }

    /// Store only when every value is valid (2.43+ `atomicMode=ALL`).
    pub fn atomic(self, atomic: bool) -> Self {
        self.param("atomicMode", if atomic { "ALL" } else { "NONE" })
    }

    /// Skip the check for existing values (faster for initial loads).
    pub fn skip_existing_check(self, skip: bool) -> Self {
        self.param("skipExistingCheck", if skip { "true" } else { "false" })
    }

    /// Any other import parameter.
    pub fn param(mut self, key: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// An export query (`GET /api/dataValueSets`). DHIS2 needs a data selection (data set, data element group or
/// data element), a time selection (periods, start and end dates, or `lastUpdated`) and org units.
#[derive(Debug, Clone, Default)]
pub struct ExportQuery {
    params: Vec<(String, String)>,
}

impl ExportQuery {
    /// An empty query.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(mut self, key: &str, value: impl Into<String>) -> Self {
        self.params.push((key.to_owned(), value.into()));
        self
    }

    /// Adds a data set (repeatable).
    pub fn data_set(self, uid: impl Into<String>) -> Self {
        self.push("dataSet", uid)
    }

    /// Adds a data element group (repeatable).
    pub fn data_element_group(self, uid: impl Into<String>) -> Self {
        self.push("dataElementGroup", uid)
    }

    /// Adds a data element (repeatable).
    pub fn data_element(self, uid: impl Into<String>) -> Self {
        self.push("dataElement", uid)
    }

    /// Adds an ISO period (repeatable).
    pub fn period(self, period: impl Into<String>) -> Self {
        self.push("period", period)
    }

    /// Values of periods inside `start..=end` (`yyyy-MM-dd`).
    pub fn dates(self, start: impl Into<String>, end: impl Into<String>) -> Self {
        self.push("startDate", start).push("endDate", end)
    }

    /// Adds an org unit (repeatable).
    pub fn org_unit(self, uid: impl Into<String>) -> Self {
        self.push("orgUnit", uid)
    }

    /// Include the whole subtree of the given org units.
    pub fn children(self, children: bool) -> Self {
        self.push("children", if children { "true" } else { "false" })
    }

    /// Only values changed since this date (`yyyy-MM-dd` or a timestamp).
    pub fn last_updated(self, since: impl Into<String>) -> Self {
        self.push("lastUpdated", since)
    }

    /// Only values changed within this duration (DHIS2 syntax such as `10d`, `2h`).
    pub fn last_updated_duration(self, duration: impl Into<String>) -> Self {
        self.push("lastUpdatedDuration", duration)
    }

    /// Include soft-deleted values.
    pub fn include_deleted(self, include: bool) -> Self {
        self.push("includeDeleted", if include { "true" } else { "false" })
    }

    /// At most this many values.
    pub fn limit(self, limit: u64) -> Self {
        self.push("limit", limit.to_string())
    }

    /// Any other export parameter.
    pub fn param(self, key: &str, value: impl Into<String>) -> Self {
        self.push(key, value)
    }

    /// The query parameters in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

/// One value addressed by the single-value API (`/api/dataValues`).
#[derive(Debug, Clone, Default)]
pub struct ValueKey {
    params: Vec<(String, String)>,
}

impl ValueKey {
    /// Data element, period and org unit (default category option combos).
    pub fn new(data_element: &str, period: &str, org_unit: &str) -> Self {
        ValueKey {
            params: vec![
                ("de".to_owned(), data_element.to_owned()),
                ("pe".to_owned(), period.to_owned()),
                ("ou".to_owned(), org_unit.to_owned()),
            ],
        }
    }

    /// Sets the category option combo.
    pub fn category_option_combo(mut self, uid: &str) -> Self {
        self.params.push(("co".to_owned(), uid.to_owned()));
        self
    }

    /// Sets the attribute combination: the attribute category combo (`cc`) and its category options (`cp`),
    /// as the single-value API expects them (it takes no attribute option combo UID).
    pub fn attribute(mut self, category_combo: &str, category_options: &[&str]) -> Self {
        self.params
            .push(("cc".to_owned(), category_combo.to_owned()));
        self.params
            .push(("cp".to_owned(), category_options.join(";")));
        self
    }
}

/// Reads the ImportSummary out of a data value import answer, whatever its status.
///
/// 2.39-2.42 answer a summary with conflicts with 409 `WARNING`, 2.43+ with 200 `WARNING`; both are a summary,
/// not an error. Older servers send the bare summary. Answers without a summary (2.43+ set-level rejections,
/// auth problems) are errors.
async fn read_summary(
    status: StatusCode,
    bytes: bytes::Bytes,
    path: &str,
) -> Result<ImportSummary, Error> {
    if status.is_success() || status == StatusCode::CONFLICT {
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            let summary = match value.get("response") {
                Some(r)
                    if r.get("importCount").is_some()
                        || r.get("responseType").and_then(Value::as_str)
                            == Some("ImportSummary") =>
                {
                    Some(r.clone())
                }
                _ if value.get("importCount").is_some() => Some(value.clone()),
                _ => None,
            };
            if let Some(summary) = summary {
                return exchange::decode_as(
                    &Method::POST,
                    path,
                    &serde_json::to_vec(&summary).unwrap_or_default(),
                );
            }
        }
    }
    Err(exchange::error_for(status, bytes, &Method::POST, path).await)
}

impl DataValues<'_> {
    fn body<B: Serialize + ?Sized>(payload: &B) -> Result<Vec<u8>, Error> {
        exchange::json_body(payload, "data value set")
    }

    /// Imports a data value set synchronously and returns its summary (counts, conflicts with their payload
    /// indexes). A summary with status `WARNING` or `ERROR` is returned, not raised: check
    /// [`ImportSummary::status`] and [`ImportSummary::conflicts`].
    pub async fn import<B: Serialize + ?Sized>(
        &self,
        payload: &B,
        options: &ImportOptions,
    ) -> Result<ImportSummary, Error> {
        self.import_json(Self::body(payload)?, options).await
    }

    /// Like [`import`](Self::import) for a payload that is already JSON (for example read from a file), sent
    /// as is without being parsed or re-serialised.
    pub async fn import_json(
        &self,
        json: impl Into<bytes::Bytes>,
        options: &ImportOptions,
    ) -> Result<ImportSummary, Error> {
        let body = json.into();
        tracing::info!(target: "dhis2::data_values", bytes = body.len(), "importing data values");
        let (status, bytes, path) =
            exchange::post_import(self.client, PATH, &options.params, None, body).await?;
        let summary = read_summary(status, bytes, &path).await?;
        tracing::info!(target: "dhis2::data_values", status = ?summary.status.value(),
            conflicts = summary.conflicts().len(), "data value import finished");
        Ok(summary)
    }

    /// Starts an async import (`async=true`) and returns the job; wait for it with
    /// [`Tasks::wait`](super::tasks::Tasks::wait) and read the summary with
    /// [`Tasks::summary`](super::tasks::Tasks::summary), or use [`import_and_wait`](Self::import_and_wait).
    pub async fn import_async<B: Serialize + ?Sized>(
        &self,
        payload: &B,
        options: &ImportOptions,
    ) -> Result<JobRef, Error> {
        let (message, path): (WebMessage, _) =
            exchange::start_job(self.client, PATH, &options.params, Self::body(payload)?).await?;
        let job: &JobConfiguration = message.job().ok_or_else(|| {
            Error::Config(format!(
                "POST {path}: the answer carries no job configuration"
            ))
        })?;
        JobRef::from_job(job).map_err(|e| Error::Config(format!("POST {path}: {e}")))
    }

    /// Imports as an async job, waits for it (polling per `wait`) and returns the job's ImportSummary.
    pub async fn import_and_wait<B: Serialize + ?Sized>(
        &self,
        payload: &B,
        options: &ImportOptions,
        wait: WaitOptions,
    ) -> Result<ImportSummary, Error> {
        let job = self.import_async(payload, options).await?;
        self.client
            .tasks()
            .wait_for_summary::<ImportSummary>(&job, wait)
            .await?
            .ok_or_else(|| {
                Error::Config(format!(
                    "job {} finished without an import summary",
                    job.id()
                ))
            })
    }

    /// Exports values as a typed [`DataValueSet`] (buffered; use [`export_to`](Self::export_to) for big exports).
    pub async fn export(&self, query: &ExportQuery) -> Result<DataValueSet, Error> {
        self.client
            .get(PATH, &exchange::borrow(&query.params))
            .await
    }

    /// Streams an export into `writer` frame by frame (constant memory whatever the size); returns the bytes
    /// written. Progress is reported as `tracing` events.
    pub async fn export_to<W>(&self, query: &ExportQuery, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.export_to_with_progress(query, writer, Progress::none())
            .await
    }

    /// Like [`export_to`](Self::export_to), calling `progress` with the running byte count as data arrives.
    pub async fn export_to_with_progress<W>(
        &self,
        query: &ExportQuery,
        writer: &mut W,
        progress: Progress,
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        stream_get(
            self.client,
            PATH,
            &exchange::borrow(&query.params),
            writer,
            progress,
            "dhis2::data_values",
        )
        .await
    }

    /// Sets one value (`POST /api/dataValues`).
    pub async fn set(
        &self,
        key: &ValueKey,
        value: &str,
        comment: Option<&str>,
    ) -> Result<(), Error> {
        let mut params = exchange::borrow(&key.params);
        params.push(("value", value));
        if let Some(c) = comment {
            params.push(("comment", c));
        }
        exchange::mapped(self.client, Method::POST, "api/dataValues", &params, None).await?;
        Ok(())
    }

    /// Reads one value (`GET /api/dataValues`); `None` when no value is stored.
    pub async fn get(&self, key: &ValueKey) -> Result<Option<String>, Error> {
        let (status, bytes, path) = exchange::collect(
            self.client,
            Method::GET,
            "api/dataValues",
            &exchange::borrow(&key.params),
            None,
        )
        .await?;
        // DHIS2 answers a missing value with 409 "Data value does not exist" (404 on some builds).
        let missing = status == StatusCode::CONFLICT
            && serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(Value::as_str)
                        .map(|m| m.contains("does not exist"))
                })
                .unwrap_or(false);
        if missing || status == StatusCode::NOT_FOUND || (status.is_success() && bytes.is_empty()) {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(exchange::error_for(status, bytes, &Method::GET, &path).await);
        }
        // DHIS2 answers a one-element JSON array (`["12"]`); accept a bare string too.
        let value: Value = exchange::decode_as(&Method::GET, &path, &bytes)?;
        Ok(match value {
            Value::Array(items) => items
                .into_iter()
                .next()
                .and_then(|v| v.as_str().map(str::to_owned)),
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
    }

    /// Deletes one value (`DELETE /api/dataValues`).
    pub async fn delete(&self, key: &ValueKey) -> Result<(), Error> {
        exchange::mapped(
            self.client,
            Method::DELETE,
            "api/dataValues",
            &exchange::borrow(&key.params),
            None,
        )
        .await?;
        Ok(())
    }
}
