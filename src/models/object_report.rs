//! [`ObjectReport`], [`ErrorReport`] and the [`ErrorReports`] response.

use serde_json::Value;

use super::{Extra, Field, SecretString};

/// Result for one object of a create/update/patch/delete or a metadata import (WIRE 6.4, 7.2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectReport {
    /// `ObjectReport` or `ObjectReportWebMessageResponse` when this is a WebMessage `response` (kept as sent).
    pub response_type: Field<String>,
    /// Fully qualified Java class, e.g. `org.hisp.dhis.dataelement.DataElement`.
    pub klass: Field<String>,
    /// UID of the object (the new id after a create).
    pub uid: Field<String>,
    /// Position of the object in the import payload.
    pub index: Field<i64>,
    /// Display name of the object, in import reports.
    pub display_name: Field<String>,
    /// The plaintext token, only in the answer to a personal access token creation (redacted in `Debug`).
    pub key: Field<SecretString>,
    /// Errors about this object; empty on success.
    pub error_reports: Field<Vec<ErrorReport>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ObjectReport {
        response_type: "responseType",
        klass: "klass",
        uid: "uid",
        index: "index",
        display_name: "displayName",
        key: "key",
        error_reports: "errorReports" vec,
    }
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorReport {
    /// Human-readable message.
    pub message: Field<String>,
    /// DHIS2 error code, e.g. `E4000`.
    pub error_code: Field<String>,
    /// Class of the object the error is about.
    pub main_klass: Field<String>,
    /// Id of the object the error is about.
    pub main_id: Field<String>,
    /// Class of the offending value.
    pub error_klass: Field<String>,
    /// The offending property.
    pub error_property: Field<String>,
    /// All offending properties.
    pub error_properties: Field<Vec<Value>>,
    /// The offending value.
    pub value: Field<Value>,
    /// Message template arguments.
    pub args: Field<Vec<Value>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ErrorReport {
        message: "message",
        error_code: "errorCode",
        main_klass: "mainKlass",
        main_id: "mainId",
        error_klass: "errorKlass",
        error_property: "errorProperty",
        error_properties: "errorProperties" vec,
        value: "value",
        args: "args" vec,
    }
}

/// `response` of type `ErrorReports`: a list of error reports, e.g. with a 400 `BadRequestException` (WIRE 6.2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorReports {
    /// `ErrorReports` or `ErrorReportsWebMessageResponse` (kept as sent).
    pub response_type: Field<String>,
    /// The errors.
    pub error_reports: Field<Vec<ErrorReport>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ErrorReports {
        response_type: "responseType",
        error_reports: "errorReports" vec,
    }
}
