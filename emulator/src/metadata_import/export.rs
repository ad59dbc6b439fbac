//! `GET /api/metadata`: an export of chosen types (`dataElements=true`, per-type `dataElements:fields=...`,
//! global `fields`, default `:owner`) with the `system` header (WIRE.md 7.3). With no type selected every
//! stored type is exported. `defaults=EXCLUDE` drops the generated "default" category objects;
//! `dataElements:filter=name:like:ANC` filters one type (bad filters get the list endpoints' E1003 answer).

use serde_json::{json, Map, Value};

use axum::response::Response;

use crate::collections;
use crate::data_values::Params;
use crate::fields::{self, FieldContext};
use crate::filter;
use crate::schema;
use crate::state::AppState;
use crate::web;

/// Builds the export document (under the store read lock; no `.await`).
pub(crate) fn export(state: &AppState, p: &Params, api_base: &str) -> Result<Value, Response> {
    let store = state.store_read();
    let available = store.plurals();
    let mut chosen: Vec<&str> = available
        .iter()
        .copied()
        .filter(|t| p.get(t).is_some_and(|v| v.eq_ignore_ascii_case("true")))
        .collect();
    let explicit = !chosen.is_empty()
        || p.0.iter().any(|(k, v)| {
            !k.contains(':')
                && v.eq_ignore_ascii_case("true")
                && !matches!(k.as_str(), "skipSharing" | "download" | "translate")
        });
    if chosen.is_empty() && !explicit {
        chosen = available.clone();
    }
    let insensitive = state.version().case_insensitive_transformers();
    let global = p.get("fields").unwrap_or(":owner").to_string();
    let exclude_defaults = p
        .get("defaults")
        .is_some_and(|d| d.eq_ignore_ascii_case("EXCLUDE"));
    let skip_sharing = p.flag("skipSharing", false);
    let resolve = |uid: &str| store.find_by_uid_any_type(uid);
    let resolve_any: &filter::Resolver<'_> =
        &|uid: &str| store.find_by_uid_any_type(uid).map(|(_, v)| v);
    let ctx = FieldContext {
        resolve: &resolve,
        api_base: Some(api_base),
        externalize: state.version().has_external_sharing(),
    };

    let mut out = Map::new();
    out.insert(
        "system".into(),
        json!({
            "id": state.config().system_id,
            "rev": state.version().revision(),
            "version": state.version().as_str(),
            "date": web::format_millis(web::now_millis()),
        }),
    );
    for plural in chosen {
        let spec_text = p
            .get(&format!("{plural}:fields"))
            .map_or(global.as_str(), |s| s);
        let spec = fields::parse(spec_text, insensitive);
        let filters = filter::parse_all(
            p.raw_all(&format!("{plural}:filter")),
            schema::by_plural(plural),
            state.version().has_not_empty_operator(),
        )
        .map_err(|e| collections::query_error(state, &e.0))?;
        let items: Vec<Value> = store
            .list(plural)
            .filter(|o| filter::matches_all(&filters, false, o, resolve_any))
            .filter(|o| {
                !(exclude_defaults && o.get("name").and_then(Value::as_str) == Some("default"))
            })
            .map(|o| {
                let mut v = fields::apply(&spec, o, Some(plural), &ctx);
                if skip_sharing {
                    if let Some(m) = v.as_object_mut() {
                        m.shift_remove("sharing");
                    }
                }
                v
            })
            .collect();
        out.insert(plural.to_string(), Value::Array(items));
    }
    Ok(Value::Object(out))
}
