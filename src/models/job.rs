//! Async jobs: the [`JobConfiguration`] envelope response and task [`Notification`]s (WIRE 9).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{DhisDate, Field};

string_enum! {
    /// State of a job.
    pub enum JobStatus {
        /// Running now.
        Running => "RUNNING",
        /// Waiting to run.
        Scheduled => "SCHEDULED",
        /// Disabled.
        Disabled => "DISABLED",
        /// Finished successfully.
        Completed => "COMPLETED",
        /// Stopped by a user.
        Stopped => "STOPPED",
        /// Failed.
        Failed => "FAILED",
        /// Not started.
        NotStarted => "NOT_STARTED",
    }
}

string_enum! {
    /// Level of a task notification.
    pub enum NotificationLevel {
        /// Off.
        Off => "OFF",
        /// Debug.
        Debug => "DEBUG",
        /// Loop progress.
        Loop => "LOOP",
        /// Information.
        Info => "INFO",
        /// Warning.
        Warn => "WARN",
        /// Error.
        Error => "ERROR",
    }
}

/// `response` of type `JobConfiguration`: a started async job (`?async=true`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobConfiguration {
    /// `JobConfiguration` or `JobConfigurationWebMessageResponse` (kept as sent).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub response_type: Field<String>,
    /// Job UID.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Job name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub created: Field<DhisDate>,
    /// Job type, e.g. `METADATA_IMPORT`, `DATAVALUE_IMPORT`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub job_type: Field<String>,
    /// Job state.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub job_status: Field<JobStatus>,
    /// Job parameters (kept as JSON).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub job_parameters: Field<Value>,
    /// Where to poll, e.g. `/api/system/tasks/METADATA_IMPORT/<jobUid>`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub relative_notifier_endpoint: Field<String>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl JobConfiguration {
    /// Path to poll for this job's notifications: `relativeNotifierEndpoint`, or one built from type and id.
    pub fn tasks_path(&self) -> Option<String> {
        if let Some(p) = self.relative_notifier_endpoint.as_str() {
            return Some(p.to_owned());
        }
        match (self.job_type.as_str(), self.id.as_str()) {
            (Some(t), Some(id)) => Some(format!("/api/system/tasks/{t}/{id}")),
            _ => None,
        }
    }
}

/// One task notification from `/api/system/tasks/{jobType}/{jobId}` (a JSON array of these, newest first).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Notification id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Notification uid.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    /// Level.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub level: Field<NotificationLevel>,
    /// Job type.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub category: Field<String>,
    /// Time.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub time: Field<DhisDate>,
    /// Message.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message: Field<String>,
    /// `true` once the job has finished.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub completed: Field<bool>,
    /// Kind of `data`, e.g. `PARAMETERS`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub data_type: Field<String>,
    /// Attached data (kept as JSON).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub data: Field<Value>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Notification {
    /// `true` when this notification marks the job finished.
    pub fn is_completed(&self) -> bool {
        self.completed.get().unwrap_or(false)
    }
}
