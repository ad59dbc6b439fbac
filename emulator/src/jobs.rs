//! Async jobs and task polling (WIRE.md section 9): the `Jobs` registry, the JobConfiguration envelope that
//! `?async=true` answers with, and `/api/system/tasks...` / `/api/system/taskSummaries...`.
//!
//! A job runs in a tokio task with two short pauses (so a client can observe `SCHEDULED`/`RUNNING` while
//! polling), then stores its summary and a final `completed` notification.
//!
//! Test hooks (emulator-only, not DHIS2): the request parameter `emulatorJobOutcome=fail` makes the started job
//! fail, `emulatorJobOutcome=hang` makes it run forever; `Emulator::fail_next_job()` / `hang_next_job()` (via
//! [`set_next_outcome`]) do the same from Rust for the next job started on that emulator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::crud::generate_uid;
use crate::state::AppState;
use crate::web::{self, WebMessage};

/// The pause before a job starts running, and again before it finishes.
const STEP_DELAY: Duration = Duration::from_millis(40);

/// How a started job ends (a test hook; real jobs always [`JobOutcome::Complete`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum JobOutcome {
    /// Runs the work and completes.
    #[default]
    Complete,
    /// Fails with an `ERROR` notification and no summary.
    Fail,
    /// Stays `RUNNING` forever.
    Hang,
}

impl JobOutcome {
    /// Parses the emulator-only `emulatorJobOutcome` parameter.
    pub(crate) fn from_param(v: &str) -> Option<JobOutcome> {
        match v.to_ascii_lowercase().as_str() {
            "fail" | "failed" => Some(JobOutcome::Fail),
            "hang" | "never" | "never_finish" => Some(JobOutcome::Hang),
            "complete" | "ok" => Some(JobOutcome::Complete),
            _ => None,
        }
    }
}

/// The result of a job's work: the summary served by `taskSummaries` and the final notification's text.
#[derive(Debug, Clone)]
pub(crate) struct JobResult {
    pub(crate) summary: Value,
    pub(crate) message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobStatus {
    Scheduled,
    Running,
    Completed,
    Failed,
    Stopped,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Scheduled => "SCHEDULED",
            JobStatus::Running => "RUNNING",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
            JobStatus::Stopped => "STOPPED",
        }
    }
}

#[derive(Debug)]
struct Job {
    job_type: String,
    /// The job parameters, attached to every notification as `PARAMETERS` data.
    parameters: Value,
    status: JobStatus,
    /// Oldest first; served newest first.
    notifications: Vec<Value>,
    summary: Option<Value>,
}

#[derive(Debug, Default)]
struct JobsInner {
    /// Insertion-ordered ids so listings are stable.
    order: Vec<String>,
    jobs: HashMap<String, Job>,
    next_outcome: Option<JobOutcome>,
}

/// The registry of async jobs of one emulator.
#[derive(Debug, Default, Clone)]
pub(crate) struct Jobs(Arc<Mutex<JobsInner>>);

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, JobsInner> {
        crate::state::lock(&self.0)
    }

    /// The status of a job (`COMPLETED`, `FAILED`, ...), if it exists.
    pub(crate) fn status(&self, id: &str) -> Option<&'static str> {
        self.lock().jobs.get(id).map(|j| j.status.as_str())
    }

    fn push_notification(&self, id: &str, level: &str, message: &str, completed: bool) {
        let mut inner = self.lock();
        if let Some(job) = inner.jobs.get_mut(id) {
            let n = notification(job, level, message, completed);
            job.notifications.push(n);
        }
    }

    fn set_status(&self, id: &str, status: JobStatus) {
        if let Some(job) = self.lock().jobs.get_mut(id) {
            job.status = status;
        }
    }
}

/// Makes the next job started on this emulator end with `outcome` (test hook for `Emulator`; the request
/// parameter `emulatorJobOutcome` does the same over HTTP).
pub(crate) fn set_next_outcome(state: &AppState, outcome: JobOutcome) {
    state.jobs().lock().next_outcome = Some(outcome);
}

fn notification(job: &Job, level: &str, message: &str, completed: bool) -> Value {
    let uid = generate_uid();
    json!({
        "id": uid,
        "uid": uid,
        "level": level,
        "category": job.job_type,
        "time": web::format_millis(web::now_millis()),
        "message": message,
        "completed": completed,
        "dataType": "PARAMETERS",
        "data": job.parameters,
    })
}

/// Starts `work` as an async job of `job_type` and answers with the JobConfiguration WebMessage.
///
/// `work` runs once, on a tokio task, after a short pause; it must not block for long (it may lock the store).
pub(crate) fn start<F>(
    state: &AppState,
    headers: &HeaderMap,
    prefix: Option<&web::ApiPrefix>,
    job_type: &str,
    job_parameters: Value,
    outcome: Option<JobOutcome>,
    work: F,
) -> Response
where
    F: FnOnce(&AppState) -> JobResult + Send + 'static,
{
    let id = generate_uid();
    let created = web::format_millis(web::now_millis());
    let outcome = {
        let mut inner = state.jobs().lock();
        let outcome = outcome
            .or_else(|| inner.next_outcome.take())
            .unwrap_or_default();
        inner.order.push(id.clone());
        inner.jobs.insert(
            id.clone(),
            Job {
                job_type: job_type.to_string(),
                parameters: job_parameters.clone(),
                status: JobStatus::Scheduled,
                notifications: Vec::new(),
                summary: None,
            },
        );
        outcome
    };

    let task_state = state.clone();
    let task_id = id.clone();
    tokio::spawn(async move {
        run(task_state, task_id, outcome, work).await;
    });

    let mut response = Map::new();
    response.insert(
        "responseType".into(),
        json!(state.version().response_type("JobConfiguration")),
    );
    response.insert("name".into(), json!(job_type));
    response.insert("id".into(), json!(id));
    response.insert("created".into(), json!(created));
    response.insert("jobType".into(), json!(job_type));
    response.insert("jobStatus".into(), json!("SCHEDULED"));
    response.insert("jobParameters".into(), job_parameters);
    response.insert(
        "relativeNotifierEndpoint".into(),
        json!(format!("/api/system/tasks/{job_type}/{id}")),
    );
    let msg = WebMessage::new(200, "OK")
        .message(format!("Initiated {job_type}"))
        .response(Value::Object(response));
    let mut resp = msg.into_response();
    let location = format!("{}/system/tasks/{job_type}", web::api_base(headers, prefix));
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

async fn run<F>(state: AppState, id: String, outcome: JobOutcome, work: F)
where
    F: FnOnce(&AppState) -> JobResult + Send + 'static,
{
    let jobs = state.jobs().clone();
    tokio::time::sleep(STEP_DELAY).await;
    if jobs.status(&id) == Some("STOPPED") {
        return;
    }
    jobs.set_status(&id, JobStatus::Running);
    jobs.push_notification(&id, "INFO", "Import process started", false);
    tokio::time::sleep(STEP_DELAY).await;
    match outcome {
        JobOutcome::Hang => {}
        JobOutcome::Fail => {
            // 2.44 (master) leaves the failure notification open and relies on the poll to close it (see
            // `notifications_for`); earlier versions mark it completed themselves.
            let completed = !state.version().poll_closes_failed_jobs();
            jobs.push_notification(
                &id,
                "ERROR",
                "Process failed: emulated job failure",
                completed,
            );
            jobs.set_status(&id, JobStatus::Failed);
        }
        JobOutcome::Complete => {
            if jobs.status(&id) == Some("STOPPED") {
                return;
            }
            let result = work(&state);
            let mut inner = jobs.lock();
            if let Some(job) = inner.jobs.get_mut(&id) {
                let n = notification(job, "INFO", &result.message, true);
                job.notifications.push(n);
                job.summary = Some(result.summary);
                job.status = JobStatus::Completed;
            }
        }
    }
}

/// A job's notifications newest first, applying the master rule of WIRE.md 9.2: when the newest notification is
/// not completed but the job no longer runs, the notifications are cleared and that one is answered completed.
fn notifications_for(state: &AppState, inner: &mut JobsInner, id: &str) -> Value {
    let clear_stale = state.version().poll_closes_failed_jobs();
    let Some(job) = inner.jobs.get_mut(id) else {
        return json!([]);
    };
    let running = matches!(job.status, JobStatus::Running | JobStatus::Scheduled);
    let newest_open = job
        .notifications
        .last()
        .is_some_and(|n| n.get("completed").and_then(Value::as_bool) == Some(false));
    if clear_stale && !running && newest_open {
        if let Some(mut last) = job.notifications.pop() {
            if let Some(obj) = last.as_object_mut() {
                obj.insert("completed".into(), json!(true));
            }
            job.notifications = vec![last];
        }
    }
    Value::Array(job.notifications.iter().rev().cloned().collect())
}

fn no_store(status: u16, value: &Value) -> Response {
    web::json_cached(status, value, "no-store")
}

async fn all_tasks(State(state): State<AppState>) -> Response {
    let jobs = state.jobs().clone();
    let mut inner = jobs.lock();
    let ids = inner.order.clone();
    let mut by_type: Map<String, Value> = Map::new();
    for id in ids {
        let Some(t) = inner.jobs.get(&id).map(|j| j.job_type.clone()) else {
            continue;
        };
        let list = notifications_for(&state, &mut inner, &id);
        if let Some(Value::Object(m)) = by_type.get_mut(&t) {
            m.insert(id, list);
        } else {
            let mut m = Map::new();
            m.insert(id, list);
            by_type.insert(t, Value::Object(m));
        }
    }
    no_store(200, &Value::Object(by_type))
}

async fn tasks_of_type(State(state): State<AppState>, Path(job_type): Path<String>) -> Response {
    let jobs = state.jobs().clone();
    let mut inner = jobs.lock();
    let ids: Vec<String> = inner
        .order
        .iter()
        .filter(|id| inner.jobs.get(*id).is_some_and(|j| j.job_type == job_type))
        .cloned()
        .collect();
    let mut out = Map::new();
    for id in ids {
        let list = notifications_for(&state, &mut inner, &id);
        out.insert(id, list);
    }
    no_store(200, &Value::Object(out))
}

async fn task(
    State(state): State<AppState>,
    Path((job_type, id)): Path<(String, String)>,
) -> Response {
    let jobs = state.jobs().clone();
    let mut inner = jobs.lock();
    let matches = inner.jobs.get(&id).is_some_and(|j| j.job_type == job_type);
    let list = if matches {
        notifications_for(&state, &mut inner, &id)
    } else {
        json!([])
    };
    no_store(200, &list)
}

async fn cancel_task(
    State(state): State<AppState>,
    Path((_job_type, id)): Path<(String, String)>,
) -> Response {
    let jobs = state.jobs().clone();
    let mut inner = jobs.lock();
    if let Some(job) = inner.jobs.get_mut(&id) {
        if matches!(job.status, JobStatus::Running | JobStatus::Scheduled) {
            job.status = JobStatus::Stopped;
        }
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn summaries_of_type(
    State(state): State<AppState>,
    Path(job_type): Path<String>,
) -> Response {
    let inner = state.jobs().lock();
    let mut out = Map::new();
    for id in &inner.order {
        if let Some(job) = inner.jobs.get(id).filter(|j| j.job_type == job_type) {
            if let Some(s) = &job.summary {
                out.insert(id.clone(), s.clone());
            }
        }
    }
    no_store(200, &Value::Object(out))
}

async fn summary(
    State(state): State<AppState>,
    Path((job_type, id)): Path<(String, String)>,
) -> Response {
    let summary = state
        .jobs()
        .lock()
        .jobs
        .get(&id)
        .filter(|j| j.job_type == job_type)
        .and_then(|j| j.summary.clone());
    match summary {
        Some(s) => no_store(200, &s),
        None => {
            // 200 with an empty body (WIRE.md 6.5).
            let mut resp = StatusCode::OK.into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
    }
}

/// Routes of this area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/system/tasks", get(all_tasks))
        .route("/api/system/tasks/{job_type}", get(tasks_of_type))
        .route(
            "/api/system/tasks/{job_type}/{id}",
            get(task).delete(cancel_task),
        )
        .route(
            "/api/system/taskSummaries/{job_type}",
            get(summaries_of_type),
        )
        .route("/api/system/taskSummaries/{job_type}/{id}", get(summary))
}
