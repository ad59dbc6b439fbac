//! [`ImportSummary`]: the answer to a data value import (WIRE 8).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Field;

string_enum! {
    /// `ImportSummary.status`: `SUCCESS`, `WARNING`, `ERROR` (unlike the envelope's `OK`/`WARNING`/`ERROR`).
    pub enum ImportStatus {
        /// Every value was stored.
        Success => "SUCCESS",
        /// Some values were rejected.
        Warning => "WARNING",
        /// Nothing was stored.
        Error => "ERROR",
    }
}

/// Counts of a data value import.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportCount {
    /// Values imported (always 0 on 2.43+, which counts stored values as `updated`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub imported: Field<u64>,
    /// Values updated.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub updated: Field<u64>,
    /// Values ignored.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub ignored: Field<u64>,
    /// Values deleted.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub deleted: Field<u64>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One conflict of a data value import.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportConflict {
    /// The offending object (absent on 2.43+ conflicts).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub object: Field<String>,
    /// The objects involved, keyed by role (`period`, `dataElement`, ... or `args` on 2.43+).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub objects: Field<Map<String, Value>>,
    /// The message.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub value: Field<String>,
    /// DHIS2 error code, e.g. `E7641`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub error_code: Field<String>,
    /// The offending property.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub property: Field<String>,
    /// Indexes of the rejected values in the payload.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub indexes: Field<Vec<u64>>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The data value import summary.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// `ImportSummary` inside a WebMessage.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub response_type: Field<String>,
    /// Import status.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<ImportStatus>,
    /// The options the import ran with (kept as JSON).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub import_options: Field<Value>,
    /// Description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Counts.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub import_count: Field<ImportCount>,
    /// Conflicts.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub conflicts: Field<Vec<ImportConflict>>,
    /// Indexes of all rejected values.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub rejected_indexes: Field<Vec<u64>>,
    /// Data set completion (a string such as `"false"` on the wire).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub data_set_complete: Field<Value>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ImportSummary {
    /// The conflicts (empty when absent).
    pub fn conflicts(&self) -> &[ImportConflict] {
        self.conflicts.value().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Conflicts that concern the value at `index` of the payload.
    pub fn conflicts_for_index(&self, index: u64) -> Vec<&ImportConflict> {
        self.conflicts()
            .iter()
            .filter(|c| c.indexes.value().is_some_and(|ix| ix.contains(&index)))
            .collect()
    }
}
