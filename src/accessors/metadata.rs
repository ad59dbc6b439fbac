//! `client.metadata()`: `/api/metadata` import with every `MetadataImportParams` option (sync, or as an async
//! job), export of chosen types with per-type fields and filters, and bulk create/update/delete of many objects
//! in one call (WIRE 7).
//!
//! An import answers with a typed [`ImportReport`] whatever its status: DHIS2 sends a report with errors as
//! 409 `WARNING`, which is an outcome to read ([`ImportReport::ignored`], [`ImportReport::errors`]), not an
//! [`Error`]. Answers without a report (bad JSON, auth, ...) are errors.
//!
//! ```no_run
//! use dhis2::accessors::metadata::{AtomicMode, ImportStrategy, MetadataImportOptions, MetadataPayload};
//! use dhis2::models::DataElement;
//!
//! # async fn run(client: dhis2::Dhis2Client, elements: Vec<DataElement>) -> Result<(), dhis2::Error> {
//! let payload = MetadataPayload::new().with(&elements);
//! let options = MetadataImportOptions::new()
//!     .strategy(ImportStrategy::CreateAndUpdate)
//!     .atomic_mode(AtomicMode::None);
//! let report = client.metadata().import(&payload, &options).await?;
//! for ignored in report.ignored() {
//!     println!("{} {:?}: {:?}", ignored.klass, ignored.uid, ignored.reasons);
//! }
//! # Ok(())
//! # }
//! ```

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::exchange;
use super::tasks::{JobRef, WaitOptions};
use crate::models::{ImportReport, Resource, WebMessage};
use crate::query::{Fields, Filter};
use crate::{Dhis2Client, Error};

const PATH: &str = "api/metadata";

/// Metadata import and export endpoints. Get one with [`Dhis2Client::metadata`].
#[derive(Debug, Clone, Copy)]
pub struct Metadata<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// Metadata import/export through `/api/metadata`, with typed import reports.
    pub fn metadata(&self) -> Metadata<'_> {
        Metadata { client: self }
    }
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }
        }
    };
}

wire_enum! {
    /// `importStrategy`.
    ImportStrategy {
        /// Create new objects, update existing ones (the default).
        CreateAndUpdate => "CREATE_AND_UPDATE",
        /// Create only; existing objects are errors (`E5000`).
        Create => "CREATE",
        /// Update only; missing objects are errors (`E5001`).
        Update => "UPDATE",
        /// Delete the listed objects.
        Delete => "DELETE",
    }
}

wire_enum! {
    /// `atomicMode`.
    AtomicMode {
        /// Nothing is written when any object has an error (the default).
        All => "ALL",
        /// Valid objects are written, invalid ones ignored.
        None => "NONE",
    }
}

wire_enum! {
    /// `importMode`.
    ImportMode {
        /// Validate and write (the default).
        Commit => "COMMIT",
        /// Validate only; nothing is written.
        Validate => "VALIDATE",
    }
}

wire_enum! {
    /// `identifier`: how payload objects are matched to stored ones.
    Identifier {
        /// By `id` (the default).
        Uid => "UID",
        /// By `code`.
        Code => "CODE",
    }
}

wire_enum! {
    /// `importReportMode`: how much the report says about each object.
    ImportReportMode {
        /// Only objects with errors (the default).
        Errors => "ERRORS",
        /// Every object.
        Full => "FULL",
        /// Errors, except those about objects the user does not own.
        ErrorsNotOwner => "ERRORS_NOT_OWNER",
        /// Everything, with debug detail.
        Debug => "DEBUG",
    }
}

wire_enum! {
    /// `preheatMode`: what the server loads before validating.
    PreheatMode {
        /// Only referenced objects (the default).
        Reference => "REFERENCE",
        /// Everything.
        All => "ALL",
        /// Nothing.
        None => "NONE",
    }
}

wire_enum! {
    /// `flushMode`.
    FlushMode {
        /// Flush when the session decides (the default).
        Auto => "AUTO",
        /// Flush after every object (slower; pinpoints database errors).
        Object => "OBJECT",
    }
}

/// Options of a metadata import (DHIS2's `MetadataImportParams`, WIRE 7.1). Unset options keep the server's
/// defaults (`CREATE_AND_UPDATE`, `atomicMode=ALL`, `COMMIT`, `UID`, `ERRORS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataImportOptions {
    params: Vec<(String, String)>,
}

impl MetadataImportOptions {
    /// The server's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `importStrategy`.
    pub fn strategy(self, strategy: ImportStrategy) -> Self {
        self.param("importStrategy", strategy.as_str())
    }

    /// `atomicMode`.
    pub fn atomic_mode(self, mode: AtomicMode) -> Self {
        self.param("atomicMode", mode.as_str())
    }

    /// `importMode`.
    pub fn import_mode(self, mode: ImportMode) -> Self {
        self.param("importMode", mode.as_str())
    }

    /// `importMode=VALIDATE` (dry run) when `true`, `COMMIT` when `false`.
    pub fn validate_only(self, validate: bool) -> Self {
        self.import_mode(if validate {
            ImportMode::Validate
        } else {
            ImportMode::Commit
        })
    }

    /// `identifier`.
    pub fn identifier(self, identifier: Identifier) -> Self {
        self.param("identifier", identifier.as_str())
    }

    /// `importReportMode`.
    pub fn report_mode(self, mode: ImportReportMode) -> Self {
        self.param("importReportMode", mode.as_str())
    }

    /// `preheatMode`.
    pub fn preheat_mode(self, mode: PreheatMode) -> Self {
        self.param("preheatMode", mode.as_str())
    }

    /// `flushMode`.
    pub fn flush_mode(self, mode: FlushMode) -> Self {
        self.param("flushMode", mode.as_str())
    }

    /// `skipSharing`: ignore sharing in the payload.
    pub fn skip_sharing(self, skip: bool) -> Self {
        self.param("skipSharing", bool_str(skip))
    }

    /// `skipTranslation`: ignore translations in the payload.
    pub fn skip_translation(self, skip: bool) -> Self {
        self.param("skipTranslation", bool_str(skip))
    }

    /// `skipValidation`: skip schema validation (dangerous).
    pub fn skip_validation(self, skip: bool) -> Self {
        self.param("skipValidation", bool_str(skip))
    }

    /// Any other parameter (replaces an earlier value of the same key). `async` is managed by the calls.
    pub fn param(mut self, key: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The query parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// Sets `key` only when the caller has not chosen a value.
    fn or_param(self, key: &str, value: &str) -> Self {
        if self.params.iter().any(|(k, _)| k == key) {
            self
        } else {
            self.param(key, value)
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// An import payload `{"<plural>": [objects], ...}` built from typed objects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetadataPayload {
    types: Map<String, Value>,
    problem: Option<String>,
}

impl MetadataPayload {
    /// An empty payload.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds objects of type `T` under `T::PLURAL` (after any added before).
    pub fn with<T: Resource>(mut self, objects: &[T]) -> Self {
        for object in objects {
            match serde_json::to_value(object) {
                Ok(v) => self.push_value(T::PLURAL, v),
                Err(e) => {
                    self.problem
                        .get_or_insert_with(|| format!("cannot serialise a {}: {e}", T::SINGULAR));
                }
            }
        }
        self
    }

    /// Adds references `{"id": uid}` of type `T`, e.g. for a bulk delete.
    pub fn with_ids<T: Resource, S: AsRef<str>>(mut self, uids: &[S]) -> Self {
        for uid in uids {
            self.push_value(T::PLURAL, serde_json::json!({"id": uid.as_ref()}));
        }
        self
    }

    /// Adds raw JSON objects under `plural`.
    pub fn with_raw(mut self, plural: &str, objects: Vec<Value>) -> Self {
        for v in objects {
            self.push_value(plural, v);
        }
        self
    }

    fn push_value(&mut self, plural: &str, value: Value) {
        match self
            .types
            .entry(plural.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(a) => a.push(value),
            other => *other = Value::Array(vec![value]),
        }
    }

    /// The number of objects in the payload.
    pub fn len(&self) -> usize {
        self.types
            .values()
            .filter_map(Value::as_array)
            .map(Vec::len)
            .sum()
    }

    /// `true` when the payload holds no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload as a JSON map.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.types
    }
}

impl Serialize for MetadataPayload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.types.serialize(serializer)
    }
}

/// A metadata export query (`GET /api/metadata`): chosen types, per-type `fields` and `filter`s, a global
/// `fields` (default `:owner`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataExport {
    params: Vec<(String, String)>,
}

impl MetadataExport {
    /// An export of nothing yet (with no type chosen DHIS2 exports every type).
    pub fn new() -> Self {
        Self::default()
    }

    fn push(mut self, key: String, value: String) -> Self {
        self.params.push((key, value));
        self
    }

    /// Exports type `T` (`{plural}=true`).
    pub fn of<T: Resource>(self) -> Self {
        self.of_plural(T::PLURAL)
    }

    /// Exports the type with collection key `plural` (`dataElements`, ...).
    pub fn of_plural(self, plural: &str) -> Self {
        self.push(plural.to_owned(), "true".to_owned())
    }

    /// Exports type `T` with these fields (`{plural}=true&{plural}:fields=...`).
    pub fn of_with<T: Resource>(self, fields: impl Into<Fields>) -> Self {
        self.of::<T>()
            .push(format!("{}:fields", T::PLURAL), fields.into().to_string())
    }

    /// Filters the objects of type `T` (`{plural}:filter=...`, repeatable).
    pub fn filter<T: Resource>(self, filter: Filter) -> Self {
        self.push(format!("{}:filter", T::PLURAL), filter.to_string())
    }

    /// The default `fields` of every exported type.
    pub fn fields(self, fields: impl Into<Fields>) -> Self {
        self.push("fields".to_owned(), fields.into().to_string())
    }

    /// `defaults=EXCLUDE`: leaves out the generated "default" category objects.
    pub fn exclude_defaults(self) -> Self {
        self.push("defaults".to_owned(), "EXCLUDE".to_owned())
    }

    /// `skipSharing`.
    pub fn skip_sharing(self, skip: bool) -> Self {
        self.push("skipSharing".to_owned(), bool_str(skip).to_owned())
    }

    /// Any other parameter.
    pub fn param(self, key: &str, value: &str) -> Self {
        self.push(key.to_owned(), value.to_owned())
    }

    /// The query parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

/// An export document: `{"system": {...}, "<plural>": [ ... ], ...}`, kept as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MetadataDocument {
    /// Every top-level key, verbatim.
    pub content: Map<String, Value>,
}

impl MetadataDocument {
    /// The `system` block (`id`, `rev`, `version`, `date`), when present.
    pub fn system(&self) -> Option<&Value> {
        self.content.get("system")
    }

    /// The collection keys present (every key but `system`).
    pub fn plurals(&self) -> impl Iterator<Item = &str> {
        self.content
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "system")
    }

    /// The objects of type `T`, decoded (empty when the type is absent). A decode failure names the JSON path.
    pub fn objects<T: Resource>(&self) -> Result<Vec<T>, Error> {
        let Some(v) = self.content.get(T::PLURAL) else {
            return Ok(Vec::new());
        };
        serde_path_to_error::deserialize(v).map_err(|e| Error::Decode {
            method: Method::GET,
            path: format!("/{PATH}"),
            json_path: crate::error::json_path(&format!(
                "{}{}",
                T::PLURAL,
                path_suffix(&e.path().to_string())
            )),
            source: e.into_inner(),
        })
    }

    /// The document as an import payload (everything but `system`), e.g. to copy metadata between servers.
    pub fn into_payload(mut self) -> MetadataPayload {
        self.content.remove("system");
        MetadataPayload {
            types: self.content,
            problem: None,
        }
    }
}

/// `[3].name` or `.` into a suffix for a collection name.
fn path_suffix(p: &str) -> String {
    if p == "." {
        String::new()
    } else if p.starts_with('[') {
        p.to_owned()
    } else {
        format!(".{p}")
    }
}

/// Reads the ImportReport out of an import answer: an enveloped one (200 `OK`, 409 `WARNING`/`ERROR`) or a bare
/// one (`/api/NN/metadata` with NN < 38 on 2.39-2.41). Anything else is the mapped error.
async fn read_report(
    status: StatusCode,
    bytes: bytes::Bytes,
    path: &str,
) -> Result<ImportReport, Error> {
    if status.is_success() || status == StatusCode::CONFLICT {
        // One parse: a bare report's keys (`typeReports`, `stats`) land in the message's `extra`.
        if let Ok(message) = serde_json::from_slice::<WebMessage>(&bytes) {
            let bare = message.extra.contains_key("typeReports")
                || (message.extra.contains_key("stats") && message.http_status_code.is_absent());
            if let Some(report) = message.into_import_report() {
                return Ok(report);
            }
            if bare {
                return exchange::decode_as(&Method::POST, path, &bytes);
            }
        }
    }
    Err(exchange::error_for(status, bytes, &Method::POST, path).await)
}

impl Metadata<'_> {
    fn body<B: Serialize + ?Sized>(payload: &B) -> Result<Vec<u8>, Error> {
        exchange::json_body(payload, "metadata payload")
    }

    /// Imports synchronously and returns the report, also when it has errors (check
    /// [`ImportReport::is_ok`], [`ImportReport::ignored`] and [`ImportReport::errors`]).
    pub async fn import<B: Serialize + ?Sized>(
        &self,
        payload: &B,
        options: &MetadataImportOptions,
    ) -> Result<ImportReport, Error> {
        let body = Self::body(payload)?;
        tracing::info!(target: "dhis2::metadata", bytes = body.len(), "importing metadata");
        let (status, bytes, path) =
            exchange::post_import(self.client, PATH, &options.params, None, body).await?;
        let report = read_report(status, bytes, &path).await?;
        tracing::info!(target: "dhis2::metadata", status = ?report.status.value(),
            ignored = report.ignored_count(), "metadata import finished");
        Ok(report)
    }

    /// Starts an async import (`async=true`) and returns the job (`METADATA_IMPORT`); wait with
    /// [`Tasks::wait`](super::tasks::Tasks::wait), or use [`import_and_wait`](Self::import_and_wait).
    pub async fn import_async<B: Serialize + ?Sized>(
        &self,
        payload: &B,
        options: &MetadataImportOptions,
    ) -> Result<JobRef, Error> {
        let (message, path): (WebMessage, _) =
            exchange::start_job(self.client, PATH, &options.params, Self::body(payload)?).await?;
        let job = message.job().ok_or_else(|| {
            exchange::decode_error(
                &Method::POST,
                &path,
                "response",
                "the answer to an async import carries no job with an id and a job type",
            )
        })?;
        JobRef::from_job(job).map_err(|e| {
            exchange::decode_error(
                &Method::POST,
                &path,
                "response",
                &format!("the answer to an async import names no usable job: {e}"),
            )
        })
    }

    /// Imports as an async job, waits for it (polling per `wait`) and returns the job's ImportReport.
    pub async fn import_and_wait<B: Serialize + ?Sized>(
        &self,
        payload: &B,
        options: &MetadataImportOptions,
        wait: WaitOptions,
    ) -> Result<ImportReport, Error> {
        let job = self.import_async(payload, options).await?;
        self.client
            .tasks()
            .wait_for_summary::<ImportReport>(&job, wait)
            .await?
            .ok_or_else(|| Error::JobFailed {
                job_type: job.job_type().to_owned(),
                job_id: job.id().to_owned(),
                message: "the job finished without an import report".to_owned(),
            })
    }

    async fn bulk(
        &self,
        payload: &MetadataPayload,
        strategy: ImportStrategy,
        options: MetadataImportOptions,
    ) -> Result<ImportReport, Error> {
        if let Some(problem) = &payload.problem {
            return Err(Error::Config(problem.clone()));
        }
        // A full report lists every object, so callers see the uids of what was created or deleted.
        let options = options
            .strategy(strategy)
            .or_param("importReportMode", ImportReportMode::Full.as_str());
        self.import(payload, &options).await
    }

    /// Creates every object of `payload` in one call (`importStrategy=CREATE`, full report). With the default
    /// `atomicMode=ALL` nothing is created when any object is invalid; pass `AtomicMode::None` in `options` to
    /// keep the valid ones.
    pub async fn create_all(
        &self,
        payload: &MetadataPayload,
        options: MetadataImportOptions,
    ) -> Result<ImportReport, Error> {
        self.bulk(payload, ImportStrategy::Create, options).await
    }

    /// Updates every object of `payload` in one call (`importStrategy=UPDATE`, full report).
    pub async fn update_all(
        &self,
        payload: &MetadataPayload,
        options: MetadataImportOptions,
    ) -> Result<ImportReport, Error> {
        self.bulk(payload, ImportStrategy::Update, options).await
    }

    /// Deletes every object of `payload` in one call (`importStrategy=DELETE`, full report); the objects only
    /// need their ids ([`MetadataPayload::with_ids`]).
    pub async fn delete_all(
        &self,
        payload: &MetadataPayload,
        options: MetadataImportOptions,
    ) -> Result<ImportReport, Error> {
        self.bulk(payload, ImportStrategy::Delete, options).await
    }

    /// Exports the chosen types (`GET /api/metadata`).
    pub async fn export(&self, query: &MetadataExport) -> Result<MetadataDocument, Error> {
        self.client
            .get(PATH, &exchange::borrow(&query.params))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::DataElement;

    #[test]
    fn options_render_and_replace() {
        let o = MetadataImportOptions::new()
            .strategy(ImportStrategy::Create)
            .atomic_mode(AtomicMode::None)
            .validate_only(true)
            .identifier(Identifier::Code)
            .report_mode(ImportReportMode::Full)
            .preheat_mode(PreheatMode::All)
            .flush_mode(FlushMode::Object)
            .skip_sharing(true)
            .strategy(ImportStrategy::Update);
        let p: Vec<(&str, &str)> = exchange::borrow(o.params());
        assert_eq!(
            p,
            vec![
                ("atomicMode", "NONE"),
                ("importMode", "VALIDATE"),
                ("identifier", "CODE"),
                ("importReportMode", "FULL"),
                ("preheatMode", "ALL"),
                ("flushMode", "OBJECT"),
                ("skipSharing", "true"),
                ("importStrategy", "UPDATE"),
            ]
        );
        let kept = o.or_param("importReportMode", "ERRORS");
        assert!(kept
            .params()
            .contains(&("importReportMode".to_owned(), "FULL".to_owned())));
    }

    #[test]
    fn payload_groups_by_plural() {
        let mut de = DataElement::default();
        de.name.set("A".to_owned());
        let p = MetadataPayload::new()
            .with(&[de.clone(), de])
            .with_ids::<DataElement, _>(&["abcdefghijk"]);
        assert_eq!(p.len(), 3);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["dataElements"][2]["id"], "abcdefghijk");
        assert_eq!(v["dataElements"][0]["name"], "A");
    }

    #[test]
    fn export_params() {
        let q = MetadataExport::new()
            .of_with::<DataElement>("id,name")
            .filter::<DataElement>(Filter::on("name").like("ANC"))
            .exclude_defaults();
        assert_eq!(
            q.params(),
            &[
                ("dataElements".to_owned(), "true".to_owned()),
                ("dataElements:fields".to_owned(), "id,name".to_owned()),
                ("dataElements:filter".to_owned(), "name:like:ANC".to_owned()),
                ("defaults".to_owned(), "EXCLUDE".to_owned()),
            ]
        );
    }
}
