//! Tracker objects (`/api/tracker/...`, WIRE 4.3) and the tracker import report (WIRE 9.3).
//!
//! Like every model here they are lossless: the fields a client usually reads are typed, everything else is kept
//! in `extra`, and absent keys stay absent when written back. Tracker dates (`createdAt`, `occurredAt`, ...) are
//! kept as the strings the server sent.

use serde_json::Value;

use super::{Extra, Field};

/// A tracked entity (`/api/tracker/trackedEntities`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackedEntity {
    /// UID.
    pub tracked_entity: Field<String>,
    /// Tracked entity type UID.
    pub tracked_entity_type: Field<String>,
    /// Registering org unit UID.
    pub org_unit: Field<String>,
    /// Creation time on the server.
    pub created_at: Field<String>,
    /// Last update on the server.
    pub updated_at: Field<String>,
    /// Whether the record is inactive.
    pub inactive: Field<bool>,
    /// Whether the record is soft-deleted.
    pub deleted: Field<bool>,
    /// Attribute values.
    pub attributes: Field<Vec<TrackerAttribute>>,
    /// Enrollments (present when `fields` asks for them).
    pub enrollments: Field<Vec<Enrollment>>,
    /// Relationships (present when `fields` asks for them).
    pub relationships: Field<Vec<Relationship>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    TrackedEntity {
        tracked_entity: "trackedEntity",
        tracked_entity_type: "trackedEntityType",
        org_unit: "orgUnit",
        created_at: "createdAt",
        updated_at: "updatedAt",
        inactive: "inactive",
        deleted: "deleted",
        attributes: "attributes" vec,
        enrollments: "enrollments" vec,
        relationships: "relationships" vec,
    }
}

/// One attribute value of a tracked entity or enrollment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackerAttribute {
    /// Attribute UID.
    pub attribute: Field<String>,
    /// The value, always a string on the wire.
    pub value: Field<String>,
    /// Display name of the attribute.
    pub display_name: Field<String>,
    /// Value type such as `TEXT`.
    pub value_type: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    TrackerAttribute {
        attribute: "attribute",
        value: "value",
        display_name: "displayName",
        value_type: "valueType",
    }
}

/// An enrollment (`/api/tracker/enrollments`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Enrollment {
    /// UID.
    pub enrollment: Field<String>,
    /// Enrolled tracked entity UID.
    pub tracked_entity: Field<String>,
    /// Program UID.
    pub program: Field<String>,
    /// Org unit UID.
    pub org_unit: Field<String>,
    /// `ACTIVE`, `COMPLETED` or `CANCELLED`.
    pub status: Field<String>,
    /// Enrollment date.
    pub enrolled_at: Field<String>,
    /// Incident date.
    pub occurred_at: Field<String>,
    /// Last update on the server.
    pub updated_at: Field<String>,
    /// Events (present when `fields` asks for them).
    pub events: Field<Vec<Event>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Enrollment {
        enrollment: "enrollment",
        tracked_entity: "trackedEntity",
        program: "program",
        org_unit: "orgUnit",
        status: "status",
        enrolled_at: "enrolledAt",
        occurred_at: "occurredAt",
        updated_at: "updatedAt",
        events: "events" vec,
    }
}

/// An event (`/api/tracker/events`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// UID.
    pub event: Field<String>,
    /// Program UID.
    pub program: Field<String>,
    /// Program stage UID.
    pub program_stage: Field<String>,
    /// Enrollment UID (absent for events of programs without registration).
    pub enrollment: Field<String>,
    /// Tracked entity UID.
    pub tracked_entity: Field<String>,
    /// Org unit UID.
    pub org_unit: Field<String>,
    /// `ACTIVE`, `COMPLETED`, `SCHEDULE`, ...
    pub status: Field<String>,
    /// When the event happened.
    pub occurred_at: Field<String>,
    /// Last update on the server.
    pub updated_at: Field<String>,
    /// Recorded values.
    pub data_values: Field<Vec<EventDataValue>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Event {
        event: "event",
        program: "program",
        program_stage: "programStage",
        enrollment: "enrollment",
        tracked_entity: "trackedEntity",
        org_unit: "orgUnit",
        status: "status",
        occurred_at: "occurredAt",
        updated_at: "updatedAt",
        data_values: "dataValues" vec,
    }
}

/// One data value of an event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventDataValue {
    /// Data element UID.
    pub data_element: Field<String>,
    /// The value as a string.
    pub value: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    EventDataValue {
        data_element: "dataElement",
        value: "value",
    }
}

/// A relationship (`/api/tracker/relationships`); `from` and `to` are kept as JSON
/// (`{"trackedEntity": {"trackedEntity": "<uid>"}}` and the enrollment/event forms).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Relationship {
    /// UID.
    pub relationship: Field<String>,
    /// Relationship type UID.
    pub relationship_type: Field<String>,
    /// The source end.
    pub from: Field<Value>,
    /// The target end.
    pub to: Field<Value>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Relationship {
        relationship: "relationship",
        relationship_type: "relationshipType",
        from: "from",
        to: "to",
    }
}

/// One page of a tracker export, whatever envelope the version used.
///
/// 2.40 writes the pager fields flat beside `instances`; 2.41 writes a `pager` object, a list named after the
/// type and flat copies; 2.42+ only the `pager` object and the named list. All three become this.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerPage<T> {
    /// The objects of this page.
    pub items: Vec<T>,
    /// Page number (1-based), when the server paged.
    pub page: Option<u64>,
    /// Page size, when the server paged.
    pub page_size: Option<u64>,
    /// Total count (only with `totalPages=true`).
    pub total: Option<u64>,
    /// Page count (only with `totalPages=true`).
    pub page_count: Option<u64>,
    /// Link to the next page, when the server wrote one.
    pub next_page: Option<String>,
}

impl<T: serde::de::DeserializeOwned> TrackerPage<T> {
    /// Reads a page from its JSON, where `list_key` is the 2.41+ list name (`trackedEntities`, `events`, ...).
    pub fn from_json(value: Value, list_key: &str) -> Result<Self, serde_json::Error> {
        let Value::Object(mut root) = value else {
            return Err(serde::de::Error::custom(
                "tracker export answer is not a JSON object",
            ));
        };
        let list = root
            .remove(list_key)
            .or_else(|| root.remove("instances"))
            .unwrap_or(Value::Array(Vec::new()));
        let items: Vec<T> = serde_json::from_value(list)?;
        // The 2.41+ `pager` object wins over the flat (2.40, or deprecated 2.41) copies.
        let pager = root
            .get("pager")
            .and_then(Value::as_object)
            .unwrap_or(&root);
        let num = |k: &str| pager.get(k).and_then(Value::as_u64);
        Ok(TrackerPage {
            items,
            page: num("page"),
            page_size: num("pageSize"),
            total: num("total"),
            page_count: num("pageCount"),
            next_page: pager
                .get("nextPage")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Whether another page may follow this one (`page_size` is what was asked for).
    pub fn has_more(&self, requested_page_size: u64) -> bool {
        if self.items.is_empty() {
            return false;
        }
        if let (Some(page), Some(count)) = (self.page, self.page_count) {
            return page < count;
        }
        if self.next_page.is_some() {
            return true;
        }
        // Without totals or links (2.40 without `totalPages`, 2.41), only a full page can have a successor.
        self.items.len() as u64 >= requested_page_size
    }
}

string_enum! {
    /// Status of a tracker import report.
    pub enum TrackerImportStatus {
        /// Everything was imported.
        Ok => "OK",
        /// Imported with warnings.
        Warning => "WARNING",
        /// Validation failed.
        Error => "ERROR",
    }
}

/// Counts of a tracker import.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackerStats {
    /// Created objects.
    pub created: u64,
    /// Updated objects.
    pub updated: u64,
    /// Deleted objects.
    pub deleted: u64,
    /// Ignored objects.
    pub ignored: u64,
    /// All objects.
    pub total: u64,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    TrackerStats {
        created: "created" always,
        updated: "updated" always,
        deleted: "deleted" always,
        ignored: "ignored" always,
        total: "total" always,
    }
}

/// One validation error or warning of a tracker import.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackerError {
    /// The message.
    pub message: Field<String>,
    /// DHIS2 error code, e.g. `E1121`.
    pub error_code: Field<String>,
    /// `TRACKED_ENTITY`, `ENROLLMENT`, `EVENT` or `RELATIONSHIP`.
    pub tracker_type: Field<String>,
    /// The offending object's UID.
    pub uid: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    TrackerError {
        message: "message",
        error_code: "errorCode",
        tracker_type: "trackerType",
        uid: "uid",
    }
}

/// `validationReport` of a tracker import.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationReport {
    /// Rejections.
    pub error_reports: Vec<TrackerError>,
    /// Warnings.
    pub warning_reports: Vec<TrackerError>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ValidationReport {
        error_reports: "errorReports" always,
        warning_reports: "warningReports" always,
    }
}

/// The bare tracker import report (`POST /api/tracker?async=false`, or `/api/tracker/jobs/{uid}/report`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackerImportReport {
    /// Overall status.
    pub status: Field<TrackerImportStatus>,
    /// Validation errors and warnings.
    pub validation_report: ValidationReport,
    /// Counts.
    pub stats: TrackerStats,
    /// Per-type details (only with `reportMode=FULL`), kept as JSON.
    pub bundle_report: Field<Value>,
    /// Message, when the server wrote one.
    pub message: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    TrackerImportReport {
        status: "status",
        validation_report: "validationReport" always,
        stats: "stats" always,
        bundle_report: "bundleReport",
        message: "message",
    }
}

impl TrackerImportReport {
    /// `true` unless the status is `ERROR` or validation rejected something.
    pub fn is_ok(&self) -> bool {
        !matches!(self.status.value(), Some(TrackerImportStatus::Error))
            && self.validation_report.error_reports.is_empty()
    }

    /// The validation errors.
    pub fn errors(&self) -> &[TrackerError] {
        &self.validation_report.error_reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_envelope() {
        let v40 = json!({"page": 2, "pageSize": 1, "instances": [{"trackedEntity": "a"}]});
        let p = TrackerPage::<TrackedEntity>::from_json(v40, "trackedEntities").unwrap();
        assert_eq!((p.page, p.page_size, p.items.len()), (Some(2), Some(1), 1));
        assert!(p.has_more(1));
        let v41 = json!({"trackedEntities": [], "pager": {"page": 1, "pageSize": 5, "total": 0, "pageCount": 0},
                         "page": 1, "pageSize": 5});
        let p = TrackerPage::<TrackedEntity>::from_json(v41, "trackedEntities").unwrap();
        assert_eq!(p.total, Some(0));
        assert!(!p.has_more(5));
        let v42 = json!({"pager": {"page": 1, "pageSize": 1, "nextPage": "http://x?page=2"},
                         "trackedEntities": [{"trackedEntity": "b", "unknown": [1]}]});
        let p = TrackerPage::<TrackedEntity>::from_json(v42, "trackedEntities").unwrap();
        assert_eq!(p.next_page.as_deref(), Some("http://x?page=2"));
        assert_eq!(p.items[0].extra["unknown"], json!([1]));
    }

    #[test]
    fn report_round_trips() {
        let raw = json!({"status": "ERROR", "validationReport": {"errorReports": [{"message": "m",
            "errorCode": "E1121", "trackerType": "TRACKED_ENTITY", "uid": "x"}], "warningReports": []},
            "stats": {"created": 0, "updated": 0, "deleted": 0, "ignored": 1, "total": 1}});
        let r: TrackerImportReport = serde_json::from_value(raw.clone()).unwrap();
        assert!(!r.is_ok());
        assert_eq!(r.errors()[0].error_code.as_str(), Some("E1121"));
        assert_eq!(serde_json::to_value(&r).unwrap(), raw);
    }
}
