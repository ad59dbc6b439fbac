//! [`WebMessage`]: DHIS2's response envelope, with its polymorphic `response` (WIRE 6).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{
    ErrorReport, ErrorReports, Extra, Field, ImportReport, ImportSummary, JobConfiguration,
    ObjectReport, Status,
};

/// The envelope DHIS2 answers writes and errors with:
/// `{"httpStatus", "httpStatusCode", "status", "code"?, "message"?, "devMessage"?, "response"?, "errorCode"?}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebMessage {
    /// HTTP reason phrase, e.g. `"Conflict"`.
    pub http_status: Field<String>,
    /// HTTP status code (the status line is taken from it).
    pub http_status_code: Field<u16>,
    /// `OK`, `WARNING` or `ERROR`.
    pub status: Field<Status>,
    /// Rarely set numeric code.
    pub code: Field<i64>,
    /// Message.
    pub message: Field<String>,
    /// Developer message (e.g. a driver error).
    pub dev_message: Field<String>,
    /// The typed payload, chosen by `response.responseType`.
    pub response: Field<WebMessageResponse>,
    /// DHIS2 error code, e.g. `E1005`.
    pub error_code: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    WebMessage {
        http_status: "httpStatus",
        http_status_code: "httpStatusCode",
        status: "status",
        code: "code",
        message: "message",
        dev_message: "devMessage",
        response: "response",
        error_code: "errorCode",
    }
}

/// The polymorphic `response` of a [`WebMessage`].
///
/// Chosen by `responseType`, accepting both the short (`ObjectReport`) and the long
/// (`ObjectReportWebMessageResponse`, sent by 2.42.0-2.42.4.x and 2.43.0.x) spelling. A payload that does not fit
/// its typed model, or of a type without one, is kept as [`WebMessageResponse::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum WebMessageResponse {
    /// One object's report (create, update, patch, delete).
    ObjectReport(ObjectReport),
    /// A metadata import report.
    ImportReport(ImportReport),
    /// A data value import summary.
    ImportSummary(ImportSummary),
    /// A list of error reports.
    ErrorReports(ErrorReports),
    /// A started async job.
    JobConfiguration(JobConfiguration),
    /// Anything else, kept verbatim.
    Other(Value),
}

/// `responseType` with the `WebMessageResponse` suffix (and any Java package prefix) removed.
pub fn normalize_response_type(response_type: &str) -> &str {
    let simple = response_type.rsplit('.').next().unwrap_or(response_type);
    simple.strip_suffix("WebMessageResponse").unwrap_or(simple)
}

impl WebMessageResponse {
    /// Picks the variant for a raw `response` value.
    pub fn from_value(value: Value) -> WebMessageResponse {
        let kind = value
            .get("responseType")
            .and_then(Value::as_str)
            .map(normalize_response_type)
            .map(str::to_owned);
        fn typed<T: serde::de::DeserializeOwned>(
            value: Value,
            wrap: fn(T) -> WebMessageResponse,
        ) -> WebMessageResponse {
            match T::deserialize(&value) {
                Ok(t) => wrap(t),
                Err(_) => WebMessageResponse::Other(value),
            }
        }
        match kind.as_deref() {
            Some("ObjectReport") => typed(value, WebMessageResponse::ObjectReport),
            Some("ImportReport") => typed(value, WebMessageResponse::ImportReport),
            Some("ImportSummary") => typed(value, WebMessageResponse::ImportSummary),
            Some("ErrorReports") => typed(value, WebMessageResponse::ErrorReports),
            Some("JobConfiguration") => typed(value, WebMessageResponse::JobConfiguration),
            _ => WebMessageResponse::Other(value),
        }
    }

    /// The `responseType` as sent, if any.
    pub fn response_type(&self) -> Option<&str> {
        match self {
            WebMessageResponse::ObjectReport(r) => r.response_type.as_str(),
            WebMessageResponse::ImportReport(r) => r.response_type.as_str(),
            WebMessageResponse::ImportSummary(r) => r.response_type.as_str(),
            WebMessageResponse::ErrorReports(r) => r.response_type.as_str(),
            WebMessageResponse::JobConfiguration(r) => r.response_type.as_str(),
            WebMessageResponse::Other(v) => v.get("responseType").and_then(Value::as_str),
        }
    }
}

impl Serialize for WebMessageResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WebMessageResponse::ObjectReport(r) => r.serialize(serializer),
            WebMessageResponse::ImportReport(r) => r.serialize(serializer),
            WebMessageResponse::ImportSummary(r) => r.serialize(serializer),
            WebMessageResponse::ErrorReports(r) => r.serialize(serializer),
            WebMessageResponse::JobConfiguration(r) => r.serialize(serializer),
            WebMessageResponse::Other(v) => v.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for WebMessageResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(WebMessageResponse::from_value)
    }
}

impl WebMessage {
    /// The object report, if the response is one.
    pub fn object_report(&self) -> Option<&ObjectReport> {
        match self.response.value()? {
            WebMessageResponse::ObjectReport(r) => Some(r),
            _ => None,
        }
    }

    /// The import report, if the response is one.
    pub fn import_report(&self) -> Option<&ImportReport> {
        match self.response.value()? {
            WebMessageResponse::ImportReport(r) => Some(r),
            _ => None,
        }
    }

    /// The import report, if the response is one, taken out of the message (no copy).
    pub fn into_import_report(self) -> Option<ImportReport> {
        match self.response.into_option()? {
            WebMessageResponse::ImportReport(r) => Some(r),
            _ => None,
        }
    }

    /// The import summary, if the response is one.
    pub fn import_summary(&self) -> Option<&ImportSummary> {
        match self.response.value()? {
            WebMessageResponse::ImportSummary(r) => Some(r),
            _ => None,
        }
    }

    /// The job configuration, if the response is one.
    pub fn job(&self) -> Option<&JobConfiguration> {
        match self.response.value()? {
            WebMessageResponse::JobConfiguration(r) => Some(r),
            _ => None,
        }
    }

    /// The uid of a created/updated object (`response.uid` of an object report).
    pub fn uid(&self) -> Option<&str> {
        self.object_report()?.uid.as_str()
    }

    /// Every error report in the response, whatever its type.
    pub fn error_reports(&self) -> Vec<&ErrorReport> {
        match self.response.value() {
            Some(WebMessageResponse::ObjectReport(r)) => r.errors().iter().collect(),
            Some(WebMessageResponse::ErrorReports(r)) => r
                .error_reports
                .value()
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
            Some(WebMessageResponse::ImportReport(r)) => {
                r.errors().into_iter().map(|e| e.report).collect()
            }
            _ => Vec::new(),
        }
    }

    /// `status` is `OK`.
    pub fn is_ok(&self) -> bool {
        matches!(self.status.value(), Some(Status::Ok))
    }
}
