//! `/api/metadata`: import with a full ImportReport (sync, or as a `METADATA_IMPORT` job with `async=true`) and
//! export of chosen types with per-type `fields` (WIRE.md section 7).

mod export;
mod import;
mod report;
pub(crate) mod types;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{json, Map, Value};

use crate::data_values::Params;
use crate::jobs::{self, JobOutcome, JobResult};
use crate::state::AppState;
use crate::web::{self, ApiPrefix, WebMessage};

use import::ImportParams;

/// Runs an import against the emulator's store and returns `(status, ImportReport body)`; used by the HTTP
/// handler, async jobs and start-up `--import`.
fn import_into(
    state: &AppState,
    payload: &Value,
    params: &ImportParams,
) -> (&'static str, Value, String) {
    let (outcome, writes) = {
        let mut store = state.store_write();
        import::run(&mut store, payload, params)
    };
    if writes > 0 {
        state.counters().add_writes(writes);
    }
    (outcome.status, outcome.report, outcome.stats_message)
}

fn report_with_type(state: &AppState, report: Value) -> Value {
    let mut m = Map::new();
    m.insert(
        "responseType".into(),
        json!(state.version().response_type("ImportReport")),
    );
    if let Value::Object(r) = report {
        m.extend(r);
    }
    Value::Object(m)
}

/// The WebMessage around an ImportReport: 200 `OK`, otherwise 409 `WARNING` (`WebMessageUtils.importReport`).
fn report_response(state: &AppState, status: &str, report: Value) -> Response {
    let body = report_with_type(state, report);
    if status == "OK" {
        WebMessage::new(200, "OK").response(body).into_response()
    } else {
        WebMessage::new(409, "WARNING")
            .message("One or more errors occurred, please see full details in import report.")
            .response(body)
            .into_response()
    }
}

async fn post_metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
    prefix: Option<Extension<ApiPrefix>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(query.as_deref());
    let params = ImportParams::from_params(&p);
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return WebMessage::error(409, "Metadata import payload must be a JSON object")
                .into_response()
        }
        // The controller reads the body itself, so a JSON error is a 409 without errorCode (WIRE.md 6.2).
        Err(e) => return WebMessage::error(409, format!("Unexpected JSON: {e}")).into_response(),
    };
    if params.is_async {
        let outcome = p.get("emulatorJobOutcome").and_then(JobOutcome::from_param);
        let job_params = json!({
            "importStrategy": params.strategy.as_str(),
            "atomicMode": if params.atomic_all { "ALL" } else { "NONE" },
            "importMode": if params.validate_only { "VALIDATE" } else { "COMMIT" },
        });
        return jobs::start(
            &state,
            &headers,
            prefix.as_ref().map(|e| &e.0),
            "METADATA_IMPORT",
            job_params,
            outcome,
            move |st| {
                let (_, report, message) = import_into(st, &payload, &params);
                JobResult {
                    // The summary is the ImportReport itself, not the WebMessage response around it.
                    summary: report,
                    message,
                }
            },
        );
    }
    let (status, report, _) = import_into(&state, &payload, &params);
    if plain_report(&state, prefix.as_ref().map(|e| &e.0)) {
        // 2.39-2.41 answer `/api/NN/metadata` with NN < 38 without the envelope (WIRE.md 1.6).
        return web::json(if status == "OK" { 200 } else { 409 }, &report);
    }
    report_response(&state, status, report)
}

/// Whether this request gets a bare ImportReport: `/api/NN/metadata` with `NN` < 38 on 2.39-2.41.
fn plain_report(state: &AppState, prefix: Option<&ApiPrefix>) -> bool {
    let nn = prefix
        .and_then(|p| p.0.strip_prefix("/api/"))
        .and_then(|n| n.parse::<u32>().ok());
    state.version().major() <= 41 && nn.is_some_and(|n| n < 38)
}

async fn get_metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
    prefix: Option<Extension<ApiPrefix>>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = Params::parse(query.as_deref());
    let base = web::api_base(&headers, prefix.as_ref().map(|e| &e.0));
    match export::export(&state, &p, &base) {
        Ok(doc) => web::json(200, &doc),
        Err(resp) => resp,
    }
}

/// Routes of this area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/metadata", get(get_metadata).post(post_metadata))
        .route("/api/metadata.json", get(get_metadata).post(post_metadata))
        .layer(DefaultBodyLimit::max(crate::data_values::MAX_IMPORT_BYTES))
}
