//! The single-value API `/api/dataValues` (`de`, `pe`, `ou`, `co`, `value`, `comment`, `followUp` parameters, or
//! a JSON body on POST): POST answers 201 with no body, DELETE 204, GET the value as `["..."]`; bad references
//! get DHIS2's 409 `IllegalQueryException` answers (`E1100`-`E1104`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};

use super::model::{now_millis, DataValue, Uid};
use super::rules::{check_value, element_rules};
use super::{period, Params};
use crate::auth::CurrentUser;
use crate::seed::DEFAULT_COC;
use crate::state::AppState;
use crate::store::Store;
use crate::web::{self, WebMessage};

struct Target {
    de: Uid,
    pe: String,
    ou: Uid,
    coc: Uid,
    aoc: Uid,
}

fn illegal(code: &str, msg: String) -> Box<WebMessage> {
    Box::new(WebMessage::error(409, msg).error_code(code))
}

fn field(p: &Params, body: &Value, short: &str, long: &str) -> Option<String> {
    p.get(short)
        .map(str::to_string)
        .or_else(|| match body.get(long) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        })
        .filter(|s| !s.trim().is_empty())
}

fn resolve(store: &Store, p: &Params, body: &Value) -> Result<Target, Box<WebMessage>> {
    let de = field(p, body, "de", "dataElement").unwrap_or_default();
    let pe = field(p, body, "pe", "period").unwrap_or_default();
    let ou = field(p, body, "ou", "orgUnit").unwrap_or_default();
    let coc =
        field(p, body, "co", "categoryOptionCombo").unwrap_or_else(|| DEFAULT_COC.to_string());
    let aoc =
        field(p, body, "aoc", "attributeOptionCombo").unwrap_or_else(|| DEFAULT_COC.to_string());
    let de_u = Uid::parse(&de)
        .filter(|_| store.get("dataElements", &de).is_some())
        .ok_or_else(|| {
            illegal(
                "E1100",
                format!("Data element not found or not accessible: `{de}`"),
            )
        })?;
    if period::parse(&pe).is_none() {
        return Err(illegal("E1101", format!("Period is invalid: `{pe}`")));
    }
    let ou_u = Uid::parse(&ou)
        .filter(|_| store.get("organisationUnits", &ou).is_some())
        .ok_or_else(|| {
            illegal(
                "E1102",
                format!("Organisation unit not found or not accessible: `{ou}`"),
            )
        })?;
    let coc_u = Uid::parse(&coc)
        .filter(|_| store.get("categoryOptionCombos", &coc).is_some())
        .ok_or_else(|| {
            illegal(
                "E1103",
                format!("Category option combo not found or not accessible: `{coc}`"),
            )
        })?;
    let aoc_u = Uid::parse(&aoc)
        .filter(|_| store.get("categoryOptionCombos", &aoc).is_some())
        .ok_or_else(|| {
            illegal(
                "E1104",
                format!("Attribute option combo not found or not accessible: `{aoc}`"),
            )
        })?;
    Ok(Target {
        de: de_u,
        pe,
        ou: ou_u,
        coc: coc_u,
        aoc: aoc_u,
    })
}

fn position(store: &Store, t: &Target) -> Option<usize> {
    store.data_values.iter().position(|v| {
        !v.deleted
            && v.data_element == t.de
            && v.org_unit == t.ou
            && v.category_option_combo == t.coc
            && v.attribute_option_combo == t.aoc
            && *v.period == *t.pe
    })
}

/// `POST /api/dataValues`.
pub(super) async fn post_value(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(q.as_deref());
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut store = state.store_write();
    let t = match resolve(&store, &p, &body) {
        Ok(t) => t,
        Err(m) => return (*m).into_response(),
    };
    let value = field(&p, &body, "value", "value");
    let comment = field(&p, &body, "comment", "comment");
    let follow_up =
        field(&p, &body, "followUp", "followUp").is_some_and(|f| f.eq_ignore_ascii_case("true"));
    if let Some(v) = &value {
        if let Some(rules) = element_rules(&store, t.de.as_str()) {
            if let Err(key) = check_value(&rules.value_type, v) {
                return (*illegal(
                    "E7619",
                    format!(
                        "Value must match data element's `{}` type constraints: {key}",
                        t.de
                    ),
                ))
                .into_response();
            }
            if rules.options.as_ref().is_some_and(|o| !o.contains(v)) {
                return (*illegal(
                    "E7621",
                    format!(
                        "Data value is not a valid option of the data element option set: `{}`",
                        t.de
                    ),
                ))
                .into_response();
            }
        }
    }
    let now = now_millis();
    let stored_by: Arc<str> = user.map_or_else(
        || Arc::from(state.config().admin_username.as_str()),
        |u| u.0.username.clone(),
    );
    match position(&store, &t) {
        Some(i) => {
            if let Some(existing) = store.data_values.get_mut(i) {
                if value.is_none() && comment.is_none() {
                    existing.deleted = true;
                } else {
                    existing.value = value.map(Into::into);
                    existing.comment = comment.map(Into::into);
                    existing.follow_up = follow_up;
                    existing.stored_by = stored_by;
                }
                existing.last_updated = now;
            }
        }
        None => store.data_values.push(DataValue {
            data_element: t.de,
            period: t.pe.into(),
            org_unit: t.ou,
            category_option_combo: t.coc,
            attribute_option_combo: t.aoc,
            value: value.map(Into::into),
            stored_by,
            comment: comment.map(Into::into),
            created: now,
            last_updated: now,
            follow_up,
            deleted: false,
        }),
    }
    drop(store);
    state.counters().add_writes(1);
    StatusCode::CREATED.into_response()
}

/// `DELETE /api/dataValues` (a soft delete, as DHIS2 does).
pub(super) async fn delete_value(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    let mut store = state.store_write();
    let t = match resolve(&store, &p, &Value::Null) {
        Ok(t) => t,
        Err(m) => return (*m).into_response(),
    };
    let Some(i) = position(&store, &t) else {
        return WebMessage::error(
            409,
            "Data value cannot be deleted because it does not exist",
        )
        .into_response();
    };
    if let Some(v) = store.data_values.get_mut(i) {
        v.deleted = true;
        v.last_updated = now_millis();
    }
    drop(store);
    state.counters().add_writes(1);
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /api/dataValues`: the value as a one-element list.
pub(super) async fn get_value(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    let store = state.store_read();
    let t = match resolve(&store, &p, &Value::Null) {
        Ok(t) => t,
        Err(m) => return (*m).into_response(),
    };
    match position(&store, &t).and_then(|i| store.data_values.get(i)) {
        Some(v) => web::json(200, &json!([v.value.as_deref().unwrap_or("")])),
        None => WebMessage::error(409, "Data value does not exist").into_response(),
    }
}
