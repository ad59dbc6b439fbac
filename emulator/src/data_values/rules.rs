//! What a value must look like: a data element's value type and option set, and the per-type checks.

use std::collections::HashSet;

use serde_json::Value;

use crate::store::Store;

/// What a data element allows, looked up once per import.
#[derive(Debug, Clone)]
pub(super) struct ElementRules {
    pub(super) value_type: String,
    pub(super) options: Option<HashSet<String>>,
}

/// Reads a data element's value type and option codes from the store.
pub(super) fn element_rules(store: &Store, de: &str) -> Option<ElementRules> {
    let obj = store.get("dataElements", de)?;
    let value_type = obj
        .get("valueType")
        .and_then(Value::as_str)
        .unwrap_or("TEXT")
        .to_string();
    let options = obj
        .get("optionSet")
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(|os| {
            store
                .get("optionSets", os)
                .and_then(|s| s.get("options"))
                .and_then(Value::as_array)
                .map(|opts| {
                    opts.iter()
                        .filter_map(|o| o.get("id").and_then(Value::as_str))
                        .filter_map(|oid| store.get("options", oid))
                        .filter_map(|o| o.get("code").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        });
    Some(ElementRules {
        value_type,
        options,
    })
}

/// Checks a value against a value type; `Err` carries DHIS2's i18n key for the failure.
pub(super) fn check_value(value_type: &str, v: &str) -> Result<(), &'static str> {
    let int = || v.parse::<i64>().ok();
    let num = || v.parse::<f64>().ok().filter(|f| f.is_finite());
    let ok = match value_type {
        "INTEGER" => int().is_some(),
        "INTEGER_POSITIVE" => int().is_some_and(|i| i > 0),
        "INTEGER_NEGATIVE" => int().is_some_and(|i| i < 0),
        "INTEGER_ZERO_OR_POSITIVE" => int().is_some_and(|i| i >= 0),
        "NUMBER" | "UNIT_INTERVAL" => num().is_some(),
        "PERCENTAGE" => num().is_some_and(|f| (0.0..=100.0).contains(&f)),
        "BOOLEAN" => {
            ["true", "false", "1", "0", "t", "f"].contains(&v.to_ascii_lowercase().as_str())
        }
        "TRUE_ONLY" => ["true", "1", "t"].contains(&v.to_ascii_lowercase().as_str()),
        "DATE" => v.len() == 10 && super::model::parse_date_millis(v).is_some(),
        "TEXT" => v.chars().count() <= 50_000,
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(match value_type {
        "INTEGER" => "value_not_integer",
        "INTEGER_POSITIVE" => "value_not_positive_integer",
        "INTEGER_NEGATIVE" => "value_not_negative_integer",
        "INTEGER_ZERO_OR_POSITIVE" => "value_not_zero_or_positive_integer",
        "NUMBER" | "UNIT_INTERVAL" => "value_not_numeric",
        "PERCENTAGE" => "value_not_percentage",
        "BOOLEAN" => "value_not_bool",
        "TRUE_ONLY" => "value_not_true_only",
        "DATE" => "value_not_valid_date",
        _ => "value_length_greater_than_max_length",
    })
}
