//! Aggregate data values: [`DataValue`] and [`DataValueSet`] (`/api/dataValueSets`, WIRE 8).

use super::{Extra, Field};

/// One aggregate data value.
///
/// `created` and `lastUpdated` are kept as sent (`2010-04-13T00:00:00.000+0000` in exports). `value` is a string
/// on the wire whatever the data element's type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataValue {
    /// Data element UID.
    pub data_element: Field<String>,
    /// ISO period (`202401`, `2024Q1`, ...).
    pub period: Field<String>,
    /// Org unit UID.
    pub org_unit: Field<String>,
    /// Category option combo UID (the default one when absent on import).
    pub category_option_combo: Field<String>,
    /// Attribute option combo UID (the default one when absent on import).
    pub attribute_option_combo: Field<String>,
    /// The value.
    pub value: Field<String>,
    /// Who stored it.
    pub stored_by: Field<String>,
    /// Creation time.
    pub created: Field<String>,
    /// Last update.
    pub last_updated: Field<String>,
    /// Comment.
    pub comment: Field<String>,
    /// Marked for follow-up (DHIS2 spells the key `followup`).
    pub follow_up: Field<bool>,
    /// Soft-deleted (exports with `includeDeleted=true`).
    pub deleted: Field<bool>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    DataValue {
        data_element: "dataElement",
        period: "period",
        org_unit: "orgUnit",
        category_option_combo: "categoryOptionCombo",
        attribute_option_combo: "attributeOptionCombo",
        value: "value",
        stored_by: "storedBy",
        created: "created",
        last_updated: "lastUpdated",
        comment: "comment",
        follow_up: "followup",
        deleted: "deleted",
    }
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataValueSet {
    /// Data set UID (needed on 2.43+ when the data elements are in several sets).
    pub data_set: Field<String>,
    /// Completion date.
    pub complete_date: Field<String>,
    /// Default period of the values.
    pub period: Field<String>,
    /// Default org unit of the values.
    pub org_unit: Field<String>,
    /// Default attribute option combo.
    pub attribute_option_combo: Field<String>,
    /// The values.
    pub data_values: Vec<DataValue>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    DataValueSet {
        data_set: "dataSet",
        complete_date: "completeDate",
        period: "period",
        org_unit: "orgUnit",
        attribute_option_combo: "attributeOptionCombo",
        data_values: "dataValues" always,
    }
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
