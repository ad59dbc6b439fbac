//! `GET /api/analytics`: aggregates the stored data values by the requested `dx`, `pe` and `ou` dimensions and
//! filters, answering DHIS2's grid (`headers`, `metaData`, `rowContext`, `rows`, `height`, `width`, `headerWidth`).
//!
//! Supported items: data element UIDs for `dx`; ISO and common relative periods for `pe` (or `startDate` and
//! `endDate`); org unit UIDs, `USER_ORGUNIT`, `USER_ORGUNIT_CHILDREN` and `LEVEL-n` for `ou`. Values are summed
//! over the org unit subtree and the period range, as analytics tables would.

mod periods;

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::params::query_pairs;
use crate::state::AppState;
use crate::web::{self, WebMessage};

/// Routes of the analytics area.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/analytics", get(analytics))
        .route("/api/analytics.json", get(analytics))
}

/// One requested dimension with its (expanded) items, as a column (`dimension=`) or a filter (`filter=`).
#[derive(Debug, Clone)]
struct Dimension {
    key: String,
    items: Vec<String>,
}

fn conflict(code: &str, text: impl Into<String>) -> Response {
    WebMessage::error(409, text)
        .error_code(code)
        .into_response()
}

/// Splits `dx:a;b` (several may be comma-joined in one parameter).
fn parse_dimensions(values: &[&str]) -> Result<Vec<Dimension>, String> {
    let mut out: Vec<Dimension> = Vec::new();
    for value in values {
        for spec in value.split(',').filter(|s| !s.is_empty()) {
            let (key, items) = spec.split_once(':').unwrap_or((spec, ""));
            let items = items
                .split(';')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if out.iter().any(|d| d.key == key) {
                return Err(key.to_string());
            }
            out.push(Dimension {
                key: key.to_string(),
                items,
            });
        }
    }
    Ok(out)
}

fn header(name: &str, column: &str, meta: bool) -> Value {
    if meta {
        json!({"name": name, "column": column, "valueType": "TEXT", "type": "java.lang.String", "hidden": false, "meta": true})
    } else {
        json!({"name": name, "column": column, "valueType": "NUMBER", "type": "java.lang.Double", "hidden": false, "meta": false})
    }
}

fn column_name(key: &str) -> &'static str {
    match key {
        "dx" => "Data",
        "pe" => "Period",
        "ou" => "Organisation unit",
        "co" => "Category option combo",
        _ => "Dimension",
    }
}

/// DHIS2 rounds aggregates to one decimal and writes integers without a fraction.
fn format_value(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

async fn analytics(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = query_pairs(query.as_deref());
    let values_of = |k: &str| {
        params
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    let flag = |k: &str| {
        params
            .iter()
            .any(|(key, v)| key == k && v.eq_ignore_ascii_case("true"))
    };
    let (mut dims, mut filters) = match (
        parse_dimensions(&values_of("dimension")),
        parse_dimensions(&values_of("filter")),
    ) {
        (Ok(d), Ok(f)) => (d, f),
        (Err(k), _) | (_, Err(k)) => {
            return conflict(
                "E7103",
                format!("Dimension is specified more than once: {k}"),
            )
        }
    };
    if let Some(d) = dims.iter().find(|d| filters.iter().any(|f| f.key == d.key)) {
        return conflict(
            "E7103",
            format!(
                "Dimensions cannot be specified as dimension and filter simultaneously: {}",
                d.key
            ),
        );
    }
    if let Some(d) = dims
        .iter()
        .chain(filters.iter())
        .find(|d| !matches!(d.key.as_str(), "dx" | "pe" | "ou" | "co"))
    {
        return conflict(
            "E7125",
            format!("Dimension is not a valid dimension: `{}`", d.key),
        );
    }
    let has = |k: &str, dims: &[Dimension], filters: &[Dimension]| {
        dims.iter().chain(filters).any(|d| d.key == k)
    };
    if !has("dx", &dims, &filters) {
        return conflict(
            "E7102",
            "At least one data dimension item or data element group set dimension item must be specified",
        );
    }
    let start_end = match (values_of("startDate").first(), values_of("endDate").first()) {
        (Some(s), Some(e)) => match (periods::day_of(s), periods::day_of(e)) {
            (Some(s), Some(e)) => Some((s, e)),
            _ => return conflict("E7106", "Start date and end date must be valid dates"),
        },
        _ => None,
    };
    if !has("pe", &dims, &filters) && start_end.is_none() {
        return conflict(
            "E7104",
            "At least one period as dimension or filter, or start and dates, must be specified",
        );
    }
    if has("pe", &dims, &filters) && start_end.is_some() {
        return conflict(
            "E7105",
            "Periods and start and end dates cannot be specified simultaneously",
        );
    }

    let today = web::now_millis().div_euclid(86_400_000);
    let store = state.store_read();
    // Org unit uid -> (path, level, name).
    let units: HashMap<String, (String, u64, String)> = store
        .list("organisationUnits")
        .filter_map(|u| {
            let id = u.get("id")?.as_str()?.to_string();
            let path = u
                .get("path")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or_else(|| format!("/{id}"));
            let level = u.get("level").and_then(Value::as_u64).unwrap_or(1);
            let name = u
                .get("displayName")
                .or_else(|| u.get("name"))
                .and_then(Value::as_str)
                .unwrap_or(&id)
                .to_string();
            Some((id, (path, level, name)))
        })
        .collect();
    let mut items_meta = Map::new();
    // Expand and validate every dimension's items.
    for d in dims.iter_mut().chain(filters.iter_mut()) {
        let mut expanded = Vec::new();
        match d.key.as_str() {
            "dx" => {
                for item in &d.items {
                    if let Some(de) = store.get("dataElements", item) {
                        let name = de
                            .get("displayName")
                            .or_else(|| de.get("name"))
                            .cloned()
                            .unwrap_or(json!(item));
                        items_meta.insert(item.clone(), json!({"name": name}));
                        expanded.push(item.clone());
                    }
                }
            }
            "co" => {
                // `co` without items means every option combo (of the data elements asked for).
                let all = d.items.is_empty();
                for coc in store.list("categoryOptionCombos") {
                    let Some(id) = coc.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    if all || d.items.iter().any(|i| i == id) {
                        let name = coc.get("displayName").or_else(|| coc.get("name")).cloned();
                        items_meta
                            .insert(id.to_string(), json!({"name": name.unwrap_or(json!(id))}));
                        expanded.push(id.to_string());
                    }
                }
            }
            "pe" => {
                for item in &d.items {
                    if let Some(list) = periods::expand(item, today) {
                        expanded.extend(list);
                    }
                }
                for p in &expanded {
                    items_meta.insert(p.clone(), json!({"name": periods::name(p)}));
                }
            }
            _ => {
                for item in &d.items {
                    // `LEVEL-n`, and the user's units (level 1) and their children (level 2).
                    let level = match item.as_str() {
                        "USER_ORGUNIT" => Some(1),
                        "USER_ORGUNIT_CHILDREN" => Some(2),
                        _ => item
                            .strip_prefix("LEVEL-")
                            .and_then(|l| l.parse::<u64>().ok()),
                    };
                    if let Some(level) = level {
                        let mut ids: Vec<&String> = units
                            .iter()
                            .filter(|(_, u)| u.1 == level)
                            .map(|(id, _)| id)
                            .collect();
                        ids.sort();
                        expanded.extend(ids.into_iter().cloned());
                    } else if units.contains_key(item) {
                        expanded.push(item.clone());
                    }
                }
                for id in &expanded {
                    if let Some(u) = units.get(id) {
                        items_meta.insert(id.clone(), json!({"name": u.2}));
                    }
                }
            }
        }
        if expanded.is_empty() {
            return conflict(
                "E7124",
                format!(
                    "Dimension `{}` is present in query without any valid dimension options",
                    d.key
                ),
            );
        }
        d.items = expanded;
    }

    // Which column/filter item(s) a stored value falls in, per dimension.
    let period_ranges: HashMap<&str, (i64, i64)> = dims
        .iter()
        .chain(filters.iter())
        .filter(|d| d.key == "pe")
        .flat_map(|d| d.items.iter())
        .filter_map(|p| periods::range(p).map(|r| (p.as_str(), r)))
        .collect();
    let mut range_cache: HashMap<&str, Option<(i64, i64)>> = HashMap::new();
    let mut cells: BTreeMap<Vec<usize>, f64> = BTreeMap::new();
    let all: Vec<&Dimension> = dims.iter().chain(filters.iter()).collect();
    let dx_sets: Vec<HashSet<&str>> = all
        .iter()
        .map(|d| d.items.iter().map(String::as_str).collect())
        .collect();
    for dv in store.data_values.iter().filter(|dv| !dv.deleted) {
        let Some(number) = dv
            .value
            .as_deref()
            .and_then(|v| v.trim().parse::<f64>().ok())
        else {
            continue;
        };
        let range = *range_cache
            .entry(&dv.period)
            .or_insert_with(|| periods::range(&dv.period));
        let Some((start, end)) = range else { continue };
        if let Some((s, e)) = start_end {
            if start < s || end > e {
                continue;
            }
        }
        let path = units
            .get(dv.org_unit.as_str())
            .map(|u| u.0.as_str())
            .unwrap_or("");
        // For every dimension, the positions of the items this value belongs to.
        let mut hits: Vec<Vec<usize>> = Vec::with_capacity(all.len());
        for (di, d) in all.iter().enumerate() {
            let positions: Vec<usize> = match d.key.as_str() {
                "co" => {
                    let coc = dv.category_option_combo.as_str();
                    if dx_sets[di].contains(coc) {
                        d.items.iter().position(|i| i == coc).into_iter().collect()
                    } else {
                        Vec::new()
                    }
                }
                "dx" => {
                    if !dx_sets[di].contains(dv.data_element.as_str()) {
                        Vec::new()
                    } else {
                        d.items
                            .iter()
                            .position(|i| i == dv.data_element.as_str())
                            .into_iter()
                            .collect()
                    }
                }
                "pe" => d
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| {
                        period_ranges
                            .get(p.as_str())
                            .is_some_and(|(s, e)| *s <= start && end <= *e)
                    })
                    .map(|(i, _)| i)
                    .collect(),
                _ => d
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(_, ou)| path.split('/').any(|seg| seg == ou.as_str()))
                    .map(|(i, _)| i)
                    .collect(),
            };
            if positions.is_empty() {
                break;
            }
            hits.push(positions);
        }
        if hits.len() != all.len() {
            continue;
        }
        // Filters aggregate: only the first matching filter item counts, so a value is never summed twice.
        let column_hits = &hits[..dims.len()];
        let mut keys: Vec<Vec<usize>> = vec![Vec::new()];
        for positions in column_hits {
            keys = keys
                .into_iter()
                .flat_map(|k| {
                    positions
                        .iter()
                        .map(move |p| [k.as_slice(), &[*p]].concat())
                })
                .collect();
        }
        for key in keys {
            *cells.entry(key).or_insert(0.0) += number;
        }
    }
    drop(store);

    let mut headers: Vec<Value> = dims
        .iter()
        .map(|d| header(&d.key, column_name(&d.key), true))
        .collect();
    headers.push(header("value", "Value", false));
    let rows: Vec<Value> = cells
        .iter()
        .map(|(key, v)| {
            let mut row: Vec<Value> = key
                .iter()
                .enumerate()
                .map(|(di, i)| json!(dims[di].items[*i]))
                .collect();
            row.push(json!(format_value(*v)));
            Value::Array(row)
        })
        .collect();
    let mut root = Map::new();
    root.insert("headers".into(), Value::Array(headers.clone()));
    if !flag("skipMeta") {
        for d in dims.iter().chain(filters.iter()) {
            items_meta.insert(d.key.clone(), json!({"name": column_name(&d.key)}));
        }
        let mut dimensions = Map::new();
        for (di, d) in dims.iter().enumerate() {
            if d.key == "co" {
                // Only the option combos that have data are listed (DHIS2 does the same for `co`).
                let used: std::collections::BTreeSet<usize> = cells.keys().map(|k| k[di]).collect();
                let ids: Vec<&String> = used.iter().map(|i| &d.items[*i]).collect();
                for (i, id) in d.items.iter().enumerate() {
                    if !used.contains(&i) {
                        items_meta.remove(id);
                    }
                }
                dimensions.insert(d.key.clone(), json!(ids));
            } else {
                dimensions.insert(d.key.clone(), json!(d.items));
            }
        }
        for d in &filters {
            dimensions.insert(d.key.clone(), json!(d.items));
        }
        dimensions.entry("co").or_insert(json!([]));
        root.insert(
            "metaData".into(),
            json!({"items": items_meta, "dimensions": dimensions}),
        );
    }
    root.insert("rowContext".into(), json!({}));
    let height = rows.len();
    root.insert("rows".into(), Value::Array(rows));
    root.insert("height".into(), json!(height));
    root.insert("width".into(), json!(headers.len()));
    root.insert("headerWidth".into(), json!(headers.len()));
    web::json(200, &Value::Object(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_and_values() {
        let d = parse_dimensions(&["dx:a;b", "pe:2024,ou:X"]).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].items, ["a", "b"]);
        assert!(parse_dimensions(&["dx:a", "dx:b"]).is_err());
        assert_eq!(format_value(12.0), "12");
        assert_eq!(format_value(12.25), "12.3");
    }
}
