//! The tracker API: `/api/tracker/{trackedEntities,enrollments,events,relationships}` export with the per-version
//! envelopes of WIRE.md §4.3, and `POST /api/tracker` import, async by default (§9.3).
//!
//! Tracker data is generated deterministically on first use (`tracker/seed.rs`) and lives in this module's own
//! state, attached to its routes as an extension, so every emulator instance has its own copy.

mod export;
mod import;
pub(crate) mod seed;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use crate::params::query_pairs;
use crate::state::{lock, AppState};
use crate::web::{self, WebMessage};
use export::{Kind, Params};
use seed::{Prng, TrackerData};

/// A finished (or running) tracker import job.
#[derive(Debug, Clone)]
struct TrackerJob {
    notifications: Vec<Value>,
    report: Value,
}

/// State of the tracker area: the data (seeded on first use) and the async import jobs.
#[derive(Default)]
pub(crate) struct TrackerState {
    data: Mutex<Option<TrackerData>>,
    jobs: Mutex<HashMap<String, TrackerJob>>,
    rng: Mutex<Option<Prng>>,
}

type Shared = Arc<TrackerState>;

/// Routes of the tracker area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/tracker", post(import_handler))
        .route("/api/tracker/", post(import_handler))
        .route("/api/tracker/jobs/{uid}", get(job_notifications))
        .route("/api/tracker/jobs/{uid}/report", get(job_report))
        // The same job through the generic task endpoints (DHIS2 lists tracker jobs there too).
        .route(
            "/api/system/tasks/TRACKER_IMPORT_JOB/{uid}",
            get(system_task),
        )
        .route(
            "/api/system/taskSummaries/TRACKER_IMPORT_JOB/{uid}",
            get(job_summary),
        )
        .route("/api/tracker/{kind}", get(list_handler))
        .route("/api/tracker/{kind}/", get(list_handler))
        .route("/api/tracker/{kind}/{uid}", get(single_handler))
        .layer(Extension(Shared::default()))
}

/// A DHIS2 WebMessage error answer.
fn message(status: StatusCode, text: &str) -> Response {
    WebMessage::error(status.as_u16(), text).into_response()
}

fn parse_query(raw: Option<String>) -> Params {
    query_pairs(raw.as_deref())
}

/// The tracker object kind a path segment names, or the 404 answer.
fn kind_of(segment: &str) -> Result<Kind, Response> {
    match segment {
        "trackedEntities" => Ok(Kind::TrackedEntities),
        "enrollments" => Ok(Kind::Enrollments),
        "events" => Ok(Kind::Events),
        "relationships" => Ok(Kind::Relationships),
        _ => Err(message(
            StatusCode::NOT_FOUND,
            &format!("Tracker resource `{segment}` does not exist."),
        )),
    }
}

/// Leaf org units of the store (the records are spread over them), or none for an empty seed.
fn leaf_org_units(state: &AppState) -> Vec<String> {
    let store = state.store_read();
    let units: Vec<&Value> = store.list("organisationUnits").collect();
    let max_level = units
        .iter()
        .filter_map(|u| u.get("level").and_then(Value::as_u64))
        .max();
    units
        .iter()
        .filter(|u| max_level.is_none() || u.get("level").and_then(Value::as_u64) == max_level)
        .filter_map(|u| u.get("id").and_then(Value::as_str).map(String::from))
        .collect()
}

/// Org unit UID -> `path`, for the `CHILDREN` and `DESCENDANTS` org unit modes.
fn org_unit_paths(state: &AppState) -> HashMap<String, String> {
    let store = state.store_read();
    store
        .list("organisationUnits")
        .filter_map(|u| {
            let id = u.get("id")?.as_str()?;
            let path = u.get("path")?.as_str()?;
            Some((id.to_string(), path.to_string()))
        })
        .collect()
}

/// Runs `f` on the tracker data, seeding it first when needed.
fn with_data<R>(
    state: &AppState,
    shared: &TrackerState,
    f: impl FnOnce(&mut TrackerData) -> R,
) -> R {
    let mut guard = lock(&shared.data);
    if guard.is_none() {
        let units = leaf_org_units(state);
        let mut data = seed::generate(&units);
        // The 2.43+ event views (`TrackerSingleEvent`, `TrackerTrackerEvent`) have no `attributeCategoryOptions`.
        if state.version().major() >= 43 {
            for event in &mut data.events {
                if let Value::Object(m) = event {
                    m.remove("attributeCategoryOptions");
                }
            }
        }
        // 2.41's relationship view has no `deleted` (2.42 added it).
        if state.version().major() <= 41 {
            for relationship in &mut data.relationships {
                if let Value::Object(m) = relationship {
                    m.remove("deleted");
                }
            }
        }
        *guard = Some(data);
    }
    let data = guard.get_or_insert_with(TrackerData::default);
    f(data)
}

fn base_url(headers: &HeaderMap, path: &str) -> String {
    format!("{}{path}", crate::web::context_path(headers))
}

async fn list_handler(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let kind = match kind_of(&segment) {
        Ok(kind) => kind,
        Err(response) => return response,
    };
    let params = parse_query(query);
    let minor = state.version().major();
    let base = base_url(&headers, &format!("/api/tracker/{}", kind.plural()));
    let paths = org_unit_paths(&state);
    match with_data(&state, &shared, |data| {
        export::list(data, kind, &params, minor, &base, &paths)
    }) {
        Ok(body) => web::json_cached(200, &body, web::NO_CACHE_PRIVATE),
        Err(text) => message(StatusCode::BAD_REQUEST, &text),
    }
}

async fn single_handler(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Path((segment, uid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let kind = match kind_of(&segment) {
        Ok(kind) => kind,
        Err(response) => return response,
    };
    let params = parse_query(query);
    let found = with_data(&state, &shared, |data| {
        export::find(data, kind, &uid).map(|object| export::render(kind, data, object, &params))
    });
    match found {
        Some(body) => Json(body).into_response(),
        None => message(
            StatusCode::NOT_FOUND,
            &format!("{} with id {uid} could not be found.", kind.display()),
        ),
    }
}

/// How an async tracker job ends: the emulator-only `emulatorJobOutcome` parameter (`fail`, `hang`) mirrors the
/// test hook of `jobs.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Complete,
    Fail,
    Hang,
}

/// Pause between the job's steps, so a poller can see it running.
const STEP_DELAY: std::time::Duration = std::time::Duration::from_millis(40);

fn notification(job_id: &str, n: usize, level: &str, message: &str, completed: bool) -> Value {
    let id = format!("{job_id}-{n}");
    json!({"id": id, "uid": id, "level": level, "category": "TRACKER_IMPORT_JOB", "time": seed::now_string(),
           "message": message, "completed": completed})
}

fn push(shared: &TrackerState, job_id: &str, level: &str, message: &str, completed: bool) {
    if let Some(job) = lock(&shared.jobs).get_mut(job_id) {
        let n = notification(
            job_id,
            job.notifications.len() + 1,
            level,
            message,
            completed,
        );
        job.notifications.push(n);
    }
}

/// Runs one import against the shared data.
fn run_import(
    state: &AppState,
    shared: &TrackerState,
    payload: &Value,
    options: &import::Options,
) -> Value {
    let org_units: HashSet<String> = {
        let store = state.store_read();
        store
            .list("organisationUnits")
            .filter_map(|u| u.get("id").and_then(Value::as_str).map(String::from))
            .collect()
    };
    let now = seed::now_string();
    with_data(state, shared, |data| {
        let mut known = org_units;
        known.extend(
            data.tracked_entities
                .iter()
                .filter_map(|t| t.get("orgUnit").and_then(Value::as_str).map(String::from)),
        );
        let mut rng_guard = lock(&shared.rng);
        let rng = rng_guard.get_or_insert_with(|| Prng::new(0x696d_706f_7274)); // "import"
        import::import(data, payload, options, Some(&known), &now, rng)
    })
}

async fn import_handler(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = parse_query(query);
    let options = match import::Options::from_params(&params) {
        Ok(o) => o,
        Err(text) => return message(StatusCode::BAD_REQUEST, &text),
    };
    let is_async = !params
        .iter()
        .any(|(k, v)| k == "async" && v.eq_ignore_ascii_case("false"));
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return message(
                StatusCode::BAD_REQUEST,
                "Tracker import payload must be a JSON object.",
            )
        }
        Err(e) => return message(StatusCode::BAD_REQUEST, &format!("JSON parse error: {e}")),
    };
    if !is_async {
        let report = run_import(&state, &shared, &payload, &options);
        let failed = report.get("status").and_then(Value::as_str) == Some("ERROR");
        let status = if failed {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        };
        return (status, Json(report)).into_response();
    }
    // Async jobs keep the full report and trim it when it is read.
    let options = options.with_full_report();
    let outcome = match params
        .iter()
        .find(|(k, _)| k == "emulatorJobOutcome")
        .map(|(_, v)| v.to_ascii_lowercase())
    {
        Some(v) if v == "fail" => Outcome::Fail,
        Some(v) if v == "hang" => Outcome::Hang,
        _ => Outcome::Complete,
    };
    let job_id = lock(&shared.rng)
        .get_or_insert_with(|| Prng::new(0x696d_706f_7274))
        .uid();
    lock(&shared.jobs).insert(
        job_id.clone(),
        TrackerJob {
            notifications: Vec::new(),
            report: Value::Null,
        },
    );
    let (task_state, task_shared, task_id) = (state.clone(), shared.clone(), job_id.clone());
    tokio::spawn(async move {
        tokio::time::sleep(STEP_DELAY).await;
        push(
            &task_shared,
            &task_id,
            "INFO",
            "(TRACKER_IMPORT_JOB) Import:Start",
            false,
        );
        tokio::time::sleep(STEP_DELAY).await;
        match outcome {
            Outcome::Hang => {}
            Outcome::Fail => push(
                &task_shared,
                &task_id,
                "ERROR",
                "(TRACKER_IMPORT_JOB) Import:Failed",
                true,
            ),
            Outcome::Complete => {
                let report = run_import(&task_state, &task_shared, &payload, &options);
                let status = report
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("OK")
                    .to_string();
                if let Some(job) = lock(&task_shared.jobs).get_mut(&task_id) {
                    job.report = report;
                }
                // A validation failure is a finished job with an ERROR report, not a failed job.
                push(
                    &task_shared,
                    &task_id,
                    "INFO",
                    &format!("(TRACKER_IMPORT_JOB) Import:Done with status {status}"),
                    true,
                );
            }
        }
    });
    let location = format!("{}/{job_id}", base_url(&headers, "/api/tracker/jobs"));
    let body = WebMessage::new(200, "OK").message("Tracker job added").response(json!({
        "responseType": state.version().response_type("TrackerJob"), "id": job_id, "location": location,
    }));
    let mut response = body.into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

async fn job_notifications(
    Extension(shared): Extension<Shared>,
    Path(uid): Path<String>,
) -> Response {
    match lock(&shared.jobs).get(&uid) {
        Some(job) => {
            let newest_first: Vec<Value> = job.notifications.iter().rev().cloned().collect();
            web::json_cached(200, &Value::Array(newest_first), "no-store")
        }
        None => message(
            StatusCode::NOT_FOUND,
            &format!("Tracker job with id {uid} could not be found."),
        ),
    }
}

/// A tracker job's notifications through `/api/system/tasks`: `[]` for an unknown job, as that endpoint answers.
async fn system_task(Extension(shared): Extension<Shared>, Path(uid): Path<String>) -> Response {
    let list = lock(&shared.jobs)
        .get(&uid)
        .map(|job| job.notifications.iter().rev().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    web::json_cached(200, &Value::Array(list), "no-store")
}

/// The task summary of a tracker job: its report, or 200 with an empty body before it has one (WIRE.md 9.2).
async fn job_summary(Extension(shared): Extension<Shared>, Path(uid): Path<String>) -> Response {
    match lock(&shared.jobs).get(&uid).map(|j| j.report.clone()) {
        Some(report) if !report.is_null() => web::json_cached(200, &report, "no-store"),
        _ => {
            let mut resp = StatusCode::OK.into_response();
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            resp
        }
    }
}

async fn job_report(
    Extension(shared): Extension<Shared>,
    Path(uid): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse_query(query);
    let full = params
        .iter()
        .any(|(k, v)| k == "reportMode" && v.eq_ignore_ascii_case("FULL"));
    match lock(&shared.jobs).get(&uid) {
        // A job that has not finished has no report yet.
        Some(job) if job.report.is_null() => message(
            StatusCode::NOT_FOUND,
            &format!("Import report for job {uid} could not be found."),
        ),
        Some(job) => {
            let mut report = job.report.clone();
            if !full {
                if let Some(m) = report.as_object_mut() {
                    m.remove("bundleReport");
                }
            }
            Json(report).into_response()
        }
        None => message(
            StatusCode::NOT_FOUND,
            &format!("Tracker job with id {uid} could not be found."),
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_string_has_tracker_shape() {
        let s = super::seed::now_string();
        assert_eq!(s.len(), 23, "{s}");
        assert_eq!(&s[10..11], "T");
        assert_eq!(&s[19..20], ".");
    }
}
