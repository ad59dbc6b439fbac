//! `GET /api/dataValueSets`: the streamed JSON export.
//!
//! The body is produced in ~64 KiB chunks. Stored rows are read under the store lock one chunk at a time (the
//! lock is released between chunks); synthetic rows are computed from their index, so even a multi-GiB export
//! holds only one chunk in memory.

use std::collections::HashSet;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::model::{format_millis_utc, parse_date_millis, DataValue, Uid};
use super::{period, synthetic, Params};
use crate::state::AppState;
use crate::store::Store;
use crate::web::{self, WebMessage};

/// Target size of one body chunk.
const CHUNK: usize = 64 * 1024;
/// Target size of one chunk of a synthetic export (fewer, larger writes for the largest exports).
const SYNTHETIC_CHUNK: usize = 256 * 1024;

/// Which rows an export selects.
#[derive(Debug, Default)]
pub(super) struct Filter {
    elements: HashSet<Uid>,
    periods: Option<HashSet<String>>,
    /// Inclusive day range for `startDate`/`endDate`.
    range: Option<(i64, i64)>,
    org_units: HashSet<Uid>,
    last_updated: Option<i64>,
    include_deleted: bool,
    limit: Option<u64>,
}

impl Filter {
    fn matches(&self, v: &DataValue) -> bool {
        if v.deleted && !self.include_deleted {
            return false;
        }
        if !self.elements.contains(&v.data_element) || !self.org_units.contains(&v.org_unit) {
            return false;
        }
        if let Some(ps) = &self.periods {
            if !ps.contains(&*v.period) {
                return false;
            }
        }
        if let Some((start, end)) = self.range {
            match period::parse(&v.period) {
                Some(p) if p.start_day >= start && p.end_day <= end => {}
                _ => return false,
            }
        }
        if let Some(lu) = self.last_updated {
            if v.last_updated < lu {
                return false;
            }
        }
        true
    }
}

fn illegal(code: &str, msg: &str) -> Box<WebMessage> {
    Box::new(WebMessage::error(409, msg).error_code(code))
}

/// Parses and validates the export parameters against the store (DHIS2's `E20xx` checks).
pub(super) fn build_filter(store: &Store, p: &Params) -> Result<Filter, Box<WebMessage>> {
    let mut elements = HashSet::new();
    for ds in p.all("dataSet") {
        if let Some(obj) = store.get("dataSets", &ds) {
            for e in obj
                .get("dataSetElements")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(u) = e
                    .get("dataElement")
                    .and_then(|d| d.get("id"))
                    .and_then(Value::as_str)
                    .and_then(Uid::parse)
                {
                    elements.insert(u);
                }
            }
        }
    }
    for de in p.all("dataElement") {
        if store.get("dataElements", &de).is_some() {
            elements.extend(Uid::parse(&de));
        }
    }
    for g in p.all("dataElementGroup") {
        if let Some(obj) = store.get("dataElementGroups", &g) {
            for d in obj
                .get("dataElements")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                elements.extend(d.get("id").and_then(Value::as_str).and_then(Uid::parse));
            }
        }
    }
    if elements.is_empty() {
        return Err(illegal(
            "E2001",
            "At least one data element, data set or data element group must be specified",
        ));
    }

    let periods = p.all("period");
    let (start, end) = (p.get("startDate"), p.get("endDate"));
    let last_updated = match p.get("lastUpdated") {
        Some(s) => Some(
            parse_date_millis(s)
                .ok_or_else(|| Box::new(WebMessage::error(409, format!("Invalid date: `{s}`"))))?,
        ),
        None => None,
    };
    if periods.is_empty() && (start.is_none() || end.is_none()) && last_updated.is_none() {
        return Err(illegal(
            "E2002",
            "At least one period, start/end dates, last updated or last updated duration must be specified",
        ));
    }
    if !periods.is_empty() && (start.is_some() || end.is_some()) {
        return Err(illegal(
            "E2003",
            "Both periods and start/end date cannot be specified",
        ));
    }
    let range = match (start, end) {
        (Some(s), Some(e)) => {
            let bad = |d: &str| Box::new(WebMessage::error(409, format!("Invalid date: `{d}`")));
            let s_ms = parse_date_millis(s).ok_or_else(|| bad(s))?;
            let e_ms = parse_date_millis(e).ok_or_else(|| bad(e))?;
            if s_ms > e_ms {
                return Err(illegal("E2004", "Start date must be before end date"));
            }
            Some((s_ms.div_euclid(86_400_000), e_ms.div_euclid(86_400_000)))
        }
        _ => None,
    };

    let roots = p.all("orgUnit");
    let children = p.flag("children", false);
    let mut org_units = HashSet::new();
    if children {
        let root_set: HashSet<&str> = roots
            .iter()
            .map(String::as_str)
            .filter(|r| store.get("organisationUnits", r).is_some())
            .collect();
        if !root_set.is_empty() {
            for ou in store.list("organisationUnits") {
                let path = ou.get("path").and_then(Value::as_str).unwrap_or("");
                if path.split('/').any(|seg| root_set.contains(seg)) {
                    org_units.extend(ou.get("id").and_then(Value::as_str).and_then(Uid::parse));
                }
            }
        }
    } else {
        for r in &roots {
            if store.get("organisationUnits", r).is_some() {
                org_units.extend(Uid::parse(r));
            }
        }
    }
    for g in p.all("orgUnitGroup") {
        if let Some(obj) = store.get("organisationUnitGroups", &g) {
            for m in obj
                .get("organisationUnits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                org_units.extend(m.get("id").and_then(Value::as_str).and_then(Uid::parse));
            }
        }
    }
    if org_units.is_empty() {
        return Err(illegal(
            "E2006",
            "At least one organisation unit or organisation unit group must be specified",
        ));
    }
    let limit = match p.get("limit") {
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n < 0 => {
                return Err(illegal(
                    "E2009",
                    &format!("Limit cannot be less than zero: `{n}`"),
                ))
            }
            Ok(n) => Some(n.unsigned_abs()),
            Err(_) => {
                return Err(Box::new(WebMessage::error(
                    400,
                    format!("Value '{l}' is not valid for parameter limit."),
                )))
            }
        },
        None => None,
    };
    Ok(Filter {
        elements,
        periods: (!periods.is_empty()).then(|| periods.into_iter().collect()),
        range,
        org_units,
        last_updated,
        include_deleted: p.flag("includeDeleted", false),
        limit,
    })
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    // serde_json's escaping of a string is the JSON we need; it cannot fail on a &str.
    if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}

/// Appends one data value as JSON (DHIS2's key order; `comment` only when set, `deleted` only when true).
pub(super) fn write_row(out: &mut Vec<u8>, v: &DataValue) {
    out.extend_from_slice(b"{\"dataElement\":\"");
    out.extend_from_slice(v.data_element.as_str().as_bytes());
    out.extend_from_slice(b"\",\"period\":");
    push_str(out, &v.period);
    out.extend_from_slice(b",\"orgUnit\":\"");
    out.extend_from_slice(v.org_unit.as_str().as_bytes());
    out.extend_from_slice(b"\",\"categoryOptionCombo\":\"");
    out.extend_from_slice(v.category_option_combo.as_str().as_bytes());
    out.extend_from_slice(b"\",\"attributeOptionCombo\":\"");
    out.extend_from_slice(v.attribute_option_combo.as_str().as_bytes());
    out.push(b'"');
    if let Some(val) = &v.value {
        out.extend_from_slice(b",\"value\":");
        push_str(out, val);
    }
    out.extend_from_slice(b",\"storedBy\":");
    push_str(out, &v.stored_by);
    let created = format_millis_utc(v.created);
    out.extend_from_slice(b",\"created\":\"");
    out.extend_from_slice(created.as_bytes());
    out.extend_from_slice(b"\",\"lastUpdated\":\"");
    if v.last_updated == v.created {
        // Most rows were never edited: format the timestamp once.
        out.extend_from_slice(created.as_bytes());
    } else {
        out.extend_from_slice(format_millis_utc(v.last_updated).as_bytes());
    }
    out.push(b'"');
    if let Some(c) = &v.comment {
        out.extend_from_slice(b",\"comment\":");
        push_str(out, c);
    }
    out.extend_from_slice(if v.follow_up {
        b",\"followup\":true"
    } else {
        b",\"followup\":false"
    });
    if v.deleted {
        out.extend_from_slice(b",\"deleted\":true");
    }
    out.push(b'}');
}

/// Where a streamed export stands.
enum Cursor {
    Store {
        state: AppState,
        filter: Box<Filter>,
        pos: usize,
    },
    Synthetic {
        next: u64,
        total: u64,
    },
}

struct ExportStream {
    cursor: Cursor,
    written: u64,
    started: bool,
    done: bool,
}

impl ExportStream {
    /// Produces the next chunk, or `None` at the end.
    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        let capacity = match self.cursor {
            Cursor::Store { .. } => CHUNK,
            Cursor::Synthetic { .. } => SYNTHETIC_CHUNK,
        };
        let mut out = Vec::with_capacity(capacity + 1024);
        if !self.started {
            out.extend_from_slice(b"{\"dataValues\":[");
            self.started = true;
        }
        let mut finished = false;
        match &mut self.cursor {
            Cursor::Store { state, filter, pos } => {
                let store = state.store_read();
                let limit = filter.limit.unwrap_or(u64::MAX);
                while out.len() < CHUNK {
                    if self.written >= limit {
                        finished = true;
                        break;
                    }
                    let Some(v) = store.data_values.get(*pos) else {
                        finished = true;
                        break;
                    };
                    *pos += 1;
                    if filter.matches(v) {
                        if self.written > 0 {
                            out.push(b',');
                        }
                        write_row(&mut out, v);
                        self.written += 1;
                    }
                }
            }
            Cursor::Synthetic { next, total } => {
                let basis = crate::seed::synthetic_basis();
                // Rows are formatted straight into the chunk (no row value built), in bigger chunks: this loop
                // is all a multi-GiB export costs the server, and it must outrun any client.
                while out.len() < SYNTHETIC_CHUNK {
                    if *next >= *total {
                        finished = true;
                        break;
                    }
                    let mark = out.len();
                    if self.written > 0 {
                        out.push(b',');
                    }
                    if synthetic::write_row(&mut out, basis, *next) {
                        self.written += 1;
                    } else {
                        out.truncate(mark);
                    }
                    *next += 1;
                }
            }
        }
        if finished {
            out.extend_from_slice(b"]}");
            self.done = true;
        }
        Some(Bytes::from(out))
    }
}

/// `GET /api/dataValueSets` (also `.json`).
pub(super) async fn get_data_value_set(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let filter = {
        let store = state.store_read();
        build_filter(&store, &params)
    };
    let cursor = match (filter, state.config().synthetic_data_values) {
        (Err(msg), None) => return (*msg).into_response(),
        (_, Some(total)) => Cursor::Synthetic { next: 0, total },
        (Ok(filter), None) => Cursor::Store {
            state: state.clone(),
            filter: Box::new(filter),
            pos: 0,
        },
    };
    let stream = ExportStream {
        cursor,
        written: 0,
        started: false,
        done: false,
    };
    let body = futures_util::stream::unfold(stream, |mut s| async move {
        // Let other tasks run between chunks of a long export.
        tokio::task::yield_now().await;
        s.next_chunk()
            .map(|chunk| (Ok::<Bytes, std::convert::Infallible>(chunk), s))
    });
    let mut resp = Response::new(Body::from_stream(body));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(web::JSON_UTF8),
    );
    resp
}
