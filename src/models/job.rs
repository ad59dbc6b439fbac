//! Async jobs: the [`JobConfiguration`] envelope response and task [`Notification`]s (WIRE 9).

use serde_json::Value;

use super::{DhisDate, Extra, Field};

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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobConfiguration {
    /// `JobConfiguration` or `JobConfigurationWebMessageResponse` (kept as sent).
    pub response_type: Field<String>,
    /// Job UID.
    pub id: Field<String>,
    /// Job name.
    pub name: Field<String>,
    /// Creation time.
    pub created: Field<DhisDate>,
    /// Job type, e.g. `METADATA_IMPORT`, `DATAVALUE_IMPORT`.
    pub job_type: Field<String>,
    /// Job state.
    pub job_status: Field<JobStatus>,
    /// Job parameters (kept as JSON).
    pub job_parameters: Field<Value>,
    /// Where to poll, e.g. `/api/system/tasks/METADATA_IMPORT/<jobUid>`.
    pub relative_notifier_endpoint: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    JobConfiguration {
        response_type: "responseType",
        id: "id",
        name: "name",
        created: "created",
        job_type: "jobType",
        job_status: "jobStatus",
        job_parameters: "jobParameters",
        relative_notifier_endpoint: "relativeNotifierEndpoint",
    }
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Notification {
    /// Notification id.
    pub id: Field<String>,
    /// Notification uid.
    pub uid: Field<String>,
    /// Level.
    pub level: Field<NotificationLevel>,
    /// Job type.
    pub category: Field<String>,
    /// Time.
    pub time: Field<DhisDate>,
    /// Message.
    pub message: Field<String>,
    /// `true` once the job has finished.
    pub completed: Field<bool>,
    /// Kind of `data`, e.g. `PARAMETERS`.
    pub data_type: Field<String>,
    /// Attached data (kept as JSON).
    pub data: Field<Value>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Notification {
        id: "id",
        uid: "uid",
        level: "level",
        category: "category",
        time: "time",
        message: "message",
        completed: "completed",
        data_type: "dataType",
        data: "data",
    }
}

impl Notification {
    /// `true` when this notification marks the job finished.
    pub fn is_completed(&self) -> bool {
        self.completed.get().unwrap_or(false)
    }
}
