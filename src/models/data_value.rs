//! Aggregate data values: [`DataValue`] and [`DataValueSet`] (`/api/dataValueSets`, WIRE 8).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Field;

/// One aggregate data value.
///
/// `created` and `lastUpdated` are kept as sent (`2010-04-13T00:00:00.000+0000` in exports). `value` is a string
/// on the wire whatever the data element's type.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValue {
    /// Data element UID.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub data_element: Field<String>,
    /// ISO period (`202401`, `2024Q1`, ...).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub period: Field<String>,
    /// Org unit UID.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub org_unit: Field<String>,
    /// Category option combo UID (the default one when absent on import).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub category_option_combo: Field<String>,
    /// Attribute option combo UID (the default one when absent on import).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub attribute_option_combo: Field<String>,
    /// The value.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub value: Field<String>,
    /// Who stored it.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub stored_by: Field<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub created: Field<String>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_updated: Field<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub comment: Field<String>,
    /// Marked for follow-up (DHIS2 spells the key `followup`).
    #[serde(default, skip_serializing_if = "Field::is_absent", rename = "followup")]
    pub follow_up: Field<bool>,
    /// Soft-deleted (exports with `includeDeleted=true`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub deleted: Field<bool>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DataValue {
    /// A value for import: data element, period, org unit and value (default option combos).
    pub fn new(
        data_element: impl Into<String>,
        period: impl Into<String>,
        org_unit: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        DataValue {
            data_element: Field::Value(data_element.into()),
            period: Field::Value(period.into()),
            org_unit: Field::Value(org_unit.into()),
            value: Field::Value(value.into()),
            ..DataValue::default()
        }
    }

    /// Sets the category option combo.
    pub fn with_category_option_combo(mut self, coc: impl Into<String>) -> Self {
        self.category_option_combo = Field::Value(coc.into());
        self
    }

    /// Sets the comment.
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Field::Value(comment.into());
        self
    }
}

/// A data value set: optional set-level defaults plus the values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    /// Data set UID (needed on 2.43+ when the data elements are in several sets).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub data_set: Field<String>,
    /// Completion date.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub complete_date: Field<String>,
    /// Default period of the values.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub period: Field<String>,
    /// Default org unit of the values.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub org_unit: Field<String>,
    /// Default attribute option combo.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub attribute_option_combo: Field<String>,
    /// The values.
    #[serde(default)]
    pub data_values: Vec<DataValue>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DataValueSet {
    /// A set of values (no set-level defaults).
    pub fn new(values: Vec<DataValue>) -> Self {
        DataValueSet {
            data_values: values,
            ..DataValueSet::default()
        }
    }

    /// Sets the data set.
    pub fn with_data_set(mut self, data_set: impl Into<String>) -> Self {
        self.data_set = Field::Value(data_set.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_an_export() {
        let raw = json!({"dataSet": "ds", "dataValues": [{"dataElement": "de", "period": "202401", "orgUnit": "ou",
            "categoryOptionCombo": "coc", "attributeOptionCombo": "aoc", "value": "5", "storedBy": "admin",
            "created": "2010-04-13T00:00:00.000+0000", "lastUpdated": "2010-04-13T00:00:00.000+0000",
            "followup": false}]});
        let set: DataValueSet = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(set.data_values[0].value.as_str(), Some("5"));
        assert_eq!(set.data_values[0].follow_up.get(), Some(false));
        assert_eq!(serde_json::to_value(&set).unwrap(), raw);
        let v = serde_json::to_value(DataValue::new("a", "202401", "b", "1")).unwrap();
        assert_eq!(
            v,
            json!({"dataElement": "a", "period": "202401", "orgUnit": "b", "value": "1"})
        );
    }
}
