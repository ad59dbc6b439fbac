//! [`SystemInfo`]: `GET /api/system/info` (WIRE 2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{DhisDate, Field};

/// `GET /api/system/info`. The key set is the same on 2.39-2.42 (46 keys); 2.43 adds `sessionTimeout` and
/// `capability`. Non-superusers get a reduced object (superuser-only keys absent). Unknown keys are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    /// Absolute base URL of the server (scheme, host, port, context path).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub context_path: Field<String>,
    /// The request's `User-Agent`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub user_agent: Field<String>,
    /// Calendar name, e.g. `iso8601`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub calendar: Field<String>,
    /// JavaScript date pattern, e.g. `yyyy-mm-dd`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub date_format: Field<String>,
    /// Server time.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub server_date: Field<DhisDate>,
    /// Server time zone id, e.g. `Etc/UTC`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub server_time_zone_id: Field<String>,
    /// Server time zone display name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub server_time_zone_display_name: Field<String>,
    /// Session timeout in seconds (2.43+).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub session_timeout: Field<i64>,
    /// Last successful analytics table generation.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_analytics_table_success: Field<DhisDate>,
    /// Time since the last successful analytics table generation.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub interval_since_last_analytics_table_success: Field<String>,
    /// Runtime of the last analytics table generation.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_analytics_table_runtime: Field<String>,
    /// Last successful system monitoring run.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_system_monitoring_success: Field<DhisDate>,
    /// Last successful analytics partition generation.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_analytics_table_partition_success: Field<DhisDate>,
    /// Time since the last successful analytics partition generation.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub interval_since_last_analytics_table_partition_success: Field<String>,
    /// Runtime of the last analytics partition generation.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_analytics_table_partition_runtime: Field<String>,
    /// Database information (reduced for non-superusers).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub database_info: Field<DatabaseInfo>,
    /// Capabilities, e.g. `{"analyticsTotalCounts": true}` (2.43+).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub capability: Field<Value>,
    /// Version string, e.g. `2.42.5-SNAPSHOT`, `2.40.2.1`, `2.44-SNAPSHOT`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub version: Field<String>,
    /// 7-character git commit.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub revision: Field<String>,
    /// Build time.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub build_time: Field<DhisDate>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub jasper_reports_version: Field<String>,
    /// Superuser only, e.g. `DHIS2_HOME`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub environment_variable: Field<String>,
    /// Superuser only, e.g. `filesystem`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub file_store_provider: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub read_only_mode: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub node_id: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub java_version: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub java_vendor: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub java_opts: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub os_name: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub os_architecture: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub os_version: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub external_directory: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub read_replica_count: Field<i64>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub memory_info: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub cpu_cores: Field<i64>,
    /// Whether email is configured.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub email_configured: Field<bool>,
    /// Whether Redis is enabled (`false` for non-superusers).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub redis_enabled: Field<bool>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub redis_hostname: Field<String>,
    /// System id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system_id: Field<String>,
    /// System name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system_name: Field<String>,
    /// Metadata version.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system_metadata_version: Field<String>,
    /// Instance base URL.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub instance_base_url: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system_monitoring_url: Field<String>,
    /// Superuser only.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub cluster_hostname: Field<String>,
    /// Whether metadata versioning is enabled.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub is_metadata_version_enabled: Field<bool>,
    /// Whether metadata sync is enabled.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub is_metadata_sync_enabled: Field<bool>,
    /// Last metadata sync attempt.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_metadata_version_sync_attempt: Field<DhisDate>,
    /// Whether encryption is configured (`false` for non-superusers).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub encryption: Field<bool>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `databaseInfo` of [`SystemInfo`]; `name`, `user`, `url`, `databaseVersion` are removed for non-superusers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseInfo {
    /// Database name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Database user.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub user: Field<String>,
    /// JDBC URL.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub url: Field<String>,
    /// Database version.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub database_version: Field<String>,
    /// Whether PostGIS is available.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub spatial_support: Field<bool>,
    /// Database time.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub time: Field<DhisDate>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
