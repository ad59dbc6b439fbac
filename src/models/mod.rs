//! Typed DHIS2 models: hand-written envelopes and core types, plus generated metadata models.
//!
//! Every model is lossless: unknown keys are kept in an `extra` map ([`Extra`]), explicit `null`s survive through [`Field`],
//! dates keep their original string ([`DhisDate`]) and numbers keep their JSON representation.

#[macro_use]
mod macros;

mod analytics;
mod data_value;
mod date;
mod extra;
mod field;
pub mod generated;
mod import_report;
mod import_summary;
mod job;
mod lossless;
mod me;
mod object_report;
mod pager;
pub mod patch;
mod refs;
mod resource;
mod secret;
mod sharing;
mod system_info;
mod tracker;
mod uid;
mod web_message;

pub use analytics::{AnalyticsResponse, GridHeader};
pub use data_value::{DataValue, DataValueSet};
pub use date::{DateError, DateParts, DhisDate};
pub use extra::Extra;
pub use field::Field;
pub use import_report::{Ignored, ImportError, ImportReport, Stats, Status, TypeCount, TypeReport};
pub use import_summary::{ImportConflict, ImportCount, ImportStatus, ImportSummary};
pub use job::{JobConfiguration, JobStatus, Notification, NotificationLevel};
pub use me::Me;
pub use object_report::{ErrorReport, ErrorReports, ObjectReport};
pub use pager::Pager;
pub use patch::{JsonPatch, PatchOp};
pub use refs::{IdRef, Ref, UserRef};
pub use resource::{FieldInfo, FieldKind, Resource, TypeInfo};
pub use secret::SecretString;
pub use sharing::{Access, AttributeValue, Sharing, SharingEntry, Translation};
pub use system_info::{DatabaseInfo, SystemInfo};
pub use tracker::{
    Enrollment, Event, EventDataValue, Relationship, TrackedEntity, TrackerAttribute, TrackerError,
    TrackerImportReport, TrackerImportStatus, TrackerPage, TrackerStats, ValidationReport,
};
pub use uid::{Uid, UidError, UID_LEN};
pub use web_message::{normalize_response_type, WebMessage, WebMessageResponse};

pub use generated::*;
