//! `client.tracker()`: tracker export (tracked entities, enrollments, events, relationships) with every
//! version's envelope and parameter names, auto-pagination as a stream, and import (async by default).

use std::marker::PhantomData;

use futures_util::Stream;
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::exchange;
use super::tasks::{JobRef, WaitOptions};
use crate::models::{
    Enrollment, Event, Relationship, TrackedEntity, TrackerImportReport, TrackerPage,
};
use crate::{Dhis2Client, Error};

/// Tracker endpoints. Get one with [`Dhis2Client::tracker`].
#[derive(Debug, Clone, Copy)]
pub struct Tracker<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// The tracker API (`/api/tracker/...`).
    pub fn tracker(&self) -> Tracker<'_> {
        Tracker { client: self }
    }
}

/// A tracker object type that can be exported.
pub trait TrackerObject: DeserializeOwned + Send + 'static {
    /// Path segment and 2.41+ list key (`trackedEntities`, ...).
    const PLURAL: &'static str;
}

impl TrackerObject for TrackedEntity {
    const PLURAL: &'static str = "trackedEntities";
}
impl TrackerObject for Enrollment {
    const PLURAL: &'static str = "enrollments";
}
impl TrackerObject for Event {
    const PLURAL: &'static str = "events";
}
impl TrackerObject for Relationship {
    const PLURAL: &'static str = "relationships";
}

/// An export query for one tracker object type. Parameters are written under the names the connected
/// server's version expects (2.40: `orgUnit`/`ouMode`/`trackedEntity`/`skipPaging`; 2.41+: `orgUnits`/
/// `orgUnitMode`/`trackedEntities`/`paging`).
#[derive(Debug, Clone)]
pub struct TrackerQuery<'a, T> {
    client: &'a Dhis2Client,
    org_units: Vec<String>,
    org_unit_mode: Option<String>,
    tracked_entities: Vec<String>,
    page_size: u64,
    total_pages: bool,
    params: Vec<(String, String)>,
    _t: PhantomData<fn() -> T>,
}

impl<'a> Tracker<'a> {
    fn query<T: TrackerObject>(&self) -> TrackerQuery<'a, T> {
        TrackerQuery {
            client: self.client,
            org_units: Vec::new(),
            org_unit_mode: None,
            tracked_entities: Vec::new(),
            page_size: 50,
            total_pages: false,
            params: Vec::new(),
            _t: PhantomData,
        }
    }

    /// Tracked entities.
    pub fn tracked_entities(&self) -> TrackerQuery<'a, TrackedEntity> {
        self.query()
    }

    /// Enrollments.
    pub fn enrollments(&self) -> TrackerQuery<'a, Enrollment> {
        self.query()
    }

    /// Events.
    pub fn events(&self) -> TrackerQuery<'a, Event> {
        self.query()
    }

    /// Relationships (DHIS2 needs a `trackedEntity`, `enrollment` or `event` to anchor them).
    pub fn relationships(&self) -> TrackerQuery<'a, Relationship> {
        self.query()
    }

    /// One object by UID (11 letters or digits; anything else is refused with [`Error::Config`]).
    pub async fn get<T: TrackerObject>(&self, uid: &str, fields: Option<&str>) -> Result<T, Error> {
        let uid = crate::path::uid_segment("tracker object", uid)?;
        let params: Vec<(&str, &str)> = fields.map(|f| vec![("fields", f)]).unwrap_or_default();
        self.client
            .get(&format!("api/tracker/{}/{uid}", T::PLURAL), &params)
            .await
    }

    /// Starts an import (`POST /api/tracker`). Async by default: [`TrackerImport::send`] waits for the job and
    /// returns its report; call [`TrackerImport::sync`] for the synchronous mode.
    pub fn import<B: Serialize + ?Sized>(&self, payload: &B) -> Result<TrackerImport<'a>, Error> {
        let body = exchange::json_body(payload, "tracker payload")?;
        Ok(TrackerImport {
            client: self.client,
            body,
            sync: false,
            params: Vec::new(),
            wait: WaitOptions::default(),
        })
    }
}

/// The server's DHIS2 major (`40` for 2.40.x); the newest behaviour when unknown.
fn server_major(client: &Dhis2Client) -> u32 {
    client.version().map(|v| v.major()).unwrap_or(u32::MAX)
}

impl<'a, T: TrackerObject> TrackerQuery<'a, T> {
    /// Restricts to these org units.
    pub fn org_units<I: IntoIterator<Item = S>, S: Into<String>>(mut self, uids: I) -> Self {
        self.org_units.extend(uids.into_iter().map(Into::into));
        self
    }

    /// `SELECTED`, `CHILDREN`, `DESCENDANTS`, `ACCESSIBLE`, `CAPTURE` or `ALL`.
    pub fn org_unit_mode(mut self, mode: &str) -> Self {
        self.org_unit_mode = Some(mode.to_owned());
        self
    }

    /// Restricts to these tracked entities (for relationships: the anchor).
    pub fn tracked_entities<I: IntoIterator<Item = S>, S: Into<String>>(mut self, uids: I) -> Self {
        self.tracked_entities
            .extend(uids.into_iter().map(Into::into));
        self
    }

    /// Restricts to one program.
    pub fn program(self, uid: &str) -> Self {
        self.param("program", uid)
    }

    /// `fields` selection (DHIS2 defaults leave nested collections out; `*` brings everything).
    pub fn fields(self, fields: &str) -> Self {
        self.param("fields", fields)
    }

    /// Only objects updated after this date.
    pub fn updated_after(self, date: &str) -> Self {
        self.param("updatedAfter", date)
    }

    /// Page size for [`page`](Self::page) and [`stream`](Self::stream) (default 50).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Ask for `total` and `pageCount` (costs the server a count query).
    pub fn total_pages(mut self, total: bool) -> Self {
        self.total_pages = total;
        self
    }

    /// Any other parameter, sent as given.
    pub fn param(mut self, key: &str, value: &str) -> Self {
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The query parameters for a server of DHIS2 major `major`, without paging.
    pub fn params_for(&self, major: u32) -> Vec<(String, String)> {
        let mut out = self.params.clone();
        if !self.org_units.is_empty() {
            if major <= 40 {
                out.push(("orgUnit".into(), self.org_units.join(";")));
            } else {
                out.push(("orgUnits".into(), self.org_units.join(",")));
            }
        }
        if let Some(mode) = &self.org_unit_mode {
            out.push((
                if major <= 40 { "ouMode" } else { "orgUnitMode" }.into(),
                mode.clone(),
            ));
        }
        if !self.tracked_entities.is_empty() {
            // Relationships are anchored by a single `trackedEntity` in every version.
            let key = if major <= 40 || T::PLURAL == "relationships" {
                "trackedEntity"
            } else {
                "trackedEntities"
            };
            let sep = if major <= 40 { ";" } else { "," };
            out.push((key.into(), self.tracked_entities.join(sep)));
        }
        out
    }

    /// One page (1-based).
    pub async fn page(&self, page: u64) -> Result<TrackerPage<T>, Error> {
        let mut params = self.params_for(server_major(self.client));
        params.push(("page".into(), page.max(1).to_string()));
        params.push(("pageSize".into(), self.page_size.to_string()));
        if self.total_pages {
            params.push(("totalPages".into(), "true".into()));
        }
        self.fetch(&params).await
    }

    /// `GET /api/tracker/{plural}` with `params`, read as a page (either version's layout).
    async fn fetch(&self, params: &[(String, String)]) -> Result<TrackerPage<T>, Error> {
        let path = format!("api/tracker/{}", T::PLURAL);
        let value: Value = self.client.get(&path, &exchange::borrow(params)).await?;
        TrackerPage::from_json(value, T::PLURAL).map_err(|source| Error::Decode {
            method: Method::GET,
            path: format!("/{path}"),
            json_path: crate::error::json_path(T::PLURAL),
            source,
        })
    }

    /// [`page`](Self::page) as a boxed `Send` future (keeps the stream `Send` under the compiler's
    /// higher-ranked lifetime checks).
    fn page_boxed(
        &self,
        page: u64,
    ) -> futures_util::future::BoxFuture<'_, Result<TrackerPage<T>, Error>> {
        Box::pin(self.page(page))
    }

    /// Everything in one unpaged request (`paging=false`, or `skipPaging=true` on 2.40).
    pub async fn all(&self) -> Result<Vec<T>, Error> {
        let major = server_major(self.client);
        let mut params = self.params_for(major);
        if major <= 40 {
            params.push(("skipPaging".into(), "true".into()));
        } else {
            params.push(("paging".into(), "false".into()));
        }
        Ok(self.fetch(&params).await?.items)
    }

    /// Every object, page after page, as a stream (one page in memory at a time). Stops after a short page,
    /// the last `pageCount`, or a page without `nextPage` where the version writes links.
    pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + Send + 'a
    where
        T: Send,
    {
        let state = (self, 1u64, std::collections::VecDeque::<T>::new(), false);
        futures_util::stream::unfold(
            state,
            |(query, mut page, mut buffer, mut done)| async move {
                loop {
                    if let Some(item) = buffer.pop_front() {
                        return Some((Ok(item), (query, page, buffer, done)));
                    }
                    if done {
                        return None;
                    }
                    match query.page_boxed(page).await {
                        Ok(p) => {
                            tracing::debug!(target: "dhis2::tracker", kind = T::PLURAL, page, items = p.items.len(),
                            "tracker page");
                            done = !p.has_more(query.page_size);
                            buffer.extend(p.items);
                            page += 1;
                        }
                        Err(e) => return Some((Err(e), (query, page, buffer, true))),
                    }
                }
            },
        )
    }
}

/// A pending tracker import.
#[derive(Debug, Clone)]
pub struct TrackerImport<'a> {
    client: &'a Dhis2Client,
    body: Vec<u8>,
    sync: bool,
    params: Vec<(String, String)>,
    wait: WaitOptions,
}

impl<'a> TrackerImport<'a> {
    /// Synchronous mode (`async=false`): the server answers the bare report directly.
    pub fn sync(mut self) -> Self {
        self.sync = true;
        self
    }

    /// `CREATE`, `UPDATE`, `CREATE_AND_UPDATE` (the default) or `DELETE`.
    pub fn import_strategy(self, strategy: &str) -> Self {
        self.param("importStrategy", strategy)
    }

    /// `ALL` (the default: nothing is stored if anything is invalid) or `OBJECT`.
    pub fn atomic_mode(self, mode: &str) -> Self {
        self.param("atomicMode", mode)
    }

    /// `ERRORS` (the default), `WARNINGS` or `FULL` (with the per-type bundle report).
    pub fn report_mode(self, mode: &str) -> Self {
        self.param("reportMode", mode)
    }

    /// How to wait for the async job.
    pub fn wait_options(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Any other import parameter.
    pub fn param(mut self, key: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }

    fn report_mode_value(&self) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k == "reportMode")
            .map(|(_, v)| v.clone())
    }

    /// Starts the async job and returns it without waiting.
    pub async fn start(self) -> Result<JobRef, Error> {
        let (answer, path): (Value, _) =
            exchange::start_job(self.client, "api/tracker", &self.params, self.body).await?;
        let id = answer
            .get("response")
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::Config(format!("POST {path}: the answer names no tracker job"))
            })?;
        // The id comes from the server: checked like a caller's, so a bad answer cannot steer the polling.
        JobRef::tracker(id)
            .map_err(|e| Error::Config(format!("POST {path}: the answer's job: {e}")))
    }

    /// Runs the import: sync mode returns the bare report (a 409 `ERROR` report included); async mode waits for
    /// the job and fetches its report.
    pub async fn send(self) -> Result<TrackerImportReport, Error> {
        if self.sync {
            let (status, bytes, path) = exchange::post_import(
                self.client,
                "api/tracker",
                &self.params,
                Some("false"),
                self.body,
            )
            .await?;
            // 409 carries the report of a failed validation: that is an answer, not a transport problem.
            let is_report = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .is_some_and(|v| v.get("validationReport").is_some() || v.get("stats").is_some());
            if (status.is_success() || status == StatusCode::CONFLICT) && is_report {
                return exchange::decode_as(&Method::POST, &path, &bytes);
            }
            return Err(exchange::error_for(status, bytes, &Method::POST, &path).await);
        }
        let client = self.client;
        let wait = self.wait.clone();
        let report_mode = self.report_mode_value();
        let job = self.start().await?;
        client.tasks().wait(&job, wait).await?;
        let params: Vec<(&str, &str)> = report_mode
            .as_deref()
            .map(|m| vec![("reportMode", m)])
            .unwrap_or_default();
        let (status, bytes, path) =
            exchange::collect(client, Method::GET, job.summary_path(), &params, None).await?;
        if !status.is_success() {
            return Err(exchange::error_for(status, bytes, &Method::GET, &path).await);
        }
        exchange::decode_as(&Method::GET, &path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_follow_the_version() {
        let client = Dhis2Client::builder("http://127.0.0.1:9").build().unwrap();
        let q = client
            .tracker()
            .tracked_entities()
            .org_units(["a", "b"])
            .org_unit_mode("SELECTED")
            .tracked_entities(["x"]);
        let v40 = q.params_for(40);
        assert!(v40.contains(&("orgUnit".into(), "a;b".into())));
        assert!(v40.contains(&("ouMode".into(), "SELECTED".into())));
        assert!(v40.contains(&("trackedEntity".into(), "x".into())));
        let v42 = q.params_for(42);
        assert!(v42.contains(&("orgUnits".into(), "a,b".into())));
        assert!(v42.contains(&("orgUnitMode".into(), "SELECTED".into())));
        assert!(v42.contains(&("trackedEntities".into(), "x".into())));
        let rel = client
            .tracker()
            .relationships()
            .tracked_entities(["x"])
            .params_for(42);
        assert!(rel.contains(&("trackedEntity".into(), "x".into())));
    }
}
