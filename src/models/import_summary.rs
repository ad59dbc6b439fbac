//! [`ImportSummary`]: the answer to a data value import (WIRE 8).

use serde_json::{Map, Value};

use super::{Extra, Field};

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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportCount {
    /// Values imported (always 0 on 2.43+, which counts stored values as `updated`).
    pub imported: Field<u64>,
    /// Values updated.
    pub updated: Field<u64>,
    /// Values ignored.
    pub ignored: Field<u64>,
    /// Values deleted.
    pub deleted: Field<u64>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ImportCount {
        imported: "imported",
        updated: "updated",
        ignored: "ignored",
        deleted: "deleted",
    }
}

/// One conflict of a data value import.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportConflict {
    /// The offending object (absent on 2.43+ conflicts).
    pub object: Field<String>,
    /// The objects involved, keyed by role (`period`, `dataElement`, ... or `args` on 2.43+).
    pub objects: Field<Map<String, Value>>,
    /// The message.
    pub value: Field<String>,
    /// DHIS2 error code, e.g. `E7641`.
    pub error_code: Field<String>,
    /// The offending property.
    pub property: Field<String>,
    /// Indexes of the rejected values in the payload.
    pub indexes: Field<Vec<u64>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ImportConflict {
        object: "object",
        objects: "objects",
        value: "value",
        error_code: "errorCode",
        property: "property",
        indexes: "indexes" vec,
    }
}

/// The data value import summary.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportSummary {
    /// `ImportSummary` inside a WebMessage.
    pub response_type: Field<String>,
    /// Import status.
    pub status: Field<ImportStatus>,
    /// The options the import ran with (kept as JSON).
    pub import_options: Field<Value>,
    /// Description.
    pub description: Field<String>,
    /// Counts.
    pub import_count: Field<ImportCount>,
    /// Conflicts.
    pub conflicts: Field<Vec<ImportConflict>>,
    /// Indexes of all rejected values.
    pub rejected_indexes: Field<Vec<u64>>,
    /// Data set completion (a string such as `"false"` on the wire).
    pub data_set_complete: Field<Value>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ImportSummary {
        response_type: "responseType",
        status: "status",
        import_options: "importOptions",
        description: "description",
        import_count: "importCount",
        conflicts: "conflicts" vec,
        rejected_indexes: "rejectedIndexes" vec,
        data_set_complete: "dataSetComplete",
    }
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
