//! [`ObjectReport`], [`ErrorReport`] and the [`ErrorReports`] response.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Field, SecretString};

/// Result for one object of a create/update/patch/delete or a metadata import (WIRE 6.4, 7.2).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReport {
    /// `ObjectReport` or `ObjectReportWebMessageResponse` when this is a WebMessage `response` (kept as sent).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub response_type: Field<String>,
    /// Fully qualified Java class, e.g. `org.hisp.dhis.dataelement.DataElement`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub klass: Field<String>,
    /// UID of the object (the new id after a create).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    /// Position of the object in the import payload.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub index: Field<i64>,
    /// Display name of the object, in import reports.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub display_name: Field<String>,
    /// The plaintext token, only in the answer to a personal access token creation (redacted in `Debug`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub key: Field<SecretString>,
    /// Errors about this object; empty on success.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub error_reports: Field<Vec<ErrorReport>>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ObjectReport {
    /// The error reports (empty when absent).
    pub fn errors(&self) -> &[ErrorReport] {
        self.error_reports.value().map(Vec::as_slice).unwrap_or(&[])
    }

    /// `true` when the report carries errors.
    pub fn has_errors(&self) -> bool {
        !self.errors().is_empty()
    }
}

/// One validation or import error (WIRE 7.2).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorReport {
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message: Field<String>,
    /// DHIS2 error code, e.g. `E4000`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub error_code: Field<String>,
    /// Class of the object the error is about.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub main_klass: Field<String>,
    /// Id of the object the error is about.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub main_id: Field<String>,
    /// Class of the offending value.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub error_klass: Field<String>,
    /// The offending property.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub error_property: Field<String>,
    /// All offending properties.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub error_properties: Field<Vec<Value>>,
    /// The offending value.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub value: Field<Value>,
    /// Message template arguments.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub args: Field<Vec<Value>>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `response` of type `ErrorReports`: a list of error reports, e.g. with a 400 `BadRequestException` (WIRE 6.2).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorReports {
    /// `ErrorReports` or `ErrorReportsWebMessageResponse` (kept as sent).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub response_type: Field<String>,
    /// The errors.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub error_reports: Field<Vec<ErrorReport>>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
