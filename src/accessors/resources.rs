//! `client.resources()`: typed CRUD for every metadata type (`/api/{plural}`), version-bound.
//!
//! ```no_run
//! use dhis2::models::DataElement;
//! use dhis2::query::{Filter, Query};
//! use futures_util::TryStreamExt;
//!
//! # async fn run(client: dhis2::Dhis2Client) -> Result<(), dhis2::Error> {
//! let elements = client.resources()?.of::<DataElement>();
//! let page = elements
//!     .list(&Query::new().fields("id,name,valueType").filter(Filter::on("name").ilike("anc")))
//!     .await?;
//! println!("{} of {:?}", page.items.len(), page.total());
//! // Every page, prefetching the next one while this one is consumed.
//! let all: Vec<DataElement> = elements.stream(&Query::new().fields("id,name").page_size(200)).try_collect().await?;
//! # let _ = all;
//! # Ok(())
//! # }
//! ```
//!
//! Failures are [`Error`]s; a rejected write (409) is an [`Error::Api`] whose
//! [`error_reports`](Error::error_reports) are the ObjectReport's error reports (`E4000` missing required
//! property, `E5003` duplicate unique property, `E5002` missing reference, ...).
//!
//! Version binding: `resources()` needs the version the handshake found (it fails with
//! [`Error::VersionUnknown`] under `skip_version_probe`); a type the server's schema set lacks, or a filter the
//! server cannot read (`!empty` before 2.42), is refused before sending with [`Error::UnsupportedVersion`]. The
//! per-version differences are listed in [`crate::versioning`].

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use http::Method;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::exchange;
use crate::models::{
    Field, JsonPatch, ObjectReport, Pager, Resource, Uid, WebMessage, WebMessageResponse,
};
use crate::query::{Fields, Operator, Query};
use crate::versioning::Capabilities;
use crate::{Dhis2Client, Error};

/// Typed metadata endpoints. Get one with [`Dhis2Client::resources`], then pick a type with [`Resources::of`].
#[derive(Debug, Clone)]
pub struct Resources<'a> {
    client: &'a Dhis2Client,
    caps: Capabilities,
}

impl Dhis2Client {
    /// Typed CRUD for every metadata type, bound to the server's version. Fails before connect
    /// ([`Error::NotConnected`]) and with `skip_version_probe` ([`Error::VersionUnknown`]).
    pub fn resources(&self) -> Result<Resources<'_>, Error> {
        Ok(Resources {
            client: self,
            caps: self.capabilities()?,
        })
    }
}

impl<'a> Resources<'a> {
    /// The endpoints of type `T`, e.g. `of::<DataElement>()` for `/api/dataElements`.
    pub fn of<T: Resource>(&self) -> Collection<'a, T> {
        Collection {
            client: self.client,
            caps: self.caps.clone(),
            _type: PhantomData,
        }
    }

    /// What the server's version supports.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }
}

/// The endpoints of one metadata type `T` (`/api/{T::PLURAL}`).
pub struct Collection<'a, T> {
    client: &'a Dhis2Client,
    caps: Capabilities,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Collection<'_, T> {
    fn clone(&self) -> Self {
        Collection {
            client: self.client,
            caps: self.caps.clone(),
            _type: PhantomData,
        }
    }
}

impl<T: Resource> fmt::Debug for Collection<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collection")
            .field("endpoint", &T::ENDPOINT)
            .field("version", &self.caps.version().to_string())
            .finish()
    }
}

/// The stream [`Collection::stream`] returns: every object of every page, boxed so it is `Unpin` and nameable.
pub type ResourceStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'static>>;

/// One page of a list: the pager (absent with `paging=false`) and the typed objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The pager, when paging was on.
    pub pager: Option<Pager>,
    /// The objects of this page.
    pub items: Vec<T>,
    /// Other top-level keys, kept verbatim.
    pub extra: Map<String, Value>,
}

impl<T> Page<T> {
    /// Total number of matching objects, from the pager.
    pub fn total(&self) -> Option<u64> {
        self.pager.as_ref().and_then(|p| p.total.get())
    }

    /// The page number the server answered (it clamps requests past the end).
    pub fn page(&self) -> Option<u64> {
        self.pager.as_ref().and_then(|p| p.page.get())
    }

    /// `true` when the pager says a later page exists.
    pub fn has_next(&self) -> bool {
        self.pager.as_ref().is_some_and(Pager::has_next)
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'de, T: Resource> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PageVisitor<T>(PhantomData<fn() -> T>);

        impl<'de, T: Resource> Visitor<'de> for PageVisitor<T> {
            type Value = Page<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a DHIS2 list with a `{}` array", T::PLURAL)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
                let mut pager = None;
                let mut items = None;
                let mut extra = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "pager" {
                        pager = map.next_value::<Option<Pager>>()?;
                    } else if key == T::PLURAL && items.is_none() {
                        items = Some(map.next_value::<Vec<T>>()?);
                    } else {
                        extra.insert(key, map.next_value()?);
                    }
                }
                Ok(Page {
                    pager,
                    items: items.ok_or_else(|| de::Error::missing_field(T::PLURAL))?,
                    extra,
                })
            }
        }

        deserializer.deserialize_map(PageVisitor(PhantomData))
    }
}

impl<T: Resource> Serialize for Page<T> {
    /// Writes the list back as DHIS2 sent it: `pager` first, then the collection, then the other keys.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(p) = &self.pager {
            map.serialize_entry("pager", p)?;
        }
        map.serialize_entry(T::PLURAL, &self.items)?;
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The ObjectReport of a write answer (an empty one when the server sent none, e.g. a 204).
fn into_report(message: WebMessage) -> ObjectReport {
    match message.response {
        Field::Value(WebMessageResponse::ObjectReport(r)) => r,
        _ => ObjectReport::default(),
    }
}

impl<'a, T: Resource> Collection<'a, T> {
    /// `/api/{plural}`, without the leading slash.
    fn endpoint(&self) -> &'static str {
        T::ENDPOINT.trim_start_matches('/')
    }

    /// `api/{plural}/{uid}`; the uid is checked first (see [`crate::path::uid_segment`]).
    fn object_path(&self, uid: &str) -> Result<String, Error> {
        let uid = crate::path::uid_segment(T::SINGULAR, uid)?;
        Ok(format!("{}/{uid}", self.endpoint()))
    }

    /// Refuses a type the server's schema set does not have.
    fn check_type(&self) -> Result<(), Error> {
        let label = self.caps.schema_label();
        if T::INFO.in_version(label) {
            Ok(())
        } else {
            Err(Error::UnsupportedVersion {
                version: self.caps.version().to_string(),
                reason: format!(
                    "{} ({}) is not served by this version; it exists in {}",
                    T::PLURAL,
                    T::KLASS,
                    T::INFO.versions.join(", ")
                ),
            })
        }
    }

    /// Refuses queries DHIS2 would misread or reject for this version.
    fn check_query(&self, query: &Query) -> Result<(), Error> {
        self.check_type()?;
        if let Some(problem) = query.problem() {
            return Err(Error::Config(format!("GET {}: {problem}", T::ENDPOINT)));
        }
        let not_empty = query
            .filters()
            .iter()
            .any(|f| f.operator() == Operator::NotEmpty);
        if not_empty && !self.caps.supports_not_empty_filter() {
            return Err(Error::UnsupportedVersion {
                version: self.caps.version().to_string(),
                reason: "the `!empty` filter operator needs DHIS2 2.42 or later; use `empty` with \
                         rootJunction or filter on the size (`prop:gt:0`)"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// One page of objects (`GET /api/{plural}` with the query's parameters).
    pub async fn list(&self, query: &Query) -> Result<Page<T>, Error> {
        self.check_query(query)?;
        let params = query.to_params();
        self.client
            .get::<Page<T>>(self.endpoint(), &exchange::borrow(&params))
            .await
    }

    /// The number of objects matching the query's filters (one request for a one-object page of ids).
    pub async fn count(&self, query: &Query) -> Result<u64, Error> {
        let q = query.clone().fields("id").page(1).page_size(1).paging(true);
        let page = self.list(&q).await?;
        Ok(page.total().unwrap_or(page.items.len() as u64))
    }

    /// Every object matching the query, page by page, as a stream. The next page is fetched in the background
    /// while the caller consumes the current one. The walk stops after the last page (per the pager), at an
    /// empty page, or when the server answers a lower page number than asked for (it clamps requests past the
    /// end); that answer's objects are not yielded again. With `paging(false)` it makes one request. After an
    /// error the stream ends. Starts at the query's `page` (default 1) with its `pageSize` (default 50).
    pub fn stream(&self, query: &Query) -> ResourceStream<T> {
        let check = self.check_query(query);
        let walk = Walk::<T> {
            client: self.client.clone(),
            base: query
                .to_params()
                .into_iter()
                .filter(|(k, _)| k != "page" && k != "pageSize" && k != "paging")
                .collect(),
            page_size: query.page_size_value().unwrap_or(50),
            paging: query.paging_value().unwrap_or(true),
            next_page: query.page_number().unwrap_or(1).max(1),
            buffer: VecDeque::new(),
            pending: None,
            started: false,
            failed: check.err(),
            last_first_id: None,
        };
        Box::pin(futures_util::stream::unfold(walk, Walk::step))
    }

    /// One object with every field (`fields=*`).
    pub async fn get(&self, uid: &str) -> Result<T, Error> {
        self.check_type()?;
        self.client.get::<T>(&self.object_path(uid)?, &[]).await
    }

    /// One object with the chosen fields.
    pub async fn get_with(&self, uid: &str, fields: impl Into<Fields>) -> Result<T, Error> {
        self.check_type()?;
        let fields = fields.into().to_string();
        self.client
            .get::<T>(&self.object_path(uid)?, &[("fields", fields.as_str())])
            .await
    }

    /// Creates an object and returns its uid (DHIS2's `response.uid`; the object's own `id` is used when set).
    /// A rejected object is an [`Error::Api`] (409) carrying the error reports.
    pub async fn create(&self, object: &T) -> Result<Uid, Error> {
        self.check_type()?;
        let path = self.endpoint();
        let message: WebMessage = self.client.post(path, object, &[]).await?;
        let uid = message.uid().ok_or_else(|| {
            exchange::decode_error(
                &Method::POST,
                T::ENDPOINT,
                "response.uid",
                "the answer to a create carries no `response.uid`",
            )
        })?;
        Uid::parse(uid).map_err(|e| {
            exchange::decode_error(
                &Method::POST,
                T::ENDPOINT,
                "response.uid",
                &format!("the new id {uid:?} is not a valid UID: {e}"),
            )
        })
    }

    /// Replaces the object with `object.id()` (`PUT`); returns the ObjectReport.
    pub async fn update(&self, object: &T) -> Result<ObjectReport, Error> {
        let uid = object.id().ok_or_else(|| {
            Error::Config(format!(
                "cannot update a {} without an id: set `id` or use update_by_id",
                T::SINGULAR
            ))
        })?;
        self.update_by_id(uid, object).await
    }

    /// Replaces the object `uid` with `object` (`PUT /api/{plural}/{uid}`); returns the ObjectReport.
    pub async fn update_by_id(&self, uid: &str, object: &T) -> Result<ObjectReport, Error> {
        self.check_type()?;
        let message: WebMessage = self
            .client
            .put(&self.object_path(uid)?, object, &[])
            .await?;
        Ok(into_report(message))
    }

    /// Applies a JSON Patch (`PATCH /api/{plural}/{uid}`, `application/json-patch+json`); returns the
    /// ObjectReport. DHIS2 accepts `add`, `remove`, `remove-by-id` and `replace` only.
    pub async fn patch(&self, uid: &str, patch: &JsonPatch) -> Result<ObjectReport, Error> {
        self.check_type()?;
        let message: WebMessage = self
            .client
            .patch(&self.object_path(uid)?, patch, &[])
            .await?;
        Ok(into_report(message))
    }

    /// Deletes the object (`DELETE /api/{plural}/{uid}`; DHIS2 answers 200 with an ObjectReport).
    pub async fn delete(&self, uid: &str) -> Result<ObjectReport, Error> {
        self.check_type()?;
        let message: WebMessage = self.client.delete(&self.object_path(uid)?, &[]).await?;
        Ok(into_report(message))
    }
}

/// A spawned page request, aborted when dropped (so dropping the stream cancels the prefetch).
struct Prefetch<T> {
    page: u64,
    path: &'static str,
    handle: tokio::task::JoinHandle<Result<Page<T>, Error>>,
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl<T> Future for Prefetch<T> {
    type Output = Result<Page<T>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let path = self.path;
        Pin::new(&mut self.handle).poll(cx).map(|joined| {
            joined.unwrap_or_else(|e| {
                Err(Error::Transport {
                    method: Method::GET,
                    path: path.to_owned(),
                    source: Box::new(e),
                })
            })
        })
    }
}

/// The state of a [`Collection::stream`] walk.
struct Walk<T> {
    client: Dhis2Client,
    /// The query's parameters without `page`, `pageSize` and `paging`.
    base: Vec<(String, String)>,
    page_size: u64,
    paging: bool,
    next_page: u64,
    buffer: VecDeque<T>,
    pending: Option<Prefetch<T>>,
    started: bool,
    /// A problem found before the first request; yielded once.
    failed: Option<Error>,
    /// The id of the first object of the last page taken, to notice a server that ignores `page`.
    last_first_id: Option<String>,
}

impl<T: Resource> Walk<T> {
    /// Spawns the request for `self.next_page` (the whole list without paging).
    fn spawn_next(&mut self) {
        let page = self.next_page;
        let mut params = exchange::borrow(&self.base);
        let (page_s, size_s) = (page.to_string(), self.page_size.to_string());
        if self.paging {
            params.push(("page", &page_s));
            params.push(("pageSize", &size_s));
        } else {
            params.push(("paging", "false"));
        }
        let fut = self
            .client
            .get::<Page<T>>(T::ENDPOINT.trim_start_matches('/'), &params);
        self.pending = Some(Prefetch {
            page,
            path: T::ENDPOINT,
            handle: tokio::spawn(fut),
        });
    }

    /// Decides from an answer for page `asked` which objects to yield and whether to prefetch the next page.
    fn take(&mut self, asked: u64, page: Page<T>) {
        let Some(pager) = page.pager.as_ref().filter(|_| self.paging) else {
            // No paging: the whole list came at once.
            self.buffer.extend(page.items);
            return;
        };
        if pager.page.get().is_some_and(|got| got < asked) {
            // Clamped past the end: this is an earlier page again.
            return;
        }
        if page.items.is_empty() {
            return;
        }
        // A page starting with the same object as the previous one is a repeat (the server ignored `page`).
        let first_id = page.items.first().and_then(T::id).map(str::to_owned);
        if first_id.is_some() && first_id == self.last_first_id {
            return;
        }
        self.last_first_id = first_id;
        let more = pager.has_next()
            || (pager.page_count.is_absent() && page.items.len() as u64 >= self.page_size);
        if more {
            self.next_page = asked + 1;
            self.spawn_next();
        }
        self.buffer.extend(page.items);
    }

    async fn step(mut self) -> Option<(Result<T, Error>, Self)> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some((Ok(item), self));
            }
            if let Some(err) = self.failed.take() {
                self.started = true;
                return Some((Err(err), self));
            }
            if !self.started {
                self.started = true;
                self.spawn_next();
            }
            let pending = self.pending.take()?;
            let asked = pending.page;
            match pending.await {
                Ok(page) => self.take(asked, page),
                Err(e) => return Some((Err(e), self)),
            }
        }
    }
}
